"""What central shows about each station: last contact, queue, oldest unsynced packet, gaps
in its sequence, packets kept aside, open conflicts."""

from django.db.models import Count, Max

from ektp.accounts import rules as roles
from ektp.accounts.scoping import restrict
from ektp.stations.models import (
    PrefetchLease,
    ReceivedPacket,
    RejectedPacket,
    Station,
    SyncConflict,
)

MAX_GAPS_SHOWN = 50


def sequence_gaps(station_id: int, *, limit: int = MAX_GAPS_SHOWN) -> list[tuple[int, int]]:
    """Missing ranges ``(first, last)`` of the station's sequence between 1 and the highest
    number received: packets sent later arrived, these did not (yet)."""
    sequences = ReceivedPacket.objects.filter(station_id=station_id).order_by(
        "sequence").values_list("sequence", flat=True).iterator(chunk_size=5000)
    gaps, expected = [], 1
    for sequence in sequences:
        if sequence > expected:
            gaps.append((expected, sequence - 1))
            if len(gaps) >= limit:
                break
        expected = sequence + 1
    return gaps


def stations_for(user):
    return restrict(user, roles.DEVICE_VIEW, Station.objects.select_related("office"))


def station_overview(station: Station) -> dict:
    received = ReceivedPacket.objects.filter(station=station).aggregate(
        count=Count("pk"), highest=Max("sequence"))
    gaps = sequence_gaps(station.pk)
    return {
        "id": station.pk, "code": station.code, "office_code": station.office.code,
        "active": station.active, "registered_at": station.registered_at,
        "last_contact_at": station.last_contact_at, "queue_length": station.queue_length,
        "oldest_unsynced_at": station.oldest_unsynced_at,
        "clock_offset_seconds": station.clock_offset_seconds,
        "received": received["count"], "highest_sequence": received["highest"] or 0,
        "gaps": [{"first": first, "last": last} for first, last in gaps],
        "missing": sum(last - first + 1 for first, last in gaps),
        "rejects": RejectedPacket.objects.filter(station=station, reviewed_at=None).count(),
        "conflicts": SyncConflict.objects.filter(station_code=station.code,
                                                 resolved_at=None).count(),
        # Print-ready records the station holds for offline printing (lapsed ones included).
        "leases": PrefetchLease.objects.filter(station=station).count(),
    }
