"""The fieldwork API: campaigns (draw, list, progress by village, close), their entries, the
printable village list, and visits reported from the field.

Each endpoint needs its action ("fieldwork.view", "fieldwork.visit", "fieldwork.manage"; else
403 ``forbidden``); a campaign, entry or village outside the user's region answers 404 like a
missing one. A visit carries ``client_id``: 201 when stored, 200 with ``created: false`` when
it was a retry of a visit already stored.
"""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from ektp.accounts import rules as roles
from ektp.accounts.scoping import may, region_allowed, restrict
from ektp.errors import NotFound, PermissionDenied
from ektp.fieldwork import selectors, services
from ektp.fieldwork.models import Campaign
from ektp.fieldwork.schemas import (
    CampaignIn,
    CampaignOut,
    CampaignProgressOut,
    EntryOut,
    ErrorOut,
    VisitIn,
    VisitOut,
)
from ektp.regions.models import Region

router = Router(tags=["fieldwork"])

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class EntryFilter(Schema):
    village: str | None = Field(None, max_length=13)
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


def _user(request, action: str):
    user = getattr(request, "auth", None) or request.user
    if not may(user, action):
        raise PermissionDenied(_("You may not do this."), code="forbidden")
    return user


def _campaign(user, campaign_id: int) -> Campaign:
    campaign = selectors.campaigns_visible(user).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("Unknown campaign"), code="campaign_unknown")
    return campaign


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # names of residents: never kept by a proxy
    return response


@router.get("/campaigns", response={200: list[CampaignOut], **READ_ERRORS})
def campaign_list(request):
    user = _user(request, roles.FIELDWORK_VIEW)
    return list(selectors.campaigns_visible(user)[:200])


@router.post("/campaigns", response={201: CampaignOut, **WRITE_ERRORS})
def campaign_create(request, payload: CampaignIn):
    """Draw the list from the register: ``not_recorded`` (wajib KTP with no perekaman) or
    ``first_time`` (turning 17 within ``months_ahead`` months, not yet recorded)."""
    user = _user(request, roles.FIELDWORK_MANAGE)
    if not region_allowed(user, payload.region_code.strip()):
        raise NotFound(_("Unknown region"), code="region_unknown")
    campaign = services.campaign_create(
        actor=user, name=payload.name, region_code=payload.region_code.strip(),
        source=payload.source, months_ahead=payload.months_ahead)
    return Status(201, campaign)


@router.get("/campaigns/{int:campaign_id}", response={200: CampaignProgressOut, **READ_ERRORS})
def campaign_progress(request, campaign_id: int):
    """Per village of the user's region: entries, counts per outcome, share visited."""
    user = _user(request, roles.FIELDWORK_VIEW)
    campaign = _campaign(user, campaign_id)
    rows = selectors.campaign_progress(selectors.entries_visible(user), campaign)
    total = selectors.progress_total(rows)
    return {"campaign": campaign, "total": total["total"], "visited": total["visited"],
            "visited_share": total["visited_share"], "villages": rows}


@router.post("/campaigns/{int:campaign_id}/close", response={200: CampaignOut, **WRITE_ERRORS})
def campaign_close(request, campaign_id: int):
    user = _user(request, roles.FIELDWORK_MANAGE)
    managed = restrict(user, roles.FIELDWORK_MANAGE, Campaign.objects.filter(pk=campaign_id))
    if not managed.exists():
        raise NotFound(_("Unknown campaign"), code="campaign_unknown")
    return services.campaign_close(actor=user, campaign_id=campaign_id)


@router.get("/campaigns/{int:campaign_id}/entries", response={200: list[EntryOut], **READ_ERRORS})
def campaign_entries(request, campaign_id: int, filters: Query[EntryFilter]):
    user = _user(request, roles.FIELDWORK_VIEW)
    campaign = _campaign(user, campaign_id)
    entries = selectors.entries_visible(user).filter(campaign=campaign)
    if filters.village:
        entries = entries.filter(village_id=filters.village)
    entries = entries.select_related("resident").order_by("village_id", "pk")
    return list(entries[filters.offset:filters.offset + filters.limit])


@router.get("/campaigns/{int:campaign_id}/villages/{village_code}/list.pdf",
            response=READ_ERRORS)
def village_list(request, campaign_id: int, village_code: str):
    """The printable list of one village, NIK masked (the export is audited)."""
    user = _user(request, roles.FIELDWORK_VIEW)
    campaign = _campaign(user, campaign_id)
    entries = list(selectors.village_entries(selectors.entries_visible(user), campaign,
                                             village_code))
    village = Region.objects.select_related("parent").filter(code=village_code).first()
    if not entries or village is None:
        raise NotFound(_("No list for this village"), code="village_unknown")
    pdf = services.village_list_pdf(actor=user, campaign=campaign, village=village,
                                    entries=entries)
    return _pdf(pdf, f"verifikasi-{campaign.pk}-{village.compact_code}.pdf")


@router.post("/visits", response={200: VisitOut, 201: VisitOut, **WRITE_ERRORS})
def visit_record(request, payload: VisitIn):
    """Report one visit. Moves and deaths are written to the register as life events (with
    the SKPWNI or akta kematian reference). A retry with the same ``client_id`` answers 200
    with the visit stored first."""
    user = _user(request, roles.FIELDWORK_VISIT)
    visible = selectors.entries_visible(user, roles.FIELDWORK_VISIT)
    if not visible.filter(pk=payload.entry_id).exists():
        raise NotFound(_("Unknown campaign entry"), code="entry_unknown")
    result = services.visit_record(
        actor=user, entry_id=payload.entry_id, client_id=payload.client_id,
        outcome=payload.outcome, visited_on=payload.visited_on,
        invited_for=payload.invited_for, died_on=payload.died_on,
        document_ref=payload.document_ref, to_village_code=payload.to_village_code,
        note=payload.note)
    visit = result.visit
    body = {"id": visit.pk, "entry_id": visit.entry_id, "client_id": visit.client_id,
            "outcome": visit.outcome, "visited_on": visit.visited_on,
            "invited_for": visit.invited_for, "recorded_at": visit.recorded_at,
            "resident_event_id": visit.resident_event_id, "created": result.created}
    return Status(201 if result.created else 200, body)
