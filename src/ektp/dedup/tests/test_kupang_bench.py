"""A small run of the Kupang backlog benchmark (bench/dedup/kupang.py) as a test of correctness,
never of time: the bulk-loaded register, the queue through the real pipeline, every planted
duplicate found and no false duplicate."""

import importlib.util
from pathlib import Path

import pytest

from ektp.dedup import register_index
from ektp.issuance.models import Application

BENCH = Path(__file__).resolve().parents[4] / "bench" / "dedup" / "kupang.py"

pytestmark = pytest.mark.django_db


def test_a_small_backlog_is_deduplicated_correctly(settings, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_kupang", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    settings.EKTP_DEDUP_INDEX_DIR = tmp_path / "index"  # restored after the test
    register_index.forget()
    try:
        results = bench.main(["--residents", "3000", "--waiting", "200", "--planted", "0.1",
                              "--same-nik", "5", "--dir", str(tmp_path)])
    finally:
        register_index.forget()
    assert results["planted"] == 25
    # Every repeat is caught with its original among the candidates; a poor capture (3% of
    # faces, 6% of fingers) may leave it to a person rather than decide it.
    assert results["flagged"] == 25
    assert results["found"] >= 22
    assert results["false_duplicates"] == 0
    assert results["false_adjudications"] <= 2  # a relative of someone enrolled, at most
    assert results["waiting"] == 200 and results["gallery"] == 3000
    assert not Application.objects.filter(status="RECEIVED_AT_CENTRAL").exists()
    assert "applications per second" in capsys.readouterr().out
