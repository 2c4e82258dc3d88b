"""Chaos run: a real central (``ektp serve``), several station processes, and the fault proxy
between them injecting ``--faults`` faults (drop, lost answer, delay, duplicate, replay of an
older request, truncated or corrupted request or answer), while a seeded killer sends
``--kills`` times a ``kill -9`` to a station process or to central's server at random moments
(each is started again at once: the station goes on from its database, central on the same
port). The stations record and print offline-prefetched records, each on the blanks, ribbon
and film of its own print point, while syncing through the faults; one station's clock runs
``--clock-ahead`` hours ahead. At the end every station syncs until its outbox is empty, and
the run checks: every packet recorded at a station is at central exactly once, no gaps, every
recording of a station is a recording at central, no valid packet rejected, no record printed
twice, no blank serial used twice, and the stock ledgers balance (for each office, item and
earmark the movements add up to the balance) at central and at every station.

    .venv/bin/python bench/stations/chaos.py            # 3 stations, 500 faults, 20 kills
    .venv/bin/python bench/stations/chaos.py --stations 2 --faults 60 --rounds 40 --kills 4
"""

import argparse
import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fault_proxy import FaultProxy  # noqa: E402

from ektp.stations.local_cluster import Node, NodeError  # noqa: E402

PASSWORD = "rahasia-kupang-2026"
WORKER = Path(__file__).with_name("chaos_station.py")
STATION_OFFICE = "PP-CHAOS-{n:02d}"


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=3)
    parser.add_argument("--faults", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=320, help="sync rounds per station")
    parser.add_argument("--records", type=int, default=25, help="recordings per station")
    parser.add_argument("--print-ready", type=int, default=18,
                        help="print-ready records, spread over the stations' kecamatan")
    parser.add_argument("--blanks", type=int, default=5, help="blanks of each station's office")
    parser.add_argument("--kills", type=int, default=20, help="kill -9 of a station or central")
    parser.add_argument("--kill-gap", type=float, default=2.5,
                        help="mean seconds between two kills")
    parser.add_argument("--clock-ahead", type=float, default=5.0,
                        help="hours the last station's clock runs ahead (0: none)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--dir")
    return parser.parse_args(argv)


SETUP = """
from ektp.devices.services import office_create
from ektp.enrollment.tests.factories import PersonFactory, UserFactory
from ektp.printing.tests.factories import print_point
from ektp.supplies.services import allocation_receive
print_point()
UserFactory(username="admin", role="central_admin", region_id=None, password="{password}")
for _ in range({recorders}): PersonFactory()
# Print-ready people in each station's kecamatan (Kota Kupang has six), made last.
for i in range({print_ready}):
    PersonFactory(family__village_id=f"53.71.0{{i % {stations} % 6 + 1}}.1001")
# Each station prints at its own print point (a UPT of its kecamatan), from its own blanks,
# ribbon and film.
for n in range(1, {stations} + 1):
    office = office_create(actor=None, code=f"PP-CHAOS-{{n:02d}}", name=f"Titik cetak {{n}}",
                           kind="upt", region_code=f"53.71.0{{(n - 1) % 6 + 1}}",
                           prints_cards=True)
    allocation_receive(actor=None, office_id=office.pk, item="blank", quantity={blanks},
                       handover_ref=f"BA-CHAOS-{{n}}", serial_prefix=f"CH{{n:02d}}-",
                       first_serial=1)
    for item in ("ribbon", "film"):
        allocation_receive(actor=None, office_id=office.pk, item=item, quantity=1,
                           handover_ref=f"BA-CHAOS-{{n}}-{{item}}")
"""
PRINT_READY = """
from ektp.dedup.services import dedup_application
from ektp.enrollment.tests.factories import record
from ektp.residents.models import Resident
for i, r in enumerate(Resident.objects.order_by("pk")[{start}:{end}]):
    a = record(r, station_code="DINAS-PUSAT", sequence=i + 1).applications.get()
    dedup_application(application_id=a.pk)
"""


