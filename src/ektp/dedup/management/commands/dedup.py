from django.core.management.base import BaseCommand
from tqdm import tqdm

from ektp.dedup.services import dedup_queue, dedup_run_queue


class Command(BaseCommand):
    help = "Penunggalan: process the queue of recordings waiting at RECEIVED_AT_CENTRAL."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("run", help="decide every waiting application now")

    def handle(self, *args, action, **options):
        waiting = len(dedup_queue())
        with tqdm(total=waiting, unit="rekaman", desc="Penunggalan",
                  disable=options["verbosity"] == 0) as bar:
            counts = dedup_run_queue(progress=bar.update)
        for status, count in sorted(counts.items()):
            self.stdout.write(f"{status}\t{count}")
        if not counts:
            self.stdout.write("Antrean penunggalan kosong.")
