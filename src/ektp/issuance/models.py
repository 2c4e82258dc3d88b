from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ektp.issuance.choices import ApplicationKind, Status


class Application(models.Model):
    """A permohonan KTP-el and where it stands in the pipeline."""

    region_path = "resident__family__village__code"

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="applications"
    )
    kind = models.CharField(max_length=12, choices=ApplicationKind.choices)
    status = models.CharField(max_length=26, choices=Status.choices, db_index=True)
    enrollment = models.ForeignKey(
        "enrollment.Enrollment", null=True, blank=True, on_delete=models.PROTECT,
        related_name="applications",
    )
    police_letter_ref = models.CharField(_("surat kehilangan Polri"), max_length=100, blank=True)
    document_ref = models.CharField(_("dokumen pendukung"), max_length=100, blank=True)
    duplicate_kind = models.CharField(max_length=12, blank=True)  # one_to_one | one_to_many
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(db_index=True)
    site = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("permohonan")
        verbose_name_plural = _("permohonan")
        indexes = [models.Index(fields=["status", "status_changed_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.status}"


class ApplicationHistory(models.Model):
    """One status transition: who, when, where and why."""

    region_path = "application__resident__family__village__code"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=26, blank=True)
    to_status = models.CharField(max_length=26)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    site = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} -> {self.to_status}"


class SigningKey(models.Model):
    """A public key this office signs certificates with (old ones stay to verify old papers)."""

    key_id = models.CharField(max_length=16, primary_key=True)
    public_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key_id


class TemporaryCertificate(models.Model):
    """A Surat Keterangan pengganti KTP-el: valid 6 months, superseded when the card is
    issued, verifiable offline through its signed QR."""

    region_path = "application__resident__family__village__code"

    class Status(models.TextChoices):
        ACTIVE = "active", _("Berlaku")
        SUPERSEDED = "superseded", _("Diganti KTP-el")
        REVOKED = "revoked", _("Dicabut")

    number = models.CharField(max_length=60, unique=True)
    application = models.ForeignKey(Application, on_delete=models.PROTECT,
                                    related_name="certificates")
    office = models.ForeignKey("devices.Office", on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField()
    valid_until = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=200, blank=True)
    qr_text = models.TextField()
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                  related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One live certificate per application: a reprint is the same certificate.
            models.UniqueConstraint(fields=["application"], condition=models.Q(status="active"),
                                    name="one_active_certificate_per_application"),
        ]

    def __str__(self) -> str:
        return self.number
