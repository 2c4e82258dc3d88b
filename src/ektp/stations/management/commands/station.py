import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ektp.errors import DomainError
from ektp.stations import keys
from ektp.stations.outbox import identity, outbox_summary


class Command(BaseCommand):
    help = "Stations: register this laptop with central, or manage stations at central."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        register = sub.add_parser("register", help="station: exchange keys with central (once)")
        register.add_argument("--central", required=True, help="central's URL")
        register.add_argument("--code", required=True, help="this station's code")
        register.add_argument("--office", required=True, help="the office code at central")
        register.add_argument("--username", required=True, help="a central administrator")
        register.add_argument("--password", help="(default: $EKTP_CENTRAL_PASSWORD)")
        register.add_argument("--expect-key-id", default="",
                              help="central's key id, read from `ektp station keys` there")
        add = sub.add_parser("add", help="central: register a station's public key by hand")
        add.add_argument("--code", required=True)
        add.add_argument("--office", required=True)
        add.add_argument("--public-key", required=True, help="Ed25519 public key, base64")
        sub.add_parser("keys", help="print this machine's public keys and key id")
        sub.add_parser("list", help="central: stations, last contact, queue, gaps, rejects")
        sub.add_parser("status", help="station: registration and outbox")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from error

    def do_register(self, *, central, code, office, username, password, expect_key_id, **_):
        from ektp.stations.registration import station_identity_register
        from ektp.stations.transport import HttpTransport

        if settings.EKTP_ROLE != "station":
            raise CommandError("station_role_required: set EKTP_ROLE=station on this laptop")
        password = password or os.environ.get("EKTP_CENTRAL_PASSWORD", "")
        station = station_identity_register(
            transport=HttpTransport(central), code=code, office_code=office, username=username,
            password=password, expect_key_id=expect_key_id)
        self.stdout.write(f"terdaftar: {station.code} kantor {station.office_code}, "
                          f"kunci pusat {station.central_sign_key}")

    def do_add(self, *, code, office, public_key, **_):
        from ektp.stations.registration import station_register

        station = station_register(actor=None, code=code, office_code=office,
                                   public_key=public_key)
        self.stdout.write(f"stasiun {station.code} (#{station.pk}) kantor {station.office.code}")

    def do_keys(self, **_):
        if settings.EKTP_ROLE == "station":
            self.stdout.write(f"station_public_key\t{keys.public_text(keys.station_private_key())}")
            return
        for name, value in keys.central_public_keys().items():
            self.stdout.write(f"{name}\t{value}")

    def do_list(self, **_):
        from ektp.stations.models import Station
        from ektp.stations.selectors import station_overview

        for station in Station.objects.select_related("office"):
            view = station_overview(station)
            gaps = ",".join(f"{g['first']}-{g['last']}" for g in view["gaps"]) or "-"
            self.stdout.write(
                f"{view['code']}\tkontak {view['last_contact_at'] or '-'}\t"
                f"antrean {view['queue_length']}\tditerima {view['received']}\t"
                f"celah {gaps}\tditolak {view['rejects']}\tkonflik {view['conflicts']}")

    def do_status(self, **_):
        station = identity()
        summary = outbox_summary()
        self.stdout.write(
            f"{station.code} kantor {station.office_code} pusat {station.central_url}\n"
            f"sinkron terakhir {station.last_sync_at or '-'}\tantrean {summary['queue_length']}"
            f"\tterlama {summary['oldest_unsynced_at'] or '-'}\tditolak {summary['rejected']}")
