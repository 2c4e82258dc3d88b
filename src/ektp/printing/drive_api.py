"""The printing-drive API: plan a drive and its points' targets ("drive.manage"), follow its
live progress ("print.view"), ask for and book the blanks sent to each point
("supplies.manage"). A drive, point or office outside the user's region answers 404 like a
missing one; every write is a service call."""

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status

from ektp.accounts import rules as roles
from ektp.accounts.scoping import may, region_allowed, restrict
from ektp.devices.models import Office
from ektp.errors import NotFound, PermissionDenied
from ektp.printing import drive_selectors, drive_services
from ektp.printing.drive_schemas import (
    DriveIn,
    DriveOut,
    DriveProgressOut,
    PointIn,
    PointOut,
    RequestIn,
    RequestOut,
    SupplyIn,
    SupplyOut,
)
from ektp.printing.models import Drive, DrivePoint
from ektp.printing.schemas import ErrorOut

router = Router(tags=["printing drives"])

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _user(request, action: str):
    user = getattr(request, "auth", None) or request.user
    if not may(user, action):
        raise PermissionDenied(_("You may not do this."), code="forbidden")
    return user


def _visible(user, drive_id: int) -> Drive:
    drive = drive_selectors.drives_visible(user).filter(pk=drive_id).first()
    if drive is None:
        raise NotFound(_("Unknown drive"), code="drive_unknown")
    return drive


def _managed(user, drive_id: int) -> Drive:
    drive = restrict(user, roles.DRIVE_MANAGE, Drive.objects.filter(pk=drive_id)).first()
    if drive is None:
        raise NotFound(_("Unknown drive"), code="drive_unknown")
    return drive


def _office(user, action: str, office_id: int) -> Office:
    if not restrict(user, action, Office.objects.filter(pk=office_id)).exists():
        raise NotFound(_("Unknown office"), code="office_unknown")
    return office_id


def _stocked_point(user, drive_id: int, point_id: int) -> DrivePoint:
    points = restrict(user, roles.SUPPLIES_MANAGE, DrivePoint.objects.filter(
        pk=point_id, drive_id=drive_id))
    point = points.first()
    if point is None:
        raise NotFound(_("Unknown drive point"), code="drive_point_unknown")
    return point


@router.get("", response={200: list[DriveOut], **READ_ERRORS})
def drive_list(request):
    user = _user(request, roles.PRINT_VIEW)
    return list(drive_selectors.drives_visible(user)[:200])


@router.post("", response={201: DriveOut, **WRITE_ERRORS})
def drive_create(request, payload: DriveIn):
    user = _user(request, roles.DRIVE_MANAGE)
    if not region_allowed(user, payload.region_code.strip()):
        raise NotFound(_("Unknown region"), code="region_unknown")
    drive = drive_services.drive_create(
        actor=user, name=payload.name, region_code=payload.region_code.strip(),
        starts_at=payload.starts_at, ends_at=payload.ends_at,
        stall_minutes=payload.stall_minutes)
    return Status(201, drive)


@router.get("/{int:drive_id}", response={200: DriveProgressOut, **READ_ERRORS})
def drive_progress(request, drive_id: int):
    """Live progress per point of the user's region: printed in the window against the
    target, blanks in stock, requested and sent, shortfall, and stalled points."""
    user = _user(request, roles.PRINT_VIEW)
    drive = _visible(user, drive_id)
    progress = drive_selectors.drive_progress(drive, drive_selectors.points_visible(user, drive))
    points = [{
        "point_id": p.point.pk, "office_id": p.point.office_id,
        "office_code": p.point.office.code, "office_name": p.point.office.name,
        "target": p.point.target, "printed": p.printed, "spoiled": p.spoiled,
        "done_share": p.done_share, "last_print_at": p.last_print_at, "waiting": p.waiting,
        "blanks_in_stock": p.in_stock, "requested": p.requested,
        "received_on_request": p.received_on_request, "sent": p.sent,
        "shortfall": p.shortfall, "stalled": p.stalled} for p in progress.points]
    return {"drive": drive, "phase": progress.phase, "at": timezone.now(),
            "target": progress.target, "printed": progress.printed,
            "done_share": progress.done_share, "shortfall": progress.shortfall,
            "stalled_points": len(progress.stalled), "points": points}


@router.put("/{int:drive_id}/points", response={200: PointOut, **WRITE_ERRORS})
def point_set(request, drive_id: int, payload: PointIn):
    """Add a print point with its target, or change its target."""
    user = _user(request, roles.DRIVE_MANAGE)
    drive = _managed(user, drive_id)
    _office(user, roles.DRIVE_MANAGE, payload.office_id)
    return drive_services.drive_point_set(actor=user, drive_id=drive.pk,
                                          office_id=payload.office_id, target=payload.target)


@router.post("/{int:drive_id}/points/{int:point_id}/request",
             response={201: RequestOut, **WRITE_ERRORS})
def point_request(request, drive_id: int, point_id: int, payload: RequestIn):
    """Send up a request for the blanks the point lacks to reach its target."""
    user = _user(request, roles.SUPPLIES_MANAGE)
    point = _stocked_point(user, drive_id, point_id)
    sent = drive_services.drive_point_request(actor=user, point_id=point.pk,
                                              letter_number=payload.letter_number)
    return Status(201, sent)


@router.post("/{int:drive_id}/points/{int:point_id}/supply",
             response={200: SupplyOut, **WRITE_ERRORS})
def point_supply(request, drive_id: int, point_id: int, payload: SupplyIn):
    """Book blanks sent to the point (a transfer from ``from_office_id``, or an allocation
    against the point's request); a retry with the same key returns the first booking."""
    user = _user(request, roles.SUPPLIES_MANAGE)
    point = _stocked_point(user, drive_id, point_id)
    if payload.from_office_id is not None:
        _office(user, roles.SUPPLIES_MANAGE, payload.from_office_id)
    return drive_services.drive_point_supply(
        actor=user, point_id=point.pk, quantity=payload.quantity,
        handover_ref=payload.handover_ref, idempotency_key=payload.idempotency_key,
        from_office_id=payload.from_office_id, serial_prefix=payload.serial_prefix,
        first_serial=payload.first_serial)
