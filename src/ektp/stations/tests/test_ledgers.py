"""Central books what a station did offline into its own ledgers, once: stock movements
(with blank serials), spoiled cards and temporary certificates; and a station's offline print
takes its blank, ribbon and film from the station's own stock.

Station and central share one test database (see in_process_sync), so central's side is fed
packets made by the real hooks from hand-built rows, pushed through the real sync."""

import json
from collections import defaultdict
from datetime import date
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import override_settings
from django.utils import timezone

from ektp.errors import Conflict
from ektp.issuance import rules, suket_signing
from ektp.issuance.models import TemporaryCertificate
from ektp.issuance.suket_services import certificate_verify, current_signing_key
from ektp.printing.tests.factories import print_point, print_ready, stock
from ektp.stations import outbox
from ektp.stations.client import SyncClient
from ektp.stations.ingest import packet_ingest
from ektp.stations.models import OutboxPacket, PrefetchedRecord, ReceivedPacket
from ektp.stations.station_pull import prefetched_print, pull_apply
from ektp.stations.tests.in_process_sync import CentralInProcess, FaultyTransport, envelope_of
from ektp.stations.transport import SyncUnavailable
from ektp.supplies.models import BlankCard, InvalidCard, StockBalance, StockMovement
from ektp.supplies.selectors import ledger_check
from ektp.supplies.services import station_movement_mirror
from ektp.supplies.tests.factories import snapshot

SERIAL = "KTP25-0000001"


def sync(transport=None, **kwargs):
    with override_settings(EKTP_ROLE="station"):
        return SyncClient(transport or CentralInProcess(), **kwargs).sync()


def stock_packet(office_code: str, item: str, kind: str, quantity: int, *, note: str = "",
                 counterpart: str = "", earmark: str = "general") -> OutboxPacket:
    """What the stock hook writes at the station for such a ledger row."""
    movement = SimpleNamespace(
        office=SimpleNamespace(code=office_code), item=item, earmark=earmark, kind=kind,
        quantity=quantity, reference="cetak offline #1", pk=1, idempotency_key=None, note=note,
        at=timezone.now(), counterpart_id=1 if counterpart else None,
        counterpart=SimpleNamespace(code=counterpart))
    with override_settings(EKTP_ROLE="station"):
        outbox.stock_packet(movement=movement)
    return OutboxPacket.objects.order_by("-sequence").first()


def print_packets(office_code: str, serial: str = SERIAL) -> list[OutboxPacket]:
    """The three rows an offline print books: its blank, a ribbon and a film share."""
    return [stock_packet(office_code, "blank", "consumed", -1, note=serial),
            stock_packet(office_code, "ribbon", "consumed", -1),
            stock_packet(office_code, "film", "consumed", -1)]


def packet(kind: str, payload: dict) -> OutboxPacket:
    with override_settings(EKTP_ROLE="station"):
        return outbox.outbox_add(kind=kind, payload=payload)


def outcome(row: OutboxPacket) -> tuple[str, str]:
    received = ReceivedPacket.objects.get(packet_id=row.packet_id)
    return received.outcome, received.outcome_code


def balance(office, item: str, earmark: str = "general") -> int:
    row = StockBalance.objects.filter(office=office, item=item, earmark=earmark).first()
    return row.quantity if row else 0


def mirrored() -> int:
    return StockMovement.objects.filter(idempotency_key__startswith="station:").count()


def assert_ledgers_balance() -> None:
    """Every office's ledger adds up to its balance, item by item."""
    assert ledger_check()[1] == []
    balances = defaultdict(int, {(b.office_id, b.item, b.earmark): b.quantity
                                 for b in StockBalance.objects.all()})
    for office_id, earmark in StockBalance.objects.filter(item="blank").values_list(
            "office_id", "earmark"):
        in_stock = BlankCard.objects.filter(office_id=office_id, earmark=earmark,
                                            status="in_stock").count()
        assert in_stock == balances[(office_id, "blank", earmark)]


# --- stock movements ----------------------------------------------------------------------------


