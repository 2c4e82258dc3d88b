"""The demo's closing table: what the pipeline found against what was planted."""

from dataclasses import dataclass

from django.utils import timezone

from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application
from ektp.residents.models import Resident
from ektp.residents.rules import is_wajib_ktp


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
            ("PRR (siap cetak)", self.print_ready),
            ("Duplikat ditanam", self.duplicates_planted),
            ("Duplikat ditemukan", self.duplicates_found),
            ("Duplikat keliru", self.false_duplicates),
            ("Adjudikasi", self.adjudications),
        ]

    def table(self) -> str:
        width = max(len(label) for label, _ in self.rows())
        lines = [f"{label:<{width}}  {value:>8,}".replace(",", ".") for label, value in self.rows()]
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
        print_ready=sum(status == issuance_rules.S_PRR for status in by_status.values()),
        duplicates_planted=len(planted_duplicates),
        duplicates_found=sum(by_status.get(pk) == issuance_rules.S_DUP
                             for pk in planted_duplicates),
        false_duplicates=len(flagged - planted_duplicates),
        adjudications=sum(status == issuance_rules.S_ADJ for status in by_status.values()),
    )
