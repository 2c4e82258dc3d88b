"""``restrict(user, action, queryset)``: the one gate for reads of personal data.

Fails closed: a user without the role for the action, or without a region (unless a central
administrator), gets an empty queryset, so missing and forbidden rows both answer 404.
Every model that holds personal data declares ``region_path``: the lookup to its region code.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from ektp.accounts import rules


def may(user, action: str) -> bool:
    if not user or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or rules.role_allows(user.role, action)


def require_action(user, action: str) -> None:
    """For pages: a role without the action gets Django's 403 page (the API raises its own
    PermissionDenied with a code instead)."""
    if not may(user, action):
        raise PermissionDenied


def region_filter(path: str, region_code: str) -> Q:
    return Q(**{path: region_code}) | Q(**{f"{path}__startswith": region_code + "."})


def restrict(user, action: str, queryset: QuerySet) -> QuerySet:
    if not may(user, action):
        return queryset.none()
    if user.is_superuser or (user.role == rules.CENTRAL_ADMIN and user.region_id is None):
        return queryset
    if user.region_id is None:
        return queryset.none()
    return queryset.filter(region_filter(queryset.model.region_path, user.region_id))


def region_allowed(user, region_code: str) -> bool:
    """Whether ``region_code`` lies inside the user's region (for writes naming a region)."""
    if user.is_superuser or (user.role == rules.CENTRAL_ADMIN and user.region_id is None):
        return True
    if user.region_id is None:
        return False
    return region_code == user.region_id or region_code.startswith(user.region_id + ".")
