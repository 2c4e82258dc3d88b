"""The supplies API: stock per office, the ledger, allocations, requests, transfers, returned old
cards and destructions.

Reads go through ``restrict(user, "supplies.view")`` (an office outside the user's region
answers 404 like a missing one); writes need "supplies.manage" (else 403 ``forbidden``) and an
office inside the user's region, then call the services, which do every write.
"""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from ektp.accounts.rules import SUPPLIES_MANAGE, SUPPLIES_VIEW
from ektp.accounts.scoping import may, restrict
from ektp.devices.models import Office
from ektp.errors import NotFound, PermissionDenied
from ektp.regions.selectors import region_get
from ektp.supplies import selectors, services
from ektp.supplies.models import StockMovement
from ektp.supplies.schemas import (
    AllocationIn,
    DestructionIn,
    DestructionOut,
    ErrorOut,
    InvalidCardOut,
    MovementOut,
    OldCardIn,
    RequestIn,
    RequestOut,
    StockLineOut,
    TransferIn,
)

router = Router(tags=["supplies"])

READ_ERRORS = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
PAGE_LIMIT = 200


def _operator(request):
    # The API's authenticators put the operator in ``request.auth``; a router mounted without
    # them (tests) has only the request's user.
    return getattr(request, "auth", None) or request.user


def _office_in_scope(user, action: str, office_id: int) -> Office:
    office = restrict(user, action, Office.objects.all()).filter(pk=office_id).first()
    if office is None:
        raise NotFound(_("Unknown office"), code="office_unknown")
    return office


def _manager(request):
    user = _operator(request)
    if not may(user, SUPPLIES_MANAGE):
        raise PermissionDenied(_("You may not manage stock."), code="forbidden")
    return user


@router.get("/offices/{int:office_id}/stock", response={200: list[StockLineOut], **READ_ERRORS})
def office_stock(request, office_id: int):
    """Each item's stock, use, days of cover, the day it runs out and whether it is low."""
    office = _office_in_scope(_operator(request), SUPPLIES_VIEW, office_id)
    return selectors.stock_summary(office)


@router.get("/ledger", response={200: list[MovementOut], 401: ErrorOut})
@paginate(LimitOffsetPagination, max_limit=PAGE_LIMIT)
def ledger(request, office_id: int | None = None, item: str | None = None,
           kind: str | None = None):
    """Ledger rows of the offices in the user's region, newest first."""
    rows = restrict(_operator(request), SUPPLIES_VIEW, StockMovement.objects.all())
    if office_id is not None:
        rows = rows.filter(office_id=office_id)
    if item:
        rows = rows.filter(item=item)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-at", "-id")


@router.post("/allocations", response={201: MovementOut, **WRITE_ERRORS})
def receive_allocation(request, payload: AllocationIn):
    """A delivery with its BA serah terima; blanks with their serial range."""
    user = _manager(request)
    _office_in_scope(user, SUPPLIES_MANAGE, payload.office_id)
    movement = services.allocation_receive(actor=user, **payload.model_dump())
    return Status(201, movement)


@router.post("/requests", response={201: RequestOut, **WRITE_ERRORS})
def send_request(request, payload: RequestIn):
    user = _manager(request)
    _office_in_scope(user, SUPPLIES_MANAGE, payload.office_id)
    return Status(201, services.stock_request_send(actor=user, **payload.model_dump()))


@router.post("/transfers", response={201: MovementOut, **WRITE_ERRORS})
def transfer(request, payload: TransferIn):
    """From an office in the user's region to any office (a province lends between kab/kota)."""
    user = _manager(request)
    _office_in_scope(user, SUPPLIES_MANAGE, payload.from_office_id)
    return Status(201, services.stock_transfer(actor=user, **payload.model_dump()))


@router.post("/old-cards", response={201: InvalidCardOut, **WRITE_ERRORS})
def return_old_card(request, payload: OldCardIn):
    user = _manager(request)
    _office_in_scope(user, SUPPLIES_MANAGE, payload.office_id)
    return Status(201, services.old_card_return(actor=user, **payload.model_dump()))


@router.post("/destructions", response={201: DestructionOut, **WRITE_ERRORS})
def record_destruction(request, payload: DestructionIn):
    user = _manager(request)
    _office_in_scope(user, SUPPLIES_MANAGE, payload.office_id)
    return Status(201, services.destruction_record(actor=user, **payload.model_dump()))


@router.get("/published", auth=None)
def published_stock(request, region: str, day: date | None = None):
    """Public: the daily blank figure of a kab/kota (received, transferred, used, spoiled, in
    stock), which every office should publish (domain.md §4). Counts only, no personal data."""
    region_code = region_get(region).code
    return selectors.published_stock_figure(region_code, day or timezone.localdate())
