from django.conf import settings

from ektp.audit.models import AuditEvent


def audit_record(*, actor, action: str, obj, nik: str = "", purpose: str = "") -> AuditEvent:
    """Append one audit row; call inside the caller's transaction so it commits with the work."""
    return AuditEvent.objects.create(
        actor=actor if actor and actor.is_authenticated else None,
        action=action,
        nik=nik,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        site=settings.EKTP_SITE_CODE,
        purpose=purpose[:200],
    )