def prepare(folder: Path, args) -> tuple[Node, list[Node]]:
    """Central with people, admin and print points; the stations set up from an image of its
    register; then the print-ready records the stations will prefetch."""
    central = Node(folder / "central", "central")
    central.ektp("migrate", "-v", "0")
    central.ektp("regions", "load")
    people = args.stations * args.records + args.print_ready
    central.shell(SETUP.format(password=PASSWORD, recorders=people - args.print_ready,
                               print_ready=args.print_ready, stations=args.stations,
                               blanks=args.blanks))
    stations = [Node(folder / f"station{n + 1}", "station") for n in range(args.stations)]
    for station in stations:
        central.copy_register_to(station)
    central.shell(PRINT_READY.format(start=people - args.print_ready, end=people))
    return central, stations


# Stock ledgers: for each office, item and earmark the movements add up to the balance.
LEDGER = """
from ektp.supplies.selectors import ledger_check
def ledger():
    rows, unbalanced = ledger_check()
    return {"rows": rows, "unbalanced": unbalanced}
"""


CENTRAL_CHECK = LEDGER + """
import json
from ektp.enrollment.models import Enrollment
from ektp.issuance.models import ApplicationHistory
from ektp.printing.models import PrintJob
from ektp.stations.models import ReceivedPacket, RejectedPacket, Station, SyncConflict
from ektp.stations.selectors import sequence_gaps
out, serials = {}, []
for s in Station.objects.all():
    rows = ReceivedPacket.objects.filter(station=s)
    out[s.code] = {"received": rows.count(),
                   "distinct": rows.values("packet_id").distinct().count(),
                   "highest": max(rows.values_list("sequence", flat=True), default=0),
                   "gaps": sequence_gaps(s.pk),
                   "recorded": sorted(Enrollment.objects.filter(station_code=s.code)
                                      .values_list("sequence", flat=True))}
    for envelope in rows.filter(kind="print_result").values_list("envelope", flat=True):
        serials.append(json.loads(envelope)["body"]["payload"].get("blank_serial"))
jobs = list(PrintJob.objects.values_list("blank_serial", flat=True))
printed = ApplicationHistory.objects.filter(to_status="CARD_PRINTED").values_list(
    "application_id", flat=True)
print(json.dumps({"stations": out,
                  "packet_rejects": RejectedPacket.objects.exclude(packet_id="").count(),
                  "batch_rejects": RejectedPacket.objects.filter(packet_id="").count(),
                  "conflicts": list(SyncConflict.objects.values_list("code", flat=True)),
                  "printed": len(printed), "printed_distinct": len(set(printed)),
                  "not_applied": list(ReceivedPacket.objects.filter(outcome="not_applied")
                                      .values_list("outcome_code", flat=True)),
                  "serials_twice": len(serials) - len(set(serials))
                                   + len(jobs) - len(set(jobs)),
                  "ledger": ledger()}))
"""
STATION_CHECK = LEDGER + """
import json
from ektp.enrollment.models import Enrollment
from ektp.stations.models import OutboxPacket, PrefetchedRecord, StationIdentity
me = StationIdentity.objects.get()
serials = list(PrefetchedRecord.objects.filter(state="printed")
               .values_list("blank_serial", flat=True))
print(json.dumps({"code": me.code, "last_sequence": me.last_sequence,
                  "outbox": OutboxPacket.objects.count(),
                  "recorded": sorted(Enrollment.objects.filter(station_code=me.code)
                                     .values_list("sequence", flat=True)),
                  "printed": len(serials), "serials_twice": len(serials) - len(set(serials)),
                  "ledger": ledger()}))
"""