def test_an_offline_print_is_booked_once_despite_a_lost_answer(station, office):
    stock(office, 3)
    rows = print_packets(office.code)
    faulty = FaultyTransport(CentralInProcess(), ["drop_answer"])
    with pytest.raises(SyncUnavailable):
        sync(faulty)
    assert mirrored() == 3  # central booked them; the station never heard
    report = sync(faulty)
    assert (report.acknowledged, report.duplicates) == (3, 3)
    assert [outcome(row) for row in rows] == [("applied", "stock_booked")] * 3
    assert mirrored() == 3
    assert (balance(office, "blank"), balance(office, "ribbon"), balance(office, "film")) == (
        2, 499, 499)
    assert BlankCard.objects.get(serial=SERIAL).status == "used"
    booked = StockMovement.objects.get(idempotency_key=f"station:{rows[0].packet_id}")
    assert (booked.office, booked.kind, booked.quantity, booked.note) == (
        office, "consumed", -1, SERIAL)
    assert booked.reference.startswith(f"stasiun {station.code}")
    assert_ledgers_balance()


def test_a_duplicated_batch_and_a_resent_file_book_nothing_more(station, office):
    stock(office, 3)
    rows = print_packets(office.code)
    assert sync(FaultyTransport(CentralInProcess(), ["duplicate"])).acknowledged == 3
    before = snapshot()
    with override_settings(EKTP_ROLE="central"):
        assert {packet_ingest(envelope=envelope_of(row), via="file").status
                for row in rows} == {"duplicate"}
    assert snapshot() == before and mirrored() == 3
    assert balance(office, "blank") == 2
    assert_ledgers_balance()


def test_the_packet_key_books_once_even_outside_the_packet_register(station, office):
    stock(office, 0)
    first = station_movement_mirror(
        office_id=office.pk, item="ribbon", earmark="general", kind="consumed", quantity=-1,
        at=timezone.now(), reference="stasiun X", key="station:abc")
    again = station_movement_mirror(
        office_id=office.pk, item="ribbon", earmark="general", kind="consumed", quantity=-1,
        at=timezone.now(), reference="stasiun X", key="station:abc")
    assert again.pk == first.pk and balance(office, "ribbon") == 499
    assert_ledgers_balance()


def test_refused_movements_change_nothing_and_are_kept_with_their_code(station, office):
    stock(office, 1, rolls=0)
    other = print_point("KEC-ALAK")
    stock(other, 2, first=100)
    before = snapshot()
    cases = [
        (stock_packet(office.code, "ribbon", "consumed", -1), "stock_short"),
        (stock_packet(office.code, "blank", "transfer_out", -5, note="KTP25-1..KTP25-5"),
         "stock_short"),
        (stock_packet(other.code, "blank", "consumed", -1, note="KTP25-0000100"),
         "office_mismatch"),
        (stock_packet("KANTOR-TIDAK-ADA", "film", "allocation", 1), "office_mismatch"),
        (stock_packet(office.code, "blank", "consumed", -1, note="KTP25-0000100"),
         "blank_serial_unknown"),
        (stock_packet(office.code, "blank", "allocation", 3, note="KTP26-0000001..KTP26-0000009"),
         "blank_range_unknown"),
        (stock_packet(office.code, "blank", "allocation", 2, note="KTP25-0000001..KTP25-0000002"),
         "blank_serial_exists"),
        (stock_packet(office.code, "toner", "consumed", -1), "item_unknown"),
        (stock_packet(office.code, "film", "allocation", 10**12), "movement_invalid"),
        (stock_packet(office.code, "film", "stolen", -1), "movement_invalid"),
    ]
    assert sync().acknowledged == len(cases)
    assert [outcome(row) for row, _code in cases] == [("not_applied", code)
                                                      for _row, code in cases]
    assert snapshot() == before and mirrored() == 0
    assert_ledgers_balance()


