"""Reference data for stations: central's register of residents, the station's area only.

A station is set up from an image of the register; after that, each pull brings the residents
of its office's area that central added or changed since the station's cursor (moves, deaths,
corrected data, a resident registered yesterday), so the kecamatan records people central
knows. The station's copy is a replica: central's services made the changes, the station only
mirrors them (by NIK and KK number; local row ids are its own)."""

from datetime import date

from django.db import transaction
from django.db.models import Q

from ektp.accounts.scoping import region_filter
from ektp.regions.models import Region
from ektp.residents.models import Family, Resident
from ektp.stations import packets
from ektp.stations.models import Station, StationIdentity

PAGE = 500
COPIED = ("name", "birth_place", "sex", "religion", "marital_status", "blood_type",
          "occupation", "citizenship", "nationality", "mother_name", "father_name", "status",
          "relationship", "nik_warnings")
DATES = ("birth_date", "kitap_expiry", "died_on")


def changed_filter(cursor: str, field: str) -> Q:
    """Rows after ``cursor`` ("time|pk") in (``field``, pk) order; everything when empty."""
    try:
        stamp, pk = cursor.rsplit("|", 1)
        moment = packets.parse_utc(stamp)
        return Q(**{f"{field}__gt": moment}) | Q(**{field: moment, "pk__gt": int(pk)})
    except (ValueError, packets.PacketError):
        return Q()


# --- central --------------------------------------------------------------------------------


def residents_page(station: Station, cursor: str) -> dict:
    rows = list(Resident.objects.select_related("family")
                .filter(region_filter("family__village__code", station.office.region_id))
                .filter(changed_filter(cursor, "updated_at"))
                .order_by("updated_at", "pk")[:PAGE + 1])
    page = rows[:PAGE]
    if page:
        cursor = f"{packets.utc_text(page[-1].updated_at)}|{page[-1].pk}"
    return {"residents": [_resident_row(r) for r in page], "residents_cursor": cursor,
            "residents_more": len(rows) > PAGE}


def _resident_row(resident: Resident) -> dict:
    family = resident.family
    row = {field: getattr(resident, field) for field in COPIED}
    row.update({field: getattr(resident, field) and getattr(resident, field).isoformat()
                for field in DATES})
    row.update(nik=resident.nik, family={
        "kk_number": family.kk_number, "village": family.village_id, "address": family.address,
        "rt": family.rt, "rw": family.rw})
    return row


# --- station --------------------------------------------------------------------------------


@transaction.atomic
def residents_apply(rows: list, cursor) -> int:
    """Upsert the residents central sent; returns how many were taken. A row the station
    cannot place (a village it does not know, a damaged row) is left out, never half-stored."""
    villages = set(Region.objects.filter(
        code__in={_village(row) for row in rows}).values_list("code", flat=True))
    taken = 0
    for row in rows:
        if _village(row) in villages and _upsert(row):
            taken += 1
    if isinstance(cursor, str):
        StationIdentity.objects.filter(pk=1).update(residents_cursor=cursor[:80])
    return taken


def _village(row) -> str:
    family = row.get("family") if isinstance(row, dict) else None
    return str(family.get("village", "")) if isinstance(family, dict) else ""


def _upsert(row: dict) -> bool:
    try:
        family_data = row["family"]
        values = {field: row[field] for field in COPIED}
        values.update({field: row[field] and date.fromisoformat(row[field]) for field in DATES})
        with transaction.atomic():
            family, _ = Family.objects.update_or_create(
                kk_number=str(family_data["kk_number"]), defaults={
                    "village_id": family_data["village"], "address": family_data["address"],
                    "rt": family_data["rt"], "rw": family_data["rw"]})
            Resident.objects.update_or_create(nik=str(row["nik"]),
                                              defaults={**values, "family": family})
    except (KeyError, TypeError, ValueError):
        return False
    return True
