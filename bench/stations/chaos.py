"""Chaos run: a real central (``ektp serve``), several station processes, and the fault proxy
between them injecting ``--faults`` faults (drop, lost answer, delay, duplicate, replay of an
older request, truncated or corrupted request or answer). The stations record and print
offline-prefetched records while syncing through the faults; at the end every station syncs
until its outbox is empty, and the run checks: every packet recorded at a station is at
central exactly once, no gaps, no valid packet rejected, no record printed twice.

    .venv/bin/python bench/stations/chaos.py                       # 3 stations, 500 faults
    .venv/bin/python bench/stations/chaos.py --stations 2 --faults 60 --rounds 40   # short

Left for later: kill -9 of a station or of central mid-sync, PostgreSQL restarts.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fault_proxy import FaultProxy  # noqa: E402

PASSWORD = "rahasia-kupang-2026"


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=3)
    parser.add_argument("--faults", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=320, help="sync rounds per station")
    parser.add_argument("--records", type=int, default=25, help="recordings per station")
    parser.add_argument("--print-ready", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--dir")
    return parser.parse_args(argv)


def env_for(folder: Path, role: str) -> dict:
    env = {**os.environ, "EKTP_DATA_DIR": str(folder), "EKTP_ROLE": role, "EKTP_DEBUG": "true",
           "EKTP_STATION_MIN_FREE_MB": "1", "DJANGO_SETTINGS_MODULE": "ektp.settings",
           "EKTP_LOG_LEVEL": "ERROR"}
    env.pop("DATABASE_URL", None)
    return env


def ektp(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "ektp.cli", *args], env=env,
                            capture_output=True, text=True, timeout=600)
    if result.returncode:
        raise SystemExit(f"ektp {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


def shell(env: dict, code: str) -> str:
    return ektp(env, "shell", "--no-imports", "-c", code)


def prepare(folder: Path, args) -> tuple[dict, list[dict]]:
    central = folder / "central"
    central.mkdir(parents=True)
    cenv = env_for(central, "central")
    ektp(cenv, "migrate", "-v", "0")
    ektp(cenv, "regions", "load")
    people = args.stations * args.records + args.print_ready
    shell(cenv, "from ektp.enrollment.tests.factories import PersonFactory, UserFactory\n"
                "from ektp.printing.tests.factories import print_point\n"
                "print_point()\n"
                f"UserFactory(username='admin', role='central_admin', region_id=None, "
                f"password='{PASSWORD}')\n"
                f"for _ in range({people}): PersonFactory()")
    envs = []
    for n in range(args.stations):
        folder_n = folder / f"station{n + 1}"
        folder_n.mkdir()
        for name in ("ektp.sqlite3", "ektp.sqlite3-wal"):
            if (central / name).exists():
                shutil.copy(central / name, folder_n / name)
        envs.append(env_for(folder_n, "station"))
    shell(cenv, "from ektp.dedup.services import dedup_application\n"
                "from ektp.enrollment.tests.factories import record\n"
                "from ektp.residents.models import Resident\n"
                f"for i, r in enumerate(Resident.objects.order_by('pk')"
                f"[{people - args.print_ready}:{people}]):\n"
                "    a = record(r, station_code='DINAS-PUSAT', sequence=i + 1).applications.get()\n"
                "    dedup_application(application_id=a.pk)")
    return cenv, envs


def serve(cenv: dict) -> tuple[subprocess.Popen, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "ektp.cli", "serve", "--port", str(port),
                               "--no-worker", "--threads", "8"], env=cenv,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
            return server, port
        except OSError:
            time.sleep(0.3)
    raise SystemExit("central did not start")


CHECK = """
import json
from ektp.stations.models import ReceivedPacket, RejectedPacket, Station, SyncConflict
from ektp.stations.selectors import sequence_gaps
from ektp.printing.models import PrintJob
from ektp.issuance.models import ApplicationHistory
out = {}
for s in Station.objects.all():
    rows = ReceivedPacket.objects.filter(station=s)
    out[s.code] = {"received": rows.count(),
                   "distinct": rows.values("packet_id").distinct().count(),
                   "highest": max(rows.values_list("sequence", flat=True), default=0),
                   "gaps": sequence_gaps(s.pk)}
printed = ApplicationHistory.objects.filter(to_status="CARD_PRINTED").values_list(
    "application_id", flat=True)
print(json.dumps({"stations": out,
                  "packet_rejects": RejectedPacket.objects.exclude(packet_id="").count(),
                  "batch_rejects": RejectedPacket.objects.filter(packet_id="").count(),
                  "conflicts": list(SyncConflict.objects.values_list("code", flat=True)),
                  "printed": len(printed), "printed_distinct": len(set(printed))}))
"""


def main(argv=None) -> dict:
    args = parse(argv)
    folder = Path(args.dir or tempfile.mkdtemp(prefix="ektp-chaos-"))
    started = time.perf_counter()
    cenv, envs = prepare(folder, args)
    server, port = serve(cenv)
    proxy = FaultProxy(("127.0.0.1", port), seed=args.seed, rate=0.5, budget=args.faults).start()
    try:
        for n, env in enumerate(envs):
            ektp(env, "station", "register", "--central", f"http://127.0.0.1:{port}",
                 "--code", f"KPG-CHAOS-{n + 1:02d}", "--office", "DINAS-5371",
                 "--username", "admin", "--password", PASSWORD)
        workers = [subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("chaos_station.py")),
             f"http://127.0.0.1:{proxy.port}", str(n * args.records), str(args.records),
             str(args.rounds)], env=env, stdout=subprocess.PIPE, text=True)
            for n, env in enumerate(envs)]
        stations = [json.loads(w.communicate(timeout=3600)[0].strip().splitlines()[-1])
                    for w in workers]
    finally:
        proxy.stop()
        server.terminate()
        server.wait(timeout=30)
    central = json.loads(shell(cenv, CHECK).splitlines()[-1])
    return report(args, proxy, stations, central, time.perf_counter() - started)


def report(args, proxy, stations, central, seconds) -> dict:
    print(f"\nChaos run: {len(stations)} stations, {proxy.faults} faults injected "
          f"({seconds:.0f} s)")
    for kind, count in sorted(proxy.tally.items()):
        print(f"  {kind:18} {count:>5}")
    print(f"{'station':16} {'recorded':>8} {'printed':>8} {'packets':>8} {'at central':>10} "
          f"{'once':>5} {'gaps':>5} {'outbox':>7} {'syncs ok/failed':>16}")
    ok = True
    for s in stations:
        c = central["stations"][s["code"]]
        once = c["received"] == c["distinct"] == s["last_sequence"] == c["highest"]
        ok &= once and not c["gaps"] and s["outbox"] == 0
        print(f"{s['code']:16} {s['recorded']:>8} {s['printed']:>8} {s['last_sequence']:>8} "
              f"{c['received']:>10} {str(once):>5} {len(c['gaps']):>5} {s['outbox']:>7} "
              f"{s['synced']:>7}/{s['failed']:<8}")
    ok &= central["packet_rejects"] == 0 and central["printed"] == central["printed_distinct"]
    print(f"valid packets rejected: {central['packet_rejects']}; damaged requests kept aside: "
          f"{central['batch_rejects']}; conflicts: {central['conflicts'] or 'none'}; "
          f"cards printed {central['printed']} (distinct records {central['printed_distinct']})")
    print("RESULT:", "every packet at central exactly once, nothing printed twice" if ok
          else "FAILED")
    return {"ok": ok, "faults": proxy.faults, "tally": dict(proxy.tally)}


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
