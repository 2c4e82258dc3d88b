from django.conf import settings
from django.db.models import Q

from ektp.devices import rules
from ektp.devices.models import Device, Office
from ektp.regions.models import Region


def office_capacity(office: Office) -> int:
    """Cards a day this office's printers can really print."""
    statuses = list(office.devices.filter(kind=Device.Kind.CARD_PRINTER)
                    .values_list("status", flat=True))
    return rules.cards_per_day(statuses, per_working=settings.EKTP_PRINTER_CARDS_PER_DAY,
                               per_degraded=settings.EKTP_DEGRADED_PRINTER_CARDS_PER_DAY)


def capacity_by_office(region_code: str) -> list[dict]:
    """Per print point under ``region_code``: printers by state and cards per day."""
    offices = Office.objects.filter(prints_cards=True).filter(
        Q(region_id=region_code) | Q(region_id__startswith=region_code + "."))
    devices = Device.objects.filter(office__in=offices, kind=Device.Kind.CARD_PRINTER)
    statuses: dict[int, list[str]] = {}
    for office_id, status in devices.values_list("office_id", "status"):
        statuses.setdefault(office_id, []).append(status)
    return [
        {"office": office, "printers": len(statuses.get(office.pk, [])),
         "working": sum(s in rules.PRINTING_STATUSES for s in statuses.get(office.pk, [])),
         "cards_per_day": rules.cards_per_day(
             statuses.get(office.pk, []), per_working=settings.EKTP_PRINTER_CARDS_PER_DAY,
             per_degraded=settings.EKTP_DEGRADED_PRINTER_CARDS_PER_DAY)}
        for office in offices
    ]


def districts_without_recording_kit(region_code: str) -> list[Region]:
    """Kecamatan under ``region_code`` where no working recording kit stands: flagged, since
    nobody there can be recorded."""
    covered = set(
        Device.objects.filter(kind=Device.Kind.RECORDING_KIT, status=rules.WORKING)
        .values_list("office__region_id", flat=True))
    covered_districts = {code[:8] for code in covered if len(code) >= 8}
    districts = Region.objects.filter(level=Region.Level.DISTRICT,
                                      code__startswith=region_code + ".")
    return [d for d in districts if d.code not in covered_districts]
