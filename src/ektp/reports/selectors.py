"""Scoped aggregate reads for the report pages, the API and the exports.

Every report is read from the daily rollups (``reports.models``) of the villages inside the
chosen region, through ``restrict``; the drill-down groups villages by the prefix of their code
(province 2, kabupaten 5, kecamatan 8 characters). No personal data leaves these functions.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Max, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from ektp.accounts import rules as roles
from ektp.accounts.scoping import may, region_allowed, region_filter, restrict
from ektp.errors import DomainError, NotFound, PermissionDenied
from ektp.issuance.rules import OPEN_STATUSES
from ektp.regions.models import Region
from ektp.reports.models import CoverageRollup, FlowRollup, StatusRollup
from ektp.reports.periods import add_months, years_before
from ektp.reports.services import MINORS_MONTHS
from ektp.reports.tables import Table
from ektp.residents.rules import WAJIB_KTP_AGE

# Aggregates only, no person: the office roles that plan the work (accounts.rules).
REPORT_VIEW = roles.REPORT_VIEW
STOCK_VIEW = roles.SUPPLIES_VIEW
CHILD_PREFIX = {None: 2, 1: 5, 2: 8, 3: 13, 4: 13}
COUNTS = ("residents", "wajib", "wajib_recorded", "wajib_card", "eligible_no_card",
          "no_card_22", "recorded", "in_dedup", "prr", "printed", "issued")
FLOWS = ("recorded", "deduplicated", "printed", "issued")
GROWTH_DAYS = 14
PACE_DAYS = 28


@dataclass
class Scope:
    user: object
    region: Region | None  # None: the whole country (central administrators)
    today: date

    @property
    def code(self) -> str:
        return self.region.code if self.region else ""

    @property
    def label(self) -> str:
        return self.region.name if self.region else _("Seluruh Indonesia")

    def rollups(self, model, action: str = REPORT_VIEW):
        rows = restrict(self.user, action, model.objects.all())
        return rows.filter(region_filter("village_code", self.code)) if self.code else rows


def report_scope(user, action: str, code: str | None = None,
                 today: date | None = None) -> Scope:
    """The region a report covers: ``code`` if given and inside the user's region, else the
    user's own. No permission: 403; a region outside the user's (or unknown): 404."""
    if not may(user, action):
        raise PermissionDenied(_("You may not see this report."), code="forbidden")
    today = today or timezone.localdate()
    code = (code or "").strip() or (user.region_id or "")
    if not code:
        if region_allowed(user, ""):  # superusers and central administrators
            return Scope(user, None, today)
        raise NotFound(_("Unknown region"), code="region_unknown")
    region = Region.objects.filter(pk=code).first()
    if region is None or not region_allowed(user, code):
        raise NotFound(_("Unknown region"), code="region_unknown")
    return Scope(user, region, today)


def computed_at(scope: Scope):
    return scope.rollups(CoverageRollup).aggregate(at=Max("computed_at"))["at"]


def _names(codes) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=list(codes)).values_list("code", "name"))


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _pemula(scope: Scope, months: int) -> dict[str, int]:
    """Per child region: unmarried residents turning 17 in the next ``months`` months."""
    size = CHILD_PREFIX[scope.region.level if scope.region else None]
    until = years_before(add_months(scope.today, months), WAJIB_KTP_AGE).isoformat()
    found: dict[str, int] = defaultdict(int)
    for village, minors in scope.rollups(CoverageRollup).values_list("village_code", "minors"):
        found[village[:size]] += sum(n for born, n in minors.items() if born <= until)
    return found


COVERAGE_COLUMNS = [
    ("name", _lazy("Wilayah")), ("residents", _lazy("Penduduk")),
    ("wajib", _lazy("Wajib KTP")), ("recorded", _lazy("Sudah rekam")),
    ("in_dedup", _lazy("Dalam penunggalan")), ("prr", _lazy("PRR")),
    ("printed", _lazy("Tercetak")), ("issued", _lazy("Diserahkan")),
    ("share", _lazy("Persentase wajib KTP ber-KTP-el")),
    ("no_card_22", _lazy("Usia 22+ tanpa KTP-el")),
    ("pemula", _lazy("Pemula (17 tahun segera)")),
]


def coverage(scope: Scope, months: int = 6) -> Table:
    """Part 1: one row per child region, plus the total."""
    size = CHILD_PREFIX[scope.region.level if scope.region else None]
    rows = list(scope.rollups(CoverageRollup).annotate(child=Substr("village_code", 1, size))
                .values("child").annotate(**{c: Sum(c) for c in COUNTS}).order_by("child"))
    names, pemula = _names(row["child"] for row in rows), _pemula(scope, months)
    total = {c: sum(row[c] or 0 for row in rows) for c in COUNTS}
    for row in rows:
        row.update(code=row["child"], name=names.get(row["child"], row["child"]),
                   share=_share(row["wajib_card"], row["wajib"]),
                   pemula=pemula.get(row["child"], 0))
    total.update(code=scope.code, name=_("Jumlah"), share=_share(total["wajib_card"],
                                                                total["wajib"]),
                 pemula=sum(pemula.values()))
    title = _("Cakupan KTP-el: %(region)s") % {"region": scope.label}
    return Table("coverage", title, COVERAGE_COLUMNS, rows, total)


def coverage_totals(scope: Scope) -> dict:
    totals = scope.rollups(CoverageRollup).aggregate(**{c: Sum(c) for c in COUNTS})
    return {c: totals[c] or 0 for c in COUNTS}


def _median_and_oldest(since: dict[str, int], today: date) -> tuple[int | None, int | None]:
    total = sum(since.values())
    if not total:
        return None, None
    seen, median = 0, None
    ordered = sorted(since.items())
    for day, n in ordered:
        seen += n
        if median is None and seen * 2 >= total:
            median = day
    days = (today - date.fromisoformat(median)).days
    return days, (today - date.fromisoformat(ordered[0][0])).days


BACKLOG_COLUMNS = [("status", _lazy("Status")), ("count", _lazy("Jumlah")),
                   ("median_days", _lazy("Median menunggu (hari)")),
                   ("oldest_days", _lazy("Terlama (hari)"))]


def backlog(scope: Scope) -> Table:
    """Part 2: applications per status; for those still waiting, median and oldest wait."""
    counts: dict[str, int] = defaultdict(int)
    since: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for status, count, days in scope.rollups(StatusRollup).values_list(
            "status", "count", "since"):
        counts[status] += count
        for day, n in days.items():
            since[status][day] += n
    rows = []
    for status in sorted(counts, key=_status_order):
        median, oldest = _median_and_oldest(since.get(status, {}), scope.today)
        rows.append({"status": status, "count": counts[status], "median_days": median,
                     "oldest_days": oldest, "waiting": status in OPEN_STATUSES})
    total = {"status": _("Jumlah"), "count": sum(counts.values())}
    return Table("backlog", _("Antrean per status: %(region)s") % {"region": scope.label},
                 BACKLOG_COLUMNS, rows, total)


_PIPELINE = ("BIO_CAPTURED", "SENT_FOR_ENROLLMENT", "RECEIVED_AT_CENTRAL", "ADJUDICATE_RECORD",
             "ENROLL_FAILURE_AT_CENTRAL", "DUPLICATE_RECORD", "PRINT_READY_RECORD",
             "SENT_FOR_CARD_PRINTING", "CARD_PRINTED", "CARD_SHIPPED", "CARD_ISSUED",
             "CANCELLED")


def _status_order(status: str) -> int:
    return _PIPELINE.index(status) if status in _PIPELINE else len(_PIPELINE)


FLOW_COLUMNS = [("day", _lazy("Tanggal")), ("recorded", _lazy("Direkam")),
                ("deduplicated", _lazy("Selesai penunggalan")), ("printed", _lazy("Dicetak")),
                ("issued", _lazy("Diserahkan"))]


def flow(scope: Scope, days: int = 30) -> Table:
    """Part 2: per day, recorded / deduplicated / printed / issued (every day shown)."""
    start = scope.today - timedelta(days=days - 1)
    found = {row["day"]: row for row in scope.rollups(FlowRollup).filter(day__gte=start)
             .values("day").annotate(**{f: Sum(f) for f in FLOWS}).order_by("day")}
    rows = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        row = found.get(day, {})
        rows.append({"day": day, **{f: row.get(f) or 0 for f in FLOWS}})
    total = {"day": _("Jumlah"), **{f: sum(row[f] for row in rows) for f in FLOWS}}
    return Table("flow", _("Arus harian: %(region)s") % {"region": scope.label},
                 FLOW_COLUMNS, rows, total)


GROWTH_COLUMNS = [("name", _lazy("Wilayah")), ("waiting", _lazy("Menunggu sekarang")),
                  ("inflow", _lazy("Masuk (direkam)")), ("outflow", _lazy("Keluar (dicetak)")),
                  ("growth", _lazy("Pertumbuhan antrean"))]


def queue_growth(scope: Scope, days: int = GROWTH_DAYS) -> Table:
    """Part 2: per child region, recordings in minus cards out over ``days`` days: a positive
    figure is a queue growing."""
    size = CHILD_PREFIX[scope.region.level if scope.region else None]
    start = scope.today - timedelta(days=days - 1)
    moves = {row["child"]: row for row in scope.rollups(FlowRollup).filter(day__gte=start)
             .annotate(child=Substr("village_code", 1, size)).values("child")
             .annotate(inflow=Sum("recorded"), outflow=Sum("printed")).order_by()}
    waiting = dict(scope.rollups(StatusRollup).filter(status__in=OPEN_STATUSES)
                   .annotate(child=Substr("village_code", 1, size)).values("child")
                   .annotate(n=Sum("count")).order_by().values_list("child", "n"))
    names = _names(set(moves) | set(waiting))
    rows = []
    for child in sorted(set(moves) | set(waiting)):
        inflow = moves.get(child, {}).get("inflow") or 0
        outflow = moves.get(child, {}).get("outflow") or 0
        rows.append({"code": child, "name": names.get(child, child),
                     "waiting": waiting.get(child, 0), "inflow": inflow, "outflow": outflow,
                     "growth": inflow - outflow})
    rows.sort(key=lambda row: -row["growth"])
    title = _("Di mana antrean bertambah (%(days)d hari terakhir)") % {"days": days}
    return Table("growth", title, GROWTH_COLUMNS, rows)


def pace(scope: Scope, days: int = PACE_DAYS) -> dict[str, float]:
    """Average recorded and printed per working day (Monday-Friday) over ``days`` days."""
    start = scope.today - timedelta(days=days)
    sums = scope.rollups(FlowRollup).filter(day__gte=start, day__lt=scope.today).aggregate(
        recorded=Sum("recorded"), printed=Sum("printed"))
    working = sum(1 for i in range(days) if (start + timedelta(days=i)).weekday() < 5) or 1
    return {key: round((value or 0) / working, 1) for key, value in sums.items()}


ELECTION_COLUMNS = [("name", _lazy("Desa/Kelurahan")), ("now", _lazy("Wajib KTP kini")),
                    ("turning", _lazy("Genap 17 sebelum pemilu")),
                    ("voters_no_card", _lazy("Pemilih tanpa KTP-el"))]


def election(scope: Scope, election_day: date) -> Table:
    """Part 5: by village, residents who can vote on ``election_day`` (17 by then, or married
    or ever married: UU 24/2013 Pasal 63(1)) and hold no printed card."""
    latest = add_months(scope.today, MINORS_MONTHS)
    if not scope.today <= election_day <= latest:
        raise DomainError(_("Tanggal pemilu harus antara hari ini dan %(last)s.")
                          % {"last": latest.isoformat()}, code="election_date_range")
    until = years_before(election_day, WAJIB_KTP_AGE).isoformat()
    rows = []
    for code, now, minors in scope.rollups(CoverageRollup).order_by("village_code").values_list(
            "village_code", "eligible_no_card", "minors"):
        turning = sum(n for born, n in minors.items() if born <= until)
        rows.append({"code": code, "now": now, "turning": turning, "voters_no_card": now + turning})
    names = _names(row["code"] for row in rows)
    for row in rows:
        row["name"] = names.get(row["code"], row["code"])
    total = {"name": _("Jumlah"), **{k: sum(r[k] for r in rows)
                                     for k in ("now", "turning", "voters_no_card")}}
    title = _("Kesiapan pemilu %(day)s: %(region)s") % {"day": election_day.isoformat(),
                                                       "region": scope.label}
    return Table("election", title, ELECTION_COLUMNS, rows, total)
