"""Offices and devices: registration, breakdowns and repairs. Each status change is a
conditional update, so two people reporting at once cannot lose either report."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from ektp.devices import rules
from ektp.devices.models import Breakdown, Device, Office
from ektp.errors import Conflict, DomainError, NotFound
from ektp.regions.selectors import region_get


@transaction.atomic
def office_create(*, actor, code: str, name: str, kind: str, region_code: str,
                  prints_cards: bool = False, records_biometrics: bool = False) -> Office:
    if kind not in Office.Kind.values:
        raise DomainError(f"Unknown office kind {kind!r}", code="office_kind")
    region = region_get(region_code)
    if Office.objects.filter(code=code).exists():
        raise Conflict("An office with this code exists", code="office_exists")
    return Office.objects.create(code=code, name=name, kind=kind, region=region,
                                 prints_cards=prints_cards, records_biometrics=records_biometrics)


@transaction.atomic
def device_register(*, actor, office_id: int, kind: str, serial_number: str,
                    model_name: str = "") -> Device:
    if kind not in Device.Kind.values:
        raise DomainError(f"Unknown device kind {kind!r}", code="device_kind")
    if not Office.objects.filter(pk=office_id).exists():
        raise NotFound("Unknown office", code="office_unknown")
    try:
        with transaction.atomic():
            return Device.objects.create(office_id=office_id, kind=kind, model_name=model_name,
                                         serial_number=serial_number.strip(),
                                         status_changed_at=timezone.now())
    except IntegrityError as exc:
        raise Conflict("A device with this serial exists", code="device_exists") from exc


def _set_status(device_id: int, target: str) -> Device:
    device = Device.objects.filter(pk=device_id).first()
    if device is None:
        raise NotFound("Unknown device", code="device_unknown")
    if not rules.can_transition(device.status, target):
        raise Conflict(f"A {device.status} device cannot become {target}",
                       code="device_illegal_transition")
    updated = Device.objects.filter(pk=device_id, status=device.status).update(
        status=target, status_changed_at=timezone.now())
    if updated != 1:
        raise Conflict("The device changed meanwhile; reload", code="status_changed")
    device.refresh_from_db()
    return device


def _open_breakdown(device_id: int) -> Breakdown | None:
    return Breakdown.objects.filter(device_id=device_id, repaired_at=None).first()


@transaction.atomic
def device_report_breakdown(*, actor, device_id: int, description: str,
                            degraded_only: bool = False) -> Breakdown:
    """A fault: the printer stops (broken) or limps on at reduced output (degraded)."""
    if not description.strip():
        raise DomainError("Describe the fault", code="description_required")
    _set_status(device_id, rules.DEGRADED if degraded_only else rules.BROKEN)
    try:
        with transaction.atomic():
            return Breakdown.objects.create(
                device_id=device_id, reported_at=timezone.now(), description=description.strip(),
                reported_by=actor if actor and actor.is_authenticated else None,
                degraded_only=degraded_only)
    except IntegrityError as exc:
        raise Conflict("A breakdown of this device is already open",
                       code="breakdown_open") from exc


@transaction.atomic
def device_start_repair(*, actor, device_id: int) -> Breakdown:
    breakdown = _open_breakdown(device_id)
    if breakdown is None:
        raise Conflict("No open breakdown to repair", code="breakdown_missing")
    _set_status(device_id, rules.IN_REPAIR)
    breakdown.repair_started_at = timezone.now()
    breakdown.save(update_fields=["repair_started_at"])
    return breakdown


@transaction.atomic
def device_close_repair(*, actor, device_id: int, note: str) -> Breakdown:
    breakdown = _open_breakdown(device_id)
    if breakdown is None:
        raise Conflict("No open breakdown to close", code="breakdown_missing")
    _set_status(device_id, rules.WORKING)
    breakdown.repaired_at, breakdown.repair_note = timezone.now(), note.strip()[:300]
    breakdown.save(update_fields=["repaired_at", "repair_note"])
    return breakdown


@transaction.atomic
def device_retire(*, actor, device_id: int) -> Device:
    return _set_status(device_id, rules.RETIRED)
