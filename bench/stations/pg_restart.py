"""PostgreSQL going away in the middle of a station's backlog ingest.

A real central (``ektp serve``) on its own PostgreSQL database, one station (its own SQLite
file) that recorded a backlog of ``--packets`` enrollments while offline. The station then
syncs in small batches (``--batch``) while, at evenly spread points of the ingest (measured on
central's packet register), every backend of central's database is terminated
(``pg_terminate_backend``), ``--terminations`` times. With ``--restart`` the PostgreSQL server
itself is also restarted once, in the middle (root and ``pg_ctlcluster``, else ``service
postgresql restart``; the run says so when it cannot). The station keeps syncing, with a
short pause after each failure, until its outbox is empty. Then it checks: every packet at
central exactly once (received == distinct == the station's last sequence, no gaps), one
recording at central per recording packet, nothing rejected, nothing left unapplied, central's
stock ledgers balance. The database is dropped at the end.

    .venv/bin/python bench/stations/pg_restart.py                       # 400 packets, 6 cuts
    .venv/bin/python bench/stations/pg_restart.py --packets 1000 --restart   # and a restart
    .venv/bin/python bench/stations/pg_restart.py --restart \
        --server postgres://postgres@127.0.0.1:5439 --pgdata /tmp/pg/data  # a private server

How the station gets central's people: central is made first (factories, on PostgreSQL);
its residents app is written out with ``ektp dumpdata residents`` and read into the station's
fresh SQLite file with ``ektp loaddata`` (both load the same region list), so the NIKs the
station records are the ones central knows. A copy of the database file, as chaos.py does,
is not possible from PostgreSQL to SQLite.

Never run ``--restart`` where others use the same PostgreSQL server (the test suite does
not: it only terminates its own database's backends).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chaos import LEDGER, PASSWORD  # noqa: E402

from ektp.stations.local_cluster import Node  # noqa: E402

SERVER = "postgres://postgres@127.0.0.1:5432"
CODE = "KPG-PGCUT-01"


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=400, help="enrollments in the backlog")
    parser.add_argument("--batch", type=int, default=5, help="packets per push")
    parser.add_argument("--terminations", type=int, default=6,
                        help="times every backend of central's database is terminated")
    parser.add_argument("--restart", action="store_true",
                        help="also restart the PostgreSQL server once (not on a shared one)")
    parser.add_argument("--pgdata", default="",
                        help="with --restart: data folder of a private server to restart "
                             "with pg_ctl (instead of the system's cluster)")
    parser.add_argument("--server", default=os.environ.get("EKTP_PG_SERVER", SERVER),
                        help="PostgreSQL server URL, without a database name")
    parser.add_argument("--dir")
    args = parser.parse_args(argv)
    if not 5 <= args.packets <= 20_000 or not 1 <= args.batch <= 200:
        parser.error("--packets 5..20000, --batch 1..200")
    return args


# --- the PostgreSQL server -------------------------------------------------------------------


def _admin(server: str):
    import psycopg

    return psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=5)


def pg_unavailable(server: str = SERVER) -> str:
    """Why PostgreSQL cannot be used here ("" when it can)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed"
    try:
        with _admin(server) as connection:
            connection.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means: not reachable
        return f"PostgreSQL at {server} unreachable: {str(error).strip()[:200]}"
    return ""


def create_database(server: str, name: str) -> None:
    with _admin(server) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(server: str, name: str) -> None:
    with _admin(server) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def terminate_backends(server: str, name: str) -> int:
    """Terminate every connection to database ``name``; how many there were."""
    with _admin(server) as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchall()
    return sum(1 for (done,) in rows if done)


def received_count(server: str, name: str) -> int:
    import psycopg

    try:
        with psycopg.connect(f"{server}/{name}", connect_timeout=5) as connection:
            return connection.execute(
                "SELECT count(*) FROM stations_receivedpacket").fetchone()[0]
    except psycopg.Error:
        return -1  # the server is restarting


def _as_postgres(command: list[str]) -> list[str]:
    # pg_ctl refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def restart_command(server: str, pgdata: str = "") -> tuple[list[str] | None, str]:
    """The command that restarts the PostgreSQL server at ``server`` (a private one of data
    folder ``pgdata`` with pg_ctl; else the Debian cluster on that port, or the service), or
    None and why not."""
    if pgdata:
        pg_ctl = shutil.which("pg_ctl") or next(
            iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))), None)
        if pg_ctl is None:
            return None, "pg_ctl not found"
        return _as_postgres([str(pg_ctl), "-D", pgdata, "-l", str(Path(pgdata) / "restart.log"),
                             "-w", "-m", "fast", "restart"]), ""
    if os.geteuid() != 0:
        return None, "not root"
    port = urlsplit(server).port or 5432
    if shutil.which("pg_lsclusters") and shutil.which("pg_ctlcluster"):
        for line in subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True,
                                   text=True).stdout.splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[2] == str(port):
                return ["pg_ctlcluster", fields[0], fields[1], "restart"], ""
    if shutil.which("service") and port == 5432:
        return ["service", "postgresql", "restart"], ""
    return None, f"no pg_ctlcluster cluster or service for port {port}"


