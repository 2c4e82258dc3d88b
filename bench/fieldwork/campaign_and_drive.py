"""Field verification and printing drives on a big register: drawing a campaign, its progress
and village pages, the printed village list, visits (and their retries), and a Depok-sized
drive's progress (63 kelurahan and the Dinas). Prints one table: seconds (median of
``--repeat``) and query counts.

    nice -n 10 .venv/bin/python bench/fieldwork/campaign_and_drive.py --residents 200000 \
        [--db var/bench-fieldwork.sqlite3 | DATABASE_URL=postgres://...] [--jobs 50000]

The register is synthetic Kota Kupang (53.71, its 51 kelurahan): families of 3, an age mix
that makes about three in four wajib KTP, 88% of them recorded (bare Enrollment rows, no
biometrics). The drive is Kota Depok (32.76): the Dinas and one print point per kelurahan,
``--jobs`` cards printed in the window, spread over the points. Rows are bulk-inserted; the
database is kept between runs (rebuilt only when its size differs).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KUPANG, DEPOK = "53.71", "32.76"
BATCH = 5000


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


def _chunks(rows, size=BATCH):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _people(region: str, count: int, rng: random.Random) -> list[int]:
    """Families of 3 over the region's villages; the ids of the residents created."""
    from ektp.regions.models import Region
    from ektp.residents.models import Family, Resident

    villages = list(Region.objects.filter(code__startswith=region + ".", level=4)
                    .values_list("code", flat=True))
    tag, digits = f"JL. BENCH {region}", region.replace(".", "")
    for chunk in _chunks(range(count // 3 + 1)):
        Family.objects.bulk_create([Family(kk_number=f"{digits}010120{n + 1:06d}",
                                           village_id=rng.choice(villages), address=tag,
                                           rt="001", rw="001") for n in chunk])
    families = list(Family.objects.filter(address=tag).order_by("pk").values_list("pk",
                                                                                  flat=True))
    today = date.today()
    for chunk in _chunks(range(count)):
        rows = []
        for n in chunk:
            age = rng.choice((rng.randint(0, 16), *(rng.randint(17, 80) for _ in range(3))))
            rows.append(Resident(
                nik=f"{digits}01{n + 1:010d}", family_id=families[n // 3], relationship=1,
                name=f"PENDUDUK BENCH {n}", birth_place="KUPANG", sex=1, religion=2,
                birth_date=today - timedelta(days=age * 365 + rng.randrange(365)),
                marital_status=2 if age >= 25 else 1, occupation=9))
        Resident.objects.bulk_create(rows)
    return list(Resident.objects.filter(family__address=tag).values_list("pk", flat=True))


def _record(resident_ids: list[int], share: float, rng: random.Random) -> None:
    from django.utils import timezone

    from ektp.enrollment.models import Enrollment

    now = timezone.now()
    chosen = [pk for pk in resident_ids if rng.random() < share]
    for chunk in _chunks(chosen):
        Enrollment.objects.bulk_create([Enrollment(
            enrollment_id=f"BENCH-{pk}", resident_id=pk, station_code="BENCH", sequence=pk,
            captured_at=now, photo_sealed=b"", photo_width=1, photo_height=1,
            signature_sealed=b"", finger_count=10) for pk in chunk])


def build_kupang(residents: int, rng: random.Random) -> None:
    from ektp.residents.models import Resident

    existing = Resident.objects.filter(family__address=f"JL. BENCH {KUPANG}").count()
    if existing == residents:
        return
    if existing:
        sys.exit("The database holds another register size; use a fresh --db.")
    _record(_people(KUPANG, residents, rng), 0.88, rng)


def _depok_points(drive) -> list:
    from ektp.devices.services import office_create
    from ektp.printing.drive_services import drive_point_set
    from ektp.regions.models import Region

    offices = [office_create(actor=None, code="DINAS-3276", name="Dinas Depok", kind="dinas",
                             region_code=DEPOK, prints_cards=True)]
    for village in Region.objects.filter(code__startswith=DEPOK + ".", level=4):
        offices.append(office_create(actor=None, code=f"KEL-{village.compact_code}",
                                     name=village.name, kind="kelurahan",
                                     region_code=village.code, prints_cards=True))
    for office in offices:
        drive_point_set(actor=None, drive_id=drive.pk, office_id=office.pk,
                        target=50_000 // len(offices))
    return [office.pk for office in offices]


def build_depok_drive(jobs: int, rng: random.Random):
    """The Dinas and a print point per kelurahan of Depok, ``jobs`` printed in the window."""
    from django.utils import timezone

    from ektp.issuance.models import Application
    from ektp.printing.drive_services import drive_create
    from ektp.printing.models import Drive, PrintJob

    drive = Drive.objects.filter(name="Bench Depok").first()
    if drive is not None:
        return drive
    now = timezone.now()
    drive = drive_create(actor=None, name="Bench Depok", region_code=DEPOK,
                         starts_at=now - timedelta(hours=20), ends_at=now + timedelta(hours=28))
    offices = _depok_points(drive)
    for chunk in _chunks(_people(DEPOK, jobs, rng)):
        Application.objects.bulk_create([Application(
            resident_id=pk, kind="new", status="CARD_PRINTED", status_changed_at=now)
            for pk in chunk])
    app_ids = list(Application.objects.filter(
        resident__family__address=f"JL. BENCH {DEPOK}").values_list("pk", flat=True))
    for chunk in _chunks(app_ids):
        PrintJob.objects.bulk_create([PrintJob(
            application_id=pk, office_id=rng.choice(offices), blank_serial=f"BENCH-{pk}",
            status="printed", started_at=now - timedelta(minutes=rng.randrange(1200)),
            finished_at=now - timedelta(minutes=rng.randrange(1200))) for pk in chunk])
    return drive


def _timed(repeat: int, call) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm-up
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        queries = len(captured)
    return statistics.median(times), queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=200_000)
    parser.add_argument("--jobs", type=int, default=50_000)
    parser.add_argument("--db", default="var/bench-fieldwork.sqlite3")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    _setup(args.db)
    run(args)


def run(args) -> None:
    import uuid

    from django.conf import settings
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from ektp.accounts.models import User
    from ektp.fieldwork import selectors, services
    from ektp.fieldwork.models import Entry

    settings.ALLOWED_HOSTS = ["*"]
    rng = random.Random(2026)
    started = time.perf_counter()
    build_kupang(args.residents, rng)
    drive = build_depok_drive(args.jobs, rng)
    print(f"register and drive ready in {time.perf_counter() - started:.1f} s")
    head, _ = User.objects.get_or_create(username="bench.kadis",
                                         defaults={"role": "head_of_office", "region_id": KUPANG})
    officer, _ = User.objects.get_or_create(username="bench.lapangan", defaults={
        "role": "field_officer", "region_id": KUPANG})
    depok, _ = User.objects.get_or_create(username="bench.cetak.depok", defaults={
        "role": "print_operator", "region_id": DEPOK})
    rows = []
    started = time.perf_counter()
    campaign = services.campaign_create(actor=head, name=f"Bench {uuid.uuid4().hex[:6]}",
                                        region_code=KUPANG, source="not_recorded")
    entries = campaign.entries.count()
    rows.append(("draw the campaign (Kota Kupang)", time.perf_counter() - started, None,
                 f"{entries} entries"))
    big = (Entry.objects.filter(campaign=campaign).values("village_id")
           .order_by().annotate(n=Count("pk"))
           .order_by("-n").first())
    client = Client()
    client.force_login(head)
    for label, url in (
            ("campaign progress page", reverse("fieldwork_campaign", args=[campaign.pk])),
            ("largest village's list page", reverse("fieldwork_village",
                                                    args=[campaign.pk, big["village_id"]])),
            ("largest village's PDF", reverse("fieldwork_village_pdf",
                                              args=[campaign.pk, big["village_id"]]))):
        seconds, queries = _timed(args.repeat, lambda u=url: client.get(u))
        rows.append((label, seconds, queries, f"{big['n']} residents" if "village" in label
                     else f"{entries} entries"))
    ids = list(Entry.objects.filter(campaign=campaign).values_list("pk", flat=True)[:200])
    today = timezone.localdate()
    keys = {pk: uuid.uuid4().hex for pk in ids}

    def visits():
        for pk in ids:
            services.visit_record(actor=officer, entry_id=pk, client_id=keys[pk],
                                  outcome="present", visited_on=today,
                                  invited_for=today + timedelta(days=3))
    started = time.perf_counter()
    visits()
    rows.append(("record a visit (mean of 200)", (time.perf_counter() - started) / len(ids),
                 None, "new"))
    started = time.perf_counter()
    visits()
    rows.append(("retry a visit (mean of 200)", (time.perf_counter() - started) / len(ids),
                 None, "acknowledged"))
    client.force_login(depok)
    points = drive.points.count()
    seconds, queries = _timed(args.repeat, lambda: client.get(reverse("drive_detail",
                                                                      args=[drive.pk])))
    rows.append(("drive progress page (Depok)", seconds, queries,
                 f"{points} points, {args.jobs} cards"))
    seconds, queries = _timed(args.repeat, lambda: selectors.campaign_progress(
        Entry.objects.all(), campaign))
    rows.append(("campaign_progress selector", seconds, queries, f"{entries} entries"))
    _print(rows, args)


def _print(rows, args) -> None:
    from django.db import connection

    print(f"\nregister {args.residents:,} residents ({connection.vendor}); "
          f"median of {args.repeat}\n")
    print(f"| {'step':<34} | {'seconds':>8} | {'queries':>7} | {'size':<28} |")
    print(f"|{'-' * 36}|{'-' * 9}:|{'-' * 8}:|{'-' * 30}|")
    for label, seconds, queries, size in rows:
        shown = "" if queries is None else str(queries)
        print(f"| {label:<34} | {seconds:>8.3f} | {shown:>7} | {size:<28} |")


if __name__ == "__main__":
    main()
