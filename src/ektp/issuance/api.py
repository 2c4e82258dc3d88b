"""Applications (permohonan): replacements, the scoped list and detail, and supervisors'
status changes. Reads go through ``restrict``; writes check the role (403) and the region
(404, as for a missing record)."""

from django.db.models import QuerySet
from ninja import Query, Router, Status
from ninja.pagination import PageNumberPagination, paginate

from ektp.accounts import rules as roles
from ektp.accounts.scoping import may, region_allowed, restrict
from ektp.errors import NotFound, PermissionDenied
from ektp.issuance.models import Application
from ektp.issuance.schemas import (
    ApplicationDetailOut,
    ApplicationOut,
    ErrorOut,
    ReplacementIn,
    StatusFilter,
    TransitionIn,
)
from ektp.issuance.services import application_replace, application_transition_manual
from ektp.residents.models import Resident

router = Router(tags=["issuance"])

ERRORS = {frozenset({400, 401, 403, 404, 409, 422}): ErrorOut}


def _require(user, action: str) -> None:
    if not may(user, action):
        raise PermissionDenied("You may not do this", code="forbidden")


def _resident_in_region(user, resident_id: int) -> Resident:
    resident = Resident.objects.select_related("family").filter(pk=resident_id).first()
    if resident is None or not region_allowed(user, resident.family.village_id):
        raise NotFound("Unknown resident", code="resident_unknown")
    return resident


def _with_relations() -> QuerySet[Application]:
    return Application.objects.select_related("resident__family", "enrollment").defer(
        "enrollment__photo_sealed", "enrollment__signature_sealed")


def _applications(user, action: str) -> QuerySet[Application]:
    return restrict(user, action, _with_relations())


def _check_visible(user, action: str, application_id: int) -> None:
    """Missing and outside the user's scope answer alike: 404."""
    if not _applications(user, action).filter(pk=application_id).exists():
        raise NotFound("Unknown application", code="application_unknown")


def _detail(application_id: int) -> Application:
    """The application with its history, for a caller whose access is already checked."""
    return _with_relations().prefetch_related("history__actor").get(pk=application_id)


@router.post("", response={201: ApplicationDetailOut, **ERRORS})
def create_replacement(request, payload: ReplacementIn):
    """A replacement card (lost, damaged, data change, move) from the existing recording."""
    _require(request.user, roles.APPLICATION_CREATE)
    resident = _resident_in_region(request.user, payload.resident_id)
    application = application_replace(
        actor=request.user, resident_id=resident.pk, kind=payload.kind,
        police_letter_ref=payload.police_letter_ref, document_ref=payload.document_ref,
        returned_card_serial=payload.returned_card_serial, office_id=payload.office_id)
    return Status(201, _detail(application.pk))


@router.get("", response=list[ApplicationOut])
@paginate(PageNumberPagination, page_size=50)
def list_applications(request, filters: Query[StatusFilter]):
    """Applications in the user's region, newest first; ``?status=`` narrows to one status."""
    applications = _applications(request.user, roles.APPLICATION_VIEW)
    if filters.status:
        applications = applications.filter(status=filters.status)
    return applications.order_by("-created_at", "-pk")


@router.get("/{application_id}", response={200: ApplicationDetailOut, **ERRORS})
def get_application(request, application_id: int):
    """One application with its history: who moved it, when, where and why."""
    _check_visible(request.user, roles.APPLICATION_VIEW, application_id)
    return _detail(application_id)


@router.post("/{application_id}/transition", response={200: ApplicationDetailOut, **ERRORS})
def transition_application(request, application_id: int, payload: TransitionIn):
    """A supervisor moves an application, with a reason (409 illegal_transition when the state
    machine forbids it, 409 transition_reserved for penunggalan's and adjudication's own)."""
    _require(request.user, roles.APPLICATION_ADJUDICATE)
    _check_visible(request.user, roles.APPLICATION_ADJUDICATE, application_id)
    application_transition_manual(
        actor=request.user, application_id=application_id, to_status=payload.to_status,
        reason=payload.reason, expected_status=payload.from_status)
    return _detail(application_id)
