"""Prefetch leases: one print point holds a record for offline printing; central's print room
leaves it alone meanwhile; a lease not renewed lapses and the record can move on."""

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import override_settings
from django.utils import timezone

from ektp.errors import Conflict
from ektp.printing.selectors import queue_ids
from ektp.printing.services import print_job_start
from ektp.printing.tests.factories import print_ready, printer, stock
from ektp.stations import central, leases, packets
from ektp.stations.client import SyncClient
from ektp.stations.models import PrefetchedRecord, PrefetchLease, Station
from ektp.stations.registration import station_register
from ektp.stations.selectors import station_overview
from ektp.stations.station_pull import prefetched_print
from ektp.stations.tests.in_process_sync import STATION, CentralInProcess


def sync():
    with override_settings(EKTP_ROLE="station"):
        return SyncClient(CentralInProcess()).sync()


def _other_print_point(office) -> Station:
    key = packets.b64(packets.raw_public(Ed25519PrivateKey.generate().public_key()))
    return station_register(actor=None, code="KPG-OEBOBO-01", office_code=office.code,
                            public_key=key)


def _lapse(application) -> None:
    PrefetchLease.objects.filter(application=application).update(
        leased_at=timezone.now() - timedelta(days=15))


def test_central_print_room_leaves_a_leased_record_alone(station, office):
    application = print_ready()
    stock(office, 3)
    printer(office)
    sync()
    assert application.pk not in queue_ids(office)
    assert station_overview(Station.objects.get(code=STATION))["leases"] == 1
    with pytest.raises(Conflict) as refused:
        print_job_start(actor=None, office_id=office.pk, application_id=application.pk)
    assert refused.value.code == "record_leased_to_station"
    assert STATION in refused.value.message
    application.refresh_from_db()
    assert application.status == "PRINT_READY_RECORD"


def test_a_pull_renews_the_leases_of_what_the_station_holds(station, office):
    application = print_ready()
    sync()
    _lapse(application)
    sync()
    lease = PrefetchLease.objects.get(application=application)
    assert timezone.now() - lease.leased_at < timedelta(minutes=1)


def test_a_lapsed_lease_moves_to_another_print_point_and_is_withdrawn_here(station, office):
    application = print_ready()
    stock(office, 3)
    sync()
    _lapse(application)  # the laptop was away for two weeks
    other = _other_print_point(office)
    taken = central.handle_pull(other, {"prefetch": True})["prefetch"]
    assert [record["central_id"] for record in taken] == [application.pk]
    assert sync().pulled["withdrawn"] == 1
    record = PrefetchedRecord.objects.get(central_application_id=application.pk)
    assert record.withdrawn_status == leases.LOST
    with override_settings(EKTP_ROLE="station"), pytest.raises(Conflict) as refused:
        prefetched_print(actor=None, central_id=application.pk)
    assert refused.value.code == "record_withdrawn"


def test_central_prints_a_record_whose_lease_lapsed(station, office):
    application = print_ready()
    stock(office, 3)
    printer(office)
    sync()
    _lapse(application)
    assert application.pk in queue_ids(office)
    job = print_job_start(actor=None, office_id=office.pk, application_id=application.pk)
    assert job.application_id == application.pk
    assert not PrefetchLease.objects.filter(application=application).exists()
    assert sync().pulled["withdrawn"] == 1  # the station hears it is no longer its to print
