"""Every write to the stock: allocations, requests, transfers, taking blanks and consumables for
a print, spoiled and returned cards, and their destruction.

Each service is one transaction that appends ledger rows and changes balances only through
conditional ``F()`` updates (``quantity >= n``), checking the row count: two offices, printers
or clerks acting at once can never take the same unit twice or drive a balance below zero, on
SQLite and PostgreSQL alike. A refusal raises a ``DomainError`` with a stable code and, the
transaction being rolled back, leaves nothing written.

Units: blanks are counted in cards; ribbons and films are received, transferred and requested
in rolls but kept in card units (rolls x EKTP_RIBBON_YIELD / EKTP_FILM_YIELD), so a print takes
one unit of each. ``StockRequest.quantity`` and ``received_quantity`` are in delivered units
(cards or rolls).

Balance rows are locked in a fixed order (by office, then blank, ribbon, film) so two services
waiting on each other's rows cannot deadlock on PostgreSQL.
"""

import re

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.devices.models import Office
from ektp.errors import Conflict, DomainError, NotFound
from ektp.stations import outbox as station_outbox
from ektp.supplies import rules, selectors
from ektp.supplies.models import (
    BlankCard,
    Destruction,
    Earmark,
    InvalidCard,
    Item,
    StockBalance,
    StockMovement,
    StockRequest,
)

Kind = StockMovement.Kind
IN_STOCK, USED, SPOILED = BlankCard.Status.IN_STOCK, BlankCard.Status.USED, BlankCard.Status.SPOILED
BATCH = 500  # rows per IN (...) list, well under SQLite's limit on query parameters
_NIK_SEPARATORS = re.compile(r"[\s.\-]")


class _KeyTaken(Exception):
    """A concurrent call with the same idempotency key committed its ledger row first."""


# --- checks -------------------------------------------------------------------------------------


