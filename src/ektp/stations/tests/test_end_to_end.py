"""A real central (``ektp serve`` on a free port, its own SQLite file) and a real station
process (``EKTP_ROLE=station``, another SQLite file), talking HTTP on loopback.

The station registers, records, syncs; central goes down, the station keeps recording and
carries its outbox to central on a file and central's signed receipt back; central comes
back; penunggalan at central reaches the station as a status;
a record prefetched before the outage is printed offline once and reported."""

from pathlib import Path

import pytest

from ektp.stations.local_cluster import Node

# Its own SQLite processes, not the test database: the PostgreSQL pass of `make test` skips it.
pytestmark = [pytest.mark.slow, pytest.mark.once]

PASSWORD = "rahasia-kupang-2026"
CODE = "KPG-ALAK-01"


SETUP = f"""
from ektp.enrollment.tests.factories import PersonFactory, UserFactory
from ektp.printing.tests.factories import print_point, stock
stock(print_point(), 3)  # the print point's own blanks, ribbon and film
UserFactory(username="admin", role="central_admin", region_id=None, password="{PASSWORD}")
for _ in range(4):  # the last one is recorded at central itself
    PersonFactory()
"""
PRINT_READY = """
from ektp.dedup.services import dedup_application
from ektp.enrollment.tests.factories import record
from ektp.residents.models import Resident
resident = Resident.objects.order_by("pk")[3]
app = record(resident, station_code="DINAS-PUSAT", sequence=1).applications.get()
print(app.pk, dedup_application(application_id=app.pk))
"""


def _record(n: int) -> str:
    return (f"from ektp.residents.models import Resident\n"
            f"from ektp.enrollment.tests.factories import record\n"
            f"r = Resident.objects.order_by('pk')[{n}]\n"
            f"print(record(r, station_code='{CODE}', sequence={n + 1}).enrollment_id)")


OUTBOX = "from ektp.stations.models import OutboxPacket; print(OutboxPacket.objects.count())"
LOCAL_STATUSES = ("from ektp.issuance.models import Application; print(sorted(set("
                  "Application.objects.filter(enrollment__station_code='KPG-ALAK-01')"
                  ".values_list('status', flat=True))))")


def test_central_and_station_processes(tmp_path):
    central, station = Node(tmp_path / "central", "central"), Node(tmp_path / "station",
                                                                   "station")
    central.ektp("migrate", "-v", "0")
    central.ektp("regions", "load")
    central.shell(SETUP)
    central.copy_register_to(station)  # the station starts from the same register
    app_id, outcome = central.shell(PRINT_READY).splitlines()[-1].split()
    assert outcome == "PRINT_READY_RECORD"
    port = central.serve()
    try:
        url = f"http://127.0.0.1:{port}"
        key_id = central.ektp("station", "keys").stdout.split("central_key_id\t")[1].split()[0]
        station.ektp("station", "register", "--central", url, "--code", CODE, "--office",
                     "DINAS-5371", "--username", "admin", "--password", PASSWORD,
                     "--expect-key-id", key_id)
        station.shell(_record(0))
        assert "diterima pusat 1" in station.ektp("sync").stdout
        assert station.shell(OUTBOX) == "0"
        assert int(station.shell(
            "from ektp.stations.models import PrefetchedRecord;"
            f"print(PrefetchedRecord.objects.filter(central_application_id={app_id}).count())"
        )) == 1
    finally:
        central.stop()
    # Central is down: the station records and prints on, and sync fails with a clear code.
    station.shell(_record(1))
    station.shell("from ektp.stations.station_pull import prefetched_print;"
                  f"prefetched_print(actor=None, central_id={app_id})")
    failed = station.ektp("sync", check=False)
    assert failed.returncode != 0 and "central_unreachable" in failed.stderr
    # The recording, and the print: its blank, ribbon and film from the station's stock.
    assert station.shell(OUTBOX) == "5"
    usb = tmp_path / "usb-outbox.json"
    station.ektp("sync", "export", str(usb))
    assert "accepted 5" in central.ektp("sync", "import", str(usb)).stdout
    imported_again = central.ektp("sync", "import", str(usb)).stdout
    assert "duplicate 5" in imported_again and "tanda terima" in imported_again
    # Central's signed receipt, carried back on the stick, empties the station's outbox.
    receipt = station.ektp("sync", "receipt", f"{usb}.receipt.json").stdout
    assert "diterima pusat 5 (ulang 5)" in receipt
    assert station.shell(OUTBOX) == "0"
    central.ektp("dedup", "run")
    central.serve(port)
    try:
        report = station.ektp("sync").stdout
        assert "dikirim 0" in report and "konflik 0" in report
        assert "BIO_CAPTURED" not in station.shell(LOCAL_STATUSES)
    finally:
        central.stop()
    listing = central.ektp("station", "list").stdout
    assert "diterima 6" in listing and "celah -" in listing and "ditolak 0" in listing
    assert central.shell("from ektp.issuance.models import Application;"
                         f"print(Application.objects.get(pk={app_id}).status)") == "CARD_PRINTED"


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