class StationWorker:
    """A station's chaos_station.py process, started again whenever it is killed, until it
    exits having done its quota (or has crashed three times on its own)."""

    def __init__(self, node: Node, argv: list[str]):
        self.node, self.argv = node, argv
        self.proc: subprocess.Popen | None = None
        self.kills = self.crashes = 0
        self.waiting_at_kill: list[int] = []
        self.done = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with open(self.node.data_dir / "worker-stderr.log", "a") as errors:
            while not self.done:
                with self.lock:
                    self.proc = subprocess.Popen(
                        [sys.executable, str(WORKER), *self.argv], env=self.node.env,
                        stdout=subprocess.DEVNULL, stderr=errors)
                code = self.proc.wait()
                with self.lock:
                    self.kills += code == -signal.SIGKILL
                    self.crashes += code not in (0, -signal.SIGKILL)
                    self.done = code == 0 or self.crashes >= 3

    def kill(self, *, await_packets: float = 0) -> bool:
        """``kill -9`` now, or (``await_packets`` seconds at most) as soon as packets wait in
        the outbox: recorded, not yet acknowledged; they must still arrive after restart."""
        deadline = time.monotonic() + await_packets
        while time.monotonic() < deadline and not self.done and self._pending() <= 0:
            time.sleep(0.01)
        with self.lock:
            if self.done or self.proc is None or self.proc.poll() is not None:
                return False
            self.waiting_at_kill.append(self._pending())
            self.proc.send_signal(signal.SIGKILL)
            return True

    def _pending(self) -> int:
        try:
            with sqlite3.connect(f"file:{self.node.data_dir / 'ektp.sqlite3'}?mode=ro",
                                 uri=True, timeout=2) as db:
                return db.execute("SELECT count(*) FROM stations_outboxpacket "
                                  "WHERE state = 'pending'").fetchone()[0]
        except sqlite3.Error:
            return -1


