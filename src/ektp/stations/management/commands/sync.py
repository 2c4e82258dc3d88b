from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ektp.errors import DomainError


class Command(BaseCommand):
    help = ("Station: push the outbox to central and pull what is due (once, or --loop). "
            "No network: `export FILE` at the station, `import FILE` at central.")

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true",
                            help="keep syncing; back off with jitter after a failure")
        parser.add_argument("--rounds", type=int, default=None, help="stop after N rounds")
        sub = parser.add_subparsers(dest="action")
        export = sub.add_parser("export", help="station: write the outbox to a file (USB)")
        export.add_argument("file")
        imp = sub.add_parser("import", help="central: ingest a station's outbox file")
        imp.add_argument("file")
        imp.add_argument("--receipt", help="where to write central's signed receipt "
                                           "(default: FILE.receipt.json beside it)")
        receipt = sub.add_parser("receipt", help="station: read central's receipt from the "
                                                 "stick; acknowledged packets leave the outbox")
        receipt.add_argument("file")

    def handle(self, *args, action=None, **options):
        try:
            if action == "export":
                return self.do_export(options["file"])
            if action == "import":
                return self.do_import(options["file"], options["receipt"])
            if action == "receipt":
                return self.do_receipt(options["file"])
            return self.do_sync(options)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from error

    def _client(self):
        from ektp.stations.client import SyncClient
        from ektp.stations.outbox import identity
        from ektp.stations.transport import HttpTransport

        return SyncClient(HttpTransport(identity().central_url))

    def do_sync(self, options):
        from ektp.stations.client import sync_loop

        if settings.EKTP_ROLE != "station":
            raise CommandError("station_role_required: `ektp sync` runs on a station")
        if options["loop"] or options["rounds"]:
            failures = sync_loop(self._client, interval=settings.EKTP_SYNC_INTERVAL_SECONDS,
                                 cap=settings.EKTP_SYNC_MAX_BACKOFF_SECONDS,
                                 rounds=options["rounds"], log=self.stdout.write)
            if failures:
                raise CommandError(f"sync_failed: {failures} putaran gagal")
            return
        report = self._client().sync()
        pulled = report.pulled
        self.stdout.write(
            f"dikirim {report.sent}, diterima pusat {report.acknowledged} "
            f"(ulang {report.duplicates}), ditolak {len(report.rejected)}, "
            f"konflik {len(report.conflicts)}; dari pusat: status {pulled.get('statuses', 0)}, "
            f"penduduk {pulled.get('residents', 0)}, "
            f"PRR diambil {pulled.get('prefetched', 0)}, ditarik {pulled.get('withdrawn', 0)}")

    def do_export(self, file):
        from ektp.stations.usb import outbox_export

        count = outbox_export(Path(file))
        self.stdout.write(f"{count} paket ditulis ke {file}")

    def do_import(self, file, receipt):
        from ektp.stations.usb import outbox_import

        if not Path(file).is_file():
            raise CommandError(f"file_missing: {file}")
        receipt = Path(receipt or f"{file}.receipt.json")
        counts = outbox_import(Path(file), receipt=receipt)
        self.stdout.write(" ".join(f"{key} {value}" for key, value in counts.items()))
        if receipt.exists():
            self.stdout.write(f"tanda terima: {receipt}")

    def do_receipt(self, file):
        from ektp.stations.usb import receipt_apply

        if settings.EKTP_ROLE != "station":
            raise CommandError("station_role_required: the receipt is read at the station")
        if not Path(file).is_file():
            raise CommandError(f"file_missing: {file}")
        report = receipt_apply(Path(file))
        self.stdout.write(
            f"diterima pusat {report.acknowledged} (ulang {report.duplicates}), "
            f"ditolak {len(report.rejected)}, konflik {len(report.conflicts)}")
