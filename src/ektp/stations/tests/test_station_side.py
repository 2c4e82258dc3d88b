"""The station's own side: packets written in the transaction of the local change, guard
rails, the outbox on USB, and the sync loop's backoff."""

import json
import random
from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from ektp.enrollment.models import Enrollment
from ektp.enrollment.tests.factories import PersonFactory, record
from ektp.errors import DomainError
from ektp.issuance import rules
from ektp.stations import keys, outbox, packets
from ektp.stations.client import SyncClient, backoff_delay, sync_loop
from ektp.stations.models import OutboxPacket, ReceivedPacket, RejectedPacket, StationIdentity
from ektp.stations.tests.in_process_sync import STATION, CentralInProcess, FaultyTransport
from ektp.stations.usb import outbox_export, outbox_import, receipt_apply, receipt_make


def test_a_recording_at_the_station_writes_its_packet(as_station):
    resident = PersonFactory()
    enrollment = record(resident, station_code=STATION, sequence=7)
    assert enrollment.applications.get().status == rules.S_BIO  # waits for the sync
    packet = OutboxPacket.objects.get()
    envelope = json.loads(packet.envelope)
    body = packets.verify_envelope(envelope, keys.station_private_key().public_key())
    assert (body["kind"], body["seq"], body["payload"]["sequence"]) == ("enrollment", 1, 7)
    assert body["payload"]["nik"] == resident.nik
    assert "photo" not in packet.envelope and body["sealed"]
    secret = packets.decode(packets.open_sealed(
        keys.central_box_private_key(), packets.unb64(body["sealed"]),
        associated_data=packets.sealed_aad(body)))
    assert set(secret) == {"photo", "signature", "face", "fingers"}
    assert len(secret["fingers"]) == enrollment.finger_count


def test_a_refused_recording_writes_no_packet(as_station):
    child = PersonFactory(birth_date=date.today() - timedelta(days=365 * 10))
    with pytest.raises(DomainError) as refused:
        record(child, station_code=STATION, sequence=1)
    assert refused.value.code == "too_young"
    assert not OutboxPacket.objects.exists() and not Enrollment.objects.exists()
    assert StationIdentity.objects.get().last_sequence == 0


def test_sequence_numbers_are_consecutive(as_station):
    for n in range(1, 4):
        record(PersonFactory(), station_code=STATION, sequence=n)
    assert list(OutboxPacket.objects.values_list("sequence", flat=True)) == [1, 2, 3]


def test_unregistered_station_refuses_to_record(settings, db):
    settings.EKTP_ROLE = "station"
    with pytest.raises(DomainError) as refused:
        record(PersonFactory(), station_code=STATION, sequence=1)
    assert refused.value.code == "station_not_registered"
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("limit, setup, code", [
    ("EKTP_STATION_MAX_DAYS_UNSYNCED", "old_sync", "station_sync_overdue"),
    ("EKTP_STATION_MAX_UNSYNCED", "full", "station_outbox_full"),
    ("EKTP_STATION_MIN_FREE_MB", "disk", "station_disk_low"),
])
def test_guard_rails_stop_new_recordings(as_station, settings, limit, setup, code):
    if setup == "old_sync":
        StationIdentity.objects.update(last_sync_at=timezone.now() - timedelta(days=8),
                                       registered_at=timezone.now() - timedelta(days=30))
    elif setup == "full":
        settings.EKTP_STATION_MAX_UNSYNCED = 2
        for n in (1, 2):
            record(PersonFactory(), station_code=STATION, sequence=n)
    else:
        settings.EKTP_STATION_MIN_FREE_MB = 10**9  # a petabyte: never free
    before = (Enrollment.objects.count(), OutboxPacket.objects.count())
    with pytest.raises(DomainError) as refused:
        record(PersonFactory(), station_code=STATION, sequence=99)
    assert refused.value.code == code and refused.value.status == 409
    assert (Enrollment.objects.count(), OutboxPacket.objects.count()) == before