def _actor(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _office(office_id: int) -> Office:
    office = Office.objects.filter(pk=office_id).first()
    if office is None:
        raise NotFound(_("Unknown office"), code="office_unknown")
    return office


def _check_item(item: str, earmark: str = Earmark.GENERAL) -> None:
    if item not in Item.values:
        raise DomainError(_("Unknown item %(item)r") % {"item": item}, code="item_unknown")
    if earmark not in Earmark.values:
        raise DomainError(_("Unknown earmark %(e)r") % {"e": earmark}, code="earmark_unknown")
    if item != Item.BLANK and earmark != Earmark.GENERAL:
        raise DomainError(_("Only blanks come earmarked"), code="earmark_blank_only")


def _check_quantity(quantity) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise DomainError(_("The quantity must be a whole number above zero"),
                          code="quantity_invalid")


def _check_key(key: str | None) -> None:
    if key is not None and not 0 < len(key) <= 80:
        raise DomainError(_("An idempotency key has 1 to 80 characters"),
                          code="idempotency_key_invalid")


def _required(value: str | None, code: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, code=code)
    return value


# --- balances and the ledger ------------------------------------------------------------------


def _add(office_id: int, item: str, earmark: str, units: int) -> None:
    # Two first receipts at once both try the insert; the loser's is ignored, both add.
    StockBalance.objects.bulk_create(
        [StockBalance(office_id=office_id, item=item, earmark=earmark, quantity=0)],
        ignore_conflicts=True)
    updated = StockBalance.objects.filter(office_id=office_id, item=item, earmark=earmark).update(
        quantity=F("quantity") + units)
    if updated != 1:
        raise Conflict(_("The stock balance row is missing"), code="stock_balance_missing")


def _remove(office_id: int, item: str, earmark: str, units: int) -> bool:
    """Take ``units`` if the balance has them; False (nothing changed) otherwise."""
    return StockBalance.objects.filter(
        office_id=office_id, item=item, earmark=earmark, quantity__gte=units,
    ).update(quantity=F("quantity") - units) == 1


def _book(*, actor, office_id: int, item: str, earmark: str, kind: str, quantity: int,
          reference: str, counterpart_id: int | None = None, idempotency_key: str | None = None,
          note: str = "") -> StockMovement:
    try:
        with transaction.atomic():
            movement = StockMovement.objects.create(
                office_id=office_id, item=item, earmark=earmark, kind=kind, quantity=quantity,
                at=timezone.now(), actor=_actor(actor), reference=reference[:100],
                counterpart_id=counterpart_id, idempotency_key=idempotency_key, note=note[:300])
            station_outbox.stock_packet(movement=movement)  # no-op unless EKTP_ROLE=station
            return movement
    except IntegrityError as exc:
        if idempotency_key:
            raise _KeyTaken from exc
        raise


def _replay(key: str | None, **expected) -> StockMovement | None:
    """The movement already stored under ``key`` (a retry is acknowledged, not stored twice);
    a key reused for a different movement is refused."""
    if not key:
        return None
    row = StockMovement.objects.filter(idempotency_key=key).first()
    if row is None:
        return None
    if any(getattr(row, field) != value for field, value in expected.items()):
        raise Conflict(_("This idempotency key was used for another movement"),
                       code="idempotency_key_reused")
    return row


def _once(key: str | None, same: dict, work):
    """Run ``work`` in a savepoint. If it fails because a concurrent call with the same key
    committed first (its key, its serials or the stock it took), return that call's movement
    instead; ours is rolled back."""
    try:
        with transaction.atomic():
            return work()
    except (_KeyTaken, DomainError) as exc:
        if replayed := _replay(key, **same):
            return replayed
        if isinstance(exc, _KeyTaken):
            raise Conflict(_("A movement with this key is being stored; retry"),
                           code="idempotency_key_busy") from exc
        raise


# --- allocations and requests -----------------------------------------------------------------


def _serials_for(item: str, prefix: str | None, first: int | None, quantity: int) -> list[str]:
    if item != Item.BLANK:
        if prefix or first is not None:
            raise DomainError(_("Only blanks have serials"), code="serial_range_blank_only")
        return []
    if not (prefix or "").strip() or first is None:
        raise DomainError(_("Blanks come with a serial range: prefix and first number"),
                          code="serial_range_required")
    try:
        return rules.serial_range(prefix, first, quantity)
    except ValueError as exc:
        raise DomainError(_("Invalid serial range: %(why)s") % {"why": exc},
                          code="serial_range_invalid") from exc


def _check_serials_free(serials: list[str]) -> None:
    # One prefix and a fixed width: the range is contiguous in text order, so one indexed range
    # query finds any clash; the set keeps only exact matches.
    if not serials:
        return
    known = BlankCard.objects.filter(serial__gte=serials[0], serial__lte=serials[-1])
    clashes = sorted(set(known.values_list("serial", flat=True)) & set(serials))
    if clashes:
        raise Conflict(_("Serials already received, e.g. %(serial)s (%(n)d in all)")
                       % {"serial": clashes[0], "n": len(clashes)}, code="blank_serial_exists")


def _store_blanks(office_id: int, earmark: str, serials: list[str]) -> None:
    now = timezone.now()
    try:
        with transaction.atomic():
            BlankCard.objects.bulk_create(
                [BlankCard(serial=s, office_id=office_id, earmark=earmark, received_at=now)
                 for s in serials], batch_size=BATCH)
    except IntegrityError as exc:  # the same range was received concurrently
        raise Conflict(_("Serials already received"), code="blank_serial_exists") from exc


def _request_for(request_id: int | None, office_id: int, item: str) -> StockRequest | None:
    if request_id is None:
        return None
    request = StockRequest.objects.filter(pk=request_id).first()
    if request is None:
        raise NotFound(_("Unknown stock request"), code="request_unknown")
    if request.office_id != office_id or request.item != item:
        raise DomainError(_("The request was for another office or item"),
                          code="request_mismatch")
    return request


def _receive(*, actor, office_id: int, item: str, earmark: str, quantity: int, units: int,
             handover_ref: str, serials: list[str], request: StockRequest | None,
             idempotency_key: str | None) -> StockMovement:
    # The keyed ledger row goes first: a concurrent retry waits on its key, not on the serials.
    note = f"{serials[0]}..{serials[-1]}" if serials else f"{quantity} roll(s)"
    movement = _book(actor=actor, office_id=office_id, item=item, earmark=earmark,
                     kind=Kind.ALLOCATION_RECEIVED, quantity=units, reference=handover_ref,
                     idempotency_key=idempotency_key,
                     note=note + (f"; request #{request.pk}" if request else ""))
    _check_serials_free(serials)
    _add(office_id, item, earmark, units)
    _store_blanks(office_id, earmark, serials)
    if request is not None:
        StockRequest.objects.filter(pk=request.pk).update(
            received_quantity=F("received_quantity") + quantity)
    return movement


@transaction.atomic
def allocation_receive(*, actor, office_id: int, item: str, quantity: int, handover_ref: str,
                       earmark: str = Earmark.GENERAL, serial_prefix: str | None = None,
                       first_serial: int | None = None, request_id: int | None = None,
                       idempotency_key: str | None = None) -> StockMovement:
    """Book a delivery (a tranche; partial allocations are normal) with its BA serah terima.
    ``quantity`` is cards for blanks (with their serial range), rolls for ribbons and films.
    A retry with the same ``idempotency_key`` returns the first booking."""
    _check_item(item, earmark)
    _check_quantity(quantity)
    _check_key(idempotency_key)
    units = quantity * selectors.roll_yield(item)
    same = {"kind": Kind.ALLOCATION_RECEIVED, "office_id": office_id, "item": item,
            "earmark": earmark, "quantity": units}
    if replayed := _replay(idempotency_key, **same):
        return replayed
    _office(office_id)
    handover_ref = _required(handover_ref, "handover_ref_required",
                             _("Give the hand-over record (BA serah terima)"))
    serials = _serials_for(item, serial_prefix, first_serial, quantity)
    request = _request_for(request_id, office_id, item)
    return _once(idempotency_key, same, lambda: _receive(
        actor=actor, office_id=office_id, item=item, earmark=earmark, quantity=quantity,
        units=units, handover_ref=handover_ref, serials=serials, request=request,
        idempotency_key=idempotency_key))


@transaction.atomic
def stock_request_send(*, actor, office_id: int, item: str, quantity: int, justification: str,
                       letter_number: str = "") -> StockRequest:
    """Record a request sent up (letter to the ministry or province); ``quantity`` in cards
    for blanks, rolls for ribbons and films. See ``selectors.request_suggestion``."""
    _check_item(item)
    _check_quantity(quantity)
    _office(office_id)
    justification = _required(justification, "justification_required",
                              _("Say why the stock is needed"))
    return StockRequest.objects.create(
        office_id=office_id, item=item, quantity=quantity, justification=justification,
        letter_number=(letter_number or "").strip()[:100], sent_at=timezone.now(),
        actor=_actor(actor))


# --- transfers --------------------------------------------------------------------------------


def _shift(from_id: int, to_id: int, item: str, earmark: str, units: int) -> None:
    # Balance rows are changed in office order so opposite transfers cannot deadlock.
    for office_id in sorted((from_id, to_id)):
        if office_id == to_id:
            _add(to_id, item, earmark, units)
        elif not _remove(from_id, item, earmark, units):
            held = selectors.balance(from_id, item, earmark) // selectors.roll_yield(item)
            raise Conflict(_("The office holds only %(held)d of %(item)s (%(earmark)s)") % {
                "held": held, "item": Item(item).label, "earmark": Earmark(earmark).label},
                code="stock_insufficient")


def _move_blanks(from_id: int, to_id: int, earmark: str, count: int) -> list[str]:
    """Hand the ``count`` oldest blanks over; the balance taken first guarantees they exist,
    so a blank a print claims meanwhile is simply replaced by the next one."""
    moved: list[str] = []
    while len(moved) < count:
        batch = list(BlankCard.objects.filter(office_id=from_id, earmark=earmark, status=IN_STOCK)
                     .order_by("received_at", "serial")
                     .values_list("pk", "serial")[:min(BATCH, count - len(moved))])
        if not batch:
            raise Conflict(_("Blank serials and balance disagree"), code="stock_inconsistent")
        ids = [pk for pk, _serial in batch]
        BlankCard.objects.filter(pk__in=ids, office_id=from_id, status=IN_STOCK).update(
            office_id=to_id)
        moved += BlankCard.objects.filter(pk__in=ids, office_id=to_id).values_list(
            "serial", flat=True)
    return sorted(moved)


def _transfer(*, actor, from_id: int, to_id: int, item: str, earmark: str, quantity: int,
              units: int, reference: str, idempotency_key: str | None) -> StockMovement:
    _shift(from_id, to_id, item, earmark, units)
    serials = _move_blanks(from_id, to_id, earmark, units) if item == Item.BLANK else []
    note = f"{serials[0]}..{serials[-1]}" if serials else f"{quantity} roll(s)"
    out = _book(actor=actor, office_id=from_id, item=item, earmark=earmark,
                kind=Kind.TRANSFER_OUT, quantity=-units, reference=reference,
                counterpart_id=to_id, idempotency_key=idempotency_key, note=note)
    _book(actor=actor, office_id=to_id, item=item, earmark=earmark, kind=Kind.TRANSFER_IN,
          quantity=units, reference=reference, counterpart_id=from_id, note=note)
    return out


@transaction.atomic
def stock_transfer(*, actor, from_office_id: int, to_office_id: int, item: str, quantity: int,
                   reference: str, earmark: str = Earmark.GENERAL,
                   idempotency_key: str | None = None) -> StockMovement:
    """Lend or pass stock to another office (cards, or rolls for ribbons and films); blanks
    go oldest first. Returns the transfer_out row; a transfer_in row mirrors it."""
    _check_item(item, earmark)
    _check_quantity(quantity)
    _check_key(idempotency_key)
    if from_office_id == to_office_id:
        raise DomainError(_("Choose another office to transfer to"), code="transfer_same_office")
    units = quantity * selectors.roll_yield(item)
    same = {"kind": Kind.TRANSFER_OUT, "office_id": from_office_id, "item": item,
            "earmark": earmark, "quantity": -units, "counterpart_id": to_office_id}
    if replayed := _replay(idempotency_key, **same):
        return replayed
    reference = _required(reference, "reference_required", _("Give the transfer reference"))
    _office(from_office_id)
    _office(to_office_id)
    return _once(idempotency_key, same, lambda: _transfer(
        actor=actor, from_id=from_office_id, to_id=to_office_id, item=item, earmark=earmark,
        quantity=quantity, units=units, reference=reference, idempotency_key=idempotency_key))


# --- taking stock for a print -------------------------------------------------------------------


def _claim(blank_id: int) -> bool:
    return BlankCard.objects.filter(pk=blank_id, status=IN_STOCK).update(status=USED) == 1


def _take_given(office_id: int, serial: str, first_card: bool) -> BlankCard:
    blank = BlankCard.objects.filter(serial=serial.strip(), office_id=office_id).first()
    if blank is None:
        raise NotFound(_("Blank %(s)s was not received at this office") % {"s": serial},
                       code="blank_serial_unknown")
    if blank.status != IN_STOCK:
        raise Conflict(_("Blank %(s)s is already %(status)s") % {"s": serial,
                       "status": blank.get_status_display()}, code="blank_serial_used")
    if not rules.earmark_allows(blank.earmark, first_card):
        raise Conflict(_("Blank %(s)s is earmarked for %(e)s") % {
            "s": serial, "e": blank.get_earmark_display()}, code="blank_earmarked")
    # Balance first, then the serial: the same lock order as every other blank move.
    if not (_remove(office_id, Item.BLANK, blank.earmark, 1) and _claim(blank.pk)):
        raise Conflict(_("Blank %(s)s was just taken by another print") % {"s": serial},
                       code="blank_serial_used")
    return blank


def _take_lowest(office_id: int, earmark: str) -> BlankCard:
    """The lowest in-stock serial of ``earmark``, once its balance unit is reserved. A serial
    claimed concurrently is skipped; the reservation guarantees one is left for us."""
    skipped: list[int] = []
    while True:
        blank = (BlankCard.objects.filter(office_id=office_id, earmark=earmark, status=IN_STOCK)
                 .exclude(pk__in=skipped).order_by("serial").first())
        if blank is None:
            raise Conflict(_("Blank serials and balance disagree"), code="stock_inconsistent")
        if _claim(blank.pk):
            return blank
        skipped.append(blank.pk)


def _take_next(office_id: int, first_card: bool) -> BlankCard:
    for earmark in rules.earmarks_for(first_card):
        if _remove(office_id, Item.BLANK, earmark, 1):
            return _take_lowest(office_id, earmark)
    raise Conflict(_("No blank left for this card. A temporary certificate (Surat Keterangan) "
                     "can be issued instead."), code="blank_out")


@transaction.atomic
def blank_take(*, actor, office_id: int, first_card: bool, serial: str | None,
               reference: str) -> BlankCard:
    """Take one blank for a print: the one scanned (``serial``) or else the lowest serial,
    earmarked stock for this kind of card before general stock."""
    _office(office_id)
    if serial:
        blank = _take_given(office_id, serial, first_card)
    else:
        blank = _take_next(office_id, first_card)
    _book(actor=actor, office_id=office_id, item=Item.BLANK, earmark=blank.earmark,
          kind=Kind.CONSUMED, quantity=-1, reference=reference, note=blank.serial)
    blank.status = USED
    return blank


@transaction.atomic
def consumables_take(*, actor, office_id: int, reference: str) -> None:
    """One print's share of ribbon and film; all or nothing, since either running out stops
    the printer."""
    _office(office_id)
    empty = {Item.RIBBON: ("ribbon_out", _("The ribbon has run out; printing must stop.")),
             Item.FILM: ("film_out", _("The film has run out; printing must stop."))}
    for item, (code, message) in empty.items():
        if not _remove(office_id, item, Earmark.GENERAL, 1):
            raise Conflict(message, code=code)
        _book(actor=actor, office_id=office_id, item=item, earmark=Earmark.GENERAL,
              kind=Kind.CONSUMED, quantity=-1, reference=reference)


# --- invalid cards and their destruction --------------------------------------------------------


def _book_invalid(*, serial: str, office_id: int, reason: str, nik: str = "") -> InvalidCard:
    try:
        with transaction.atomic():
            return InvalidCard.objects.create(serial=serial, office_id=office_id, reason=reason,
                                              booked_at=timezone.now(), nik=nik)
    except IntegrityError as exc:
        raise Conflict(_("Card %(s)s is already booked as invalid") % {"s": serial},
                       code="card_already_booked") from exc


@transaction.atomic
def blank_spoil(*, actor, serial: str, reason: str) -> InvalidCard:
    """A used blank came out of the printer spoiled. It was consumed when taken, so the ledger
    row is informational (quantity 0); the card is booked invalid, awaiting destruction."""
    if reason not in InvalidCard.Reason.values or reason.startswith("returned"):
        raise DomainError(_("Unknown spoilage reason %(r)r") % {"r": reason}, code="spoil_reason")
    blank = BlankCard.objects.filter(serial=(serial or "").strip()).first()
    if blank is None:
        raise NotFound(_("Unknown blank %(s)s") % {"s": serial}, code="blank_serial_unknown")
    if BlankCard.objects.filter(pk=blank.pk, status=USED).update(status=SPOILED) != 1:
        raise Conflict(_("Only a used blank can be spoiled; %(s)s is %(status)s") % {
            "s": blank.serial, "status": blank.get_status_display()}, code="blank_not_used")
    card = _book_invalid(serial=blank.serial, office_id=blank.office_id, reason=reason)
    _book(actor=actor, office_id=blank.office_id, item=Item.BLANK, earmark=blank.earmark,
          kind=Kind.SPOILED, quantity=0, reference=blank.serial, note=reason)
    return card


@transaction.atomic
def old_card_return(*, actor, office_id: int, card_serial: str, reason: str,
                    nik: str) -> InvalidCard:
    """Book an old card handed back (after a change, a move, damage, or found after loss)."""
    if reason not in InvalidCard.Reason.values or not reason.startswith("returned_"):
        raise DomainError(_("Unknown return reason %(r)r") % {"r": reason}, code="return_reason")
    card_serial = _required(card_serial, "card_serial_required", _("Give the card's serial"))
    if len(card_serial) > 40:
        raise DomainError(_("A card serial has at most 40 characters"), code="card_serial_invalid")
    nik = _NIK_SEPARATORS.sub("", nik or "")
    if not re.fullmatch(r"[0-9]{16}", nik):
        raise DomainError(_("A NIK has 16 digits"), code="nik_invalid")
    _office(office_id)
    card = _book_invalid(serial=card_serial, office_id=office_id, reason=reason, nik=nik)
    _book(actor=actor, office_id=office_id, item=Item.BLANK, earmark=Earmark.GENERAL,
          kind=Kind.RETURNED_OLD_CARD, quantity=0, reference=card_serial, note=reason)
    return card


def _clean_witnesses(witnesses) -> list[dict]:
    if not witnesses:
        raise DomainError(_("A destruction needs at least one witness"),
                          code="witnesses_required")
    cleaned = []
    for witness in witnesses:
        name = str((witness or {}).get("name") or "").strip() if isinstance(witness, dict) else ""
        if not name:
            raise DomainError(_("Each witness needs a name"), code="witness_invalid")
        cleaned.append({"name": name, "institution": str(witness.get("institution") or "").strip()})
    return cleaned


def _destroyable(office_id: int):
    return InvalidCard.objects.filter(office_id=office_id, destruction=None)


def _check_destroyable(office_id: int, serials: list[str]) -> None:
    found: set[str] = set()
    for start in range(0, len(serials), BATCH):
        chunk = serials[start:start + BATCH]
        found |= set(_destroyable(office_id).filter(serial__in=chunk)
                     .values_list("serial", flat=True))
    missing = [s for s in serials if s not in found]
    if missing:
        raise Conflict(_("Not booked invalid at this office, or already destroyed: %(s)s")
                       % {"s": ", ".join(missing[:5])}, code="card_not_invalid")


@transaction.atomic
def destruction_record(*, actor, office_id: int, ba_number: str, witnesses: list[dict],
                       serials: list[str]) -> Destruction:
    """A burning (pemusnahan) with its Berita Acara: every card must be booked invalid at this
    office and not yet destroyed (SE Mendagri 470.13/11176/SJ)."""
    _office(office_id)
    ba_number = _required(ba_number, "ba_number_required", _("Give the Berita Acara number"))
    witnesses = _clean_witnesses(witnesses)
    serials = sorted({s.strip() for s in serials or [] if s and s.strip()})
    if not serials:
        raise DomainError(_("List the cards destroyed"), code="serials_required")
    _check_destroyable(office_id, serials)
    try:
        with transaction.atomic():
            destruction = Destruction.objects.create(
                office_id=office_id, ba_number=ba_number, at=timezone.now(),
                witnesses=witnesses, actor=_actor(actor))
    except IntegrityError as exc:
        raise Conflict(_("Berita Acara %(n)s is already recorded") % {"n": ba_number},
                       code="ba_number_exists") from exc
    marked = sum(_destroyable(office_id).filter(serial__in=serials[i:i + BATCH])
                 .update(destruction=destruction) for i in range(0, len(serials), BATCH))
    if marked != len(serials):  # another destruction took some of them meanwhile
        raise Conflict(_("Some cards were destroyed meanwhile; reload"), code="card_not_invalid")
    _book(actor=actor, office_id=office_id, item=Item.BLANK, earmark=Earmark.GENERAL,
          kind=Kind.DESTROYED, quantity=0, reference=ba_number,
          note=f"{len(serials)} card(s)")
    return destruction


# --- movements made offline at a station, booked at central -------------------------------------

# How a station's receipt or transfer names its blanks: "KTP25-0000001..KTP25-0000100" (a
# receipt may add "; request #n").
_SERIAL_NUMBER = rf"(\d{{{rules.SERIAL_DIGITS}}})"
_RANGE_NOTE = re.compile(rf"(\S+?){_SERIAL_NUMBER}\.\.(\S+?){_SERIAL_NUMBER}(;.*)?")


def _range_serials(note: str, quantity: int) -> list[str]:
    match = _RANGE_NOTE.fullmatch(note.strip())
    try:
        if match and match.group(1) == match.group(3) \
                and int(match.group(4)) - int(match.group(2)) + 1 == quantity:
            return rules.serial_range(match.group(1), int(match.group(2)), quantity)
    except ValueError:
        pass
    raise DomainError(_("Rentang nomor seri blangko dari stasiun tidak terbaca: %(n)s")
                      % {"n": note[:60]}, code="blank_range_unknown")


def _mirror_take(office_id: int, earmark: str, serial: str) -> None:
    """The blank a station printed on: in stock here at its office, now used."""
    blank = BlankCard.objects.filter(serial=serial.strip(), office_id=office_id,
                                     earmark=earmark).first()
    if blank is None:
        raise NotFound(_("Blangko %(s)s tidak tercatat di kantor stasiun ini") % {"s": serial},
                       code="blank_serial_unknown")
    if not (_remove(office_id, Item.BLANK, earmark, 1) and _claim(blank.pk)):
        raise Conflict(_("Blangko %(s)s sudah tidak tersedia di pusat") % {"s": serial},
                       code="blank_serial_used")


def _mirror_balance(office_id: int, item: str, earmark: str, quantity: int, note: str) -> None:
    if quantity < 0 and not _remove(office_id, item, earmark, -quantity):
        raise Conflict(_("Saldo %(item)s kantor ini di pusat kurang dari %(n)d") % {
            "item": Item(item).label, "n": -quantity}, code="stock_short")
    if quantity > 0:
        serials = _range_serials(note, quantity) if item == Item.BLANK else []
        _check_serials_free(serials)
        _add(office_id, item, earmark, quantity)
        _store_blanks(office_id, earmark, serials)


@transaction.atomic
def station_movement_mirror(*, office_id: int, item: str, earmark: str, kind: str, quantity: int,
                            at, reference: str, key: str, note: str = "",
                            counterpart_id: int | None = None) -> StockMovement:
    """Book into this ledger a movement a station made offline in its own, once per ``key``
    (a repeat returns the first booking). A blank printed on (its serial in ``note``) becomes
    used here; blanks received come with their serial range; informational rows (quantity 0)
    only add the row. Nothing is booked when the balance here would go below zero."""
    if booked := StockMovement.objects.filter(idempotency_key=key).first():
        return booked
    _check_item(item, earmark)
    if kind not in Kind.values or isinstance(quantity, bool) or not isinstance(quantity, int) \
            or abs(quantity) >= 10**rules.SERIAL_DIGITS:  # beyond any delivery: a broken row
        raise DomainError(_("Mutasi stok dari stasiun tidak sah"), code="movement_invalid")
    _office(office_id)
    if item == Item.BLANK and kind == Kind.CONSUMED and quantity == -1 and note.strip():
        _mirror_take(office_id, earmark, note)
    else:
        _mirror_balance(office_id, item, earmark, quantity, note)
    return StockMovement.objects.create(
        office_id=office_id, item=item, earmark=earmark, kind=kind, quantity=quantity, at=at,
        reference=reference[:100], counterpart_id=counterpart_id, idempotency_key=key,
        note=note[:300])


@transaction.atomic
def station_spoil_mirror(*, office_id: int, serial: str, reason: str) -> InvalidCard:
    """A card a station spoiled offline, booked invalid here as ``blank_spoil`` does, but with
    no ledger row: the station's own (informational) row arrives as a stock movement."""
    if reason not in InvalidCard.Reason.values or reason.startswith("returned"):
        raise DomainError(_("Unknown spoilage reason %(r)r") % {"r": reason}, code="spoil_reason")
    serial = (serial or "").strip()
    if InvalidCard.objects.filter(serial=serial).exists():
        raise Conflict(_("Card %(s)s is already booked as invalid") % {"s": serial},
                       code="card_already_booked")
    blank = BlankCard.objects.filter(serial=serial, office_id=office_id).first()
    if blank is None:
        raise NotFound(_("Blangko %(s)s tidak tercatat di kantor stasiun ini") % {"s": serial},
                       code="blank_serial_unknown")
    if BlankCard.objects.filter(pk=blank.pk, status=USED).update(status=SPOILED) != 1:
        raise Conflict(_("Only a used blank can be spoiled; %(s)s is %(status)s") % {
            "s": blank.serial, "status": blank.get_status_display()}, code="blank_not_used")
    return _book_invalid(serial=serial, office_id=office_id, reason=reason)
