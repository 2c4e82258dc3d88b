"""The same packet arriving at the same moment on several connections (a station retrying
while its first request is still being ingested, or a USB import racing a sync): stored once.
Run on PostgreSQL for real concurrency (SQLite serialises the writers)."""

import threading

import pytest
from django.db import connection
from django.test import override_settings

from ektp.enrollment.models import Enrollment
from ektp.stations.ingest import packet_ingest
from ektp.stations.models import ReceivedPacket, Station
from ektp.stations.tests.in_process_sync import enrollment_packet, envelope_of

THREADS = 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_ingest_of_one_packet_stores_it_once(station):
    envelope = envelope_of(enrollment_packet(sequence=1))
    sender = Station.objects.get()
    barrier, results, errors = threading.Barrier(THREADS), [], []

    def ingest():
        try:
            barrier.wait(timeout=30)
            with override_settings(EKTP_ROLE="central"):
                results.append(packet_ingest(envelope=envelope, sender=sender).status)
        except Exception as exc:  # reported below; a thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ingest) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(results) == ["accepted"] + ["duplicate"] * (THREADS - 1)
    assert ReceivedPacket.objects.count() == 1 and Enrollment.objects.count() == 1
