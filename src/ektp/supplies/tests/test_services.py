"""The stock services: allocations (partial, earmarked, idempotent), requests, transfers, taking
blanks and consumables for a print, spoiled and returned cards, destruction. Every refusal is
checked for its stable code and for having written nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ektp.errors import Conflict, DomainError, NotFound
from ektp.supplies import selectors, services
from ektp.supplies.models import BlankCard, InvalidCard, StockMovement, StockRequest
from ektp.supplies.tests.factories import (
    FILM_YIELD,
    RIBBON_YIELD,
    receive_blanks,
    receive_rolls,
    refused,
)

pytestmark = pytest.mark.django_db
Kind = StockMovement.Kind


def take(office, *, first_card=True, serial=None, reference="cetak #1"):
    return services.blank_take(actor=None, office_id=office.pk, first_card=first_card,
                               serial=serial, reference=reference)


def allocation(office, **overrides):
    fields = {"actor": None, "office_id": office.pk, "item": "blank", "quantity": 5,
              "handover_ref": "BA-001", "serial_prefix": "KTP25-", "first_serial": 1}
    return services.allocation_receive(**{**fields, **overrides})


def in_stock(office, earmark=None):
    blanks = BlankCard.objects.filter(office=office, status="in_stock")
    if earmark:
        blanks = blanks.filter(earmark=earmark)
    return sorted(blanks.values_list("serial", flat=True))


# --- allocations ------------------------------------------------------------------------------


def test_blanks_are_received_with_their_serial_range(dinas):
    movement = allocation(dinas, quantity=3, first_serial=41)
    assert in_stock(dinas) == ["KTP25-0000041", "KTP25-0000042", "KTP25-0000043"]
    assert (movement.kind, movement.quantity, movement.reference) == (Kind.ALLOCATION_RECEIVED,
                                                                      3, "BA-001")
    assert movement.note == "KTP25-0000041..KTP25-0000043"
    assert selectors.balance(dinas, "blank") == 3


def test_ribbons_and_films_are_received_in_rolls_and_kept_in_card_units(dinas):
    services.allocation_receive(actor=None, office_id=dinas.pk, item="ribbon", quantity=2,
                                handover_ref="BA-R1")
    services.allocation_receive(actor=None, office_id=dinas.pk, item="film", quantity=3,
                                handover_ref="BA-F1")
    assert selectors.balance(dinas, "ribbon") == 2 * RIBBON_YIELD
    assert selectors.balance(dinas, "film") == 3 * FILM_YIELD
    assert not BlankCard.objects.exists()


def test_depok_partial_earmarked_allocation(dinas):
    """Depok asked for more and got 35,000 for first cards and 15,000 for replacements (here
    scaled down by 1,000) in two tranches against one request."""
    request = services.stock_request_send(actor=None, office_id=dinas.pk, item="blank",
                                          quantity=80, justification="backlog 80 PRR")
    receive_blanks(dinas, 35, earmark="first", request_id=request.pk)
    receive_blanks(dinas, 15, first=36, earmark="replacement", request_id=request.pk)
    request.refresh_from_db()
    assert (request.quantity, request.received_quantity) == (80, 50)  # partial, as is normal
    assert selectors.balance_by_earmark(dinas, "blank") == {"first": 35, "replacement": 15}
    assert len(in_stock(dinas, "first")) == 35
    assert in_stock(dinas, "replacement")[0] == "KTP25-0000036"


def test_a_retry_with_the_same_idempotency_key_is_stored_once(dinas):
    first = receive_blanks(dinas, 5, idempotency_key="alloc-2025-07-01")
    again = receive_blanks(dinas, 5, idempotency_key="alloc-2025-07-01")
    assert again.pk == first.pk
    assert StockMovement.objects.filter(kind=Kind.ALLOCATION_RECEIVED).count() == 1
    assert selectors.balance(dinas, "blank") == 5
    assert BlankCard.objects.count() == 5


def test_a_retry_counts_once_against_its_request(dinas):
    request = services.stock_request_send(actor=None, office_id=dinas.pk, item="ribbon",
                                          quantity=4, justification="ribbon habis")
    for _attempt in range(2):
        services.allocation_receive(actor=None, office_id=dinas.pk, item="ribbon", quantity=1,
                                    handover_ref="BA-R", request_id=request.pk,
                                    idempotency_key="ribbon-1")
    assert StockRequest.objects.get().received_quantity == 1


def test_an_idempotency_key_reused_for_another_delivery_is_refused(dinas, kelurahan):
    receive_blanks(dinas, 5, idempotency_key="k-1")
    with refused(Conflict, "idempotency_key_reused"):
        receive_blanks(dinas, 6, first=100, idempotency_key="k-1")
    with refused(Conflict, "idempotency_key_reused"):
        receive_blanks(dinas, 5, first=100, earmark="first", idempotency_key="k-1")
    with refused(Conflict, "idempotency_key_reused"):
        receive_blanks(kelurahan, 5, first=100, idempotency_key="k-1")


def test_a_range_overlapping_known_serials_is_refused(dinas, kelurahan):
    receive_blanks(dinas, 10, first=1)
    with refused(Conflict, "blank_serial_exists") as info:
        receive_blanks(kelurahan, 5, first=8)  # 8, 9, 10 are known
    assert "KTP25-0000008" in info.value.message


def test_a_range_next_to_known_serials_is_accepted(dinas):
    receive_blanks(dinas, 10, first=1)
    receive_blanks(dinas, 10, first=11)
    receive_blanks(dinas, 3, first=1, prefix="KTP26-")  # same numbers, other prefix
    assert selectors.balance(dinas, "blank") == 23


@pytest.mark.parametrize(("overrides", "code"), [
    ({"item": "paper"}, "item_unknown"),
    ({"earmark": "vip"}, "earmark_unknown"),
    ({"quantity": 0}, "quantity_invalid"),
    ({"quantity": -5}, "quantity_invalid"),
    ({"quantity": True}, "quantity_invalid"),
    ({"handover_ref": "  "}, "handover_ref_required"),
    ({"serial_prefix": None}, "serial_range_required"),
    ({"first_serial": None}, "serial_range_required"),
    ({"first_serial": 9_999_999}, "serial_range_invalid"),
    ({"first_serial": -1}, "serial_range_invalid"),
    ({"serial_prefix": "X" * 30}, "serial_range_invalid"),
    ({"idempotency_key": "k" * 81}, "idempotency_key_invalid"),
    ({"item": "ribbon"}, "serial_range_blank_only"),
    ({"item": "ribbon", "earmark": "first", "serial_prefix": None, "first_serial": None},
     "earmark_blank_only"),
])
def test_invalid_allocations_are_refused(dinas, overrides, code):
    with refused(DomainError, code):
        allocation(dinas, **overrides)


def test_allocation_to_an_unknown_office_is_refused(db):
    with refused(NotFound, "office_unknown"):
        services.allocation_receive(actor=None, office_id=999_999, item="blank", quantity=1,
                                    handover_ref="BA", serial_prefix="A", first_serial=1)


def test_allocation_against_an_unknown_or_foreign_request_is_refused(dinas, kelurahan):
    other = services.stock_request_send(actor=None, office_id=kelurahan.pk, item="blank",
                                        quantity=10, justification="x")
    ribbons = services.stock_request_send(actor=None, office_id=dinas.pk, item="ribbon",
                                          quantity=10, justification="x")
    with refused(NotFound, "request_unknown"):
        allocation(dinas, request_id=999_999)
    with refused(DomainError, "request_mismatch"):
        allocation(dinas, request_id=other.pk)
    with refused(DomainError, "request_mismatch"):
        allocation(dinas, request_id=ribbons.pk)


# --- requests ---------------------------------------------------------------------------------


def test_a_request_is_recorded_with_its_justification(dinas):
    request = services.stock_request_send(
        actor=None, office_id=dinas.pk, item="blank", quantity=5000,
        justification="  14.000 PRR menunggu  ", letter_number="470/123/Dukcapil")
    assert (request.quantity, request.received_quantity) == (5000, 0)
    assert request.justification == "14.000 PRR menunggu"
    assert request.letter_number == "470/123/Dukcapil"


@pytest.mark.parametrize(("overrides", "exc", "code"), [
    ({"justification": " "}, DomainError, "justification_required"),
    ({"quantity": 0}, DomainError, "quantity_invalid"),
    ({"item": "toner"}, DomainError, "item_unknown"),
    ({"office_id": 999_999}, NotFound, "office_unknown"),
])
def test_invalid_requests_are_refused(dinas, overrides, exc, code):
    fields = {"actor": None, "office_id": dinas.pk, "item": "blank", "quantity": 10,
              "justification": "backlog"}
    with refused(exc, code):
        services.stock_request_send(**{**fields, **overrides})


# --- transfers --------------------------------------------------------------------------------


def test_a_transfer_moves_the_oldest_blanks_and_writes_both_ledger_rows(dinas, kelurahan):
    receive_blanks(dinas, 5, first=101)
    BlankCard.objects.update(received_at=timezone.now() - timedelta(days=30))  # older tranche
    receive_blanks(dinas, 5, first=1)
    out = services.stock_transfer(actor=None, from_office_id=dinas.pk,
                                  to_office_id=kelurahan.pk, item="blank", quantity=3,
                                  reference="BA-PINJAM-7")
    assert in_stock(kelurahan) == ["KTP25-0000101", "KTP25-0000102", "KTP25-0000103"]
    assert selectors.balance(dinas, "blank") == 7
    assert selectors.balance(kelurahan, "blank") == 3
    rows = StockMovement.objects.filter(kind__in=[Kind.TRANSFER_OUT, Kind.TRANSFER_IN])
    assert sorted(rows.values_list("kind", "office_id", "counterpart_id", "quantity")) == [
        (Kind.TRANSFER_IN, kelurahan.pk, dinas.pk, 3),
        (Kind.TRANSFER_OUT, dinas.pk, kelurahan.pk, -3)]
    assert out.note == "KTP25-0000101..KTP25-0000103"


def test_a_transfer_keeps_the_earmark(dinas, kelurahan):
    receive_blanks(dinas, 4, earmark="first")
    receive_blanks(dinas, 4, first=5)
    services.stock_transfer(actor=None, from_office_id=dinas.pk, to_office_id=kelurahan.pk,
                            item="blank", quantity=2, reference="BA", earmark="first")
    assert in_stock(kelurahan, "first") == ["KTP25-0000001", "KTP25-0000002"]
    assert selectors.balance_by_earmark(dinas, "blank") == {"first": 2, "general": 4}


def test_ribbons_are_transferred_in_rolls(dinas, kelurahan):
    receive_rolls(dinas, ribbons=3, films=0)
    services.stock_transfer(actor=None, from_office_id=dinas.pk, to_office_id=kelurahan.pk,
                            item="ribbon", quantity=1, reference="BA")
    assert selectors.balance(kelurahan, "ribbon") == RIBBON_YIELD
    assert selectors.balance(dinas, "ribbon") == 2 * RIBBON_YIELD


def test_a_transfer_retried_with_its_key_moves_once(dinas, kelurahan):
    receive_blanks(dinas, 5)
    for _attempt in range(2):
        services.stock_transfer(actor=None, from_office_id=dinas.pk, to_office_id=kelurahan.pk,
                                item="blank", quantity=2, reference="BA", idempotency_key="t-1")
    assert selectors.balance(kelurahan, "blank") == 2
    assert StockMovement.objects.filter(kind=Kind.TRANSFER_IN).count() == 1
    with refused(Conflict, "idempotency_key_reused"):  # same key, the other way round
        services.stock_transfer(actor=None, from_office_id=kelurahan.pk, to_office_id=dinas.pk,
                                item="blank", quantity=2, reference="BA", idempotency_key="t-1")


def test_transferring_more_than_the_office_holds_is_refused(dinas, kelurahan):
    receive_blanks(dinas, 3)
    receive_blanks(dinas, 5, first=10, earmark="first")
    with refused(Conflict, "stock_insufficient"):
        services.stock_transfer(actor=None, from_office_id=dinas.pk,
                                to_office_id=kelurahan.pk, item="blank", quantity=4,
                                reference="BA")  # 8 blanks, but only 3 general ones
    with refused(Conflict, "stock_insufficient"):
        services.stock_transfer(actor=None, from_office_id=kelurahan.pk,
                                to_office_id=dinas.pk, item="ribbon", quantity=1,
                                reference="BA")


@pytest.mark.parametrize(("overrides", "exc", "code"), [
    ({"to_office_id": "self"}, DomainError, "transfer_same_office"),
    ({"to_office_id": 999_999}, NotFound, "office_unknown"),
    ({"reference": ""}, DomainError, "reference_required"),
    ({"quantity": 0}, DomainError, "quantity_invalid"),
    ({"earmark": "first", "item": "film"}, DomainError, "earmark_blank_only"),
])
def test_invalid_transfers_are_refused(dinas, kelurahan, overrides, exc, code):
    receive_blanks(dinas, 5)
    fields = {"actor": None, "from_office_id": dinas.pk, "to_office_id": kelurahan.pk,
              "item": "blank", "quantity": 1, "reference": "BA"}
    if overrides.get("to_office_id") == "self":
        overrides["to_office_id"] = dinas.pk
    with refused(exc, code):
        services.stock_transfer(**{**fields, **overrides})


# --- taking a blank for a print ---------------------------------------------------------------


def test_the_lowest_serial_is_taken_and_booked_as_consumed(kelurahan):
    receive_blanks(kelurahan, 3, first=7)
    blank = take(kelurahan, reference="cetak #42")
    assert (blank.serial, blank.status) == ("KTP25-0000007", "used")
    assert BlankCard.objects.get(serial="KTP25-0000007").status == "used"
    row = StockMovement.objects.get(kind=Kind.CONSUMED)
    assert (row.quantity, row.reference, row.note) == (-1, "cetak #42", "KTP25-0000007")
    assert selectors.balance(kelurahan, "blank") == 2


def test_earmarked_blanks_are_used_before_general_ones(kelurahan):
    receive_blanks(kelurahan, 2, first=1)  # general, lower serials
    receive_blanks(kelurahan, 1, first=10, earmark="first")
    receive_blanks(kelurahan, 1, first=20, earmark="replacement")
    assert take(kelurahan, first_card=True).serial == "KTP25-0000010"
    assert take(kelurahan, first_card=False).serial == "KTP25-0000020"
    assert take(kelurahan, first_card=True).serial == "KTP25-0000001"  # then general stock
    assert take(kelurahan, first_card=False).serial == "KTP25-0000002"


def test_a_replacement_never_takes_a_blank_earmarked_for_first_cards(kelurahan):
    receive_blanks(kelurahan, 2, earmark="first")
    with refused(Conflict, "blank_out") as info:
        take(kelurahan, first_card=False)
    assert "Surat Keterangan" in info.value.message
    assert info.value.status == 409


def test_an_office_without_blanks_answers_blank_out(kelurahan):
    with refused(Conflict, "blank_out"):
        take(kelurahan)


def test_the_scanned_serial_is_taken(kelurahan):
    receive_blanks(kelurahan, 3)
    assert take(kelurahan, serial=" KTP25-0000003 ").serial == "KTP25-0000003"
    assert in_stock(kelurahan) == ["KTP25-0000001", "KTP25-0000002"]


def test_a_scanned_serial_must_suit_the_card(kelurahan, dinas):
    receive_blanks(kelurahan, 2, earmark="replacement")
    receive_blanks(dinas, 1, first=50)
    take(kelurahan, first_card=False, serial="KTP25-0000001")
    with refused(NotFound, "blank_serial_unknown"):
        take(kelurahan, serial="KTP25-0000050")  # received at the Dinas, not here
    with refused(NotFound, "blank_serial_unknown"):
        take(kelurahan, serial="KTP99-0000001")
    with refused(Conflict, "blank_serial_used"):
        take(kelurahan, first_card=False, serial="KTP25-0000001")
    with refused(Conflict, "blank_earmarked"):
        take(kelurahan, first_card=True, serial="KTP25-0000002")


def test_unknown_office_cannot_take_a_blank(db):
    with refused(NotFound, "office_unknown"):
        services.blank_take(actor=None, office_id=999_999, first_card=True, serial=None,
                            reference="x")


# --- ribbon and film --------------------------------------------------------------------------


def test_a_print_takes_one_unit_of_ribbon_and_of_film(kelurahan):
    receive_rolls(kelurahan)
    services.consumables_take(actor=None, office_id=kelurahan.pk, reference="cetak #1")
    assert selectors.balance(kelurahan, "ribbon") == RIBBON_YIELD - 1
    assert selectors.balance(kelurahan, "film") == FILM_YIELD - 1
    assert StockMovement.objects.filter(kind=Kind.CONSUMED).count() == 2


def test_no_ribbon_stops_the_print(kelurahan):
    receive_rolls(kelurahan, ribbons=0, films=1)
    with refused(Conflict, "ribbon_out"):
        services.consumables_take(actor=None, office_id=kelurahan.pk, reference="x")


def test_no_film_stops_the_print_and_keeps_the_ribbon(kelurahan):
    receive_rolls(kelurahan, ribbons=1, films=0)
    with refused(Conflict, "film_out"):  # the ribbon unit taken first is given back
        services.consumables_take(actor=None, office_id=kelurahan.pk, reference="x")
    assert selectors.balance(kelurahan, "ribbon") == RIBBON_YIELD


# --- spoiled and returned cards ---------------------------------------------------------------


def test_a_spoiled_blank_is_booked_invalid_with_an_informational_ledger_row(kelurahan):
    receive_blanks(kelurahan, 2)
    blank = take(kelurahan)
    card = services.blank_spoil(actor=None, serial=blank.serial, reason="encode_failed")
    assert (card.serial, card.reason, card.office_id) == (blank.serial, "encode_failed",
                                                          kelurahan.pk)
    assert BlankCard.objects.get(serial=blank.serial).status == "spoiled"
    row = StockMovement.objects.get(kind=Kind.SPOILED)
    assert (row.quantity, row.reference) == (0, blank.serial)
    assert selectors.balance(kelurahan, "blank") == 1  # consumed once, not twice


def test_only_a_used_blank_can_be_spoiled(kelurahan):
    receive_blanks(kelurahan, 2)
    with refused(Conflict, "blank_not_used"):
        services.blank_spoil(actor=None, serial="KTP25-0000002", reason="misprint")
    used = take(kelurahan)
    services.blank_spoil(actor=None, serial=used.serial, reason="misprint")
    with refused(Conflict, "blank_not_used"):
        services.blank_spoil(actor=None, serial=used.serial, reason="misprint")
    with refused(NotFound, "blank_serial_unknown"):
        services.blank_spoil(actor=None, serial="NOPE-1", reason="misprint")


@pytest.mark.parametrize("reason", ["returned_move", "coffee", ""])
def test_a_spoilage_needs_a_spoilage_reason(kelurahan, reason):
    receive_blanks(kelurahan, 1)
    take(kelurahan)
    with refused(DomainError, "spoil_reason"):
        services.blank_spoil(actor=None, serial="KTP25-0000001", reason=reason)


def test_a_returned_old_card_is_booked_invalid(kelurahan):
    card = services.old_card_return(actor=None, office_id=kelurahan.pk, card_serial="0123ABC",
                                    reason="returned_move", nik="5371-0147-0895-0001")
    assert (card.reason, card.nik) == ("returned_move", "5371014708950001")
    row = StockMovement.objects.get(kind=Kind.RETURNED_OLD_CARD)
    assert (row.quantity, row.reference) == (0, "0123ABC")
    assert "5371014708950001" not in row.note  # no NIK in the ledger


@pytest.mark.parametrize(("overrides", "exc", "code"), [
    ({"reason": "misprint"}, DomainError, "return_reason"),
    ({"card_serial": " "}, DomainError, "card_serial_required"),
    ({"card_serial": "X" * 41}, DomainError, "card_serial_invalid"),
    ({"nik": "53710147089500"}, DomainError, "nik_invalid"),
    ({"office_id": 999_999}, NotFound, "office_unknown"),
    ({"card_serial": "BOOKED"}, Conflict, "card_already_booked"),
])
def test_invalid_returns_are_refused(kelurahan, overrides, exc, code):
    fields = {"actor": None, "office_id": kelurahan.pk, "card_serial": "OLD-1",
              "reason": "returned_damaged", "nik": "5371014708950001"}
    services.old_card_return(**{**fields, "card_serial": "BOOKED"})
    with refused(exc, code):
        services.old_card_return(**{**fields, **overrides})


# --- destruction ------------------------------------------------------------------------------

WITNESSES = [{"name": "Yohanes Ndun", "institution": "Satpol PP"},
             {"name": "Maria Bere", "institution": "Inspektorat"}]


@pytest.fixture
def invalid_cards(kelurahan):
    """Two spoiled blanks and one returned old card, booked at the kelurahan."""
    receive_blanks(kelurahan, 2)
    for _n in range(2):
        services.blank_spoil(actor=None, serial=take(kelurahan).serial, reason="misprint")
    services.old_card_return(actor=None, office_id=kelurahan.pk, card_serial="OLD-1",
                             reason="returned_change", nik="5371014708950001")
    return ["KTP25-0000001", "KTP25-0000002", "OLD-1"]


def destroy(office, serials, *, ba_number="BA-PEMUSNAHAN-1", witnesses=WITNESSES):
    return services.destruction_record(actor=None, office_id=office.pk, ba_number=ba_number,
                                       witnesses=witnesses, serials=serials)


def test_a_destruction_records_its_berita_acara(kelurahan, invalid_cards):
    destruction = destroy(kelurahan, invalid_cards)
    assert set(destruction.cards.values_list("serial", flat=True)) == set(invalid_cards)
    assert destruction.witnesses == WITNESSES
    row = StockMovement.objects.get(kind=Kind.DESTROYED)
    assert (row.quantity, row.reference, row.note) == (0, "BA-PEMUSNAHAN-1", "3 card(s)")


def test_a_card_is_destroyed_only_once(kelurahan, invalid_cards):
    destroy(kelurahan, invalid_cards[:1])
    with refused(Conflict, "card_not_invalid"):
        destroy(kelurahan, invalid_cards, ba_number="BA-2")


def test_only_invalid_cards_of_the_office_are_destroyed(kelurahan, dinas, invalid_cards):
    receive_blanks(kelurahan, 1, first=3)
    with refused(Conflict, "card_not_invalid") as info:
        destroy(kelurahan, [*invalid_cards, "KTP25-0000003"])  # in stock, not invalid
    assert "KTP25-0000003" in info.value.message
    with refused(Conflict, "card_not_invalid"):
        destroy(dinas, invalid_cards)  # booked at the kelurahan


@pytest.mark.parametrize(("overrides", "exc", "code"), [
    ({"witnesses": []}, DomainError, "witnesses_required"),
    ({"witnesses": [{"name": " ", "institution": "Polres"}]}, DomainError, "witness_invalid"),
    ({"serials": []}, DomainError, "serials_required"),
    ({"ba_number": ""}, DomainError, "ba_number_required"),
    ({"ba_number": "BA-USED"}, Conflict, "ba_number_exists"),
])
def test_invalid_destructions_are_refused(kelurahan, invalid_cards, overrides, exc, code):
    destroy(kelurahan, invalid_cards[:1], ba_number="BA-USED")
    fields = {"actor": None, "office_id": kelurahan.pk, "ba_number": "BA-NEW",
              "witnesses": WITNESSES, "serials": invalid_cards[1:]}
    with refused(exc, code):
        services.destruction_record(**{**fields, **overrides})


# --- the ledger balances ----------------------------------------------------------------------


def test_after_a_mixed_sequence_every_balance_is_the_sum_of_its_ledger(dinas, kelurahan):
    receive_blanks(dinas, 20, earmark="first")
    receive_blanks(dinas, 10, first=21)
    receive_rolls(dinas, ribbons=2, films=2)
    services.stock_transfer(actor=None, from_office_id=dinas.pk, to_office_id=kelurahan.pk,
                            item="blank", quantity=8, reference="BA-1", earmark="first")
    services.stock_transfer(actor=None, from_office_id=dinas.pk, to_office_id=kelurahan.pk,
                            item="blank", quantity=4, reference="BA-1")
    services.stock_transfer(actor=None, from_office_id=dinas.pk, to_office_id=kelurahan.pk,
                            item="ribbon", quantity=1, reference="BA-2")
    services.stock_transfer(actor=None, from_office_id=dinas.pk, to_office_id=kelurahan.pk,
                            item="film", quantity=1, reference="BA-2")
    for n in range(6):  # three first cards, three replacements (from general stock)
        blank = take(kelurahan, first_card=n % 2 == 0)
        services.consumables_take(actor=None, office_id=kelurahan.pk, reference=f"cetak {n}")
        if n == 3:
            services.blank_spoil(actor=None, serial=blank.serial, reason="physical")
    services.stock_transfer(actor=None, from_office_id=kelurahan.pk, to_office_id=dinas.pk,
                            item="blank", quantity=2, reference="BA-3", earmark="first")
    with pytest.raises(Conflict):
        services.stock_transfer(actor=None, from_office_id=kelurahan.pk, to_office_id=dinas.pk,
                                item="blank", quantity=2, reference="BA-4")  # 1 general left

    assert selectors.ledger_mismatches() == []
    assert selectors.balance_by_earmark(kelurahan, "blank") == {"first": 8 - 3 - 2,
                                                                "general": 4 - 3}
    assert selectors.balance(dinas, "blank") == 30 - 8 - 4 + 2
    assert selectors.balance(kelurahan, "ribbon") == RIBBON_YIELD - 6
    for office in (dinas, kelurahan):  # the serials agree with the balances too
        assert len(in_stock(office)) == selectors.balance(office, "blank")
    assert InvalidCard.objects.count() == 1
