"""Reads of the register for the operators' pages: search, the residents still to be recorded
and a resident's history. Callers scope the querysets with ``restrict`` first; every function
here runs a fixed number of queries, whatever the number of rows."""

import re
from datetime import date

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from ektp.enrollment.models import Enrollment
from ektp.issuance.models import Application, ApplicationHistory
from ektp.residents import rules
from ektp.residents.models import Resident, ResidentEvent

MIN_NAME_QUERY = 3  # shorter name fragments match half a kecamatan and tell nothing
_SEPARATORS = re.compile(r"[\s.\-]")
_NUMBER = re.compile(r"[0-9]{16}")


def search_kind(text: str) -> str | None:
    """"number" for sixteen digits (a NIK or KK number, separators allowed), "name" for a name
    fragment of at least three characters, None for anything else (part of a number too)."""
    compact = _SEPARATORS.sub("", text)
    if _NUMBER.fullmatch(compact):
        return "number"
    if compact.isdigit():
        return None
    if len(" ".join(text.split())) >= MIN_NAME_QUERY:
        return "name"
    return None


def search(residents: QuerySet[Resident], text: str) -> QuerySet[Resident]:
    """The exact NIK or KK number (never a prefix, so the page cannot be used to enumerate
    numbers), or a name fragment; ordered by name."""
    kind = search_kind(text)
    if kind == "number":
        compact = _SEPARATORS.sub("", text)
        found = residents.filter(Q(nik=compact) | Q(family__kk_number=compact))
    elif kind == "name":
        found = residents.filter(name__icontains=" ".join(text.split()))
    else:
        found = residents.none()
    return found.select_related("family__village").order_by("name", "id")


def search_page(residents: QuerySet[Resident], text: str, page: int | None,
                size: int) -> Page:
    """One page of ``search``: the resident search and the recording page list alike."""
    return Paginator(search(residents, text), size).get_page(page or 1)


def _seventeenth_birthday_cutoff(today: date) -> date:
    """Born on or before this day: 17 or older today (29 February counts from 1 March)."""
    year = today.year - rules.WAJIB_KTP_AGE
    try:
        return today.replace(year=year)
    except ValueError:  # today is 29 February and that year had none
        return date(year, 2, 28)


def wajib_ktp_filter(today: date) -> Q:
    """``rules.is_wajib_ktp`` as a query: 17 or older, or ever married; a foreigner only while
    holding a KITAP."""
    of_age = Q(birth_date__lte=_seventeenth_birthday_cutoff(today))
    married = Q(marital_status__in=rules.EVER_MARRIED_CODES)
    resident_alien = Q(citizenship="WNA", kitap_expiry__gte=today)
    return (of_age | married) & (Q(citizenship="WNI") | resident_alien)


def not_yet_recorded(residents: QuerySet[Resident], today: date) -> QuerySet[Resident]:
    """Living residents who must hold a KTP-el and have no recording (perekaman) yet."""
    recorded = Enrollment.objects.filter(resident=OuterRef("pk"))
    return (residents.filter(wajib_ktp_filter(today), status=Resident.Status.ACTIVE)
            .exclude(Exists(recorded)).select_related("family__village")
            .order_by("birth_date", "id"))


def resident_detail(residents: QuerySet[Resident], resident_id: int) -> Resident | None:
    """The resident with the family, village and kecamatan, or None when out of scope."""
    return (residents.select_related("family__village__parent")
            .filter(pk=resident_id).first())


def life_events(resident: Resident) -> list[ResidentEvent]:
    return list(resident.events.select_related("actor").order_by("at", "id"))


def applications_with_history(resident: Resident) -> list[Application]:
    """The resident's applications, newest first, each with its status history (oldest first)
    in ``history`` (two queries)."""
    history = ApplicationHistory.objects.select_related("actor").order_by("at", "id")
    return list(resident.applications.order_by("-created_at", "-id")
                .prefetch_related(Prefetch("history", queryset=history)))
