from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ektp.errors import DomainError
from ektp.regions import wilayah
from ektp.regions.selectors import region_counts, region_get, region_search
from ektp.regions.services import regions_load


class Command(BaseCommand):
    help = "Kemendagri regions: load the list, look one up, search by name."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load", help="load (or refresh) all 91,599 regions; idempotent")
        show = sub.add_parser("show", help="one region by code")
        show.add_argument("code")
        search = sub.add_parser("search", help="regions by name")
        search.add_argument("query")
        search.add_argument("--level", type=int, choices=[1, 2, 3, 4])
        search.add_argument("--within", help="only under this region code")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc

    def do_load(self, **options):
        total = sum(wilayah.EXPECTED_COUNTS.values())
        quiet = options["verbosity"] == 0
        with tqdm(total=total, unit="wilayah", desc="Memuat wilayah", disable=quiet) as bar:
            regions_load(progress=bar.update)
        counts = region_counts()
        self.stdout.write(
            f"{wilayah.EDITION}: provinsi {counts[1]}, kab/kota {counts[2]}, "
            f"kecamatan {counts[3]}, desa/kelurahan {counts[4]}"
        )

    def do_show(self, code, **options):
        region = region_get(code)
        chain = []
        while region:
            chain.append(f"{region.code} {region.name} ({region.kind})")
            region = region.parent
        self.stdout.write("\n".join(chain))

    def do_search(self, query, level=None, within=None, **options):
        for region in region_search(query, level=level, within=within):
            self.stdout.write(f"{region.code}\t{region.name}\t{region.kind}")
