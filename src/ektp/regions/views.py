"""The region picker's search: a fragment of radio buttons, twenty regions at most, for the
``RegionField`` widget (regions/forms.py). Region names and codes are public, so the search is
a GET; ``scoped=1`` keeps the matches inside the operator's own region."""

import re

from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ektp.accounts import rules
from ektp.accounts.decorators import operator_required
from ektp.accounts.scoping import region_allowed
from ektp.regions.models import Region
from ektp.regions.selectors import MIN_PICKER_NAME, region_lookup

FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,60}")
NATIONWIDE = ""  # ``within`` for an operator who sees the whole country


def _within(user, scoped: bool) -> str | None:
    """The code the matches must lie in; None when the operator may pick nothing."""
    nationwide = user.is_superuser or (user.role == rules.CENTRAL_ADMIN and user.region_id is None)
    if not scoped or nationwide:
        return NATIONWIDE
    return user.region_id or None


def _level(text: str) -> int | None:
    return int(text) if text in {"1", "2", "3", "4"} else None


@operator_required
@require_GET
def region_picker(request):
    field = request.GET.get("field", "")
    if not FIELD_NAME.fullmatch(field):
        return HttpResponseBadRequest(_("Nama isian tidak sah."))
    query = request.GET.get(f"{field}_cari", "")[:60]
    within = _within(request.user, request.GET.get("scoped") == "1")
    level = _level(request.GET.get("level", ""))
    regions = [] if within is None else region_lookup(query, level=level, within=within or None)
    selected = Region.objects.filter(code=request.GET.get(field, "")).first()
    if selected and within and not region_allowed(request.user, selected.code):
        selected = None
    message = _("Tidak ada wilayah yang cocok.") if len(query.strip()) >= MIN_PICKER_NAME \
        or query.strip()[:2].isdigit() else _("Ketik minimal 3 huruf.")
    return render(request, "ektp/_region_options.html", {
        "field": field, "regions": regions, "selected": selected,
        "searched": bool(query.strip()), "message": message})
