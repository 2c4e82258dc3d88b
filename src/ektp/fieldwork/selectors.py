"""Reads of field verification: the residents a campaign source selects, the campaigns a user
sees, progress by village and the list of one village. Entries are scoped with ``restrict``
by the village they are in; each function runs a fixed number of queries."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from ektp.accounts import rules as roles
from ektp.accounts.scoping import may, region_filter, restrict
from ektp.enrollment.models import Enrollment
from ektp.fieldwork import rules
from ektp.fieldwork.models import Campaign, Entry
from ektp.regions.models import Region
from ektp.residents.models import Resident
from ektp.residents.rules import EVER_MARRIED_CODES
from ektp.residents.selectors import not_yet_recorded


def first_time_eligible(residents: QuerySet[Resident], today: date,
                        months: int) -> QuerySet[Resident]:
    """Living WNI who turn 17 within ``months`` months, never married (else they are wajib
    KTP already) and not yet recorded (perekaman is allowed from 16), soonest first."""
    after, until = rules.first_time_window(today, months)
    recorded = Enrollment.objects.filter(resident=OuterRef("pk"))
    return (residents.filter(birth_date__gt=after, birth_date__lte=until, citizenship="WNI",
                             status=Resident.Status.ACTIVE)
            .exclude(marital_status__in=EVER_MARRIED_CODES).exclude(Exists(recorded))
            .order_by("-birth_date", "id"))


def source_residents(region_code: str, source: str, today: date,
                     months: int | None) -> QuerySet[Resident]:
    residents = Resident.objects.filter(region_filter(Resident.region_path, region_code))
    if source == rules.FIRST_TIME:
        return first_time_eligible(residents, today, months)
    return not_yet_recorded(residents, today)


def _ancestors(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def campaigns_visible(user) -> QuerySet[Campaign]:
    """Campaigns in the user's region, and those of a wider region that covers it (a city's
    campaign is worked by each kecamatan's officers, who see their own villages of it)."""
    if not may(user, roles.FIELDWORK_VIEW):
        return Campaign.objects.none()
    inside = restrict(user, roles.FIELDWORK_VIEW, Campaign.objects.all())
    if user.region_id:
        inside = inside | Campaign.objects.filter(region_id__in=_ancestors(user.region_id))
    return inside.select_related("region")


def entries_visible(user, action: str = roles.FIELDWORK_VIEW) -> QuerySet[Entry]:
    return restrict(user, action, Entry.objects.all())


@dataclass
class VillageProgress:
    village: Region
    total: int
    present: int
    moved: int
    died: int
    unknown: int

    @property
    def visited(self) -> int:
        return self.present + self.moved + self.died + self.unknown

    @property
    def visited_share(self) -> float | None:
        return rules.share(self.visited, self.total)


def _outcome_counts() -> dict:
    return {outcome: Count("pk", filter=Q(outcome=outcome)) for outcome in rules.OUTCOMES}


def campaign_progress(entries: QuerySet[Entry], campaign: Campaign) -> list[VillageProgress]:
    """Per village (of the entries given, already scoped): entries, counts per outcome of the
    latest visit, share visited; two queries whatever the size."""
    rows = (entries.filter(campaign=campaign).values("village_id")
            .annotate(total=Count("pk"), **_outcome_counts()).order_by("village_id"))
    rows = list(rows)
    villages = Region.objects.select_related("parent").in_bulk([r["village_id"] for r in rows])
    return [VillageProgress(village=villages[r["village_id"]], total=r["total"],
                            **{o: r[o] for o in rules.OUTCOMES}) for r in rows]


def progress_total(rows: list[VillageProgress]) -> dict:
    total = {o: sum(getattr(row, o) for row in rows) for o in ("total", *rules.OUTCOMES)}
    total["visited"] = sum(row.visited for row in rows)
    total["visited_share"] = rules.share(total["visited"], total["total"])
    return total


def village_entries(entries: QuerySet[Entry], campaign: Campaign,
                    village_code: str) -> QuerySet[Entry]:
    """One village's list, in the order it is printed (by address, then name)."""
    return (entries.filter(campaign=campaign, village_id=village_code)
            .select_related("resident__family")
            .order_by("resident__family__rw", "resident__family__rt",
                      "resident__family__address", "resident__name", "pk"))


def entry_in_scope(entries: QuerySet[Entry], entry_id: int) -> Entry | None:
    return (entries.select_related("campaign", "resident__family", "village")
            .filter(pk=entry_id).first())