def test_central_sets_the_guard_rails_at_its_next_pull(station, settings):
    """The office decides how long its stations may work cut off: central's limits, pulled
    at a sync, win over the laptop's own; a damaged value is ignored."""
    from ektp.stations.station_pull import pull_apply

    with override_settings(EKTP_ROLE="station"):
        pull_apply({"settings": {"limits": {"max_packets": 1, "min_free_mb": "banyak",
                                            "max_days": -3}}})
        record(PersonFactory(), station_code=STATION, sequence=1)
        with pytest.raises(DomainError) as refused:
            record(PersonFactory(), station_code=STATION, sequence=2)
        limits = outbox.guard_limits()
    assert refused.value.code == "station_outbox_full"
    assert limits == {"max_packets": 1, "min_free_mb": settings.EKTP_STATION_MIN_FREE_MB,
                      "max_days": settings.EKTP_STATION_MAX_DAYS_UNSYNCED}


def test_print_spoil_and_stock_at_a_print_point_become_packets(as_station, office):
    from ektp.printing.services import print_job_finish, print_job_spoil, print_job_start
    from ektp.printing.tests.factories import print_ready, stock

    with override_settings(EKTP_ROLE="central"):
        first, second = print_ready(), print_ready()
    stock(office, 2)
    assert set(OutboxPacket.objects.values_list("kind", flat=True)) == {"stock_movement"}
    job = print_job_start(actor=None, office_id=office.pk, application_id=first.pk)
    print_job_finish(actor=None, job_id=job.pk)
    spoiled = print_job_start(actor=None, office_id=office.pk, application_id=second.pk)
    print_job_spoil(actor=None, job_id=spoiled.pk, reason="misprint")
    kinds = list(OutboxPacket.objects.values_list("kind", flat=True))
    assert kinds.count("print_result") == 1 and kinds.count("spoiled") == 1
    sequences = list(OutboxPacket.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))


# --- USB ----------------------------------------------------------------------------------------


def _station_packets(count: int) -> None:
    from ektp.stations.tests.in_process_sync import enrollment_packet

    for n in range(1, count + 1):
        enrollment_packet(sequence=n)


def test_usb_export_and_import_are_idempotent(station, tmp_path):
    _station_packets(3)
    path = tmp_path / "outbox.json"
    with override_settings(EKTP_ROLE="station"):
        assert outbox_export(path) == 3
    with override_settings(EKTP_ROLE="central"):
        assert outbox_import(path) == {"accepted": 3, "duplicate": 0, "rejected": 0}
        assert outbox_import(path) == {"accepted": 0, "duplicate": 3, "rejected": 0}
    assert ReceivedPacket.objects.count() == 3 and Enrollment.objects.count() == 3
    assert set(ReceivedPacket.objects.values_list("via", flat=True)) == {"file"}
    assert OutboxPacket.objects.count() == 3  # still on the station until acknowledged
    with override_settings(EKTP_ROLE="station"):
        report = SyncClient(CentralInProcess()).sync()
    assert (report.acknowledged, report.duplicates) == (3, 3)
    assert not OutboxPacket.objects.exists()


def test_a_tampered_usb_file_is_refused_and_kept_aside(station, tmp_path):
    _station_packets(2)
    path = tmp_path / "outbox.json"
    with override_settings(EKTP_ROLE="station"):
        outbox_export(path)
    data = json.loads(path.read_bytes())
    data["packets"][1]["body"]["payload"]["nik"] = "5371010101900001"
    path.write_bytes(packets.canonical(data))
    with override_settings(EKTP_ROLE="central"):
        assert outbox_import(path) == {"accepted": 1, "duplicate": 0, "rejected": 1}
    assert RejectedPacket.objects.get().code == "wrong_hash"
    (tmp_path / "junk.json").write_bytes(b"{not json")
    with override_settings(EKTP_ROLE="central"):
        assert outbox_import(tmp_path / "junk.json")["file_malformed"] == 1
    assert ReceivedPacket.objects.count() == 1


def _exported_and_imported(tmp_path, count: int):
    _station_packets(count)
    path, receipt = tmp_path / "outbox.json", tmp_path / "outbox.json.receipt.json"
    with override_settings(EKTP_ROLE="station"):
        outbox_export(path)
    with override_settings(EKTP_ROLE="central"):
        assert outbox_import(path, receipt=receipt)["accepted"] == count
    return receipt


