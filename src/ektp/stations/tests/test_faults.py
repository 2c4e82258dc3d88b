"""PostgreSQL cut in the middle of a station's backlog ingest (bench/stations/pg_restart.py,
short: 50 packets): a real central on its own PostgreSQL database, a real station process, and every
backend of central's database terminated three times while the station's packets are being
ingested. The station syncs on until its outbox is empty; every packet is at central exactly
once, one recording per recording packet, nothing rejected, central's ledgers balance.

Only ``pg_terminate_backend`` of the run's own database: the server itself is never restarted
here (other test runs may share it)."""

import importlib.util
from pathlib import Path

import pytest

# Its own processes and its own database, not the test database: the SQLite pass runs it.
pytestmark = [pytest.mark.slow, pytest.mark.once]


def _bench():
    path = Path(__file__).resolve().parents[4] / "bench" / "stations" / "pg_restart.py"
    spec = importlib.util.spec_from_file_location("stations_pg_restart", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_backends_terminated_mid_ingest(tmp_path):
    bench = _bench()
    why = bench.pg_unavailable(bench.SERVER)
    if why:
        pytest.skip(why)
    result = bench.main(["--packets", "50", "--batch", "5", "--terminations", "3",
                         "--dir", str(tmp_path / "pgcut")])
    assert result["ok"], result
    assert result["packets"] == 50
    assert result["terminations"] >= 2, result  # each cut terminated at least one backend
    assert result["failed_syncs"] >= 1, result  # and some push died with its connection
    assert result["restart"] == "not asked"
