"""One station process of the chaos run (started by chaos.py with the station's environment):
records, prints what it prefetched, and syncs through the fault proxy, round after round;
then syncs until its outbox is empty, and prints its figures as JSON."""

import json
import sys
import time

import django

django.setup()

from ektp.enrollment.tests.factories import record  # noqa: E402
from ektp.errors import DomainError  # noqa: E402
from ektp.residents.models import Resident  # noqa: E402
from ektp.stations.client import SyncClient  # noqa: E402
from ektp.stations.models import OutboxPacket, PrefetchedRecord, StationIdentity  # noqa: E402
from ektp.stations.station_pull import prefetched_print  # noqa: E402
from ektp.stations.transport import HttpTransport  # noqa: E402


def main(proxy: str, first: int, count: int, rounds: int) -> None:
    code = StationIdentity.objects.get().code
    residents = list(Resident.objects.order_by("pk")[first:first + count])
    recorded = printed = synced = failed = 0
    for round_no in range(rounds):
        if residents and round_no % max(1, rounds // count) == 0:
            recorded += 1
            record(residents.pop(0), station_code=code, sequence=recorded)
        for ready in PrefetchedRecord.objects.filter(state="ready")[:2]:
            prefetched_print(actor=None, central_id=ready.central_application_id,
                             blank_serial=f"{code}-{ready.central_application_id}")
            printed += 1
        try:
            SyncClient(HttpTransport(proxy, timeout=20), batch_size=5).sync()
            synced += 1
        except DomainError:
            failed += 1
    final_tries = 0
    while final_tries < 200:
        final_tries += 1
        try:
            SyncClient(HttpTransport(proxy, timeout=20)).sync()
            if not OutboxPacket.objects.filter(state="pending").exists():
                break
        except DomainError:
            time.sleep(0.05)
    print(json.dumps({
        "code": code, "recorded": recorded, "printed": printed, "synced": synced,
        "failed": failed, "final_tries": final_tries,
        "last_sequence": StationIdentity.objects.get().last_sequence,
        "outbox": OutboxPacket.objects.count(),
        "outbox_rejected": OutboxPacket.objects.filter(state="rejected").count()}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