def test_central_receipt_on_the_stick_empties_the_outbox_once(station, tmp_path):
    """No network at all: central's signed receipt is what lets packets leave the station's
    disk, and it restarts the days-since-sync guard rail; read twice, it changes nothing."""
    receipt = _exported_and_imported(tmp_path, 3)
    with override_settings(EKTP_ROLE="station"):
        report = receipt_apply(receipt)
        synced = StationIdentity.objects.get().last_sync_at
        again = receipt_apply(receipt)
    assert (report.acknowledged, again.acknowledged) == (3, 0)
    assert not OutboxPacket.objects.exists()
    assert synced is not None and StationIdentity.objects.get().last_sync_at == synced


def _resigned(receipt_path, change) -> None:
    """The receipt with its content changed but its old signature kept."""
    outer = json.loads(receipt_path.read_bytes())
    inner = json.loads(outer["receipt"])
    change(inner)
    outer["receipt"] = packets.canonical(inner).decode("utf-8")
    receipt_path.write_bytes(packets.canonical(outer))


@pytest.mark.parametrize("tamper, code", [
    (lambda path: _resigned(path, lambda r: r["results"].append(
        {"id": "00000000-0000-4000-8000-000000000000", "status": "accepted"})),
     "receipt_invalid"),
    (lambda path: path.write_bytes(b"not a receipt"), "receipt_invalid"),
    (lambda path: path.write_bytes(_forged_receipt()), "receipt_invalid"),
    (lambda path: path.write_bytes(receipt_make("KPG-LAIN-01", [])), "receipt_other_station"),
])
def test_a_forged_or_damaged_receipt_changes_nothing(station, tmp_path, tamper, code):
    receipt = _exported_and_imported(tmp_path, 2)
    with override_settings(EKTP_ROLE="central"):
        tamper(receipt)
    with override_settings(EKTP_ROLE="station"), pytest.raises(DomainError) as refused:
        receipt_apply(receipt)
    assert refused.value.code == code
    assert OutboxPacket.objects.filter(state=OutboxPacket.State.PENDING).count() == 2
    assert StationIdentity.objects.get().last_sync_at is None


def _forged_receipt() -> bytes:
    """A well-formed receipt signed by a key that is not the central the station pinned."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    body = packets.canonical({"format": "ektp-receipt-v1", "station": STATION,
                              "issued_at": "2026-01-01T00:00:00Z", "results": []})
    signature = packets.sign_message(Ed25519PrivateKey.generate(), packets.RECEIPT_DOMAIN,
                                     "usb-receipt", body)
    return packets.canonical({"receipt": body.decode("utf-8"), "sig": signature})


# --- the loop -----------------------------------------------------------------------------------


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    rng = random.Random(6)
    for failures in range(0, 40):
        bound = min(900, 60 * 2**failures)
        delays = [backoff_delay(failures, base=60, cap=900, rng=rng) for _ in range(50)]
        assert all(0 <= d <= bound for d in delays)
        assert len(set(delays)) > 1  # jitter: stations do not retry in step


def test_sync_loop_backs_off_then_recovers(station):
    _station_packets(1)
    transport = FaultyTransport(CentralInProcess(), ["down", "down"])
    slept, lines = [], []
    with override_settings(EKTP_ROLE="station"):
        failures = sync_loop(lambda: SyncClient(transport), interval=10, cap=100, rounds=3,
                             sleep=slept.append, rng=random.Random(1), log=lines.append)
    assert failures == 2 and len(slept) == 2
    assert 0 <= slept[0] <= 20 and 0 <= slept[1] <= 40
    assert not OutboxPacket.objects.exists() and ReceivedPacket.objects.count() == 1
    assert "central_unreachable" in lines[0]


def test_a_recording_under_another_station_code_is_refused(as_station):
    with pytest.raises(DomainError) as refused:
        record(PersonFactory(), station_code="KPG-LAIN-02", sequence=1)
    assert refused.value.code == "station_code_mismatch"
    assert not Enrollment.objects.exists() and not OutboxPacket.objects.exists()
