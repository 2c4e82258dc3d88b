"""Resident search and detail pages.

Every read goes through ``restrict``: a role without ``resident.view`` gets 403, a resident
outside the operator's region the same 404 as a missing one. No personal data travels in a URL:
the search is a POST (htmx or plain form) and detail pages are addressed by the row id. The NIK
is shown masked until the operator opens it, and each opening is written to the audit log.
"""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ektp.accounts.decorators import operator_required
from ektp.accounts.rules import RESIDENT_VIEW
from ektp.accounts.scoping import require_action, restrict
from ektp.audit.services import audit_record
from ektp.residents import selectors
from ektp.residents.forms import ResidentSearchForm
from ektp.residents.models import Resident

PAGE_SIZE = 20
# Audit purposes, so the processing trail (UU 27/2022 Pasal 31) tells a page view from an
# explicit opening of the full NIK.
PURPOSE_DETAIL = "detail page"
PURPOSE_NIK = "NIK opened"


def _resident_in_scope(user, resident_id: int) -> Resident:
    require_action(user, RESIDENT_VIEW)
    residents = restrict(user, RESIDENT_VIEW, Resident.objects.all())
    resident = selectors.resident_detail(residents, resident_id)
    if resident is None:
        raise Http404
    return resident


@operator_required
@never_cache  # personal data: no browser or proxy keeps a copy
@require_http_methods(["GET", "POST"])
def resident_search(request):
    """GET: the empty search page. POST: the results, as a fragment for htmx (live results
    while typing) or as the whole page without JavaScript."""
    require_action(request.user, RESIDENT_VIEW)
    form = ResidentSearchForm(request.POST if request.method == "POST" else None)
    page = None
    if form.is_bound and form.is_valid():
        residents = restrict(request.user, RESIDENT_VIEW, Resident.objects.all())
        page = selectors.search_page(residents, form.cleaned_data["q"],
                                     form.cleaned_data["page"], PAGE_SIZE)
    template = "residents/_results.html" if request.htmx else "residents/search.html"
    return render(request, template, {"form": form, "page": page})


def _detail_page(request, resident: Resident, *, nik_open: bool):
    context = {"resident": resident, "nik_open": nik_open,
               "events": selectors.life_events(resident),
               "applications": selectors.applications_with_history(resident)}
    return render(request, "residents/detail.html", context)


@operator_required
@never_cache
@require_GET
def resident_detail(request, resident_id: int):
    """The record with its history, NIK masked; the view itself is audited (a full record)."""
    resident = _resident_in_scope(request.user, resident_id)
    audit_record(actor=request.user, action="read", obj=resident, nik=resident.nik,
                 purpose=PURPOSE_DETAIL)
    return _detail_page(request, resident, nik_open=False)


@operator_required
@never_cache
@require_POST
def resident_open_nik(request, resident_id: int):
    """"Tampilkan NIK": the full NIK, after an audit row. htmx swaps in just the number;
    without JavaScript the detail page comes back with it (as a POST answer, never a URL)."""
    resident = _resident_in_scope(request.user, resident_id)
    audit_record(actor=request.user, action="read", obj=resident, nik=resident.nik,
                 purpose=PURPOSE_NIK)
    if request.htmx:
        return render(request, "residents/_nik.html", {"resident": resident, "nik_open": True})
    return _detail_page(request, resident, nik_open=True)
