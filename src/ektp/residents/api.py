"""The residents API: families (KK), residents, their history and life events.

Reads go through ``restrict`` (missing and out-of-region both answer 404); writes need
RESIDENT_CHANGE (else 403 ``forbidden``) and a target inside the operator's region (else the
same 404 a missing target gives), then call the services, which do every write.
"""

import re

from django.db.models import F
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from ektp.accounts.rules import RESIDENT_CHANGE, RESIDENT_VIEW
from ektp.accounts.scoping import may, region_allowed, restrict
from ektp.audit.services import audit_record
from ektp.errors import NotFound, PermissionDenied
from ektp.regions import wilayah
from ektp.residents import services
from ektp.residents.models import Family, Resident
from ektp.residents.schemas import (
    ChangeIn,
    DeathIn,
    ErrorOut,
    FamilyIn,
    FamilyOut,
    MoveIn,
    ResidentEventOut,
    ResidentIn,
    ResidentListOut,
    ResidentOut,
)

router = Router(tags=["residents"])

READ_ERRORS = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
PAGE_LIMIT = 100  # caps one response, so no single call dumps a whole region
_SEPARATORS = re.compile(r"[\s.\-]")
LIST_COLUMNS = ("id", "nik", "name", "sex", "birth_date", "status", "family_id")


def _operator(request):
    # Both auth methods (session, HTTP Basic) return the operator as ``request.auth``.
    return request.auth


def _require_change(user) -> None:
    if not may(user, RESIDENT_CHANGE):
        raise PermissionDenied(_("You may not change the register."), code="forbidden")


def _resident_in_scope(user, action: str, resident_id: int) -> Resident:
    residents = restrict(user, action, Resident.objects.select_related("family__village"))
    resident = residents.filter(pk=resident_id).first()
    if resident is None:
        raise NotFound(_("Unknown resident"), code="resident_unknown")
    return resident


def _family_in_scope(user, **lookup) -> Family:
    family = restrict(user, RESIDENT_CHANGE, Family.objects.all()).filter(**lookup).first()
    if family is None:
        raise NotFound(_("Unknown family"), code="family_unknown")
    return family


def _village_in_scope(user, code: str) -> str:
    """The dotted village code if it lies in the user's region; a malformed code and one
    outside the region get the answer an unknown code gets."""
    try:
        normalized = wilayah.normalize_code(code)
    except ValueError:
        normalized = None
    if normalized is None or not region_allowed(user, normalized):
        raise NotFound(_("Unknown region code %(code)s") % {"code": code}, code="region_unknown")
    return normalized


def _detail(resident_id: int) -> Resident:
    """The record as the detail shape needs it, after a write already scoped and audited."""
    return Resident.objects.select_related("family__village").get(pk=resident_id)


@router.post("/families", response={201: FamilyOut, **WRITE_ERRORS})
def create_family(request, payload: FamilyIn):
    user = _operator(request)
    _require_change(user)
    village_code = _village_in_scope(user, payload.village_code)
    family = services.family_create(
        actor=user, village_code=village_code, address=payload.address, rt=payload.rt,
        rw=payload.rw, kk_number=payload.kk_number,
    )
    return Status(201, family)


@router.post("", response={201: ResidentOut, **WRITE_ERRORS})
def register_resident(request, payload: ResidentIn):
    """Register a resident; without ``nik`` a new NIK is issued. NIK warnings never refuse."""
    user = _operator(request)
    _require_change(user)
    family = _family_in_scope(user, pk=payload.family_id)
    fields = payload.model_dump(exclude={"family_id"})
    resident = services.resident_register(actor=user, family_id=family.pk, **fields)
    return Status(201, _detail(resident.pk))


