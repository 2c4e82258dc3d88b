import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ektp.dedup.services import dedup_queue, dedup_run_queue
from ektp.demo.builder import KUPANG, DemoBuilder
from ektp.demo.fieldwork import run_fieldwork
from ektp.demo.models import PlantedDuplicate
from ektp.demo.operations import run_operations
from ektp.demo.operators import DEMO_OPERATORS, ensure_demo_users
from ektp.demo.report import (
    demo_report,
    pipeline_counts,
    stock_and_capacity_table,
    thousands,
)
from ektp.demo.reports_rollup import demo_reports
from ektp.regions.models import Region
from ektp.regions.services import regions_load
from ektp.residents.models import Resident


class Command(BaseCommand):
    help = "Build the synthetic Kota Kupang demo district and run the pipeline over it."

    def add_arguments(self, parser):
        parser.add_argument("--residents", type=int, default=2000,
                            help="residents to create (438005 builds the whole city)")
        parser.add_argument("--seed", type=int, default=2025)
        parser.add_argument("--duplicate-rate", type=float, default=0.03,
                            help="share of recorded residents recorded again under a new NIK")
        parser.add_argument("--stations", action="store_true",
                            help="run a central and two stations on this machine (their own "
                                 "folders and SQLite files), cut the network, reconnect")

    def handle(self, *args, residents, seed, duplicate_rate, stations, **options):
        if residents < 10:
            raise CommandError("--residents must be at least 10")
        if stations:
            return self._stations(min(residents, 600))
        if not Region.objects.filter(code=KUPANG).exists():
            regions_load()
        admin, password = ensure_demo_users()
        quiet = options["verbosity"] == 0
        started = time.monotonic()
        if Resident.objects.filter(family__village__code__startswith=KUPANG + ".").exists():
            self.stdout.write("Data demo Kota Kupang sudah ada; tabel di bawah dari data itu.")
        else:
            self._build(admin, residents, seed, duplicate_rate, quiet)
        self.stdout.write(demo_reports())
        planted = set(PlantedDuplicate.objects.values_list("duplicate_id", flat=True))
        self.stdout.write(demo_report(KUPANG, planted).table())
        for label, value in pipeline_counts(KUPANG):
            self.stdout.write(f"{label:<36}{thousands(value):>8}")
        self.stdout.write(stock_and_capacity_table(KUPANG))
        self.stdout.write(f"Selesai dalam {time.monotonic() - started:.1f} detik.")
        self._print_logins(password)

    def _stations(self, residents: int) -> None:
        from django.conf import settings

        from ektp.demo.stations_demo import StationsDemo

        demo = StationsDemo(settings.DATA_DIR / "demo-stasiun", residents=residents,
                            print_ready=12, write=self.stdout.write)
        if not demo.run()["ok"]:
            raise CommandError("stations_demo_failed: lihat tabel di atas")

    def _build(self, admin, residents, seed, duplicate_rate, quiet):
        with tqdm(total=residents, desc="Penduduk", unit="jiwa", disable=quiet) as bar:
            builder = DemoBuilder(residents=residents, seed=seed, actor=admin,
                                  duplicate_rate=duplicate_rate, progress=bar.update)
            builder.build_register()
        with tqdm(desc="Perekaman", unit="rekam", disable=quiet) as bar:
            builder.progress = bar.update
            builder.record_enrollments()
        builder.plant_duplicates()
        PlantedDuplicate.objects.bulk_create(
            PlantedDuplicate(original_id=p.original, duplicate_id=p.duplicate)
            for p in builder.state.planted)
        with tqdm(total=len(dedup_queue()), desc="Penunggalan", unit="rekam",
                  disable=quiet) as bar:
            dedup_run_queue(actor=admin, progress=bar.update)
        outcome = run_operations(actor=admin, kupang=KUPANG, people=builder.state.people,
                                 rng=builder.rng)
        stop = f" (berhenti: {outcome.stopped})" if outcome.stopped else ""
        self.stdout.write(f"Cetak: {outcome.printed} kartu{stop}; PDF batch:")
        self.stdout.write("\n".join(f"  {path}" for path in outcome.batch_pdfs))
        officer = get_user_model().objects.filter(username="lapangan.alak").first()
        field = run_fieldwork(actor=admin, kupang=KUPANG, rng=builder.rng, officer=officer)
        visits = ", ".join(f"{outcome} {count}" for outcome, count in field.visits.items())
        self.stdout.write(f"Lapangan: kunjungan hari pertama: {visits or '-'}; "
                          f"cetak massal: {field.drive.name if field.drive else '-'}")

    def _print_logins(self, password):
        self.stdout.write(f"Admin: /admin/  login admin / {password}")
        users = ", ".join(username for username, _, _ in DEMO_OPERATORS)
        self.stdout.write(f"Operator demo (sandi sama): {users}")
