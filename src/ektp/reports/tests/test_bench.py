"""A small run of bench/reports/dashboard.py: its register, and the rollups checked person by
person against the rule of ``residents.rules.is_wajib_ktp``, then every page it times."""

import importlib.util
from pathlib import Path

import pytest
from django.utils import timezone

from ektp.issuance.models import Application
from ektp.reports import selectors
from ektp.reports.services import CARD_STATUSES, rollup_refresh
from ektp.residents.models import Resident
from ektp.residents.rules import age_on, is_wajib_ktp

BENCH = Path(__file__).resolve().parents[4] / "bench" / "reports" / "dashboard.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_reports_dashboard", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _by_hand(today) -> dict[str, int]:
    cards = set(Application.objects.filter(status__in=CARD_STATUSES)
                .values_list("resident_id", flat=True))
    recorded = set(Application.objects.exclude(status="CANCELLED")
                   .values_list("resident_id", flat=True))
    counts = dict.fromkeys(("residents", "wajib", "wajib_card", "no_card_22", "recorded"), 0)
    for pk, born, marital in Resident.objects.values_list("pk", "birth_date", "marital_status"):
        counts["residents"] += 1
        wajib = is_wajib_ktp(born, marital, today)
        counts["wajib"] += wajib
        counts["wajib_card"] += wajib and pk in cards
        counts["no_card_22"] += age_on(born, today) >= 22 and pk not in cards
        counts["recorded"] += pk in recorded
    return counts


@pytest.mark.django_db
def test_small_bench_run_is_correct(capsys):
    bench = _bench()
    made = bench.build_register(1500, seed=7)
    assert made["residents"] == 1500 and made["applications"] > 500 and made["history"] > 0
    bench.build_operations()
    rollup_refresh(region_code=bench.KUPANG)
    today = timezone.localdate()
    scope = selectors.report_scope(bench.head_of_office(), selectors.REPORT_VIEW)
    total = selectors.coverage(scope).total
    assert {key: total[key] for key in _by_hand(today)} == _by_hand(today)
    statuses = {row["status"] for row in selectors.backlog(scope).rows}
    assert {"CARD_ISSUED", "PRINT_READY_RECORD", "SENT_FOR_ENROLLMENT"} <= statuses
    assert selectors.flow(scope, 30).total["recorded"] > 0
    results = bench.measure(repeat=1, warmup=1)
    assert [r["page"] for r in results] == [name for name, _ in bench.PAGES]
    assert all(r["queries"] > 0 and r["median_ms"] > 0 for r in results)
    print(bench.table(results))
    assert "| dashboard |" in capsys.readouterr().out
