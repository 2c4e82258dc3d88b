"""`ektp demo --stations`: a real central and two real station processes on this machine,
the network cut and restored; everything recorded and printed offline arrives exactly once."""

import pytest

from ektp.demo.station_steps import PRINT_POINT_BLANKS, PRINT_STATION, RECORDING_STATION
from ektp.demo.stations_demo import (
    OFFLINE_PRINTS,
    OFFLINE_RECORDINGS,
    ONLINE_RECORDINGS,
    StationsDemo,
)

# Its own SQLite files and processes, not the test database (SQLite pass of `make test` only).
pytestmark = [pytest.mark.slow, pytest.mark.once]


def test_two_stations_work_through_an_outage_and_everything_arrives_once(tmp_path):
    lines = []
    result = StationsDemo(tmp_path / "demo", residents=150, print_ready=10,
                          write=lines.append).run()
    text = "\n".join(lines)
    assert result["ok"], text
    central = result["central"]
    alak = central["stations"][RECORDING_STATION["code"]]
    recorded = ONLINE_RECORDINGS + OFFLINE_RECORDINGS
    assert alak["received"] == len(alak["enrolled"]) == recorded and alak["not_applied"] == 0
    # A resident central registered after the laptops were set up reached the station.
    assert result["newcomer"] in alak["enrolled"]
    recording_point, print_point = result["stations"]
    assert recording_point["statuses"] == {"PRINT_READY_RECORD": recorded}
    assert print_point["prefetched"]["printed"] == OFFLINE_PRINTS
    # Each offline print took one blank, one ribbon and one film unit, then reported the card.
    assert print_point["packets"] == 4 * OFFLINE_PRINTS == central["stations"][
        PRINT_STATION["code"]]["received"]
    assert central["print_point_blanks"] == PRINT_POINT_BLANKS - OFFLINE_PRINTS
    # The record cancelled at central during the outage was printed offline: one conflict.
    assert central["conflicts"] == ["not_print_ready"]
    assert central["printed"] == OFFLINE_PRINTS - 1 == central["printed_distinct"]
    assert "central_unreachable" in text and "Jaringan PULIH" in text
    # The offline recordings went to the Dinas on USB; the signed receipt emptied the queue.
    assert alak["via_file"] == OFFLINE_RECORDINGS
    assert f"diterima pusat {OFFLINE_RECORDINGS} (ulang 0)" in text
    assert recording_point["outbox"] == 0
