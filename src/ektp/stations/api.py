"""Stations over the API: registration (an administrator's credentials), the sync protocol
(signed by the station's key, answered signed by central's), and what central sees of its
stations."""

from django.http import HttpResponse, JsonResponse
from ninja import Router, Status

from ektp.accounts import rules as roles
from ektp.accounts.scoping import may, restrict
from ektp.errors import NotFound
from ektp.issuance.schemas import ErrorOut
from ektp.stations import central
from ektp.stations.models import RejectedPacket, Station, SyncConflict
from ektp.stations.registration import central_answer, station_register
from ektp.stations.schemas import ConflictOut, RegisterIn, RegisterOut, RejectOut, StationOut
from ektp.stations.selectors import station_overview, stations_for

router = Router(tags=["stations"])
ERRORS = {frozenset({400, 401, 403, 404, 409, 422}): ErrorOut}


@router.post("/register", response={201: RegisterOut, **ERRORS})
def register(request, data: RegisterIn):
    """Register a station's public key; the answer carries central's keys to pin."""
    station = station_register(actor=request.user, code=data.code, office_code=data.office_code,
                               public_key=data.public_key)
    return Status(201, central_answer(station))


def _sync(request, handler):
    path = request.path
    try:
        station, data = central.authenticate(path, request.body, request.headers)
        body, headers = central.signed_answer(path, handler(station, data))
    except central.RequestRefused as refused:
        return JsonResponse({"detail": refused.detail, "code": refused.code},
                            status=refused.status)
    return HttpResponse(body, content_type="application/json", headers=headers)


@router.post("/sync/push", auth=None, include_in_schema=False)
def sync_push(request):
    return _sync(request, central.handle_push)


@router.post("/sync/pull", auth=None, include_in_schema=False)
def sync_pull(request):
    return _sync(request, central.handle_pull)


@router.get("", response={200: list[StationOut], **ERRORS})
def list_stations(request):
    """Per station: last contact, queue length, oldest unsynced packet, gaps, rejects."""
    return [station_overview(station) for station in stations_for(request.user)]


@router.get("/rejects", response={200: list[RejectOut], **ERRORS})
def list_rejects(request, limit: int = 100):
    if not may(request.user, roles.DEVICE_VIEW):
        return []
    stations = stations_for(request.user).values("pk")
    rejects = RejectedPacket.objects.filter(reviewed_at=None)
    if not (request.user.is_superuser or request.user.region_id is None):
        rejects = rejects.filter(station__in=stations)
    return list(rejects.order_by("-received_at")[:max(1, min(limit, 500))])


@router.get("/conflicts", response={200: list[ConflictOut], **ERRORS})
def list_conflicts(request):
    codes = stations_for(request.user).values("code")
    return list(SyncConflict.objects.filter(station_code__in=codes, resolved_at=None)[:500])


@router.get("/{code}", response={200: StationOut, **ERRORS})
def get_station(request, code: str):
    station = restrict(request.user, roles.DEVICE_VIEW,
                       Station.objects.select_related("office")).filter(code=code).first()
    if station is None:
        raise NotFound("Unknown station", code="station_unknown")
    return station_overview(station)
