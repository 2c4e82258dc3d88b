"""No network at all: the outbox to a file at the station, the file into central at the
Dinas. Each packet keeps its own signature, so the import makes the same checks as a sync
and is idempotent (a packet imported twice, or imported then pushed, is stored once)."""

import json
from pathlib import Path

from django.utils import timezone

from ektp.stations import packets
from ektp.stations.ingest import DUPLICATE, REJECTED, packet_ingest, reject_keep
from ektp.stations.models import OutboxPacket
from ektp.stations.outbox import identity

FORMAT = "ektp-outbox-v1"


def outbox_export(path: Path) -> int:
    """Write every pending packet to ``path``; they stay in the outbox until central
    acknowledges them at a later sync (as duplicates, once imported)."""
    station = identity()
    rows = OutboxPacket.objects.filter(state=OutboxPacket.State.PENDING).order_by("sequence")
    envelopes = [json.loads(row.envelope) for row in rows]
    data = {"format": FORMAT, "station": station.code,
            "exported_at": packets.utc_text(timezone.now()), "packets": envelopes}
    temp = Path(path).with_suffix(".part")
    temp.write_bytes(packets.canonical(data))
    temp.replace(path)
    return len(envelopes)


def outbox_import(path: Path) -> dict:
    """Ingest a file made by ``outbox_export``; returns counts by outcome."""
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
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    for envelope in data["packets"]:
        result = packet_ingest(envelope=envelope, via="file")
        key = result.status if result.status in (DUPLICATE, REJECTED) else "accepted"
        counts[key] += 1
    return counts
