"""Report pages on a big register: how long each dashboard page takes, and how many queries.

    nice -n 10 .venv/bin/python bench/reports/dashboard.py --residents 1000000 \
        [--db var/bench-reports.sqlite3 | DATABASE_URL=postgres://...] [--repeat 7]

The register is synthetic Kota Kupang (53.71, its real 51 kelurahan, weighted unevenly):
families of 1-7, an age pyramid (about three in four wajib KTP), 88% of the wajib recorded and
a realistic spread of statuses (most issued long ago; recent ones still in penunggalan, PRR or
printing; a few duplicates and Efac), with the history rows of the last 120 days so the daily
flow is real. No biometrics: rows are written in batches with executemany from generators.
Offices: the Dinas (4 printers, one broken) and one UPT per kecamatan with recording kits;
stock and 14 days of use. The rollups are then refreshed (timed), and each page is requested
through Django's test client as the head of office of Kota Kupang: warm-up requests first,
then the median of ``--repeat`` requests, with the page's query count.

The database is kept between runs (the register is only built when its size differs).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KUPANG = "53.71"
BATCH = 5000
FLOW_DAYS = 120
# Status of a recorded application, with its weight, and how long ago it got there (days).
STATUS_MIX = (
    ("CARD_ISSUED", 0.800, (1, 3000)), ("CARD_PRINTED", 0.030, (0, 40)),
    ("CARD_SHIPPED", 0.005, (0, 20)), ("SENT_FOR_CARD_PRINTING", 0.004, (0, 3)),
    ("PRINT_READY_RECORD", 0.060, (0, 90)), ("RECEIVED_AT_CENTRAL", 0.020, (0, 30)),
    ("SENT_FOR_ENROLLMENT", 0.030, (0, 45)), ("ADJUDICATE_RECORD", 0.006, (0, 60)),
    ("ENROLL_FAILURE_AT_CENTRAL", 0.004, (0, 60)), ("DUPLICATE_RECORD", 0.010, (0, 400)),
    ("BIO_CAPTURED", 0.011, (0, 5)), ("CANCELLED", 0.020, (30, 2000)),
)
PAST_PRR = {"SENT_FOR_CARD_PRINTING", "CARD_PRINTED", "CARD_SHIPPED", "CARD_ISSUED"}
PRINTED = {"CARD_PRINTED", "CARD_SHIPPED", "CARD_ISSUED"}


def _setup(db: str | None) -> None:
    sys.path.insert(0, str(REPO / "src"))
    if db and "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(db).resolve()}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektp.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from ektp.regions.models import Region

    if not Region.objects.filter(code=KUPANG).exists():
        from ektp.regions.services import regions_load

        regions_load()


def _age_years(rng: random.Random) -> float:
    """An age pyramid: many young, fewer old (Kota Kupang is young)."""
    return min(90.0, rng.expovariate(1 / 34))


def _marital(rng: random.Random, age: float) -> int:
    if age < 17:
        return 2 if rng.random() < 0.01 else 1
    married = min(0.9, max(0.05, (age - 17) / 15))
    if rng.random() >= married:
        return 1
    return 4 if age > 60 and rng.random() < 0.3 else 3 if rng.random() < 0.04 else 2


def _status(rng: random.Random) -> tuple[str, int]:
    pick, seen = rng.random(), 0.0
    for status, weight, (low, high) in STATUS_MIX:
        seen += weight
        if pick <= seen:
            return status, int(low + (high - low) * rng.random() ** 2)
    return "CARD_ISSUED", 1000


def _people(total: int, rng: random.Random, villages: list[str], weights: list[float],
            today: date):
    """Yield (family fields, [resident fields]) until ``total`` residents."""
    made, family_no = 0, 0
    while made < total:
        family_no += 1
        size = min(total - made, rng.choice((1, 2, 3, 3, 4, 4, 4, 5, 5, 6, 7)))
        village = rng.choices(villages, weights)[0]
        members = []
        for index in range(size):
            age = 25 + rng.random() * 40 if index == 0 else _age_years(rng)
            members.append({"n": made + index, "age": age, "head": index == 0,
                            "born": today - timedelta(days=int(age * 365.25)),
                            "marital": _marital(rng, age)})
        made += size
        yield family_no, village, members


class _Writer:
    """Rows straight into the tables with ``executemany`` and ids chosen here: model
    instances and bulk_create cost more than the database at this size. Values are adapted
    by the backend's own operations, so the rows are what the ORM would have written."""

    def __init__(self):
        from django.db import connection

        from ektp.issuance.models import Application, ApplicationHistory
        from ektp.residents.models import Family, Resident

        self.connection, self.ops = connection, connection.ops
        self.models = (Family, Resident, Application, ApplicationHistory)
        self.next_id = {m: (m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
                        + 1 for m in self.models}
        self.warnings = Resident._meta.get_field("nik_warnings").get_db_prep_save(
            [], connection)

    def ids(self, model, n: int) -> range:
        first = self.next_id[model]
        self.next_id[model] += n
        return range(first, first + n)

    def when(self, value: datetime):
        return self.ops.adapt_datetimefield_value(value)

    def day(self, value: date):
        return self.ops.adapt_datefield_value(value)

    def insert(self, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        quote = self.ops.quote_name
        sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "
               f"VALUES ({', '.join(['%s'] * len(columns))})")
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    def reset_sequences(self) -> None:
        from django.core.management.color import no_style

        with self.connection.cursor() as cursor:
            for sql in self.ops.sequence_reset_sql(no_style(), list(self.models)):
                cursor.execute(sql)


def build_register(total: int, *, seed: int = 5371, today: date | None = None) -> dict:
    """Write ``total`` residents with their families, applications and recent history."""
    from django.utils import timezone

    from ektp.issuance.models import Application
    from ektp.regions.models import Region
    from ektp.residents.models import Resident

    today = today or timezone.localdate()
    rng = random.Random(seed)
    villages = sorted(Region.objects.filter(code__startswith=KUPANG + ".", level=4)
                      .values_list("code", flat=True))
    weights = [1 + (i * 7919 % 13) for i in range(len(villages))]
    started = time.perf_counter()
    writer, batch = _Writer(), []
    counts = {"families": 0, "residents": 0, "applications": 0, "history": 0}
    for family in _people(total, rng, villages, weights, today):
        batch.append(family)
        if len(batch) >= BATCH // 4:
            _flush(writer, batch, rng, counts)
            batch = []
    _flush(writer, batch, rng, counts)
    writer.reset_sequences()
    counts["seconds"] = round(time.perf_counter() - started, 1)
    assert Resident.objects.count() >= total and Application.objects.exists()
    return counts


FAMILY_COLUMNS = ("id", "kk_number", "village_id", "address", "rt", "rw", "created_at")
RESIDENT_COLUMNS = (
    "id", "nik", "family_id", "relationship", "name", "birth_place", "birth_date", "sex",
    "religion", "marital_status", "blood_type", "occupation", "citizenship", "nationality",
    "mother_name", "father_name", "status", "nik_warnings", "created_at", "updated_at")
APPLICATION_COLUMNS = ("id", "resident_id", "kind", "status", "police_letter_ref",
                       "document_ref", "duplicate_kind", "created_at", "status_changed_at",
                       "site")
HISTORY_COLUMNS = ("application_id", "from_status", "to_status", "at", "site", "reason")


def _flush(writer: _Writer, batch, rng, counts) -> None:
    from django.db import transaction
    from django.utils import timezone

    from ektp.residents.models import Family, Resident

    if not batch:
        return
    now = writer.when(timezone.now())
    families, residents, people = [], [], []
    family_ids = writer.ids(Family, len(batch))
    resident_ids = iter(writer.ids(Resident, sum(len(m) for _, _, m in batch)))
    for family_id, (family_no, village, members) in zip(family_ids, batch, strict=True):
        families.append((family_id, f"5371{family_no:012d}", village, "JL. SINTETIS", "001",
                         "001", now))
        for m in members:
            resident_id = next(resident_ids)
            residents.append((
                resident_id, f"5371{m['n'] + 1:012d}", family_id, 1 if m["head"] else 4,
                "WARGA SINTETIS", "KUPANG", writer.day(m["born"]), 1 + m["n"] % 2, 2,
                m["marital"], 13, 1, "WNI", "", "", "", "active", writer.warnings, now, now))
            people.append((resident_id, m["age"], m["marital"]))
    with transaction.atomic():
        writer.insert(Family, FAMILY_COLUMNS, families)
        writer.insert(Resident, RESIDENT_COLUMNS, residents)
        _applications(writer, people, rng, counts)
    counts["families"] += len(families)
    counts["residents"] += len(residents)


def _applications(writer: _Writer, people, rng, counts) -> None:
    from django.utils import timezone

    from ektp.issuance.models import Application, ApplicationHistory

    now = timezone.now()
    since = now - timedelta(days=FLOW_DAYS)
    chosen = []
    for resident_id, age, marital in people:
        if (age >= 17 or marital != 1) and rng.random() <= 0.88:
            status, days_ago = _status(rng)
            chosen.append((resident_id, status,
                           now - timedelta(days=days_ago, seconds=rng.randrange(8 * 3600))))
    apps, history = [], []
    for app_id, (resident_id, status, at) in zip(writer.ids(Application, len(chosen)), chosen,
                                                   strict=True):
        changed = writer.when(at)
        apps.append((app_id, resident_id, "new", status, "", "", "", changed, changed, "BENCH"))
        history.extend((app_id, frm, to, writer.when(when), "BENCH", "")
                       for to, when, frm in _history(status, at, since, rng))
    writer.insert(Application, APPLICATION_COLUMNS, apps)
    writer.insert(ApplicationHistory, HISTORY_COLUMNS, history)
    counts["applications"] += len(apps)
    counts["history"] += len(history)


def _history(status: str, at: datetime, since: datetime, rng) -> list[tuple]:
    """(to, when, from) steps of one application in the flow window (older: the last step)."""
    if at < since:
        return [(status, at, "?")]
    steps = [("BIO_CAPTURED", at - timedelta(days=rng.randint(3, 20)), "")]
    if status in PAST_PRR or status == "PRINT_READY_RECORD":
        steps.append(("PRINT_READY_RECORD", steps[0][1] + timedelta(days=rng.randint(1, 3)),
                      "RECEIVED_AT_CENTRAL"))
    if status in PRINTED:
        steps.append(("CARD_PRINTED", at - timedelta(days=rng.randint(0, 2)),
                      "SENT_FOR_CARD_PRINTING"))
    if status not in {step[0] for step in steps}:
        steps.append((status, at, "?"))
    return [step for step in steps if step[1] >= since]


def build_operations(*, blanks: int = 3000) -> None:
    """The Dinas and one UPT per kecamatan: printers, recording kits, stock, 14 days' use."""
    from django.utils import timezone

    from ektp.devices.models import Device, Office
    from ektp.regions.models import Region
    from ektp.supplies.models import StockBalance, StockMovement

    if Office.objects.filter(code="BENCH-DINAS").exists():
        return
    now = timezone.now()
    dinas = Office.objects.create(code="BENCH-DINAS", name="Dinas Dukcapil Kota Kupang",
                                  kind="dinas", region_id=KUPANG, prints_cards=True)
    devices = [Device(office=dinas, kind="card_printer", serial_number=f"BENCH-P{i}",
                      status="broken" if i == 3 else "working", status_changed_at=now)
               for i in range(4)]
    for district in Region.objects.filter(code__startswith=KUPANG + ".", level=3):
        upt = Office.objects.create(code=f"BENCH-UPT-{district.code}", name=f"UPT {district.name}",
                                    kind="upt", region=district, records_biometrics=True)
        devices += [Device(office=upt, kind="recording_kit", serial_number=f"BENCH-K{upt.pk}-{i}",
                           status_changed_at=now) for i in range(2)]
    Device.objects.bulk_create(devices)
    for item, quantity in (("blank", blanks), ("ribbon", 2500), ("film", 4000)):
        StockBalance.objects.create(office=dinas, item=item, quantity=quantity)
        StockMovement.objects.bulk_create([
            StockMovement(office=dinas, item=item, kind="consumed", quantity=-450,
                          at=now - timedelta(days=d)) for d in range(1, 15)])


PAGES = (
    ("dashboard", "/laporan/"),
    ("coverage (kota)", "/laporan/cakupan/"),
    ("coverage (kecamatan)", "/laporan/cakupan/?region=53.71.01"),
    ("backlog and flow", "/laporan/antrean/"),
    ("stock and capacity", "/laporan/stok/"),
    ("forecast", "/laporan/perkiraan/"),
    ("forecast what-if + target", None),  # filled in with dates relative to today
    ("election readiness", None),
    ("API coverage", "/api/reports/coverage"),
    ("API forecast", "/api/reports/forecast"),
)


def _urls(today: date) -> list[tuple[str, str]]:
    what_if = (f"/laporan/perkiraan/?blangko=20000&blangko_tiba={today + timedelta(days=14)}"
               f"&printer=1&printer_tanggal={today + timedelta(days=7)}"
               f"&target={today + timedelta(days=180)}")
    election = f"/laporan/pemilu/?tanggal={today + timedelta(days=400)}"
    filled = {"forecast what-if + target": what_if, "election readiness": election}
    return [(name, url or filled[name]) for name, url in PAGES]


def head_of_office():
    from ektp.accounts.models import User

    user, _ = User.objects.get_or_create(username="bench-kadis", defaults={
        "role": "head_of_office", "region_id": KUPANG})
    return user


def measure(repeat: int = 7, warmup: int = 2) -> list[dict]:
    """Each page: median and best time over ``repeat`` requests after ``warmup``, queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    client = Client()
    client.force_login(head_of_office())
    results = []
    for name, url in _urls(timezone.localdate()):
        for _ in range(warmup):
            assert client.get(url).status_code == 200, url
        times = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
        results.append({"page": name, "median_ms": statistics.median(times),
                        "best_ms": min(times), "queries": len(queries)})
    return results


def table(results: list[dict]) -> str:
    lines = ["| page | median ms | best ms | queries |", "|---|---:|---:|---:|"]
    lines += [f"| {r['page']} | {r['median_ms']:.1f} | {r['best_ms']:.1f} | {r['queries']} |"
              for r in results]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--db", default=str(REPO / "var" / "bench-reports.sqlite3"))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    _setup(args.db)
    from django.db import connection

    from ektp.reports.services import rollup_refresh
    from ektp.residents.models import Resident

    if Resident.objects.count() != args.residents:
        if Resident.objects.exists():
            sys.exit("The bench database holds another register: remove it or use --db.")
        print("building:", build_register(args.residents), flush=True)
    build_operations()
    started = time.perf_counter()
    rollup = rollup_refresh(region_code=KUPANG)
    refresh = time.perf_counter() - started
    print(f"\n{connection.vendor}, {Resident.objects.count():,} residents; rollup refresh "
          f"{refresh:.1f} s ({rollup.villages} villages, {rollup.statuses} status rows)\n")
    print(table(measure(args.repeat)))


if __name__ == "__main__":
    main()
