"""The sync protocol end to end in one process: registration, push, acknowledgement,
idempotency under faults, gaps, rejects, clock skew, pull, prefetch and print conflicts."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from ektp.dedup.services import dedup_queue
from ektp.enrollment.models import Enrollment
from ektp.errors import Conflict
from ektp.issuance import rules
from ektp.issuance.models import Application
from ektp.issuance.services import application_transition
from ektp.printing.tests.factories import print_ready, stock
from ektp.stations.client import SyncClient
from ektp.stations.ingest import packet_ingest
from ektp.stations.models import (
    OutboxPacket,
    PrefetchedRecord,
    ReceivedPacket,
    RejectedPacket,
    StationIdentity,
    SyncConflict,
)
from ektp.stations.selectors import sequence_gaps, station_overview
from ektp.stations.station_pull import prefetched_card, prefetched_print
from ektp.stations.tests.in_process_sync import (
    STATION,
    CentralInProcess,
    FaultyTransport,
    enrollment_packet,
    envelope_of,
)
from ektp.stations.transport import SyncUnavailable


def sync(transport=None, **kwargs):
    with override_settings(EKTP_ROLE="station"):
        return SyncClient(transport or CentralInProcess(), **kwargs).sync()


def stored_once() -> bool:
    ids = list(ReceivedPacket.objects.values_list("packet_id", flat=True))
    return len(ids) == len(set(ids))


def test_registration_pins_central_keys(station, office):
    from ektp.stations import keys
    from ektp.stations.models import Station

    central = keys.central_public_keys()
    assert station.central_sign_key == central["central_sign_key"]
    assert station.central_box_key == central["central_box_key"]
    registered = Station.objects.get(code=STATION)
    assert registered.office == office
    assert registered.public_key == keys.public_text(keys.station_private_key())


def test_an_enrollment_packet_creates_the_recording_at_central(
        station, django_capture_on_commit_callbacks):
    packet = enrollment_packet(sequence=1)
    with django_capture_on_commit_callbacks() as queued:
        report = sync()
    assert len(queued) == 1  # the penunggalan task, queued once the ingest commits
    assert (report.sent, report.acknowledged, report.duplicates) == (1, 1, 0)
    assert not OutboxPacket.objects.exists()
    enrollment = Enrollment.objects.get(station_code=STATION, sequence=1)
    application = enrollment.applications.get()
    assert application.status == rules.S_RAC
    assert application.pk in dedup_queue()
    received = ReceivedPacket.objects.get(packet_id=packet.packet_id)
    assert (received.outcome, received.outcome_code) == ("applied", "enrollment_recorded")
    assert enrollment.finger_count == 4 and enrollment.templates.count() == 5
    assert StationIdentity.objects.get().last_sync_at is not None


def test_lost_answer_resends_and_central_stores_once(station):
    enrollment_packet(sequence=1)
    faulty = FaultyTransport(CentralInProcess(), ["drop_answer"])
    with pytest.raises(SyncUnavailable):
        sync(faulty)
    assert OutboxPacket.objects.count() == 1  # not acknowledged, so still on the station
    assert ReceivedPacket.objects.count() == 1
    report = sync(faulty)
    assert (report.acknowledged, report.duplicates) == (1, 1)
    assert not OutboxPacket.objects.exists()
    assert ReceivedPacket.objects.count() == 1 and Enrollment.objects.count() == 1


@pytest.mark.parametrize("fault", ["truncate", "corrupt"])
def test_damaged_batch_is_refused_whole_and_sent_again(station, fault):
    for sequence in (1, 2):
        enrollment_packet(sequence=sequence)
    faulty = FaultyTransport(CentralInProcess(), [fault])
    with pytest.raises(SyncUnavailable):
        sync(faulty)
    assert not ReceivedPacket.objects.exists() and not Enrollment.objects.exists()
    kept = RejectedPacket.objects.get()
    assert kept.code in {"bad_signature", "malformed"} and kept.station.code == STATION
    assert sync(faulty).acknowledged == 2
    assert ReceivedPacket.objects.count() == 2 and stored_once()


def test_duplicated_and_reordered_batches(station):
    for sequence in (1, 2, 3):
        enrollment_packet(sequence=sequence)
    report = sync(FaultyTransport(CentralInProcess(), ["duplicate"]), batch_size=2)
    assert report.acknowledged == 3
    assert ReceivedPacket.objects.count() == 3 and Enrollment.objects.count() == 3
    for sequence in (4, 5, 6):
        enrollment_packet(sequence=sequence)
    sync(FaultyTransport(CentralInProcess(), ["reorder"]))
    assert ReceivedPacket.objects.count() == 6 and stored_once()
    assert sequence_gaps(ReceivedPacket.objects.first().station_id) == []


def test_gaps_are_detected_and_closed(station):
    packets = [enrollment_packet(sequence=n) for n in (1, 2, 3, 4)]
    from ektp.stations.models import Station

    sender = Station.objects.get(code=STATION)
    with override_settings(EKTP_ROLE="central"):
        for packet in (packets[0], packets[3]):
            assert packet_ingest(envelope=envelope_of(packet), sender=sender).status == "accepted"
        assert sequence_gaps(sender.pk) == [(2, 3)]
        assert station_overview(sender)["missing"] == 2
        for packet in packets[1:3]:
            packet_ingest(envelope=envelope_of(packet), sender=sender)
    assert sequence_gaps(sender.pk) == []


def test_station_clock_hours_ahead(station):
    """A laptop whose clock runs 5 hours ahead: its recording is not refused as "in the
    future"; central places it on its own clock, and the station's time is kept as sent."""
    ahead = timedelta(hours=5)
    packet = enrollment_packet(sequence=1, captured_at=timezone.now() + ahead)
    report = sync(clock=lambda: timezone.now() + ahead)
    assert report.acknowledged == 1
    enrollment = Enrollment.objects.get()
    assert abs(enrollment.captured_at - timezone.now()) < timedelta(minutes=1)
    received = ReceivedPacket.objects.get()
    assert received.occurred_at == packet.occurred_at
    assert received.station.clock_offset_seconds == pytest.approx(5 * 3600, abs=60)


