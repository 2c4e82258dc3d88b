"""Field verification pages: campaigns, progress by village, a village's list (on screen and as
a PDF to print), and the visit form of one resident.

A role without the action gets 403; a campaign, village or entry outside the user's region
the same 404 as a missing one. Pages are addressed by row ids and region codes, never by a NIK.
Every write is a service call; a refusal comes back on the form with its message and changes
nothing.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ektp.accounts import rules as roles
from ektp.accounts.decorators import operator_required
from ektp.accounts.scoping import may, region_allowed, require_action, restrict
from ektp.errors import DomainError
from ektp.fieldwork import selectors, services
from ektp.fieldwork.forms import CampaignForm, VisitForm
from ektp.fieldwork.models import Campaign, Entry
from ektp.regions.models import Region

LIST_LIMIT = 100


def _campaign(user, campaign_id: int) -> Campaign:
    require_action(user, roles.FIELDWORK_VIEW)
    campaign = selectors.campaigns_visible(user).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404
    return campaign


def _village_entries(user, campaign: Campaign, village_code: str) -> list[Entry]:
    entries = list(selectors.village_entries(selectors.entries_visible(user), campaign,
                                             village_code))
    if not entries:
        raise Http404
    return entries


def _village(code: str) -> Region:
    village = Region.objects.select_related("parent").filter(code=code).first()
    if village is None:
        raise Http404
    return village


@operator_required
@require_GET
def campaign_list(request):
    require_action(request.user, roles.FIELDWORK_VIEW)
    campaigns = list(selectors.campaigns_visible(request.user)[:LIST_LIMIT])
    return render(request, "fieldwork/campaigns.html", {
        "campaigns": campaigns, "may_manage": may(request.user, roles.FIELDWORK_MANAGE)})


@operator_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    user = request.user
    require_action(user, roles.FIELDWORK_MANAGE)
    form = CampaignForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not region_allowed(user, data["region_code"]):
            raise Http404
        try:
            campaign = services.campaign_create(
                actor=user, name=data["name"], region_code=data["region_code"],
                source=data["source"], months_ahead=data["months_ahead"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Kampanye dibuat: %(n)d penduduk dalam daftar.")
                             % {"n": campaign.entries.count()})
            return redirect("fieldwork_campaign", campaign.pk)
    return render(request, "fieldwork/campaign_form.html", {"form": form})


@operator_required
@never_cache
@require_GET
def campaign_detail(request, campaign_id: int):
    """Progress by village of the user's region: counts per outcome and share visited."""
    campaign = _campaign(request.user, campaign_id)
    rows = selectors.campaign_progress(selectors.entries_visible(request.user), campaign)
    may_close = (campaign.closed_at is None and may(request.user, roles.FIELDWORK_MANAGE)
                 and region_allowed(request.user, campaign.region_id))
    return render(request, "fieldwork/campaign.html", {
        "campaign": campaign, "rows": rows, "total": selectors.progress_total(rows),
        "may_close": may_close})


@operator_required
@require_POST
def campaign_close(request, campaign_id: int):
    require_action(request.user, roles.FIELDWORK_MANAGE)
    managed = restrict(request.user, roles.FIELDWORK_MANAGE,
                       Campaign.objects.filter(pk=campaign_id))
    if not managed.exists():
        raise Http404
    try:
        services.campaign_close(actor=request.user, campaign_id=campaign_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Kampanye ditutup."))
    return redirect("fieldwork_campaign", campaign_id)


@operator_required
@never_cache  # names and masked NIKs of residents
@require_GET
def village_list(request, campaign_id: int, village_code: str):
    campaign = _campaign(request.user, campaign_id)
    entries = _village_entries(request.user, campaign, village_code)
    return render(request, "fieldwork/village.html", {
        "campaign": campaign, "village": _village(village_code), "entries": entries,
        "may_visit": may(request.user, roles.FIELDWORK_VISIT) and campaign.closed_at is None})


@operator_required
@require_GET
def village_pdf(request, campaign_id: int, village_code: str):
    """The list to print and carry, NIK masked; the export is audited."""
    campaign = _campaign(request.user, campaign_id)
    entries = _village_entries(request.user, campaign, village_code)
    village = _village(village_code)
    pdf = services.village_list_pdf(actor=request.user, campaign=campaign, village=village,
                                    entries=entries)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="verifikasi-{campaign.pk}-{village.compact_code}.pdf"')
    response["Cache-Control"] = "no-store"
    return response


def _entry(user, entry_id: int) -> Entry:
    require_action(user, roles.FIELDWORK_VISIT)
    entry = selectors.entry_in_scope(selectors.entries_visible(user, roles.FIELDWORK_VISIT),
                                     entry_id)
    if entry is None:
        raise Http404
    return entry


def _record(request, entry: Entry, form: VisitForm) -> bool:
    data = form.cleaned_data
    try:
        result = services.visit_record(
            actor=request.user, entry_id=entry.pk, client_id=data["client_id"],
            outcome=data["outcome"], visited_on=data["visited_on"],
            invited_for=data["invited_for"], died_on=data["died_on"],
            document_ref=data["document_ref"], to_village_code=data["to_village_code"],
            note=data["note"])
    except DomainError as error:
        form.add_error(None, error.message)
        return False
    if result.created:
        messages.success(request, _("Kunjungan %(name)s dicatat: %(outcome)s.") % {
            "name": entry.resident.name, "outcome": result.visit.get_outcome_display()})
    else:
        messages.info(request, _("Kunjungan ini sudah tercatat sebelumnya."))
    return True


@operator_required
@never_cache
@require_http_methods(["GET", "POST"])
def entry_visit(request, entry_id: int):
    """One resident of a list: the visits so far and the form for the next one."""
    entry = _entry(request.user, entry_id)
    form = VisitForm(request.POST) if request.method == "POST" else VisitForm.fresh()
    if request.method == "POST" and form.is_valid() and _record(request, entry, form):
        return redirect("fieldwork_village", entry.campaign_id, entry.village_id)
    visits = list(entry.visits.select_related("officer", "to_village").order_by("recorded_at"))
    return render(request, "fieldwork/entry.html", {"entry": entry, "form": form,
                                                    "visits": visits})
