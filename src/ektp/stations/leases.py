"""Central: which print point holds a print-ready record for offline printing.

A lease keeps a record with one print point, so two print points never both print it offline,
and central's own print room refuses it meanwhile. A station renews the leases of what it
still holds at every pull. A lease not renewed for ``EKTP_PREFETCH_LEASE_DAYS`` (a laptop
stolen, broken or never brought back) expires: another print point, or central, may then take
the record, and the station that lost it hears at its next pull that it was withdrawn."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.errors import Conflict
from ektp.stations.models import PrefetchLease, Station

LOST = "LEASED_ELSEWHERE"  # what a station is told about a record another one now holds


def _cutoff():
    return timezone.now() - timedelta(days=settings.EKTP_PREFETCH_LEASE_DAYS)


def held_by_print_points() -> Q:
    """Applications under a lease that has not lapsed."""
    return Q(prefetch_lease__leased_at__gte=_cutoff())


def leases_renew(station: Station, held: list[int]) -> None:
    PrefetchLease.objects.filter(station=station, application_id__in=held).update(
        leased_at=timezone.now())


def leases_take(station: Station, candidates: list[int]) -> None:
    """Lease ``candidates`` to ``station``: free ones, its own, and expired ones of others.
    Of two stations asking at once, the unique lease per record lets exactly one have it."""
    PrefetchLease.objects.filter(application_id__in=candidates,
                                 leased_at__lt=_cutoff()).exclude(station=station).delete()
    PrefetchLease.objects.bulk_create(
        [PrefetchLease(application_id=pk, station=station, leased_at=timezone.now())
         for pk in candidates], ignore_conflicts=True)


def leases_lost(station: Station, held: list[int]) -> set[int]:
    """Of the records the station holds, those now leased to another print point."""
    return set(PrefetchLease.objects.filter(application_id__in=held).exclude(
        station=station).values_list("application_id", flat=True))


def lease_refuse_print(application_id: int) -> None:
    """Central's print room: a record a print point holds is not printed here until its lease
    expires; an expired lease is ended, so the station is told at its next pull."""
    lease = PrefetchLease.objects.select_related("station").filter(
        application_id=application_id).first()
    if lease is None:
        return
    if lease.leased_at < _cutoff():
        lease.delete()
        return
    until = lease.leased_at + timedelta(days=settings.EKTP_PREFETCH_LEASE_DAYS)
    raise Conflict(_("Rekaman ini dipegang titik cetak %(s)s untuk cetak offline sampai "
                     "%(d)s") % {"s": lease.station.code, "d": until.date().isoformat()},
                   code="record_leased_to_station")