class Killer:
    """``kill -9`` at random moments (seeded): of a running station process, or of central's
    server, which is started again at once on the same port. Both kinds come early in the
    order, so even a short run has both; half the station kills wait (10 s at most) for
    packets in the station's outbox, to fall between a recording and its acknowledgement."""

    def __init__(self, central: Node, workers: list[StationWorker], args):
        self.central, self.workers = central, workers
        self.rng = random.Random(args.seed + 1)
        self.count, self.gap = args.kills, args.kill_gap
        targets = ["central"] * max(1, args.kills // 3)
        targets += ["station"] * max(0, args.kills - len(targets))
        self.rng.shuffle(targets)
        if args.kills >= 2 and len(set(targets[:2])) == 1:
            targets[1] = "central" if targets[0] == "station" else "station"
        self.targets = targets[:args.kills]
        self.central_kills = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for target in self.targets:
            if self.stop.wait(self.rng.uniform(0.3, 1.7) * self.gap):
                return
            running = [w for w in self.workers if not w.done]
            if not running:
                return
            # Half the station kills fall between a recording and its acknowledgement.
            wait = 10.0 if self.rng.random() < 0.5 else 0
            if target == "station" and self.rng.choice(running).kill(await_packets=wait):
                continue
            self._kill_central()

    def _kill_central(self) -> None:
        self.central.kill()
        self.central_kills += self.central.server.returncode == -signal.SIGKILL
        for attempt in range(3):  # a slow start on a busy machine is not a failed run
            try:
                self.central.serve(self.central.port, wait=120)
                return
            except NodeError:
                time.sleep(1 + attempt)
        raise RuntimeError("central did not start again after its kill -9")


def main(argv=None) -> dict:
    args = parse(argv)
    folder = Path(args.dir or tempfile.mkdtemp(prefix="ektp-chaos-"))
    started = time.perf_counter()
    central, stations = prepare(folder, args)
    port = central.serve(threads=8)
    proxy = FaultProxy(("127.0.0.1", port), seed=args.seed, rate=0.5, budget=args.faults).start()
    killer = None
    try:
        for n, station in enumerate(stations):
            station.ektp("station", "register", "--central", f"http://127.0.0.1:{port}",
                         "--code", f"KPG-CHAOS-{n + 1:02d}",
                         "--office", STATION_OFFICE.format(n=n + 1),
                         "--username", "admin", "--password", PASSWORD)
        workers = [StationWorker(station, [
            f"http://127.0.0.1:{proxy.port}", str(n * args.records), str(args.records),
            str(args.rounds), str(args.clock_ahead if n == len(stations) - 1 else 0)])
            for n, station in enumerate(stations)]
        for worker in workers:
            worker.thread.start()
        killer = Killer(central, workers, args)
        killer.thread.start()
        for worker in workers:
            worker.thread.join(timeout=3600)
    finally:
        if killer:
            killer.stop.set()
            killer.thread.join(timeout=120)
        proxy.stop()
        central.stop()
    central_figures = json.loads(central.shell(CENTRAL_CHECK).splitlines()[-1])
    station_figures = [_station_figures(s) for s in stations]
    kills = {"station": sum(w.kills for w in workers), "central": killer.central_kills,
             "crashes": sum(w.crashes for w in workers),
             "station_with_waiting": sum(n > 0 for w in workers for n in w.waiting_at_kill)}
    return report(args, proxy, kills, station_figures, central_figures,
                  time.perf_counter() - started)


def _station_figures(station: Node) -> dict:
    figures = json.loads(station.shell(STATION_CHECK).splitlines()[-1])
    log = station.data_dir / "chaos-syncs.log"
    lines = log.read_text().split() if log.exists() else []
    return {**figures, "synced": lines.count("ok"), "failed": lines.count("failed")}


def _station_ok(s: dict, c: dict) -> tuple[bool, bool]:
    once = c["received"] == c["distinct"] == s["last_sequence"] == c["highest"]
    same = s["recorded"] == c["recorded"]  # every recording here is a recording at central
    return once, (once and same and not c["gaps"] and s["outbox"] == 0
                  and not s["ledger"]["unbalanced"] and s["serials_twice"] == 0)


def report(args, proxy, kills, stations, central, seconds) -> dict:
    print(f"\nChaos run: {len(stations)} stations, {proxy.faults} faults injected, "
          f"{kills['station'] + kills['central']} kill -9 ({seconds:.0f} s)")
    for kind, count in sorted(proxy.tally.items()):
        print(f"  {kind:18} {count:>5}")
    print(f"  {'kill -9 station':18} {kills['station']:>5}  ({kills['station_with_waiting']} "
          "with packets in its outbox)")
    print(f"  {'kill -9 central':18} {kills['central']:>5}")
    print(f"{'station':16} {'recorded':>8} {'printed':>8} {'packets':>8} {'at central':>10} "
          f"{'once':>5} {'gaps':>5} {'outbox':>7} {'syncs ok/failed':>16} {'ledger':>7}")
    ok = kills["crashes"] == 0
    for s in stations:
        c = central["stations"][s["code"]]
        once, fine = _station_ok(s, c)
        ok &= fine
        ledger = "ok" if not s["ledger"]["unbalanced"] else "OFF"
        print(f"{s['code']:16} {len(s['recorded']):>8} {s['printed']:>8} "
              f"{s['last_sequence']:>8} {c['received']:>10} {str(once):>5} {len(c['gaps']):>5} "
              f"{s['outbox']:>7} {s['synced']:>7}/{s['failed']:<8} {ledger:>7}")
        for line in s["ledger"]["unbalanced"]:
            print(f"  station ledger off: {line}")
    ok &= (central["packet_rejects"] == 0 and not central["not_applied"]
           and central["printed"] == central["printed_distinct"]
           and central["serials_twice"] == 0 and not central["ledger"]["unbalanced"])
    print(f"valid packets rejected: {central['packet_rejects']}; not applied: "
          f"{central['not_applied'] or 'none'}; damaged requests kept aside: "
          f"{central['batch_rejects']}; conflicts: {central['conflicts'] or 'none'}; "
          f"cards printed {central['printed']} (distinct records {central['printed_distinct']})"
          f"; blank serials used twice: {central['serials_twice']}")
    print(f"stock ledgers: central {central['ledger']['rows']} rows, "
          f"{len(central['ledger']['unbalanced']) or 'none'} off; stations "
          f"{sum(s['ledger']['rows'] for s in stations)} rows, "
          f"{sum(len(s['ledger']['unbalanced']) for s in stations) or 'none'} off; "
          f"station processes crashed (not killed): {kills['crashes']}")
    for line in central["ledger"]["unbalanced"]:
        print(f"  central ledger off: {line}")
    print("RESULT:", "every packet at central exactly once, nothing printed twice, ledgers "
          "balance" if ok else "FAILED")
    return {"ok": ok, "faults": proxy.faults, "tally": dict(proxy.tally),
            "kills": kills, "seconds": seconds}


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