def test_received_blanks_arrive_with_their_serials_and_can_then_be_used(station, office):
    stock(office, 0, rolls=1)
    received = stock_packet(office.code, "blank", "allocation", 3,
                            note="KTP26-0000001..KTP26-0000003; request #4")
    printed = print_packets(office.code, serial="KTP26-0000002")
    informational = stock_packet(office.code, "blank", "returned", 0, note="returned_change")
    transfer = stock_packet(office.code, "ribbon", "transfer_out", -10, counterpart=office.code)
    sync()
    assert {outcome(row) for row in [received, *printed, informational, transfer]} == {
        ("applied", "stock_booked")}
    assert dict(BlankCard.objects.filter(serial__startswith="KTP26-").values_list(
        "serial", "status")) == {"KTP26-0000001": "in_stock", "KTP26-0000002": "used",
                                 "KTP26-0000003": "in_stock"}
    assert (balance(office, "blank"), balance(office, "ribbon")) == (2, 489)
    assert StockMovement.objects.get(kind="transfer_out").counterpart == office
    assert mirrored() == 6
    assert_ledgers_balance()


def test_the_stock_packet_names_the_note_and_the_counterpart(as_station, office):
    stock(office, 1)
    payload = json.loads(OutboxPacket.objects.filter(kind="stock_movement").first().envelope)[
        "body"]["payload"]
    assert payload["note"] == "KTP25-0000001..KTP25-0000001" and payload["counterpart"] == ""
    transferred = stock_packet(office.code, "film", "transfer_out", -1, counterpart="DINAS-9")
    assert json.loads(transferred.envelope)["body"]["payload"]["counterpart"] == "DINAS-9"


# --- spoiled cards ------------------------------------------------------------------------------


def spoiled_packet(application, office_code: str, serial: str = SERIAL) -> OutboxPacket:
    return packet("spoiled", {"application": outbox.application_ref(application),
                              "blank_serial": serial, "office_code": office_code,
                              "reason": "misprint"})


def test_a_spoiled_card_is_booked_invalid_once_without_a_second_ledger_row(station, office):
    application = print_ready()
    stock(office, 2)
    print_packets(office.code)
    info = stock_packet(office.code, "blank", "spoiled", 0, note="misprint")
    spoiled = spoiled_packet(application, office.code)
    sync(FaultyTransport(CentralInProcess(), ["duplicate"]))
    assert outcome(spoiled) == ("applied", "card_spoiled") and outcome(info)[0] == "applied"
    card = InvalidCard.objects.get()
    assert (card.serial, card.office, card.reason) == (SERIAL, office, "misprint")
    assert BlankCard.objects.get(serial=SERIAL).status == "spoiled"
    assert StockMovement.objects.filter(kind="spoiled").count() == 1  # the station's own row
    application.refresh_from_db()
    assert application.status == rules.S_PRR  # a spoiled print sent no print result
    again = spoiled_packet(application, office.code)
    unknown = spoiled_packet(application, office.code, serial="KTP25-0000002")
    elsewhere = spoiled_packet(application, "KANTOR-LAIN")
    sync()
    assert [outcome(row) for row in (again, unknown, elsewhere)] == [
        ("not_applied", "card_already_booked"), ("not_applied", "blank_not_used"),
        ("not_applied", "office_mismatch")]
    assert InvalidCard.objects.count() == 1
    assert_ledgers_balance()


# --- temporary certificates ---------------------------------------------------------------------


def certificate_payload(application, office, *, number: str = "470/SKT/5371/2026/900001",
                        key=None) -> dict:
    from ektp.issuance.suket_services import office_private_key

    current_signing_key()  # the station's key is one central trusts (the same key file here)
    issued_on = timezone.localdate()
    resident = application.resident
    signed = suket_signing.CertificatePayload.create(
        number=number, nik=resident.nik, name=resident.name, birth_date=resident.birth_date,
        issued_on=issued_on, office_code=office.code)
    return {"number": number, "application": outbox.application_ref(application),
            "office_code": office.code, "issued_on": issued_on.isoformat(),
            "valid_until": signed.valid_until.isoformat(),
            "qr_text": suket_signing.sign_certificate(signed, key or office_private_key())}


