"""No network at all: the outbox to a file at the station, the file into central at the
Dinas, and central's signed receipt back to the station on the same stick.

Each packet keeps its own signature, so the import makes the same checks as a sync and is
idempotent (a packet imported twice, or imported then pushed, is stored once). The receipt
lists what central acknowledged, signed with the key the station pinned at registration: only
then do those packets leave the station's disk, exactly as after an online sync."""

import json
import uuid
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.errors import DomainError
from ektp.stations import keys, packets
from ektp.stations.client import SyncReport, acknowledge
from ektp.stations.ingest import DUPLICATE, REJECTED, packet_ingest, reject_keep
from ektp.stations.models import OutboxPacket, StationIdentity
from ektp.stations.outbox import identity

FORMAT = "ektp-outbox-v1"
RECEIPT_FORMAT = "ektp-receipt-v1"
RECEIPT_PATH = "usb-receipt"  # what the receipt's signature is bound to


def outbox_export(path: Path) -> int:
    """Write every pending packet to ``path``; they stay in the outbox until central
    acknowledges them (a receipt from the import, or a later sync)."""
    station = identity()
    rows = OutboxPacket.objects.filter(state=OutboxPacket.State.PENDING).order_by("sequence")
    envelopes = [json.loads(row.envelope) for row in rows]
    data = {"format": FORMAT, "station": station.code,
            "exported_at": packets.utc_text(timezone.now()), "packets": envelopes}
    _write(Path(path), packets.canonical(data))
    return len(envelopes)


def _write(path: Path, data: bytes) -> None:
    temp = path.with_suffix(".part")
    temp.write_bytes(data)
    temp.replace(path)  # a pulled stick leaves the old file or the new one, never half


def outbox_import(path: Path, *, receipt: Path | None = None) -> dict:
    """Ingest a file made by ``outbox_export``; returns counts by outcome. With ``receipt``,
    write central's signed receipt of the outcomes there for the station."""
    raw = Path(path).read_bytes()
    try:
        data = packets.decode(raw)
        if not isinstance(data, dict) or data.get("format") != FORMAT \
                or not isinstance(data.get("packets"), list):
            raise packets.PacketError(packets.MALFORMED, "not an ektp outbox file")
    except packets.PacketError as error:
        reject_keep(code=error.code, reason=f"file {Path(path).name}: {error.message}",
                    raw=raw[:4096].decode("utf-8", "replace"), via="file")
        return {"accepted": 0, "duplicate": 0, "rejected": 1, "file_malformed": 1}
    counts, results = {"accepted": 0, "duplicate": 0, "rejected": 0}, []
    for envelope in data["packets"]:
        result = packet_ingest(envelope=envelope, via="file")
        key = result.status if result.status in (DUPLICATE, REJECTED) else "accepted"
        counts[key] += 1
        results.append(result.as_dict())
    if receipt is not None:
        _write(Path(receipt), receipt_make(str(data.get("station", ""))[:40], results))
    return counts


def receipt_make(station_code: str, results: list[dict]) -> bytes:
    """Central: the outcomes of an import, signed with central's key."""
    receipt = {"format": RECEIPT_FORMAT, "station": station_code,
               "issued_at": packets.utc_text(timezone.now()), "results": results}
    body = packets.canonical(receipt)
    signature = packets.sign_message(keys.central_private_key(), packets.RECEIPT_DOMAIN,
                                     RECEIPT_PATH, body)
    return packets.canonical({"receipt": body.decode("utf-8"), "sig": signature})


def _verified_receipt(raw: bytes) -> dict:
    station = identity()
    try:
        outer = packets.decode(raw)
        body = outer["receipt"].encode("utf-8")
        packets.verify_message(packets.ed25519_public(station.central_sign_key),
                               packets.RECEIPT_DOMAIN, RECEIPT_PATH, body, outer["sig"])
        receipt = packets.decode(body)
    except (packets.PacketError, KeyError, TypeError, AttributeError) as exc:
        raise DomainError(_("Tanda terima bukan dari server pusat yang terdaftar, atau rusak"),
                          code="receipt_invalid") from exc
    if receipt.get("format") != RECEIPT_FORMAT or not isinstance(receipt.get("results"), list):
        raise DomainError(_("Berkas ini bukan tanda terima ektp"), code="receipt_invalid")
    if receipt.get("station") != station.code:
        raise DomainError(_("Tanda terima ini untuk stasiun %(s)s")
                          % {"s": receipt.get("station")}, code="receipt_other_station")
    return receipt


def receipt_apply(path: Path) -> SyncReport:
    """Station: drop from the outbox what central's receipt acknowledges, mark what it
    refused; a receipt that acknowledges nothing new (read twice) changes nothing."""
    receipt = _verified_receipt(Path(path).read_bytes())
    ids = {str(item.get("id")) for item in receipt["results"] if isinstance(item, dict)}
    pending = {str(pk) for pk in OutboxPacket.objects.filter(
        packet_id__in=_uuids(ids), state=OutboxPacket.State.PENDING).values_list(
        "packet_id", flat=True)}
    report = SyncReport()
    acknowledge(receipt["results"], pending, report)
    if report.acknowledged:
        # Central has everything up to here: the days-since-sync guard rail starts again.
        StationIdentity.objects.filter(pk=1).update(last_sync_at=timezone.now(), last_error="")
    return report


def _uuids(ids: set[str]) -> list[str]:
    valid = []
    for value in ids:
        try:
            valid.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return valid
