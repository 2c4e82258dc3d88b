"""A real central (``ektp serve`` on a free port, its own SQLite file) and a real station
process (``EKTP_ROLE=station``, another SQLite file), talking HTTP on loopback.

The station registers, records, syncs; central goes down, the station keeps recording and
carries its outbox to central on a file; central comes back and the later sync acknowledges
the same packets as already received; penunggalan at central reaches the station as a status;
a record prefetched before the outage is printed offline once and reported."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

# Its own SQLite processes, not the test database: the PostgreSQL pass of `make test` skips it.
pytestmark = [pytest.mark.slow, pytest.mark.once]

PASSWORD = "rahasia-kupang-2026"
CODE = "KPG-ALAK-01"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Side:
    def __init__(self, data_dir: Path, role: str):
        self.env = {**os.environ, "EKTP_DATA_DIR": str(data_dir), "EKTP_ROLE": role,
                    "EKTP_DEBUG": "true", "EKTP_STATION_MIN_FREE_MB": "1",
                    "EKTP_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
                    "DJANGO_SETTINGS_MODULE": "ektp.settings"}
        self.env.pop("DATABASE_URL", None)
        self.data_dir = data_dir

    def ektp(self, *args: str, check: bool = True, timeout: float = 300):
        result = subprocess.run([sys.executable, "-m", "ektp.cli", *args], env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode:
            raise AssertionError(f"ektp {' '.join(args)}: {result.stdout}{result.stderr}")
        return result

    def shell(self, code: str) -> str:
        return self.ektp("shell", "--no-imports", "-c", code).stdout.strip()


def _serve(central: Side, port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "ektp.cli", "serve", "--port", str(port),
                               "--no-worker"], env=central.env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/docs", timeout=2)
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise AssertionError("central did not start")


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)


SETUP = f"""
from ektp.enrollment.tests.factories import PersonFactory, UserFactory
from ektp.printing.tests.factories import print_point
print_point()
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
    central, station = Side(tmp_path / "central", "central"), Side(tmp_path / "station",
                                                                   "station")
    central.data_dir.mkdir()
    central.ektp("migrate", "-v", "0")
    central.ektp("regions", "load")
    central.shell(SETUP)
    station.data_dir.mkdir()  # the station starts from the same register (reference data)
    for name in ("ektp.sqlite3", "ektp.sqlite3-wal"):
        if (central.data_dir / name).exists():
            shutil.copy(central.data_dir / name, station.data_dir / name)
    app_id, outcome = central.shell(PRINT_READY).splitlines()[-1].split()
    assert outcome == "PRINT_READY_RECORD"
    port = _free_port()
    server = _serve(central, port)
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
        _stop(server)
    # Central is down: the station records and prints on, and sync fails with a clear code.
    station.shell(_record(1))
    station.shell("from ektp.stations.station_pull import prefetched_print;"
                  f"prefetched_print(actor=None, central_id={app_id}, blank_serial='KTP25-1')")
    failed = station.ektp("sync", check=False)
    assert failed.returncode != 0 and "central_unreachable" in failed.stderr
    assert station.shell(OUTBOX) == "2"
    usb = tmp_path / "usb-outbox.json"
    station.ektp("sync", "export", str(usb))
    assert "accepted 2" in central.ektp("sync", "import", str(usb)).stdout
    assert "duplicate 2" in central.ektp("sync", "import", str(usb)).stdout
    central.ektp("dedup", "run")
    server = _serve(central, port)
    try:
        report = station.ektp("sync").stdout
        assert "diterima pusat 2 (ulang 2)" in report and "konflik 0" in report
        assert station.shell(OUTBOX) == "0"
        assert "BIO_CAPTURED" not in station.shell(LOCAL_STATUSES)
    finally:
        _stop(server)
    listing = central.ektp("station", "list").stdout
    assert "diterima 3" in listing and "celah -" in listing and "ditolak 0" in listing
    assert central.shell("from ektp.issuance.models import Application;"
                         f"print(Application.objects.get(pk={app_id}).status)") == "CARD_PRINTED"


def test_short_chaos_run(tmp_path):
    """The chaos run of bench/stations/chaos.py, short: two stations, 40 faults."""
    import importlib.util

    path = Path(__file__).resolve().parents[4] / "bench" / "stations" / "chaos.py"
    spec = importlib.util.spec_from_file_location("stations_chaos", path)
    chaos = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(chaos)
    result = chaos.main(["--stations", "2", "--faults", "40", "--rounds", "40", "--records",
                         "6", "--print-ready", "4", "--dir", str(tmp_path / "chaos")])
    assert result["ok"], result
    assert result["faults"] > 0
