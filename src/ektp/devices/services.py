"""Offices and devices: registration, breakdowns and repairs. Each status change is a
conditional update whose row count is checked, so two people reporting at once cannot lose
either report; uniqueness (office code, device serial, one open breakdown per device) is left
to the database constraints, never to a check-then-create."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.devices import rules
from ektp.devices.models import Breakdown, Device, Office
from ektp.errors import Conflict, DomainError, NotFound
from ektp.regions.selectors import region_get


def _actor(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _text(value: str | None, *, too_long: str, required: str = "", message: str = "") -> str:
    """Stripped text within the stored length; ``required`` is the code when it is empty."""
    value = (value or "").strip()
    if required and not value:
        raise DomainError(message, code=required)
    if len(value) > rules.MAX_TEXT:
        raise DomainError(_("At most %(n)d characters") % {"n": rules.MAX_TEXT}, code=too_long)
    return value


@transaction.atomic
def office_create(*, actor, code: str, name: str, kind: str, region_code: str,
                  prints_cards: bool = False, records_biometrics: bool = False) -> Office:
    if kind not in Office.Kind.values:
        raise DomainError(_("Unknown office kind %(k)r") % {"k": kind}, code="office_kind")
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise DomainError(_("An office needs a code and a name"), code="office_incomplete")
    region = region_get(region_code)
    try:
        with transaction.atomic():
            return Office.objects.create(code=code, name=name, kind=kind, region=region,
                                         prints_cards=prints_cards,
                                         records_biometrics=records_biometrics)
    except IntegrityError as exc:  # the unique code, even when two create it at once
        raise Conflict(_("An office with this code exists"), code="office_exists") from exc


@transaction.atomic
def device_register(*, actor, office_id: int, kind: str, serial_number: str,
                    model_name: str = "") -> Device:
    if kind not in Device.Kind.values:
        raise DomainError(_("Unknown device kind %(k)r") % {"k": kind}, code="device_kind")
    serial_number = (serial_number or "").strip()
    if not serial_number or len(serial_number) > 40:
        raise DomainError(_("A serial number has 1 to 40 characters"), code="serial_invalid")
    if not Office.objects.filter(pk=office_id).exists():
        raise NotFound(_("Unknown office"), code="office_unknown")
    try:
        with transaction.atomic():
            return Device.objects.create(office_id=office_id, kind=kind,
                                         model_name=(model_name or "").strip()[:60],
                                         serial_number=serial_number,
                                         status_changed_at=timezone.now())
    except IntegrityError as exc:
        raise Conflict(_("A device with this serial exists"), code="device_exists") from exc


def _set_status(device_id: int, target: str) -> Device:
    device = Device.objects.filter(pk=device_id).first()
    if device is None:
        raise NotFound(_("Unknown device"), code="device_unknown")
    if not rules.can_transition(device.status, target):
        raise Conflict(_("A %(now)s device cannot become %(target)s")
                       % {"now": device.status, "target": target},
                       code="device_illegal_transition")
    updated = Device.objects.filter(pk=device_id, status=device.status).update(
        status=target, status_changed_at=timezone.now())
    if updated != 1:
        raise Conflict(_("The device changed meanwhile; reload"), code="status_changed")
    device.refresh_from_db()
    return device


def _open_breakdown(device_id: int) -> Breakdown | None:
    return Breakdown.objects.filter(device_id=device_id, repaired_at=None).first()


def _refuse_if_open(device_id: int) -> None:
    # Checked before the status change so that a second report on a broken (or degraded)
    # device says what is wrong; the unique constraint still settles two reports at once.
    if _open_breakdown(device_id) is not None:
        raise Conflict(_("A breakdown of this device is already open"), code="breakdown_open")


@transaction.atomic
def device_report_breakdown(*, actor, device_id: int, description: str,
                            degraded_only: bool = False) -> Breakdown:
    """A fault: the device stops (broken) or limps on at reduced output (degraded)."""
    description = _text(description, too_long="description_too_long",
                        required="description_required", message=_("Describe the fault"))
    _refuse_if_open(device_id)  # an unknown device has none; _set_status answers 404
    _set_status(device_id, rules.DEGRADED if degraded_only else rules.BROKEN)
    try:
        with transaction.atomic():
            return Breakdown.objects.create(
                device_id=device_id, reported_at=timezone.now(), description=description,
                reported_by=_actor(actor), degraded_only=degraded_only)
    except IntegrityError as exc:
        raise Conflict(_("A breakdown of this device is already open"),
                       code="breakdown_open") from exc


def _open_breakdown_or_refuse(device_id: int) -> Breakdown:
    if not Device.objects.filter(pk=device_id).exists():
        raise NotFound(_("Unknown device"), code="device_unknown")
    breakdown = _open_breakdown(device_id)
    if breakdown is None:
        raise Conflict(_("No open breakdown"), code="breakdown_missing")
    return breakdown


@transaction.atomic
def device_start_repair(*, actor, device_id: int) -> Breakdown:
    breakdown = _open_breakdown_or_refuse(device_id)
    _set_status(device_id, rules.IN_REPAIR)
    # Conditional, like the status: a repair is started once.
    updated = Breakdown.objects.filter(pk=breakdown.pk, repaired_at=None,
                                       repair_started_at=None).update(
        repair_started_at=timezone.now())
    if updated != 1:
        raise Conflict(_("The breakdown changed meanwhile; reload"), code="status_changed")
    breakdown.refresh_from_db()
    return breakdown


@transaction.atomic
def device_close_repair(*, actor, device_id: int, note: str = "") -> Breakdown:
    """The device works again (repaired, or the fault went away without a repair)."""
    note = _text(note, too_long="note_too_long")
    breakdown = _open_breakdown_or_refuse(device_id)
    _set_status(device_id, rules.WORKING)
    updated = Breakdown.objects.filter(pk=breakdown.pk, repaired_at=None).update(
        repaired_at=timezone.now(), repair_note=note)
    if updated != 1:
        raise Conflict(_("The breakdown changed meanwhile; reload"), code="status_changed")
    breakdown.refresh_from_db()
    return breakdown


@transaction.atomic
def device_retire(*, actor, device_id: int) -> Device:
    return _set_status(device_id, rules.RETIRED)