def restart_server(server: str, pgdata: str = "") -> str:
    command, why = restart_command(server, pgdata)
    if command is None:
        return f"not possible ({why})"
    started = time.perf_counter()
    # Output to a file, not a pipe: the restarted server inherits it and never closes it.
    with tempfile.TemporaryFile() as output:
        try:
            code = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT,
                                  timeout=120).returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
        output.seek(0)
        said = output.read().decode("utf-8", "replace").strip()[-200:]
    if code:
        return f"failed ({' '.join(command)}: {code} {said})"
    return f"done ({' '.join(command)}, {time.perf_counter() - started:.1f} s)"


# --- central and the station -----------------------------------------------------------------

SETUP = """
from ektp.enrollment.tests.factories import PersonFactory, UserFactory
from ektp.printing.tests.factories import print_point
print_point()
UserFactory(username="admin", role="central_admin", region_id=None, password="{password}")
for _ in range({people}): PersonFactory()
"""
RECORD = """
from ektp.enrollment.tests.factories import record
from ektp.residents.models import Resident
for i, resident in enumerate(Resident.objects.order_by("nik")[:{count}]):
    record(resident, station_code="{code}", sequence=i + 1)
"""
SYNC_UNTIL_EMPTY = """
import json, time
from ektp.errors import DomainError
from ektp.stations.client import SyncClient
from ektp.stations.models import OutboxPacket
from ektp.stations.transport import HttpTransport
synced, failed, codes = 0, 0, {{}}
deadline = time.monotonic() + {seconds}
while time.monotonic() < deadline:
    try:
        SyncClient(HttpTransport("{url}", timeout=60), batch_size={batch}).sync()
        synced += 1
    except DomainError as error:
        failed += 1
        codes[error.code] = codes.get(error.code, 0) + 1
        time.sleep(0.3)
        continue
    if not OutboxPacket.objects.filter(state="pending").exists():
        break
print(json.dumps({{"synced": synced, "failed": failed, "codes": codes,
                  "outbox": OutboxPacket.objects.count()}}))
"""
CENTRAL_CHECK = """
import json
from ektp.enrollment.models import Enrollment
from ektp.stations.models import ReceivedPacket, RejectedPacket, Station
from ektp.stations.selectors import sequence_gaps
station = Station.objects.get(code="{code}")
rows = ReceivedPacket.objects.filter(station=station)
print(json.dumps({{
    "received": rows.count(), "distinct": rows.values("packet_id").distinct().count(),
    "highest": max(rows.values_list("sequence", flat=True), default=0),
    "gaps": sequence_gaps(station.pk),
    "enrollment_packets": rows.filter(kind="enrollment").count(),
    "enrollments": Enrollment.objects.filter(station_code="{code}").count(),
    "rejected": RejectedPacket.objects.count(),
    "not_applied": list(rows.filter(outcome="not_applied").values_list("outcome_code",
                                                                        flat=True)),
    "ledger": ledger()}}))
"""
LAST_SEQUENCE = ("from ektp.stations.models import StationIdentity;"
                 "print(StationIdentity.objects.get().last_sequence)")


def prepare(folder: Path, args, url: str) -> tuple[Node, Node]:
    central = Node(folder / "central", "central", DATABASE_URL=url)
    station = Node(folder / "station", "station")
    for node in (central, station):
        node.ektp("migrate", "-v", "0")
        node.ektp("regions", "load")
    central.shell(SETUP.format(password=PASSWORD, people=args.packets))
    people = folder / "residents.json"
    central.ektp("dumpdata", "residents", "--output", str(people))
    station.ektp("loaddata", str(people))
    return central, station


