"""The operators' pages of the accounts app: the home page with the work waiting for each role.
Login and logout are Django's own views (see ``accounts/urls.py``)."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ektp.accounts import worklists
from ektp.accounts.decorators import operator_required


@operator_required
@never_cache  # names and NIKs (masked) of residents: no browser or proxy keeps the page
@require_GET
def home(request):
    """Each role's work queue; a user without a role sees how to get one (and no data)."""
    sections = worklists.home_sections(request.user)
    return render(request, "accounts/home.html", {"sections": sections})
