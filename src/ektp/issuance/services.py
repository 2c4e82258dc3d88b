"""Applications (permohonan) and their state machine. Every transition is a conditional
update whose row count is checked, plus a history row, in one transaction."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ektp.audit.services import audit_record
from ektp.errors import Conflict, DomainError, NotFound
from ektp.issuance import rules
from ektp.issuance.models import Application, ApplicationHistory
from ektp.residents.models import Resident


def _history(application, from_status, to_status, actor, reason, at):
    ApplicationHistory.objects.create(
        application=application, from_status=from_status, to_status=to_status, at=at,
        actor=actor if actor and actor.is_authenticated else None,
        site=settings.EKTP_SITE_CODE, reason=reason[:300],
    )


@transaction.atomic
def application_transition(*, actor, application_id: int, to_status: str, reason: str = "",
                           expected_status: str | None = None, **fields) -> Application:
    """Move an application to ``to_status`` if the state machine allows it from where it is.

    ``expected_status`` is the status the caller saw: if the application has moved since, the
    caller's decision rests on stale data and is refused (409 status_changed).
    """
    application = Application.objects.filter(pk=application_id).first()
    if application is None:
        raise NotFound("Unknown application", code="application_unknown")
    current = application.status
    if expected_status is not None and current != expected_status:
        raise Conflict("The application changed meanwhile; reload", code="status_changed")
    if not rules.can_transition(current, to_status):
        raise Conflict(f"{current} cannot change to {to_status}", code="illegal_transition")
    now = timezone.now()
    # Conditional update: if another transaction moved the application after our read, no row
    # matches and we refuse instead of overwriting its decision.
    updated = Application.objects.filter(pk=application_id, status=current).update(
        status=to_status, status_changed_at=now, **fields
    )
    if updated != 1:
        raise Conflict("The application changed meanwhile; reload", code="status_changed")
    _history(application, current, to_status, actor, reason, now)
    application.refresh_from_db()
    return application


@transaction.atomic
def application_mirror_status(*, application_id: int, to_status: str, site: str,
                              reason: str) -> bool:
    """A station follows central's decision on one of its recordings: the steps were taken
    (and checked against the state machine) at central, so the local copy takes the status as
    told, with a history row. False when there is nothing to do or the row moved meanwhile."""
    if to_status not in rules.ALLOWED_TRANSITIONS:
        raise DomainError(f"Unknown status {to_status!r}", code="status_unknown")
    application = Application.objects.filter(pk=application_id).first()
    if application is None or application.status == to_status:
        return False
    now = timezone.now()
    if Application.objects.filter(pk=application_id, status=application.status).update(
            status=to_status, status_changed_at=now) != 1:
        return False
    ApplicationHistory.objects.create(application=application, from_status=application.status,
                                      to_status=to_status, at=now, site=site[:40],
                                      reason=reason[:300])
    return True


def application_transition_manual(*, actor, application_id: int, to_status: str, reason: str,
                                  expected_status: str | None = None) -> Application:
    """A supervisor moves an application by hand, with a reason. Transitions that belong to
    penunggalan or adjudication are refused (409 transition_reserved)."""
    if not reason.strip():
        raise DomainError("A status change by hand needs a reason", code="reason_required")
    current = Application.objects.filter(pk=application_id).values_list(
        "status", flat=True).first()
    if current is not None and rules.is_reserved(current, to_status):
        raise Conflict(f"Only penunggalan or adjudication moves {current} to {to_status}",
                       code="transition_reserved")
    # The status read above is passed on, so a change in between is refused, not bypassed.
    return application_transition(
        actor=actor, application_id=application_id, to_status=to_status, reason=reason.strip(),
        expected_status=expected_status if expected_status is not None else current)


def _open_application_exists(resident_id: int) -> bool:
    return Application.objects.filter(
        resident_id=resident_id, status__in=rules.OPEN_STATUSES
    ).exists()


def application_start(*, actor, resident: Resident, kind: str, status: str, enrollment=None,
                      police_letter_ref: str = "", document_ref: str = "",
                      reason: str = "") -> Application:
    """Create an application at its first status, with its history row (caller's transaction)."""
    now = timezone.now()
    application = Application.objects.create(
        resident=resident, kind=kind, status=status, enrollment=enrollment,
        police_letter_ref=police_letter_ref.strip(), document_ref=document_ref.strip(),
        status_changed_at=now, site=settings.EKTP_SITE_CODE,
    )
    _history(application, "", status, actor, reason, now)
    return application


@transaction.atomic
def application_replace(*, actor, resident_id: int, kind: str, police_letter_ref: str = "",
                        document_ref: str = "", returned_card_serial: str = "",
                        office_id: int | None = None,
                        enqueue_dedup: bool = True) -> Application:
    """A replacement card (lost, damaged, data change, move): no new recording; the resident's
    existing recording goes straight back through the penunggalan check to PRR. A damaged
    card is handed in and booked as an invalid card at ``office_id``; the old card's number
    becomes void when the new card is issued."""
    if kind not in rules.REPLACEMENT_KINDS:
        raise DomainError(f"Not a replacement kind: {kind}", code="application_kind")
    missing = rules.requirements_missing(
        kind, police_letter_ref=police_letter_ref, document_ref=document_ref)
    if missing:
        raise DomainError("A required paper is missing", code=missing)
    if kind == "damaged" and not (returned_card_serial.strip() and office_id):
        raise DomainError("A damaged card is handed in: give its serial and the office",
                          code="old_card_required")
    resident = _locked_resident(resident_id)
    if _open_application_exists(resident.pk):
        raise Conflict("The resident already has an open application",
                       code="application_open_exists")
    enrollment = _verified_enrollment(resident)
    if enrollment is None:
        raise Conflict("No verified recording exists; a first card needs perekaman",
                       code="enrollment_missing")
    application = application_start(
        actor=actor, resident=resident, kind=kind, status=rules.S_RAC, enrollment=enrollment,
        police_letter_ref=police_letter_ref, document_ref=document_ref)
    if kind == "damaged":
        from ektp.supplies.services import old_card_return

        old_card_return(actor=actor, office_id=office_id, card_serial=returned_card_serial,
                        reason="returned_damaged", nik=resident.nik)
    audit_record(actor=actor, action="create", obj=application, nik=resident.nik)
    if enqueue_dedup:
        queue_dedup(application.pk)
    return application


def _locked_resident(resident_id: int) -> Resident:
    # The row lock serialises two replacements for one resident (PostgreSQL; SQLite's
    # IMMEDIATE transactions already do), so the open-application check cannot be raced.
    resident = Resident.objects.select_for_update().filter(pk=resident_id).first()
    if resident is None:
        raise NotFound("Unknown resident", code="resident_unknown")
    if resident.status == Resident.Status.DECEASED:
        raise Conflict("The resident is recorded as deceased", code="resident_deceased")
    return resident


def _verified_enrollment(resident: Resident):
    """The latest recording penunggalan found single (it once reached PRR). The latest
    recording alone may be a duplicate waiting for deletion, and must not be reprinted."""
    return (
        resident.enrollments.filter(applications__history__to_status=rules.S_PRR)
        .only("pk", "captured_at").order_by("-captured_at", "-pk").first()
    )


def queue_dedup(application_id: int) -> None:
    """Penunggalan runs in the background once the application is committed."""
    from ektp.dedup.tasks import dedup_application_task

    transaction.on_commit(lambda: dedup_application_task.enqueue(application_id))


def applications_cancel_open(*, actor, resident_id: int, reason: str) -> int:
    """Cancel every open application that may be cancelled from where it stands."""
    cancelled = 0
    for application in Application.objects.filter(resident_id=resident_id,
                                                  status__in=rules.OPEN_STATUSES):
        if rules.can_transition(application.status, rules.S_CANCELLED):
            application_transition(actor=actor, application_id=application.pk,
                                   to_status=rules.S_CANCELLED, reason=reason)
            cancelled += 1
    return cancelled
