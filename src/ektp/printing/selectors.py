"""Reads for printing: the print queue of a print point, its stock and printers, and the data
printed on a card. Callers scope offices and jobs with ``restrict`` first."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from ektp.accounts.scoping import region_filter
from ektp.devices.models import Office
from ektp.devices.selectors import working_printers
from ektp.enrollment.selectors import enrollment_image
from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application
from ektp.printing.card import CardData
from ektp.printing.models import PrintJob
from ektp.printing.rules import queue_order
from ektp.regions.models import Region
from ektp.residents import reference
from ektp.stations.leases import held_by_print_points
from ektp.supplies.models import Item, StockBalance

REGENCY_CODE_LENGTH = 5  # "53.71"


def _in_area(office: Office) -> QuerySet[Application]:
    # Records a print point holds for offline printing are its to print, not this queue's.
    return Application.objects.filter(
        region_filter(Application.region_path, office.region_id), status=issuance_rules.S_PRR
    ).exclude(held_by_print_points())


def stock_levels(office: Office) -> dict[str, int]:
    """Units in stock per item, every earmark together: blanks in cards, ribbon and film in
    card prints (one query)."""
    levels = dict.fromkeys(Item.values, 0)
    rows = (StockBalance.objects.filter(office=office).values("item")
            .annotate(total=Sum("quantity")).order_by())
    levels.update({row["item"]: row["total"] for row in rows})
    return levels


def blanks_in_stock(office: Office) -> int:
    return stock_levels(office)[Item.BLANK]


def queue_counts(offices) -> dict[int, int]:
    """PRR waiting in each office's area, for many offices in one aggregate query (the home
    pages); ``queue_ids`` orders one office's queue."""
    offices = list(offices)
    if not offices:
        return {}
    totals = Application.objects.filter(status=issuance_rules.S_PRR).aggregate(**{
        f"office_{office.pk}": Count(
            "pk", filter=region_filter(Application.region_path, office.region_id))
        for office in offices})
    return {office.pk: totals[f"office_{office.pk}"] for office in offices}


def queue_ids(office: Office, *, blanks: int | None = None) -> list[int]:
    """Ids of the PRR of the office's area in print order: the longest waiting first (since
    the application was made, so a record put back by a spoiled card keeps its place);
    first-time applicants before replacements when fewer blanks than records are left."""
    waiting = list(_in_area(office).values_list("pk", "kind", "created_at"))
    if blanks is None:
        blanks = blanks_in_stock(office)
    now = timezone.now()
    return queue_order([(pk, kind, (now - at).total_seconds()) for pk, kind, at in waiting],
                       blanks_short=blanks < len(waiting))


def print_queue(office: Office, *, limit: int = 100, blanks: int | None = None
                ) -> list[Application]:
    """The first ``limit`` records of the queue, with their residents."""
    ordered = queue_ids(office, blanks=blanks)[:limit]
    by_id = Application.objects.select_related("resident").in_bulk(ordered)
    return [by_id[pk] for pk in ordered]


@dataclass(frozen=True)
class QueueView:
    """What a print operator sees before printing."""

    office: Office
    waiting: int
    blanks_short: bool
    stock: dict[str, int]
    printers: list
    applications: list[Application]


def queue_view(office: Office, *, limit: int) -> QueueView:
    """The queue with the office's stock and working printers, in a fixed number of queries
    whatever the queue's length."""
    stock = stock_levels(office)
    ordered = queue_ids(office, blanks=stock[Item.BLANK])
    by_id = Application.objects.select_related("resident").in_bulk(ordered[:limit])
    return QueueView(office=office, waiting=len(ordered), stock=stock,
                     blanks_short=stock[Item.BLANK] < len(ordered),
                     printers=list(working_printers(office)),
                     applications=[by_id[pk] for pk in ordered[:limit]])


def issue_place(office: Office) -> str:
    """The kab/kota printed as the place of issue (domain.md §2.1), whichever level the
    print point itself serves (a kelurahan point still issues for its kab/kota)."""
    code = office.region_id[:REGENCY_CODE_LENGTH]
    regency = Region.objects.filter(code=code).values_list("name", flat=True).first()
    return regency or office.region.name


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


def job_card_data(job: PrintJob) -> CardData:
    """The card as this job printed it: its office's place and the day it was printed."""
    printed = job.finished_at or job.started_at
    return card_data(job.application, issue_place=issue_place(job.office),
                     issue_date=timezone.localdate(printed))


def batch_jobs(jobs: QuerySet[PrintJob], batch: str) -> list[PrintJob]:
    """The printed cards of a batch, in the order they were printed."""
    return list(jobs.filter(batch=batch, status=PrintJob.Status.PRINTED)
                .select_related("application__resident__family", "application__enrollment",
                                "office__region").order_by("started_at", "pk"))
