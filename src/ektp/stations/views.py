"""The stations page: at central, every station of the user's region with its last contact,
queue, oldest unsynced packet, gaps, packets kept aside and open conflicts; on a station, its
own registration, outbox and guard rails."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ektp.accounts.decorators import operator_required
from ektp.accounts.rules import DEVICE_VIEW
from ektp.accounts.scoping import may
from ektp.errors import DomainError
from ektp.stations.models import PrefetchedRecord, RejectedPacket, StationIdentity, SyncConflict
from ektp.stations.outbox import guard_limits, outbox_summary, station_guard
from ektp.stations.selectors import station_overview, stations_for


def _station_side() -> dict:
    identity = StationIdentity.objects.filter(pk=1).first()
    try:
        station_guard()
        refusal = None
    except DomainError as error:
        refusal = error
    prefetched = {row["state"]: row["n"] for row in PrefetchedRecord.objects.values("state")
                  .order_by().annotate(n=Count("pk"))}
    return {"identity": identity, "summary": outbox_summary(), "limits": guard_limits(),
            "refusal": refusal, "prefetched": prefetched,
            "conflicts": SyncConflict.objects.filter(resolved_at=None)[:50]}


@require_GET
@operator_required
def station_list(request):
    if not may(request.user, DEVICE_VIEW):
        raise PermissionDenied
    if settings.EKTP_ROLE == "station":
        return render(request, "stations/station.html", _station_side())
    stations = stations_for(request.user)
    codes = stations.values("code")
    return render(request, "stations/overview.html", {
        "stations": [station_overview(station) for station in stations],
        "rejects": RejectedPacket.objects.filter(station__in=stations.values("pk"),
                                                 reviewed_at=None)[:50],
        "conflicts": SyncConflict.objects.filter(station_code__in=codes, resolved_at=None)[:50],
    })
