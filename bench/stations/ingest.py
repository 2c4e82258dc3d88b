"""Ingest of a station backlog at central: enrollment packets queued at stations during an
outage (Kupang: 14,000) reach central and go through penunggalan.

    .venv/bin/python bench/stations/ingest.py                    # 1,000 packets, SQLite
    .venv/bin/python bench/stations/ingest.py --packets 14000    # the Kupang backlog
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ektp_bench_ingest \
        .venv/bin/python bench/stations/ingest.py --packets 14000

Stages, each timed on its own: making the packets at the stations (seal biometrics to
central, sign; the same hook the enrollment service calls), central ingest through the sync
protocol's handler in batches (verify hash and signature, store once, open the sealed part,
enrollment_record: checks, sealing at rest, application opened at RECEIVED_AT_CENTRAL), and
penunggalan of the whole queue (dedup_run_queue). A second push of every batch measures the
cost of an acknowledged repeat. HTTP is left out (one JSON POST per batch of 50 adds little
next to the per-packet work). Compared with MOSIP's published 1.85 packets/s for one upload
pod. Residents are made with the test factories, then recorded at stations KPG-STA-01..04.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MOSIP_PACKETS_PER_SECOND = 1.85
STATIONS = 4


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--dir", help="folder for the database and keys (default: temp)")
    args = parser.parse_args(argv)
    if not 10 <= args.packets <= 200_000 or not 1 <= args.batch <= 200:
        parser.error("--packets 10..200000, --batch 1..200")
    return args


def setup(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("EKTP_DATA_DIR", str(folder))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder / 'ingest.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektp.settings")
    os.environ.setdefault("EKTP_TASK_BACKEND", "django_tasks.backends.dummy.DummyBackend")
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from ektp.regions.services import regions_load

    regions_load()


def stations(office):
    """Four stations registered at central; their keys in the bench folder."""
    from ektp.stations import keys, packets
    from ektp.stations.models import Station

    rows = []
    for n in range(1, STATIONS + 1):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        private = Ed25519PrivateKey.generate()
        rows.append((Station.objects.create(
            code=f"KPG-STA-{n:02d}", office=office, registered_at=now(),
            public_key=packets.b64(packets.raw_public(private.public_key()))), private))
    keys.central_public_keys()
    return rows


def now():
    from django.utils import timezone

    return timezone.now()


def make_packets(count: int, rows) -> list[tuple]:
    """(station, envelope) pairs, made as a station makes them (seal to central, sign)."""
    import numpy as np

    from ektp.enrollment.tests.factories import CaptureFactory, FamilyFactory, PersonFactory
    from ektp.stations import keys, packets

    box = packets.x25519_public(keys.central_public_keys()["central_box_key"])
    made, timings = [], 0.0
    for i in range(count):
        station, private = rows[i % STATIONS]
        # The factories' NIK and KK serials wrap at 9,999: vary the date digits past that.
        resident = PersonFactory(
            nik=f"5371010101{80 + i // 9999:02d}{i % 9999 + 1:04d}",
            family=FamilyFactory(kk_number=f"5371010101{30 + i // 9999:02d}{i % 9999 + 1:04d}"))
        capture = CaptureFactory(resident_id=resident.pk, station_code=station.code,
                                 sequence=i // STATIONS + 1, captured_at=now())
        started = time.perf_counter()
        made.append((station, _envelope(station, private, box, resident, capture, np)))
        timings += time.perf_counter() - started
    return made, timings


def _envelope(station, private, box, resident, capture, np):
    from ektp.stations import packets

    vec = lambda v: packets.b64(np.asarray(v, dtype="<f4").tobytes())  # noqa: E731
    body = packets.make_body(
        station=station.code, seq=capture.sequence, kind="enrollment",
        occurred_at=capture.captured_at,
        payload={"nik": resident.nik, "station_code": station.code, "sequence": capture.sequence,
                 "captured_at": packets.utc_text(capture.captured_at), "biodata_confirmed": True})
    secret = {"photo": packets.b64(capture.photo), "signature": packets.b64(capture.signature),
              "face": vec(capture.face_template),
              "fingers": {str(p): vec(v) for p, v in capture.fingerprints.items()}}
    body["sealed"] = packets.b64(packets.seal_to(box, packets.canonical(secret),
                                                 associated_data=packets.sealed_aad(body)))
    return packets.sign_body(body, private)


def push_all(made, batch: int) -> tuple[float, dict]:
    from ektp.stations.central import handle_push
    from ektp.stations.packets import utc_text

    counts: dict[str, int] = {}
    by_station: dict = {}
    for station, envelope in made:
        by_station.setdefault(station.pk, (station, []))[1].append(envelope)
    started = time.perf_counter()
    for station, envelopes in by_station.values():
        for start in range(0, len(envelopes), batch):
            answer = handle_push(station, {"packets": envelopes[start:start + batch],
                                           "clock": utc_text(now())})
            for result in answer["results"]:
                counts[result["status"]] = counts.get(result["status"], 0) + 1
    return time.perf_counter() - started, counts


def run(args, folder: Path) -> dict:
    from django.db import connection

    from ektp.dedup.services import dedup_run_queue
    from ektp.devices.services import office_create

    office = office_create(actor=None, code="DINAS-5371", name="Dinas Kota Kupang",
                           kind="dinas", region_code="53.71", prints_cards=True)
    rows = stations(office)
    made, sign_seconds = make_packets(args.packets, rows)
    ingest_seconds, counts = push_all(made, args.batch)
    repeat_seconds, repeat_counts = push_all(made, args.batch)
    started = time.perf_counter()
    outcomes = dedup_run_queue()
    dedup_seconds = time.perf_counter() - started
    n = args.packets
    table = [("make + seal + sign (stations)", n, sign_seconds),
             ("ingest: verify, store once, enrollment_record", n, ingest_seconds),
             ("repeat push (all acknowledged as duplicates)", n, repeat_seconds),
             ("penunggalan of the ingested queue", n, dedup_seconds),
             ("ingest + penunggalan", n, ingest_seconds + dedup_seconds)]
    print(f"\nStation backlog ingest, {n:,} enrollment packets from {STATIONS} stations, "
          f"batches of {args.batch}, {connection.vendor}")
    print(f"{'stage':48} {'packets':>8} {'seconds':>9} {'packets/s':>10} {'x MOSIP':>8}")
    for label, count, seconds in table:
        rate = count / seconds if seconds else float("inf")
        print(f"{label:48} {count:>8,} {seconds:>9.1f} {rate:>10.1f} "
              f"{rate / MOSIP_PACKETS_PER_SECOND:>8.1f}")
    print(f"MOSIP registration processor, one upload pod: {MOSIP_PACKETS_PER_SECOND} packets/s")
    print(f"first push: {counts}; repeat: {repeat_counts}; penunggalan: {outcomes}")
    return {"counts": counts, "repeat": repeat_counts, "outcomes": outcomes}


def main(argv=None) -> dict:
    args = parse(argv)
    folder = Path(args.dir or tempfile.mkdtemp(prefix="ektp-ingest-"))
    setup(folder)
    return run(args, folder)


if __name__ == "__main__":
    main()