def test_a_station_certificate_enters_the_register_once(station, office):
    application, other = print_ready(), print_ready()
    payload = certificate_payload(application, office)
    first = packet("certificate", payload)
    sync(FaultyTransport(CentralInProcess(), ["duplicate"]))
    assert outcome(first) == ("applied", "certificate_recorded")
    certificate = TemporaryCertificate.objects.get(number=payload["number"])
    assert (certificate.application, certificate.office, certificate.qr_text) == (
        application, office, payload["qr_text"])
    assert certificate.issued_on == date.fromisoformat(payload["issued_on"])
    assert certificate_verify(payload["qr_text"]).status == "valid"
    same = packet("certificate", payload)
    clash = packet("certificate", certificate_payload(other, office))
    lost = packet("certificate", {**payload, "application": {"central_id": 10**9}})
    forged = packet("certificate", certificate_payload(
        other, office, number="470/SKT/5371/2026/900002", key=Ed25519PrivateKey.generate()))
    swapped = packet("certificate", {**payload, "number": "470/SKT/5371/2026/900003",
                                     "application": outbox.application_ref(other)})
    sync()
    assert [outcome(row) for row in (same, clash, lost, forged, swapped)] == [
        ("applied", "certificate_known"), ("not_applied", "certificate_number_taken"),
        ("not_applied", "application_unknown"), ("not_applied", "qr_unknown_key"),
        ("not_applied", "certificate_qr_mismatch")]
    assert TemporaryCertificate.objects.count() == 1


def test_a_paper_signed_with_the_stations_own_key_verifies_at_central(station, office):
    """A station signs Suket with its own key file; the packet (signed by the registered
    station) carries the public key, so central trusts it and the QR verifies there."""
    station_key = Ed25519PrivateKey.generate()
    pem = suket_signing.public_key_pem(station_key).decode()
    payload = certificate_payload(print_ready(), office, key=station_key)
    bad = packet("certificate", {**certificate_payload(
        print_ready(), office, number="470/SKT/5371/2026/900005",
        key=Ed25519PrivateKey.generate()), "signing_key": "not a key"})
    row = packet("certificate", {**payload, "signing_key": pem})
    sync()
    assert outcome(row) == ("applied", "certificate_recorded")
    assert outcome(bad) == ("not_applied", "signing_key_invalid")
    assert certificate_verify(payload["qr_text"]).status == "valid"


# --- the station side ---------------------------------------------------------------------------


def prefetch(*central_ids: int) -> None:
    pull_apply({"prefetch": [{"central_id": pk, "village": "53.71.01.1001",
                              "card": {"nik": f"53710101010{pk:05d}"}} for pk in central_ids]})


def test_an_offline_print_takes_a_blank_ribbon_and_film(as_station, office):
    stock(office, 3)
    prefetch(71, 72)
    already = OutboxPacket.objects.count()
    record = prefetched_print(actor=None, central_id=71)
    scanned = prefetched_print(actor=None, central_id=72, blank_serial=" KTP25-0000003 ")
    assert (record.blank_serial, scanned.blank_serial) == (SERIAL, "KTP25-0000003")
    assert PrefetchedRecord.objects.get(central_application_id=71).blank_serial == SERIAL
    written = [json.loads(p.envelope)["body"] for p in OutboxPacket.objects.all()[already:]]
    assert [(b["kind"], b["payload"].get("item")) for b in written[:4]] == [
        ("stock_movement", "blank"), ("stock_movement", "ribbon"), ("stock_movement", "film"),
        ("print_result", None)]
    assert written[0]["payload"]["note"] == SERIAL
    assert written[3]["payload"] == {"application": {"central_id": 71}, "blank_serial": SERIAL,
                                     "office_code": office.code}
    assert (balance(office, "blank"), balance(office, "ribbon")) == (1, 498)
    assert BlankCard.objects.filter(status="used").count() == 2


@pytest.mark.parametrize("blanks, rolls, code", [(0, 1, "blank_out"), (1, 0, "ribbon_out")])
def test_out_of_stock_refuses_and_changes_nothing(as_station, office, blanks, rolls, code):
    stock(office, blanks, rolls=rolls)
    prefetch(81)
    before = (snapshot(), OutboxPacket.objects.count())
    with pytest.raises(Conflict) as refused:
        prefetched_print(actor=None, central_id=81)
    assert refused.value.code == code
    assert (snapshot(), OutboxPacket.objects.count()) == before
    record = PrefetchedRecord.objects.get(central_application_id=81)
    assert (record.state, record.blank_serial) == ("ready", "")
