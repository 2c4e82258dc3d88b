"""The chaos run of bench/stations/chaos.py, short, as a test: a real central and real station
processes through the fault proxy, with kill -9 of both. (The plain outage, USB and receipt,
and reference data run in `ektp demo --stations`: demo/tests/test_stations_demo.py.)"""

from pathlib import Path

import pytest

# Its own SQLite processes, not the test database: the PostgreSQL pass of `make test` skips it.
pytestmark = [pytest.mark.slow, pytest.mark.once]


def test_short_chaos_run(tmp_path):
    """The chaos run of bench/stations/chaos.py, short: two stations, 40 faults, and four
    kill -9 among the station processes and central's server, both kinds at least once."""
    import importlib.util

    path = Path(__file__).resolve().parents[4] / "bench" / "stations" / "chaos.py"
    spec = importlib.util.spec_from_file_location("stations_chaos", path)
    chaos = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(chaos)
    result = chaos.main(["--stations", "2", "--faults", "40", "--rounds", "40", "--records",
                         "6", "--print-ready", "6", "--blanks", "2", "--kills", "4",
                         "--kill-gap", "2", "--dir", str(tmp_path / "chaos")])
    assert result["ok"], result
    assert result["faults"] > 0
    assert result["kills"]["station"] >= 1 and result["kills"]["central"] >= 1, result
    assert result["kills"]["crashes"] == 0