@router.get("", response={200: list[ResidentListOut], 401: ErrorOut})
@paginate(LimitOffsetPagination, max_limit=PAGE_LIMIT)
def list_residents(request, q: str | None = None, nik: str | None = None,
                   kk: str | None = None):
    """Residents in the operator's region, NIK masked; filter by name, exact NIK or KK."""
    residents = restrict(_operator(request), RESIDENT_VIEW, Resident.objects.all())
    if q and q.strip():
        residents = residents.filter(name__icontains=" ".join(q.split()))
    if nik:
        residents = residents.filter(nik=_SEPARATORS.sub("", nik))
    if kk:
        residents = residents.filter(family__kk_number=_SEPARATORS.sub("", kk))
    # Only the listed columns are loaded, and the village code comes from the join rather
    # than from a query per row.
    return (residents.only(*LIST_COLUMNS).annotate(village_code=F("family__village_id"))
            .order_by("name", "id"))


@router.get("/{int:resident_id}", response={200: ResidentOut, **READ_ERRORS})
def get_resident(request, resident_id: int):
    """The full record with the full NIK; every read is written to the audit log."""
    user = _operator(request)
    resident = _resident_in_scope(user, RESIDENT_VIEW, resident_id)
    audit_record(actor=user, action="read", obj=resident, nik=resident.nik)
    return resident


@router.get("/{int:resident_id}/events", response={200: list[ResidentEventOut], **READ_ERRORS})
def list_resident_events(request, resident_id: int):
    user = _operator(request)
    resident = _resident_in_scope(user, RESIDENT_VIEW, resident_id)
    # The history is personal data too (UU 27/2022 Pasal 31): its reads are logged.
    audit_record(actor=user, action="read", obj=resident, nik=resident.nik, purpose="history")
    return list(resident.events.all())


@router.post("/{int:resident_id}/move", response={200: ResidentOut, **WRITE_ERRORS})
def move_resident(request, resident_id: int, payload: MoveIn):
    """Pindah datang. Both ends must be in the operator's region: the resident as now
    registered and the destination KK or village."""
    user = _operator(request)
    _require_change(user)
    resident = _resident_in_scope(user, RESIDENT_CHANGE, resident_id)
    destination = _move_destination(user, payload)
    services.resident_move(actor=user, resident_id=resident.pk,
                           document_ref=payload.document_ref, address=payload.address,
                           rt=payload.rt, rw=payload.rw, **destination)
    return Status(200, _detail(resident.pk))


def _move_destination(user, payload: MoveIn) -> dict:
    if payload.to_kk_number:
        kk_number = _SEPARATORS.sub("", payload.to_kk_number)
        family = _family_in_scope(user, kk_number=kk_number)
        return {"to_kk_number": family.kk_number, "to_village_code": family.village_id}
    return {"to_village_code": _village_in_scope(user, payload.to_village_code)}


@router.post("/{int:resident_id}/death", response={200: ResidentOut, **WRITE_ERRORS})
def record_death(request, resident_id: int, payload: DeathIn):
    """Record a death (akta kematian); the resident's open applications are cancelled."""
    user = _operator(request)
    _require_change(user)
    resident = _resident_in_scope(user, RESIDENT_CHANGE, resident_id)
    services.resident_record_death(actor=user, resident_id=resident.pk,
                                   died_on=payload.died_on, document_ref=payload.document_ref)
    return Status(200, _detail(resident.pk))


@router.post("/{int:resident_id}/changes", response={200: ResidentOut, **WRITE_ERRORS})
def change_resident_data(request, resident_id: int, payload: ChangeIn):
    """Change data elements (Permendagri 74/2015): static ones need an akta, ijazah or a
    medical certificate; the NIK never changes."""
    user = _operator(request)
    _require_change(user)
    resident = _resident_in_scope(user, RESIDENT_CHANGE, resident_id)
    services.resident_change_data(actor=user, resident_id=resident.pk,
                                  changes=payload.changes.sent(),
                                  document_type=payload.document_type,
                                  document_ref=payload.document_ref)
    return Status(200, _detail(resident.pk))
