import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ektp.dedup.services import dedup_queue, dedup_run_queue

SCAN_LABELS = {"biometric": "Biometrik", "demographic": "Demografi"}
STAGE_LABELS = {"read": "Membaca", "model": "Model", "pairs": "Pasangan",
                "clustered": "Klaster", "written": "Menulis"}


class Command(BaseCommand):
    help = "Penunggalan: the queue of arriving recordings, or any CSV of people."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("run", help="decide every application waiting at RECEIVED_AT_CENTRAL")
        file = sub.add_parser("file", help="find duplicates in a CSV of people (resumable)")
        file.add_argument("input", help="the CSV file")
        file.add_argument("--id-column", required=True, help="the column with the record id")
        file.add_argument("--map", action="append", default=[], metavar="CSVCOL=FIELD",
                          help="map a CSV column to a field (name, birth_date, sex, nik, kk, "
                               "mother_name, address, birth_place, village_code)")
        file.add_argument("--out", required=True, help="record_id,cluster_id output CSV")
        file.add_argument("--work-dir", help="checkpoint folder (default OUT.work)")
        file.add_argument("--encoding", default="utf-8")
        sub.add_parser("index", help="rebuild the register's biometric index and save it")
        scan = sub.add_parser("scan", help="deduplicate the whole register in bulk (resumable)")
        scan.add_argument("--out", required=True,
                          help="folder for pairs.csv and clusters.csv")
        scan.add_argument("--work-dir", help="checkpoint folder (default OUT/work)")
        scan.add_argument("--batch", type=int, default=2048, help="recordings per step")
        scan.add_argument("--k", type=int, default=10, help="candidates per index and record")
        scan.add_argument("--no-demographic", action="store_true",
                          help="skip the demographic engine's pass")
        scan.add_argument("--queue", action="store_true",
                          help="store the pairs not already known for adjudication")

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_run(self, **options):
        waiting = len(dedup_queue())
        with tqdm(total=waiting, unit="rekaman", desc="Penunggalan",
                  disable=options["verbosity"] == 0) as bar:
            counts = dedup_run_queue(progress=bar.update)
        for status, count in sorted(counts.items()):
            self.stdout.write(f"{status}\t{count}")
        if not counts:
            self.stdout.write("Antrean penunggalan kosong.")

    def do_file(self, *, input, id_column, map, out, work_dir, encoding, verbosity, **options):
        from ektp.dedup.engine.csv_dedup import CsvDedupError, dedup_csv, parse_mapping

        with tqdm(unit="baris", disable=verbosity == 0) as bar:
            def progress(stage: str, done: int, total: int) -> None:
                bar.set_description(STAGE_LABELS.get(stage, stage))
                bar.total = total or None
                bar.n = done
                bar.refresh()

            try:
                result = dedup_csv(input, out, id_column, parse_mapping(map),
                                   work_dir=work_dir, progress=progress, encoding=encoding)
            except CsvDedupError as exc:
                raise CommandError(f"{exc.code}: {exc}") from exc
        self.stdout.write(
            f"{result.records} baris, {result.clusters} klaster, "
            f"{result.duplicate_pairs} pasangan duplikat\n"
            f"{result.out_path}\n{result.pairs_path}")

    def do_index(self, *, verbosity, **options):
        from ektp.dedup import register_index

        started = time.monotonic()
        with tqdm(unit="rekaman", desc="Indeks", disable=verbosity == 0) as bar:
            index = register_index.build(progress=bar.update)
        folder = index.save()
        register_index.forget()
        self.stdout.write(f"{len(index.gallery)} rekaman, indeks wajah {index.gallery.face.kind}, "
                          f"{time.monotonic() - started:.1f} detik\n{folder}")

    def do_scan(self, *, out, work_dir, batch, k, no_demographic, queue, verbosity, **options):
        from ektp.dedup.scan import ScanError, ScanOptions, scan_register

        with tqdm(unit="rekaman", disable=verbosity == 0) as bar:
            def progress(stage: str, done: int, total: int) -> None:
                bar.set_description(SCAN_LABELS.get(stage.split(":")[0], stage))
                bar.total = total or None
                bar.n = done
                bar.refresh()

            try:
                result = scan_register(out, work_dir=work_dir, progress=progress,
                                       options=ScanOptions(batch=batch, k=k,
                                                           demographic=not no_demographic,
                                                           queue=queue))
            except ScanError as exc:
                raise CommandError(f"{exc.code}: {exc}") from exc
        self.stdout.write(
            f"{result.records} rekaman, {result.pairs} pasangan "
            f"({result.duplicate_pairs} duplikat, {result.adjudicate_pairs} adjudikasi), "
            f"{result.clusters} klaster duplikat ({result.clustered_records} rekaman), "
            f"{result.new_pairs} pasangan baru, {result.queued} diantrekan\n"
            f"{result.out_dir / 'pairs.csv'}\n{result.out_dir / 'clusters.csv'}")
