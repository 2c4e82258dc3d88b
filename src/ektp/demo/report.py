"""The demo's closing table: what the pipeline found against what was planted."""

from dataclasses import dataclass

from django.utils import timezone

from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application
from ektp.residents.models import Resident
from ektp.residents.rules import is_wajib_ktp

# Found single by penunggalan: print-ready now, or printed and beyond since.
REACHED_PRR = frozenset({issuance_rules.S_PRR, issuance_rules.S_SFP, issuance_rules.S_PRINTED,
                         issuance_rules.S_SHIPPED, issuance_rules.S_ISSUED})


def thousands(value: int) -> str:
    """1234 -> "1.234", as Indonesian documents write numbers."""
    return f"{value:,}".replace(",", ".")


@dataclass(frozen=True)
class DemoReport:
    residents: int
    wajib_ktp: int
    recorded: int
    print_ready: int
    duplicates_planted: int
    duplicates_found: int
    false_duplicates: int
    adjudications: int

    def rows(self) -> list[tuple[str, int]]:
        return [
            ("Penduduk", self.residents),
            ("Wajib KTP", self.wajib_ktp),
            ("Sudah rekam", self.recorded),
            ("PRR (tunggal, siap cetak)", self.print_ready),
            ("Duplikat ditanam", self.duplicates_planted),
            ("Duplikat ditemukan", self.duplicates_found),
            ("Duplikat keliru", self.false_duplicates),
            ("Adjudikasi", self.adjudications),
        ]

    def table(self) -> str:
        width = max(len(label) for label, _ in self.rows())
        lines = [f"{label:<{width}}  {thousands(value):>8}" for label, value in self.rows()]
        rule = "-" * (width + 10)
        return "\n".join([rule, *lines, rule])


def demo_report(region_prefix: str, planted_duplicates: set[int]) -> DemoReport:
    """``planted_duplicates``: resident pks registered as the second copy of someone."""
    today = timezone.localdate()
    residents = Resident.objects.filter(family__village__code__startswith=region_prefix + ".")
    wajib = sum(is_wajib_ktp(birth, marital, today) for birth, marital in
                residents.values_list("birth_date", "marital_status").iterator())
    applications = Application.objects.filter(resident__in=residents, kind="new")
    by_status = dict(applications.values_list("resident_id", "status"))
    flagged = {pk for pk, status in by_status.items()
               if status in (issuance_rules.S_DUP, issuance_rules.S_ADJ)}
    return DemoReport(
        residents=residents.count(),
        wajib_ktp=wajib,
        recorded=len(by_status),
        print_ready=sum(status in REACHED_PRR for status in by_status.values()),
        duplicates_planted=len(planted_duplicates),
        duplicates_found=sum(by_status.get(pk) == issuance_rules.S_DUP
                             for pk in planted_duplicates),
        false_duplicates=len(flagged - planted_duplicates),
        adjudications=sum(status == issuance_rules.S_ADJ for status in by_status.values()),
    )


def _table(header: tuple[str, ...], rows: list[tuple]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([rule, line.format(*header), rule,
                      *(line.format(*map(str, row)) for row in rows), rule])


def stock_and_capacity_table(region_prefix: str) -> str:
    """Per print point: printers working, cards a day, and what is left of each supply."""
    from ektp.devices.selectors import capacity_by_office, districts_without_recording_kit
    from ektp.supplies.selectors import stock_summary

    rows = []
    for line in capacity_by_office(region_prefix):
        stock = {s["item"]: s for s in stock_summary(line["office"])}
        cover = stock["blank"]["days_of_cover"]
        rows.append((line["office"].code, f"{line['working']}/{line['printers']}",
                     line["cards_per_day"], stock["blank"]["quantity"],
                     stock["ribbon"]["quantity"], stock["film"]["quantity"],
                     "-" if cover is None else f"{cover:g}"))
    table = _table(("Kantor", "Printer", "Kartu/hari", "Blangko", "Ribbon (cetak)",
                    "Film (cetak)", "Hari cakupan"), rows)
    uncovered = ", ".join(d.name for d in districts_without_recording_kit(region_prefix))
    return f"{table}\nKecamatan tanpa alat rekam berfungsi: {uncovered or '-'}"


def pipeline_counts(region_prefix: str) -> list[tuple[str, int]]:
    from ektp.issuance.models import TemporaryCertificate

    applications = Application.objects.filter(
        resident__family__village__code__startswith=region_prefix + ".")
    return [
        ("Kartu tercetak (belum diserahkan)",
         applications.filter(status=issuance_rules.S_PRINTED).count()),
        ("Kartu diserahkan (verifikasi 1:1)",
         applications.filter(status=issuance_rules.S_ISSUED).count()),
        ("PRR menunggu blangko", applications.filter(status=issuance_rules.S_PRR).count()),
        ("Suket berlaku", TemporaryCertificate.objects.filter(
            application__in=applications, status="active").count()),
    ]