def test_unknown_resident_is_kept_not_applied_and_acknowledged(station):
    from ektp.enrollment.tests.factories import PersonFactory

    resident = PersonFactory()
    enrollment_packet(resident, sequence=1)
    resident.nik = "5371016501990001"  # central no longer knows the NIK the station sent
    resident.save(update_fields=["nik"])
    report = sync()
    assert report.acknowledged == 1 and not Enrollment.objects.exists()
    received = ReceivedPacket.objects.get()
    assert (received.outcome, received.outcome_code) == ("not_applied", "resident_unknown")


def test_refused_packets_are_kept_aside_with_their_code(station):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ektp.stations import packets

    good = envelope_of(enrollment_packet(sequence=1))
    tampered = {**good, "body": {**good["body"], "seq": 7}}
    forged = packets.sign_body({**good["body"], "seq": 8, "id": "00000000-0000-4000-8000-"
                                "000000000008"}, Ed25519PrivateKey.generate())
    stranger = packets.sign_body({**good["body"], "station": "KPG-LAIN-09"},
                                 Ed25519PrivateKey.generate())
    cases = [(tampered, "wrong_hash"), (forged, "bad_signature"), (stranger, "unknown_station"),
             ({"body": good["body"]}, "malformed"), ("not a packet", "malformed")]
    with override_settings(EKTP_ROLE="central"):
        for envelope, code in cases:
            result = packet_ingest(envelope=envelope, via="file")
            assert (result.status, result.code) == ("rejected", code)
    assert sorted(RejectedPacket.objects.values_list("code", flat=True)) == sorted(
        code for _, code in cases)
    assert not ReceivedPacket.objects.exists() and not Enrollment.objects.exists()


def test_a_packet_id_reused_for_other_content_is_refused(station):
    from ektp.stations import keys, packets

    first = envelope_of(enrollment_packet(sequence=1))
    with override_settings(EKTP_ROLE="central"):
        assert packet_ingest(envelope=first).status == "accepted"
        other = packets.sign_body({**first["body"], "seq": 2, "payload": {}},
                                  keys.station_private_key())
        assert packet_ingest(envelope=other).code == "packet_id_reused"
        same_seq = packets.sign_body({**first["body"], "id": "00000000-0000-4000-8000-"
                                      "000000000002"}, keys.station_private_key())
        assert packet_ingest(envelope=same_seq).code == "sequence_reused"
    assert ReceivedPacket.objects.count() == 1


# --- pull, prefetch and printing offline -----------------------------------------------------


def test_prefetched_record_prints_once_and_reaches_central(station, office):
    application = print_ready()
    stock(office, 9)
    report = sync()
    assert report.pulled["prefetched"] >= 1
    record = PrefetchedRecord.objects.get(central_application_id=application.pk)
    assert prefetched_card(application.pk)["nik"] == application.resident.nik
    assert bytes(record.card_sealed).find(application.resident.nik.encode()) == -1
    with override_settings(EKTP_ROLE="station"):
        prefetched_print(actor=None, central_id=application.pk, blank_serial="KTP25-0000009")
        with pytest.raises(Conflict) as refused:
            prefetched_print(actor=None, central_id=application.pk, blank_serial="KTP25-10")
    assert refused.value.code == "already_printed"
    assert OutboxPacket.objects.filter(kind="print_result").count() == 1
    sync()
    application.refresh_from_db()
    assert application.status == rules.S_PRINTED
    assert not SyncConflict.objects.exists()
    assert sync().pulled["prefetched"] == 0  # printed here: never fetched as ready again


