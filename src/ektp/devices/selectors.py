"""Reads of offices and devices: printing capacity and the kecamatan nobody can be recorded
in. Callers scope offices with ``restrict`` first; the counts come from one aggregate query,
never one query per office."""

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet

from ektp.accounts.scoping import region_filter
from ektp.devices import rules
from ektp.devices.models import Breakdown, Device, Office
from ektp.regions.models import Region

PRINTER = Device.Kind.CARD_PRINTER


def _printers(status_in) -> Count:
    return Count("devices", filter=Q(devices__kind=PRINTER, devices__status__in=status_in))


def with_printer_counts(offices: QuerySet[Office]) -> QuerySet[Office]:
    """Each office with ``printers`` (retired ones left out), ``printers_working``,
    ``printers_degraded`` and ``cards_per_day``-ready counts, in the same query."""
    return offices.annotate(
        printers=_printers(rules.FLEET_STATUSES),
        printers_working=_printers([rules.WORKING]),
        printers_degraded=_printers([rules.DEGRADED]),
    )


def cards_per_day(office: Office) -> int:
    """Cards a day from an office annotated by ``with_printer_counts``."""
    return rules.capacity(office.printers_working, office.printers_degraded,
                          per_working=settings.EKTP_PRINTER_CARDS_PER_DAY,
                          per_degraded=settings.EKTP_DEGRADED_PRINTER_CARDS_PER_DAY)


def office_capacity(office: Office) -> int:
    """Cards a day this office's printers can really print."""
    return cards_per_day(with_printer_counts(Office.objects.filter(pk=office.pk)).get())


def capacity_by_office(region_code: str) -> list[dict]:
    """Per print point under ``region_code``: printers by state and cards per day.
    ``working`` counts the printers that print at all (working or degraded)."""
    offices = with_printer_counts(Office.objects.filter(
        region_filter("region__code", region_code), prints_cards=True))
    return [
        {"office": office, "printers": office.printers,
         "working": office.printers_working + office.printers_degraded,
         "degraded": office.printers_degraded, "cards_per_day": cards_per_day(office)}
        for office in offices
    ]


def office_devices(office: Office) -> QuerySet[Device]:
    """The office's devices, each with ``open_breakdowns`` (a list of none or one)."""
    return office.devices.prefetch_related(Prefetch(
        "breakdowns", queryset=Breakdown.objects.filter(repaired_at=None),
        to_attr="open_breakdowns"))


def working_printers(office: Office) -> QuerySet[Device]:
    return office.devices.filter(kind=PRINTER, status__in=rules.PRINTING_STATUSES)


def districts_without_recording_kit(region_code: str) -> list[Region]:
    """Kecamatan in ``region_code`` (itself, if it is one) where no recording kit is in
    service: flagged, since nobody there can be recorded. A kit counts for the kecamatan its
    office stands in; a kabupaten-level office (the Dinas) covers no kecamatan by itself."""
    kits = Device.objects.filter(
        region_filter("office__region__code", region_code),
        kind=Device.Kind.RECORDING_KIT, status__in=rules.IN_SERVICE_STATUSES)
    covered = {code[:8] for code in kits.values_list("office__region_id", flat=True)
               if len(code) >= 8}
    districts = Region.objects.filter(region_filter("code", region_code),
                                      level=Region.Level.DISTRICT).order_by("code")
    return [district for district in districts if district.code not in covered]


def kits_in_service(offices: QuerySet[Office]) -> QuerySet[Office]:
    """``offices`` with ``kits`` (recording kits in service), in the same query."""
    return offices.annotate(kits=Count("devices", filter=Q(
        devices__kind=Device.Kind.RECORDING_KIT, devices__status__in=rules.IN_SERVICE_STATUSES)))


def capacity_total(devices: QuerySet[Device]) -> dict:
    """Printers of ``devices`` by state and the cards a day they print, in one query."""
    counts = devices.filter(kind=PRINTER).aggregate(
        printers=Count("pk", filter=Q(status__in=rules.FLEET_STATUSES)),
        working=Count("pk", filter=Q(status=rules.WORKING)),
        degraded=Count("pk", filter=Q(status=rules.DEGRADED)))
    counts["cards_per_day"] = rules.capacity(
        counts["working"], counts["degraded"], per_working=settings.EKTP_PRINTER_CARDS_PER_DAY,
        per_degraded=settings.EKTP_DEGRADED_PRINTER_CARDS_PER_DAY)
    return counts
