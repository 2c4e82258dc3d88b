"""The one write of the reports app: recompute the daily rollups of a region from the register.

A handful of grouped aggregate queries over residents, applications and their history (no
per-person loop in Python), then the region's rollup rows are replaced in one transaction, so a
page never sees half a refresh. Idempotent: running it twice gives the same rows.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from ektp.accounts.scoping import region_filter
from ektp.errors import DomainError, NotFound
from ektp.issuance import rules as issuance
from ektp.issuance.models import Application, ApplicationHistory
from ektp.regions.models import Region
from ektp.reports.models import CoverageRollup, FlowRollup, StatusRollup
from ektp.reports.periods import years_before
from ektp.residents.models import Resident
from ektp.residents.rules import EVER_MARRIED_CODES, WAJIB_KTP_AGE

CARD_STATUSES = (issuance.S_PRINTED, issuance.S_SHIPPED, issuance.S_ISSUED)
IN_DEDUP = (issuance.S_SFE, issuance.S_RAC, issuance.S_ADJ)
PRR = (issuance.S_PRR, issuance.S_SFP)
WAITING = tuple(sorted(issuance.OPEN_STATUSES))
NIK_DEACTIVATION_AGE = 22  # Permendagri 95/2019 Pasal 96 (domain.md §3.1)
MINORS_MONTHS = 24
FLOW_DAYS = 120
FLOW_KINDS = {issuance.S_BIO: "recorded", issuance.S_PRR: "deduplicated",
              issuance.S_DUP: "deduplicated", issuance.S_PRINTED: "printed",
              issuance.S_ISSUED: "issued"}
VILLAGE = "family__village_id"
APP_VILLAGE = "resident__family__village_id"


@dataclass
class RollupResult:
    villages: int
    statuses: int
    flow_days: int


def _scope(path: str, region_code: str) -> Q:
    return region_filter(path, region_code) if region_code else Q()


def _wajib(today: date, prefix: str = "") -> Q:
    """UU 24/2013 Pasal 63(1), the rule of ``residents.rules.is_wajib_ktp`` as a filter on
    residents (``prefix`` "resident__" from applications)."""
    def q(**lookups) -> Q:
        return Q(**{prefix + key: value for key, value in lookups.items()})

    of_age = q(birth_date__lte=years_before(today, WAJIB_KTP_AGE))
    married = q(marital_status__in=EVER_MARRIED_CODES)
    resident = q(citizenship="WNI") | q(citizenship="WNA", kitap_expiry__gte=today)
    return (of_age | married) & resident


def _resident_counts(region_code: str, today: date) -> dict[str, dict]:
    """Per village: residents, wajib KTP and aged 22+ (one pass over the register)."""
    rows = (Resident.objects.filter(_scope("family__village__code", region_code),
                                    status=Resident.Status.ACTIVE)
            .values(village=F(VILLAGE)).order_by()
            .annotate(residents=Count("pk"), wajib=Count("pk", filter=_wajib(today)),
                      aged_22=Count("pk", filter=Q(
                          birth_date__lte=years_before(today, NIK_DEACTIVATION_AGE)))))
    return {row.pop("village"): row for row in rows}


def _application_counts(region_code: str, today: date) -> dict[str, dict]:
    """Per village, distinct living residents by how far their applications got (a join, no
    per-resident subquery, so the plan is the same on SQLite and PostgreSQL)."""
    def residents(statuses=None, extra: Q | None = None) -> Count:
        condition = Q(status__in=statuses) if statuses else Q()
        if extra is not None:
            condition &= extra
        return Count("resident", distinct=True, filter=condition or None)

    wajib = _wajib(today, "resident__")
    aged_22 = Q(resident__birth_date__lte=years_before(today, NIK_DEACTIVATION_AGE))
    rows = (Application.objects.filter(_scope("resident__family__village__code", region_code),
                                       resident__status=Resident.Status.ACTIVE)
            .exclude(status=issuance.S_CANCELLED).values(village=F(APP_VILLAGE)).order_by()
            .annotate(recorded=residents(), in_dedup=residents(IN_DEDUP), prr=residents(PRR),
                      printed=residents(CARD_STATUSES), issued=residents([issuance.S_ISSUED]),
                      wajib_recorded=residents(extra=wajib),
                      wajib_card=residents(CARD_STATUSES, wajib),
                      card_22=residents(CARD_STATUSES, aged_22)))
    return {row.pop("village"): row for row in rows}


def _minors(region_code: str, today: date) -> dict[str, dict[str, int]]:
    """Unmarried, not yet 17, turning 17 within MINORS_MONTHS, no card: by birth date."""
    cut = years_before(today, WAJIB_KTP_AGE)
    rows = (Resident.objects.filter(
        _scope("family__village__code", region_code), status=Resident.Status.ACTIVE,
        birth_date__gt=cut, birth_date__lte=cut + timedelta(days=MINORS_MONTHS * 31))
        .exclude(marital_status__in=EVER_MARRIED_CODES)
        .values(village=F(VILLAGE), born=F("birth_date")).order_by()
        .annotate(n=Count("pk")))
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        found[row["village"]][row["born"].isoformat()] = row["n"]
    return found


def _coverage_rows(region_code: str, today: date, now) -> list[CoverageRollup]:
    people = _resident_counts(region_code, today)
    apps = _application_counts(region_code, today)
    minors = _minors(region_code, today)
    rows = []
    for village in sorted(set(people) | set(apps)):
        counts = {**people.get(village, {}), **apps.get(village, {})}
        aged_22, card_22 = counts.pop("aged_22", 0), counts.pop("card_22", 0)
        counts["no_card_22"] = aged_22 - card_22
        counts["eligible_no_card"] = counts.get("wajib", 0) - counts.get("wajib_card", 0)
        rows.append(CoverageRollup(village_code=village, computed_at=now, as_of=today,
                                   minors=minors.get(village, {}), **counts))
    return rows


def _status_rows(region_code: str) -> list[StatusRollup]:
    apps = Application.objects.filter(_scope("resident__family__village__code", region_code))
    counts = apps.values(village=F(APP_VILLAGE), st=F("status")).order_by().annotate(
        n=Count("pk"))
    since: dict[tuple, dict[str, int]] = defaultdict(dict)
    waiting = (apps.filter(status__in=WAITING)
               .values(village=F(APP_VILLAGE), st=F("status"),
                       day=TruncDate("status_changed_at")).order_by().annotate(n=Count("pk")))
    for row in waiting:
        since[(row["village"], row["st"])][row["day"].isoformat()] = row["n"]
    return [StatusRollup(village_code=row["village"], status=row["st"], count=row["n"],
                         since=since.get((row["village"], row["st"]), {})) for row in counts]


def _flow_rows(region_code: str, today: date, days: int) -> list[FlowRollup]:
    start = timezone.make_aware(timezone.datetime.combine(today - timedelta(days=days - 1),
                                                          timezone.datetime.min.time()))
    history = (ApplicationHistory.objects.filter(
        _scope("application__resident__family__village__code", region_code),
        at__gte=start, to_status__in=list(FLOW_KINDS))
        .exclude(to_status=issuance.S_BIO, from_status__gt="")
        .values(village=F("application__resident__family__village_id"),
                day=TruncDate("at"), st=F("to_status")).order_by().annotate(n=Count("pk")))
    rows: dict[tuple, FlowRollup] = {}
    for row in history:
        key = (row["village"], row["day"])
        rollup = rows.setdefault(key, FlowRollup(village_code=key[0], day=key[1]))
        field = FLOW_KINDS[row["st"]]
        setattr(rollup, field, getattr(rollup, field) + row["n"])
    return list(rows.values())


def rollup_refresh(*, region_code: str = "", today: date | None = None,
                   flow_days: int = FLOW_DAYS) -> RollupResult:
    """Recompute every rollup row under ``region_code`` ("" = the whole register).

    A region code that names no region, or a flow window under one day, is refused before
    anything is deleted: a typo in a cron line must not empty the reports."""
    if region_code and not Region.objects.filter(code=region_code).exists():
        raise NotFound(f"Unknown region {region_code}", code="region_unknown")
    if flow_days < 1:
        raise DomainError("The flow window needs at least one day", code="flow_days_invalid")
    today = today or timezone.localdate()
    now = timezone.now()
    coverage = _coverage_rows(region_code, today, now)
    statuses = _status_rows(region_code)
    flow = _flow_rows(region_code, today, flow_days)
    with transaction.atomic():
        for model in (CoverageRollup, StatusRollup, FlowRollup):
            model.objects.filter(_scope("village_code", region_code)).delete()
        CoverageRollup.objects.bulk_create(coverage, batch_size=1000)
        StatusRollup.objects.bulk_create(statuses, batch_size=1000)
        FlowRollup.objects.bulk_create(flow, batch_size=1000)
    return RollupResult(len(coverage), len(statuses), len({row.day for row in flow}))
