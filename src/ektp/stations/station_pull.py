"""Station: apply what central answered to a pull, and print from the prefetched records.

A prefetched record is printed at most once here (a conditional update from ready to
printed); a record central withdrew (duplicate, cancelled, printed elsewhere) cannot be
printed once the station has heard of it, and one printed before that is raised as a conflict
at central when the print packet arrives."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.devices.models import Office
from ektp.enrollment.keys import biometric_key
from ektp.enrollment.sealing import row_binding, seal, unseal
from ektp.errors import Conflict, NotFound
from ektp.issuance import rules
from ektp.issuance.models import Application
from ektp.issuance.services import application_mirror_status
from ektp.stations import packets
from ektp.stations.models import PrefetchedRecord, StationIdentity, SyncConflict
from ektp.stations.outbox import identity, outbox_add
from ektp.supplies import services as supplies


def _card_binding(central_id: int) -> bytes:
    return row_binding(f"prefetch-{central_id}", "card")


def _list(answer: dict, name: str) -> list:
    value = answer.get(name)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


@transaction.atomic
def pull_apply(answer: dict) -> dict:
    counts = {"statuses": _mirror_statuses(_list(answer, "statuses")),
              "withdrawn": _withdraw(_list(answer, "withdrawn")),
              "prefetched": _store_prefetch(_list(answer, "prefetch")),
              "conflicts": _store_conflicts(_list(answer, "conflicts"))}
    cursor = answer.get("cursor")
    if isinstance(cursor, str):
        StationIdentity.objects.filter(pk=1).update(status_cursor=cursor[:80])
    sent = answer.get("settings")
    limits = sent.get("limits") if isinstance(sent, dict) else None
    if isinstance(limits, dict):
        StationIdentity.objects.filter(pk=1).update(limits=limits)
    return counts


def _mirror_statuses(changes: list[dict]) -> int:
    """Central decides the status of a recording: the local application follows it."""
    moved = 0
    for change in changes:
        application = (Application.objects.filter(
            enrollment__station_code=change.get("station"),
            enrollment__sequence=change.get("sequence")).order_by("-pk").first())
        status = change.get("status")
        if application is None or status not in rules.ALLOWED_TRANSITIONS:
            continue
        moved += application_mirror_status(
            application_id=application.pk, to_status=status, site=identity().code,
            reason=f"sinkron dari pusat #{change.get('central_id')}")
    return moved


def _withdraw(notices: list[dict]) -> int:
    withdrawn = 0
    for notice in notices:
        withdrawn += PrefetchedRecord.objects.filter(
            central_application_id=notice.get("central_id"),
            state=PrefetchedRecord.State.READY).update(
            state=PrefetchedRecord.State.WITHDRAWN,
            withdrawn_status=str(notice.get("status", ""))[:26])
    return withdrawn


def _store_prefetch(records: list[dict]) -> int:
    key, now = biometric_key(), timezone.now()
    rows = [PrefetchedRecord(
        central_application_id=record["central_id"], village_code=str(record.get("village"))[:13],
        fetched_at=now, card_sealed=seal(packets.canonical(record.get("card") or {}), key=key,
                                         associated_data=_card_binding(record["central_id"])))
        for record in records if isinstance(record.get("central_id"), int)]
    # An id already held (printed or withdrawn here) is never made ready again.
    return len(PrefetchedRecord.objects.bulk_create(rows, ignore_conflicts=True))


def _store_conflicts(conflicts: list[dict]) -> int:
    rows = []
    for item in conflicts:
        try:
            at = packets.parse_utc(str(item.get("at")))
        except packets.PacketError:
            at = timezone.now()
        rows.append(SyncConflict(
            station_code=identity().code, packet_id=item.get("packet_id"),
            code=str(item.get("code"))[:20], at=at,
            application_ref=str(item.get("application_ref"))[:40],
            central_status=str(item.get("central_status", ""))[:26],
            detail=str(item.get("detail", ""))[:300]))
    return len(SyncConflict.objects.bulk_create(rows, ignore_conflicts=True))


def prefetched_card(central_id: int) -> dict:
    record = PrefetchedRecord.objects.filter(central_application_id=central_id).first()
    if record is None:
        raise NotFound(_("Rekaman tidak ada di stasiun ini"), code="prefetch_unknown")
    return packets.decode(unseal(record.card_sealed, key=biometric_key(),
                                 associated_data=_card_binding(central_id)))


def _print_office() -> Office:
    office = Office.objects.filter(code=identity().office_code).first()
    if office is None:
        raise NotFound(_("Kantor stasiun ini tidak ada di basis data stasiun"),
                       code="office_unknown")
    return office


@transaction.atomic
def prefetched_print(*, actor, central_id: int, blank_serial: str | None = None
                     ) -> PrefetchedRecord:
    """Print a prefetched record offline: once, and only while central has not withdrawn it.
    It takes a blank (the one scanned, else the lowest serial) and a ribbon and film share from
    the station's office stock; the stock movements and the print result go to the outbox in
    the same transaction. Out of stock, nothing changes and the record stays ready."""
    updated = PrefetchedRecord.objects.filter(
        central_application_id=central_id, state=PrefetchedRecord.State.READY).update(
        state=PrefetchedRecord.State.PRINTED, printed_at=timezone.now())
    record = PrefetchedRecord.objects.filter(central_application_id=central_id).first()
    if record is None:
        raise NotFound(_("Rekaman tidak ada di stasiun ini"), code="prefetch_unknown")
    if updated != 1:
        _refuse(record)
    office, reference = _print_office(), f"cetak offline #{central_id}"
    blank = supplies.blank_take(
        actor=actor, office_id=office.pk, serial=(blank_serial or "").strip() or None,
        first_card=prefetched_card(central_id).get("kind", "new") == "new", reference=reference)
    supplies.consumables_take(actor=actor, office_id=office.pk, reference=reference)
    record.blank_serial = blank.serial
    record.save(update_fields=["blank_serial"])
    outbox_add(kind="print_result", payload={
        "application": {"central_id": central_id}, "blank_serial": blank.serial,
        "office_code": office.code})
    return record


def _refuse(record: PrefetchedRecord) -> None:
    if record.state == PrefetchedRecord.State.PRINTED:
        raise Conflict(_("Rekaman ini sudah dicetak di stasiun ini"), code="already_printed")
    if record.withdrawn_status == rules.S_DUP:
        raise Conflict(_("Rekaman ganda tidak pernah boleh dicetak"),
                       code="duplicate_not_printable")
    raise Conflict(_("Rekaman ditarik pusat (%(s)s)") % {"s": record.withdrawn_status},
                   code="record_withdrawn")
