"""Central ingest: every packet checked (shape, station, hash, signature), stored once, and
applied through the existing services. A repeat is acknowledged and not stored again, also
when two copies arrive at the same moment (unique packet id; the loser sees the winner's row).
A refused packet is kept aside with a stable code for review; nothing of it is applied."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ektp.stations import packets
from ektp.stations.apply import APPLIERS, Applied
from ektp.stations.models import ReceivedPacket, RejectedPacket, Station, SyncConflict

logger = logging.getLogger(__name__)
ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
# Below this, a station's clock is taken as right (the recording check allows 10 minutes).
CLOCK_TOLERANCE = timedelta(minutes=5)
RAW_LIMIT = 64 * 1024


@dataclass
class IngestResult:
    packet_id: str
    status: str
    code: str = ""
    detail: str = ""
    conflict: str = ""

    def as_dict(self) -> dict:
        return {"id": self.packet_id, "status": self.status, "code": self.code,
                "detail": self.detail, "conflict": self.conflict}


def reject_keep(*, code: str, reason: str, station: Station | None = None, station_code: str = "",
                packet_id: str = "", raw: str = "", via: str = "http") -> RejectedPacket:
    logger.warning("packet refused: %s (station %s, packet %s)", code,
                   station.code if station else station_code[:24], packet_id[:40])
    return RejectedPacket.objects.create(
        station=station, station_code=(station.code if station else station_code)[:40],
        packet_id=str(packet_id)[:40], code=code, reason=reason[:300], via=via,
        received_at=timezone.now(), raw=raw[:RAW_LIMIT])


def _rejected(error: packets.PacketError, envelope, *, station=None, via: str) -> IngestResult:
    body = envelope.get("body") if isinstance(envelope, dict) else None
    body = body if isinstance(body, dict) else {}
    try:
        raw = packets.canonical(envelope).decode("utf-8")
    except (ValueError, TypeError, RecursionError):
        raw = "<not JSON-encodable>"
    reject_keep(code=error.code, reason=error.message, station=station, via=via,
                station_code=str(body.get("station", "")), packet_id=str(body.get("id", "")),
                raw=raw)
    return IngestResult(str(body.get("id", ""))[:40], REJECTED, error.code, error.message)


def _station_of(body: dict, sender: Station | None) -> Station:
    station = Station.objects.select_related("office").filter(code=body["station"],
                                                              active=True).first()
    if station is None:
        raise packets.PacketError(packets.UNKNOWN_STATION, "no active station has this code")
    if sender is not None and sender.pk != station.pk:
        raise packets.PacketError(packets.BAD_SIGNATURE, "a packet of another station")
    return station


def _central_time(occurred_at, clock_offset: float | None):
    """The station's time put on central's clock: shifted by the offset measured at this sync
    when the station's clock is off; without a measurement (a USB file) never in the future."""
    if clock_offset is not None and abs(clock_offset) > CLOCK_TOLERANCE.total_seconds():
        occurred_at -= timedelta(seconds=clock_offset)
    return min(occurred_at, timezone.now())


def packet_ingest(*, envelope, sender: Station | None = None, via: str = "http",
                  clock_offset: float | None = None) -> IngestResult:
    """Check, store once and apply one packet. ``sender`` is the station that signed the
    request (None for a file brought on USB)."""
    station = None
    try:
        body = packets.check_envelope(envelope)
        station = _station_of(body, sender)
        packets.verify_envelope(envelope, packets.ed25519_public(station.public_key))
    except packets.PacketError as error:
        return _rejected(error, envelope, station=station, via=via)
    known = _known(body, envelope, station, via)
    if known is not None:
        return known
    try:
        return _store_and_apply(body, envelope, station, via, clock_offset)
    except IntegrityError:
        # A copy stored by a concurrent ingest, or the sequence taken by another packet.
        return _known(body, envelope, station, via) or _rejected(packets.PacketError(
            "sequence_reused", "another packet of this station has this sequence number"),
            envelope, station=station, via=via)


def _known(body: dict, envelope: dict, station: Station, via: str) -> IngestResult | None:
    row = ReceivedPacket.objects.filter(packet_id=body["id"]).first()
    if row is None:
        return None
    if row.hash != envelope["hash"] or row.station_id != station.pk:
        return _rejected(packets.PacketError("packet_id_reused",
                                             "this packet id was received with other content"),
                         envelope, station=station, via=via)
    return IngestResult(body["id"], DUPLICATE, row.outcome_code)


def _store_and_apply(body, envelope, station, via, clock_offset) -> IngestResult:
    occurred = packets.parse_utc(body["occurred_at"])
    with transaction.atomic():
        row = ReceivedPacket.objects.create(
            station=station, packet_id=body["id"], sequence=body["seq"], kind=body["kind"],
            hash=envelope["hash"], occurred_at=occurred, received_at=timezone.now(), via=via,
            outcome=ReceivedPacket.Outcome.APPLIED,
            envelope=packets.canonical(envelope).decode("utf-8"))
        applied = _apply(station, body, _central_time(occurred, clock_offset))
        row.outcome, row.outcome_code, row.detail = applied.outcome, applied.code, applied.detail
        row.save(update_fields=["outcome", "outcome_code", "detail"])
        if applied.conflict:
            SyncConflict.objects.create(
                station_code=station.code, packet_id=body["id"], code=applied.conflict,
                application_ref=applied.ref[:40], central_status=applied.central_status,
                detail=applied.detail[:300], at=timezone.now())
    return IngestResult(body["id"], ACCEPTED, applied.code, applied.detail, applied.conflict)


def _apply(station: Station, body: dict, at) -> Applied:
    """Apply in a savepoint: a refusal by the services undoes its part and is recorded on the
    packet (kept, acknowledged, shown for review), never lost."""
    from ektp.errors import DomainError

    try:
        with transaction.atomic():
            return APPLIERS[body["kind"]](station, body, at)
    except DomainError as error:
        return Applied(ReceivedPacket.Outcome.NOT_APPLIED, error.code, error.message)
    except packets.PacketError as error:
        return Applied(ReceivedPacket.Outcome.NOT_APPLIED, error.code, error.message)
