from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ektp.dedup.services import dedup_queue, dedup_run_queue

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
