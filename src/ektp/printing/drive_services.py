"""Every write of a printing drive: planning it, setting a point's target, asking for the
point's blanks and booking those sent to it.

Stock moves only through the supplies services (an allocation received against the point's
request, or a transfer from another office), each under an idempotency key made by the
caller; the drive keeps a link to the ledger row, so a retried delivery is booked once and
linked once. A refusal raises a DomainError with a stable code and writes nothing.
"""

from collections.abc import Callable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.devices.models import Office
from ektp.errors import Conflict, DomainError, NotFound
from ektp.printing import drive_rules
from ektp.printing.drive_rules import DriveRuleError
from ektp.printing.models import Drive, DrivePoint, DriveSupply, PrintJob
from ektp.regions.selectors import region_get
from ektp.supplies import services as supplies
from ektp.supplies.models import Item, StockRequest
from ektp.supplies.selectors import balance


def checked(rule: Callable, *args, **kwargs):
    try:
        return rule(*args, **kwargs)
    except DriveRuleError as exc:
        raise DomainError(exc.message, code=exc.code) from exc


def _actor(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _aware(value: datetime, code: str) -> datetime:
    if not isinstance(value, datetime):
        raise DomainError(_("Give a date and time"), code=code)
    return value if timezone.is_aware(value) else timezone.make_aware(value)


@transaction.atomic
def drive_create(*, actor, name: str, region_code: str, starts_at: datetime, ends_at: datetime,
                 stall_minutes: int = 30) -> Drive:
    name = " ".join(str(name or "").split())
    if not name or len(name) > drive_rules.NAME_MAX:
        raise DomainError(_("Give the drive a name of at most %(n)d characters")
                          % {"n": drive_rules.NAME_MAX}, code="name_invalid")
    starts_at = _aware(starts_at, "drive_window_invalid")
    ends_at = _aware(ends_at, "drive_window_invalid")
    checked(drive_rules.check_window, starts_at, ends_at)
    checked(drive_rules.check_stall_minutes, stall_minutes)
    region = region_get(region_code)
    return Drive.objects.create(name=name, region=region, starts_at=starts_at, ends_at=ends_at,
                                stall_minutes=stall_minutes, created_by=_actor(actor))


def _drive(drive_id: int) -> Drive:
    drive = Drive.objects.filter(pk=drive_id).first()
    if drive is None:
        raise NotFound(_("Unknown drive"), code="drive_unknown")
    if drive.ends_at <= timezone.now():
        raise Conflict(_("The drive has ended"), code="drive_ended")
    return drive


def _point_office(drive: Drive, office_id: int) -> Office:
    office = Office.objects.filter(pk=office_id).first()
    if office is None:
        raise NotFound(_("Unknown office"), code="office_unknown")
    if not office.prints_cards:
        raise DomainError(_("This office is not a print point"), code="office_not_print_point")
    if not (office.region_id + ".").startswith(drive.region_id + "."):
        raise DomainError(_("The office is outside the drive's region"),
                          code="office_outside_region")
    return office


@transaction.atomic
def drive_point_set(*, actor, drive_id: int, office_id: int, target: int) -> DrivePoint:
    """Add a print point with its target, or change the target of one already in."""
    checked(drive_rules.check_target, target)
    drive = _drive(drive_id)
    office = _point_office(drive, office_id)
    try:
        with transaction.atomic():
            return DrivePoint.objects.create(drive=drive, office=office, target=target)
    except IntegrityError:
        DrivePoint.objects.filter(drive=drive, office=office).update(target=target)
        return DrivePoint.objects.get(drive=drive, office=office)


def _point(point_id: int) -> DrivePoint:
    point = DrivePoint.objects.select_related("drive", "office").filter(pk=point_id).first()
    if point is None:
        raise NotFound(_("Unknown drive point"), code="drive_point_unknown")
    if point.drive.ends_at <= timezone.now():
        raise Conflict(_("The drive has ended"), code="drive_ended")
    return point


def point_printed(point: DrivePoint) -> int:
    drive = point.drive
    return PrintJob.objects.filter(
        office_id=point.office_id, status=PrintJob.Status.PRINTED,
        finished_at__gte=drive.starts_at, finished_at__lt=drive.ends_at).count()


@transaction.atomic
def drive_point_request(*, actor, point_id: int, letter_number: str = "") -> StockRequest:
    """Ask for the blanks the point lacks to reach its target (one request per point)."""
    point = _point(point_id)
    if point.stock_request_id is not None:
        raise Conflict(_("This point's blanks were already requested"), code="request_exists")
    missing = drive_rules.shortfall(target=point.target, printed=point_printed(point),
                                    in_stock=balance(point.office_id, Item.BLANK))
    if missing == 0:
        raise DomainError(_("The point holds enough blanks for its target"),
                          code="no_shortfall")
    request = supplies.stock_request_send(
        actor=actor, office_id=point.office_id, item=Item.BLANK, quantity=missing,
        letter_number=letter_number,
        justification=_("Cetak massal %(drive)s: target %(target)d kartu di %(office)s, "
                        "kurang %(missing)d blangko.") % {
            "drive": point.drive.name, "target": point.target, "office": point.office.name,
            "missing": missing})
    if DrivePoint.objects.filter(pk=point.pk, stock_request=None).update(
            stock_request=request) != 1:
        raise Conflict(_("This point's blanks were already requested"), code="request_exists")
    return request


def _link(point: DrivePoint, movement, quantity: int) -> DriveSupply:
    supply, _created = DriveSupply.objects.get_or_create(
        movement=movement, defaults={"point": point, "quantity": quantity})
    if supply.point_id != point.pk:
        raise Conflict(_("This idempotency key was used for another point"),
                       code="idempotency_key_reused")
    return supply


@transaction.atomic
def drive_point_supply(*, actor, point_id: int, quantity: int, handover_ref: str,
                       idempotency_key: str, from_office_id: int | None = None,
                       serial_prefix: str | None = None,
                       first_serial: int | None = None) -> DriveSupply:
    """Book blanks sent to the point: from another office (a transfer), or straight from the
    centre against the point's request (an allocation with its serial range). A retry with
    the same ``idempotency_key`` returns the first booking."""
    if not (idempotency_key or "").strip():
        raise DomainError(_("A delivery needs an idempotency key"),
                          code="idempotency_key_required")
    point = _point(point_id)
    if from_office_id is not None:
        movement = supplies.stock_transfer(
            actor=actor, from_office_id=from_office_id, to_office_id=point.office_id,
            item=Item.BLANK, quantity=quantity, reference=handover_ref,
            idempotency_key=idempotency_key)
    else:
        movement = supplies.allocation_receive(
            actor=actor, office_id=point.office_id, item=Item.BLANK, quantity=quantity,
            handover_ref=handover_ref, serial_prefix=serial_prefix, first_serial=first_serial,
            request_id=point.stock_request_id, idempotency_key=idempotency_key)
    return _link(point, movement, abs(movement.quantity))
