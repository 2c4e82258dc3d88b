from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect


def operator_required(view):
    """``login_required`` for the operators' pages. An htmx request whose session has ended
    (after a shift, or a logout in another tab) sends the whole browser to the login page,
    rather than getting the login form swapped into a fragment of the page."""
    guarded = login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.htmx and not request.user.is_authenticated:
            return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
        return guarded(request, *args, **kwargs)

    return wrapper