def test_record_made_duplicate_meanwhile_raises_a_conflict(station, office):
    printed_offline, withdrawn = print_ready(), print_ready()
    stock(office, 1)
    sync()
    assert PrefetchedRecord.objects.filter(state="ready").count() == 2
    # Meanwhile at central: a later penunggalan run finds the first record a duplicate (set
    # directly: the state machine has no PRR -> DUP step), the second resident dies.
    Application.objects.filter(pk=printed_offline.pk).update(status=rules.S_DUP)
    application_transition(actor=None, application_id=withdrawn.pk,
                           to_status=rules.S_CANCELLED, reason="meninggal")
    with override_settings(EKTP_ROLE="station"):  # the network is down: the station prints
        prefetched_print(actor=None, central_id=printed_offline.pk)
    report = sync()
    assert [c["code"] for c in report.conflicts] == ["duplicate_printed"]
    conflict = SyncConflict.objects.get(code="duplicate_printed")
    assert conflict.application_ref == f"#{printed_offline.pk}"
    assert conflict.central_status == rules.S_DUP
    printed_offline.refresh_from_db()
    assert printed_offline.status == rules.S_DUP  # central's decision stands
    with override_settings(EKTP_ROLE="station"), pytest.raises(Conflict) as refused:
        prefetched_print(actor=None, central_id=withdrawn.pk, blank_serial="KTP25-2")
    assert refused.value.code == "record_withdrawn"


def test_status_changes_are_mirrored_on_the_station(station):
    from ektp.enrollment.tests.factories import PersonFactory, record
    from ektp.stations.station_pull import pull_apply

    local = record(PersonFactory(), station_code=STATION, sequence=41).applications.get()
    with override_settings(EKTP_ROLE="station"):
        counts = pull_apply({"statuses": [{"station": STATION, "sequence": 41,
                                           "status": rules.S_PRR, "central_id": 9}],
                             "cursor": "2026-11-25T00:00:00Z|9"})
    local.refresh_from_db()
    assert counts["statuses"] == 1 and local.status == rules.S_PRR
    assert local.history.last().reason == "sinkron dari pusat #9"
    assert StationIdentity.objects.get().status_cursor == "2026-11-25T00:00:00Z|9"


def test_pull_reports_status_changes_of_the_stations_recordings(station):
    enrollment_packet(sequence=1)
    sync()
    application = Enrollment.objects.get().applications.get()
    from ektp.stations import central
    from ektp.stations.models import Station

    answer = central.handle_pull(Station.objects.get(code=STATION), {"cursor": ""})
    assert [(s["sequence"], s["status"]) for s in answer["statuses"]] == [(1, rules.S_RAC)]
    again = central.handle_pull(Station.objects.get(code=STATION), {"cursor": answer["cursor"]})
    assert again["statuses"] == [] and application.status == rules.S_RAC


def test_two_print_points_never_hold_the_same_record(station, office):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ektp.stations import central, packets
    from ektp.stations.models import Station
    from ektp.stations.registration import station_register

    other = station_register(actor=None, code="KPG-OEBOBO-01", office_code=office.code,
                             public_key=packets.b64(packets.raw_public(
                                 Ed25519PrivateKey.generate().public_key())))
    first, second = print_ready(), print_ready()
    mine = central.handle_pull(Station.objects.get(code=STATION), {"prefetch": True})
    assert {r["central_id"] for r in mine["prefetch"]} == {first.pk, second.pk}
    theirs = central.handle_pull(other, {"prefetch": True})
    assert theirs["prefetch"] == []
    third = print_ready()
    theirs = central.handle_pull(other, {"prefetch": True})
    assert [r["central_id"] for r in theirs["prefetch"]] == [third.pk]
    again = central.handle_pull(Station.objects.get(code=STATION), {"prefetch": True})
    assert {r["central_id"] for r in again["prefetch"]} == {first.pk, second.pk}  # not held yet


def test_a_deeply_nested_packet_is_malformed(station):
    from ektp.stations import packets

    good = envelope_of(enrollment_packet(sequence=1))
    deep: dict = {}
    for _ in range(5000):
        deep = {"x": deep}
    nested = {**good, "body": {**good["body"], "payload": deep}}
    with override_settings(EKTP_ROLE="central"):
        result = packet_ingest(envelope=nested)
    assert (result.status, result.code) == ("rejected", packets.MALFORMED)
    assert not ReceivedPacket.objects.exists()
