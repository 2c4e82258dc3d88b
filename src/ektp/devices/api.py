"""The devices API: offices with their printing capacity, the devices of an office, their
registration, breakdowns, repairs and retirement, and the kecamatan with no recording kit.

Reads need "device.view", writes "device.manage" (else 403 ``forbidden``); an office or device
outside the user's region answers 404 like a missing one. Every write is a service call.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Router, Status

from ektp.accounts import rules as roles
from ektp.accounts.scoping import may, region_allowed, restrict
from ektp.devices import selectors, services
from ektp.devices.models import Device, Office
from ektp.devices.schemas import (
    BreakdownIn,
    BreakdownOut,
    DeviceDetailOut,
    DeviceIn,
    DistrictOut,
    ErrorOut,
    OfficeOut,
    RepairCloseIn,
)
from ektp.errors import DomainError, NotFound, PermissionDenied
from ektp.regions.selectors import region_get

router = Router(tags=["devices"])

READ_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _user(request, action: str):
    # The API's authenticators put the operator in ``request.auth``.
    user = getattr(request, "auth", None) or request.user
    if not may(user, action):
        raise PermissionDenied(_("You may not do this."), code="forbidden")
    return user


def _offices(user, action: str) -> QuerySet[Office]:
    return restrict(user, action, Office.objects.all())


def _office(user, action: str, office_id: int) -> Office:
    office = _offices(user, action).filter(pk=office_id).first()
    if office is None:
        raise NotFound(_("Unknown office"), code="office_unknown")
    return office


def _device_id(user, action: str, device_id: int) -> int:
    if not restrict(user, action, Device.objects.all()).filter(pk=device_id).exists():
        raise NotFound(_("Unknown device"), code="device_unknown")
    return device_id


@router.get("/offices", response={200: list[OfficeOut], **READ_ERRORS})
def list_offices(request, prints_cards: bool | None = None):
    """Offices in the user's region with their card printers and cards per day."""
    offices = _offices(_user(request, roles.DEVICE_VIEW), roles.DEVICE_VIEW)
    if prints_cards is not None:
        offices = offices.filter(prints_cards=prints_cards)
    return selectors.with_printer_counts(offices.order_by("code"))


@router.get("/offices/{int:office_id}/devices",
            response={200: list[DeviceDetailOut], **READ_ERRORS})
def list_devices(request, office_id: int):
    """The office's recording kits and printers, each with its open breakdown if any."""
    user = _user(request, roles.DEVICE_VIEW)
    return selectors.office_devices(_office(user, roles.DEVICE_VIEW, office_id))


@router.post("", response={201: DeviceDetailOut, **WRITE_ERRORS})
def register_device(request, payload: DeviceIn):
    user = _user(request, roles.DEVICE_MANAGE)
    _office(user, roles.DEVICE_MANAGE, payload.office_id)
    return Status(201, services.device_register(actor=user, **payload.model_dump()))


@router.post("/{int:device_id}/breakdowns", response={201: BreakdownOut, **WRITE_ERRORS})
def report_breakdown(request, device_id: int, payload: BreakdownIn):
    """A fault: ``degraded`` (still prints or records, slower) or ``broken`` (stopped)."""
    user = _user(request, roles.DEVICE_MANAGE)
    breakdown = services.device_report_breakdown(
        actor=user, device_id=_device_id(user, roles.DEVICE_MANAGE, device_id),
        description=payload.description, degraded_only=payload.state == "degraded")
    return Status(201, breakdown)


@router.post("/{int:device_id}/repair/start", response={200: BreakdownOut, **WRITE_ERRORS})
def start_repair(request, device_id: int):
    user = _user(request, roles.DEVICE_MANAGE)
    return services.device_start_repair(
        actor=user, device_id=_device_id(user, roles.DEVICE_MANAGE, device_id))


@router.post("/{int:device_id}/repair/close", response={200: BreakdownOut, **WRITE_ERRORS})
def close_repair(request, device_id: int, payload: RepairCloseIn):
    """The device works again; the open breakdown is closed with a note."""
    user = _user(request, roles.DEVICE_MANAGE)
    return services.device_close_repair(
        actor=user, device_id=_device_id(user, roles.DEVICE_MANAGE, device_id),
        note=payload.note)


@router.post("/{int:device_id}/retire", response={200: DeviceDetailOut, **WRITE_ERRORS})
def retire_device(request, device_id: int):
    user = _user(request, roles.DEVICE_MANAGE)
    return services.device_retire(
        actor=user, device_id=_device_id(user, roles.DEVICE_MANAGE, device_id))


@router.get("/uncovered-districts", response={200: list[DistrictOut], **READ_ERRORS})
def uncovered_districts(request, region: str | None = None):
    """Kecamatan in ``region`` (default: the user's region) with no recording kit in service."""
    user = _user(request, roles.DEVICE_VIEW)
    code = region or user.region_id
    if not code:
        raise DomainError(_("Name a region"), code="region_required")
    code = region_get(code).code
    if not region_allowed(user, code):
        raise NotFound(_("Unknown region code %(c)r") % {"c": region}, code="region_unknown")
    return selectors.districts_without_recording_kit(code)