class Cutter:
    """Terminates every backend of central's database at evenly spread points of the ingest
    (and restarts the server once, in the middle, when asked)."""

    def __init__(self, args, name: str):
        self.args, self.name = args, name
        self.points = [args.packets * (i + 1) // (args.terminations + 1)
                       for i in range(args.terminations)]
        self.terminations = self.backends = 0
        self.restart, self.error = "not asked", ""
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            self._cut()
        except Exception as error:  # noqa: BLE001 - reported, and the run is not ok
            self.error = f"{type(error).__name__}: {error}"[:300]

    def _cut(self) -> None:
        middle = len(self.points) // 2
        for number, point in enumerate(self.points):
            while not self.stop.is_set() and received_count(self.args.server,
                                                            self.name) < point:
                time.sleep(0.05)
            if self.stop.is_set() or received_count(self.args.server,
                                                     self.name) >= self.args.packets:
                return  # the ingest is over: a cut now would not be in its middle
            if self.args.restart and number == middle:
                self.restart = "failed (no answer)"
                self.restart = restart_server(self.args.server, self.args.pgdata)
            self._terminate()

    def _terminate(self) -> None:
        # Between two requests central may hold no connection: wait for one (a few seconds).
        deadline = time.monotonic() + 5
        while not self.stop.is_set() and time.monotonic() < deadline:
            killed = terminate_backends(self.args.server, self.name)
            if killed:
                self.terminations += 1
                self.backends += killed
                return
            time.sleep(0.02)


def run(args, folder: Path, name: str) -> dict:
    url = f"{args.server}/{name}"
    started = time.perf_counter()
    central, station = prepare(folder, args, url)
    port = central.serve(threads=4)
    try:
        station.ektp("station", "register", "--central", f"http://127.0.0.1:{port}", "--code",
                     CODE, "--office", "DINAS-5371", "--username", "admin", "--password",
                     PASSWORD)
        station.shell(RECORD.format(count=args.packets, code=CODE))
        prepared = time.perf_counter()
        cutter = Cutter(args, name)
        thread = threading.Thread(target=cutter.run, daemon=True)
        thread.start()
        sync = json.loads(station.shell(SYNC_UNTIL_EMPTY.format(
            seconds=1200, url=f"http://127.0.0.1:{port}", batch=args.batch)).splitlines()[-1])
        ingest_seconds = time.perf_counter() - prepared
        cutter.stop.set()
        thread.join(timeout=130)
    finally:
        central.stop()
    figures = json.loads(central.shell(LEDGER + CENTRAL_CHECK.format(code=CODE)).splitlines()[-1])
    last = int(station.shell(LAST_SEQUENCE).splitlines()[-1])
    return report(args, cutter, sync, figures, last, ingest_seconds,
                  time.perf_counter() - started)


def report(args, cutter, sync, c, last, ingest_seconds, seconds) -> dict:
    once = c["received"] == c["distinct"] == last == c["highest"] and not c["gaps"]
    ok = (once and not cutter.error and sync["outbox"] == 0
          and c["enrollments"] == c["enrollment_packets"] == last and c["rejected"] == 0
          and not c["not_applied"] and not c["ledger"]["unbalanced"])
    print(f"\nPostgreSQL cut in the middle of ingest: {args.packets} enrollment packets, "
          f"batches of {args.batch}; server restart: {cutter.restart}")
    print(f"{'terminations':>12} {'backends':>8} {'syncs ok/failed':>16} {'packets':>8} "
          f"{'at central':>10} {'enrollments':>11} {'rejected':>8} {'once':>5} "
          f"{'ingest s':>8} {'total s':>8}")
    print(f"{cutter.terminations:>12} {cutter.backends:>8} "
          f"{sync['synced']:>7}/{sync['failed']:<8} {last:>8} {c['received']:>10} "
          f"{c['enrollments']:>11} {c['rejected']:>8} {'yes' if once else 'NO':>5} "
          f"{ingest_seconds:>8.1f} {seconds:>8.1f}")
    print(f"failed syncs by code: {sync['codes'] or 'none'}; gaps: {c['gaps'] or 'none'}; "
          f"not applied: {c['not_applied'] or 'none'}; central stock ledger: "
          f"{c['ledger']['rows']} rows, {len(c['ledger']['unbalanced']) or 'none'} off")
    if cutter.error:
        print(f"the cutter failed: {cutter.error}")
    print("RESULT:", "every packet at central exactly once, ledgers balance" if ok
          else "FAILED")
    return {"ok": ok, "terminations": cutter.terminations, "backends": cutter.backends,
            "failed_syncs": sync["failed"], "restart": cutter.restart, "packets": last,
            "seconds": seconds}


def main(argv=None) -> dict:
    args = parse(argv)
    why = pg_unavailable(args.server)
    if why:
        raise SystemExit(why)
    name = f"ektp_pgrestart_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    folder = Path(args.dir or tempfile.mkdtemp(prefix="ektp-pgcut-"))
    create_database(args.server, name)
    try:
        return run(args, folder, name)
    finally:
        drop_database(args.server, name)


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
