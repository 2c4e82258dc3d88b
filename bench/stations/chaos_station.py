"""One station process of the chaos run (started by chaos.py with the station's environment):
records, prints what it prefetched, and syncs through the fault proxy, round after round;
then syncs until its outbox is empty, and prints its figures as JSON.

It may be killed (``kill -9``) at any moment and started again: its progress (recordings made,
cards printed, the round to go on from) is read from its own database, never kept in memory,
so a restarted process goes on where the database says and stops when its quota is done.

    chaos_station.py PROXY_URL FIRST COUNT ROUNDS [CLOCK_AHEAD_HOURS]
"""

import json
import random
import sys
import time
from datetime import timedelta

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from ektp.enrollment.models import Enrollment  # noqa: E402
from ektp.enrollment.tests.factories import record  # noqa: E402
from ektp.errors import Conflict, DomainError  # noqa: E402
from ektp.residents.models import Resident  # noqa: E402
from ektp.stations.client import SyncClient, backoff_delay  # noqa: E402
from ektp.stations.models import OutboxPacket, PrefetchedRecord, StationIdentity  # noqa: E402
from ektp.stations.station_pull import prefetched_print  # noqa: E402
from ektp.stations.transport import HttpTransport  # noqa: E402

OUT_OF_STOCK = frozenset({"blank_out", "ribbon_out", "film_out"})
# Refusals a print may meet under chaos: central withdrew the record meanwhile.
NOT_PRINTABLE = frozenset({"already_printed", "record_withdrawn", "duplicate_not_printable"})
DRAIN_SECONDS = 600
RNG = random.Random()


def skew_clock(hours: float) -> None:
    """This laptop's clock runs ``hours`` ahead: every ``timezone.now()`` of the process (the
    capture time, the packets' time, the sync request's clock) sees it."""
    if hours:
        real_now, ahead = timezone.now, timedelta(hours=hours)
        timezone.now = lambda: real_now() + ahead


def sync_log(ok: bool) -> None:
    # One line per sync attempt, appended: the tally survives a kill (one line lost at most).
    with open(settings.DATA_DIR / "chaos-syncs.log", "a") as log:
        log.write("ok\n" if ok else "failed\n")


def sync_once(proxy: str, batch_size: int | None = 5) -> bool:
    try:
        SyncClient(HttpTransport(proxy, timeout=20), batch_size=batch_size).sync()
    except DomainError:
        sync_log(False)
        return False
    sync_log(True)
    return True


def pause(failures: int) -> None:
    """After a failed sync, wait as a station does (backoff with jitter, short here), so the
    rounds are not spent in the seconds central takes to come back after a kill."""
    if failures:
        time.sleep(backoff_delay(failures, base=0.2, cap=2.0, rng=RNG))


def print_some(limit: int) -> bool:
    """Print up to ``limit`` prefetched records, each on the lowest blank of the station's
    office (with a ribbon and a film); False once the stock has run out."""
    for ready in PrefetchedRecord.objects.filter(state="ready").order_by(
            "central_application_id")[:limit]:
        try:
            prefetched_print(actor=None, central_id=ready.central_application_id)
        except Conflict as error:
            if error.code in OUT_OF_STOCK:
                return False
            if error.code not in NOT_PRINTABLE:
                raise
    return True


def figures(code: str) -> dict:
    """What the station holds, read from its database (the same after any number of kills)."""
    syncs = (settings.DATA_DIR / "chaos-syncs.log")
    lines = syncs.read_text().split() if syncs.exists() else []
    return {
        "code": code, "recorded": Enrollment.objects.filter(station_code=code).count(),
        "printed": PrefetchedRecord.objects.filter(state="printed").count(),
        "synced": lines.count("ok"), "failed": lines.count("failed"),
        "last_sequence": StationIdentity.objects.get().last_sequence,
        "outbox": OutboxPacket.objects.count(),
        "outbox_rejected": OutboxPacket.objects.filter(state="rejected").count()}


def main(proxy: str, first: int, count: int, rounds: int) -> None:
    code = StationIdentity.objects.get().code
    residents = list(Resident.objects.order_by("pk")[first:first + count])
    pace = max(1, rounds // count)
    recorded = Enrollment.objects.filter(station_code=code).count()
    printing, failures = True, 0
    # A restarted process goes on from the round of its next recording.
    for round_no in range(recorded * pace, rounds):
        if recorded < count and round_no % pace == 0:
            record(residents[recorded], station_code=code, sequence=recorded + 1)
            recorded += 1
        if printing:
            printing = print_some(2)
        failures = 0 if sync_once(proxy) else failures + 1
        pause(failures)
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        if sync_once(proxy, None):
            if not OutboxPacket.objects.filter(state="pending").exists():
                break
            failures = 0
        else:
            failures += 1
        pause(failures)
    print(json.dumps(figures(code)), flush=True)


if __name__ == "__main__":
    skew_clock(float(sys.argv[5]) if len(sys.argv) > 5 else 0)
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
