"""A print point's offline printing: the prefetched records as its operator sees them, and the
card of a record printed here as a PDF for the card printer.

A card PDF exists only for a record printed here (``prefetched_print`` took its blank and
wrote the print result to the outbox first): no card leaves the station uncounted."""

from dataclasses import replace

from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.errors import Conflict
from ektp.printing.card import card_from_dict, render_cards_pdf
from ektp.stations.models import PrefetchedRecord
from ektp.stations.station_pull import prefetched_card

SHOWN = 200


def prefetched_rows(limit: int = SHOWN) -> list[dict]:
    """Ready records first (oldest first), then those printed here (latest first)."""
    ready = PrefetchedRecord.objects.filter(state=PrefetchedRecord.State.READY).order_by(
        "central_application_id")[:limit]
    printed = PrefetchedRecord.objects.filter(state=PrefetchedRecord.State.PRINTED).order_by(
        "-printed_at")[:limit]
    return [_row(record) for record in [*ready, *printed]]


def _row(record: PrefetchedRecord) -> dict:
    card = prefetched_card(record.central_application_id)
    return {"central_id": record.central_application_id, "state": record.state,
            "state_label": record.get_state_display(), "nik": card.get("nik", ""),
            "name": card.get("name", ""), "village": card.get("village_name", ""),
            "blank_serial": record.blank_serial, "printed_at": record.printed_at}


def printed_card_pdf(central_id: int) -> bytes:
    record = PrefetchedRecord.objects.filter(central_application_id=central_id).first()
    if record is None or record.state != PrefetchedRecord.State.PRINTED:
        raise Conflict(_("Kartu hanya dibuat untuk rekaman yang sudah dicetak di stasiun ini"),
                       code="not_printed_here")
    try:
        card = card_from_dict(prefetched_card(central_id))
    except ValueError as exc:
        raise Conflict(_("Data kartu rekaman ini tidak lengkap; ambil ulang dari pusat"),
                       code="card_data_incomplete") from exc
    issued = timezone.localdate(record.printed_at)
    return render_cards_pdf([replace(card, issue_date=issued)])
