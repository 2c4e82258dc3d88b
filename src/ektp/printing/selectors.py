"""Reads for printing: the print queue of a print point and the data printed on a card."""

from django.db.models import QuerySet
from django.utils import timezone

from ektp.accounts.scoping import region_filter
from ektp.devices.models import Office
from ektp.enrollment.selectors import enrollment_image
from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application
from ektp.printing.card import CardData
from ektp.printing.rules import queue_order
from ektp.regions.models import Region
from ektp.residents import reference
from ektp.supplies.models import BlankCard


def _in_area(office: Office) -> QuerySet[Application]:
    return Application.objects.filter(
        region_filter(Application.region_path, office.region_id), status=issuance_rules.S_PRR)


def blanks_in_stock(office: Office) -> int:
    return BlankCard.objects.filter(office=office, status=BlankCard.Status.IN_STOCK).count()


def print_queue(office: Office, *, limit: int = 100) -> list[Application]:
    """The PRR of the office's area, oldest first; first-time applicants before replacements
    when the office has fewer blanks than records waiting."""
    waiting = list(_in_area(office).values_list("pk", "kind", "status_changed_at"))
    now = timezone.now()
    ordered = queue_order([(pk, kind, (now - at).total_seconds()) for pk, kind, at in waiting],
                          blanks_short=blanks_in_stock(office) < len(waiting))[:limit]
    by_id = Application.objects.select_related("resident").in_bulk(ordered)
    return [by_id[pk] for pk in ordered]


def card_data(application: Application, *, issue_place: str, issue_date=None) -> CardData:
    resident = application.resident
    family = resident.family
    village = Region.objects.select_related("parent__parent__parent").get(pk=family.village_id)
    district, regency = village.parent, village.parent.parent
    labels = {field: reference.label_of(choices, getattr(resident, field)) for field, choices in (
        ("sex", reference.JENIS_KELAMIN), ("religion", reference.AGAMA),
        ("marital_status", reference.STATUS_PERKAWINAN), ("occupation", reference.PEKERJAAN))}
    foreign = resident.citizenship == "WNA"
    return CardData(
        province_name=regency.parent.name, regency_name=regency.name, nik=resident.nik,
        name=resident.name, birth_place=resident.birth_place, birth_date=resident.birth_date,
        sex_label=labels["sex"], blood_type_label=reference.blood_type_on_card(resident.blood_type),
        address=family.address, rt=family.rt, rw=family.rw, village_name=village.name,
        district_name=district.name, religion_label=labels["religion"].upper(),
        marital_label=labels["marital_status"], occupation_label=labels["occupation"],
        citizenship=resident.nationality if foreign else "WNI",
        valid_until=resident.kitap_expiry if foreign else None, issue_place=issue_place,
        issue_date=issue_date or timezone.localdate(),
        photo=enrollment_image(application.enrollment, "photo"),
        signature=enrollment_image(application.enrollment, "signature"), is_foreigner=foreign)
