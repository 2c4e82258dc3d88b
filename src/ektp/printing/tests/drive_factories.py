"""A printing drive in Kota Kupang for the drive tests: the Dinas and a kelurahan print point
(Namosain), each with a printer, and print-ready records waiting; a snapshot of every table a
drive write can touch."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from ektp.devices.models import Office
from ektp.devices.services import office_create
from ektp.printing import drive_services
from ektp.printing.models import Drive, DrivePoint, DriveSupply, PrintJob
from ektp.printing.services import print_job_finish, print_job_start
from ektp.printing.tests.factories import (
    KOTA_KUPANG,
    NAMOSAIN,
    print_point,
    print_ready,
    printer,
    stock,
)
from ektp.supplies.tests.factories import snapshot as stock_snapshot

__all__ = ["KOTA_KUPANG", "NAMOSAIN"]


@dataclass
class DriveWorld:
    drive: Drive
    dinas: Office
    namosain: Office
    dinas_point: DrivePoint
    namosain_point: DrivePoint


def kelurahan_point(code: str = "KEL-NAMOSAIN", region: str = NAMOSAIN) -> Office:
    return office_create(actor=None, code=code, name=f"Kelurahan {code}", kind="kelurahan",
                         region_code=region, prints_cards=True)


def new_drive(**fields) -> Drive:
    now = timezone.now()
    values = {"name": "Cetak massal Kupang", "region_code": KOTA_KUPANG,
              "starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=1),
              "stall_minutes": 30, **fields}
    return drive_services.drive_create(actor=None, **values)


def drive_world(*, waiting: int = 3, dinas_blanks: int = 10) -> DriveWorld:
    dinas, namosain = print_point(), kelurahan_point()
    printer(dinas)
    printer(namosain)
    stock(dinas, dinas_blanks, rolls=1)
    stock(namosain, 0, rolls=1)
    for _ in range(waiting):
        print_ready()
    drive = new_drive()
    return DriveWorld(
        drive=drive, dinas=dinas, namosain=namosain,
        dinas_point=drive_services.drive_point_set(actor=None, drive_id=drive.pk,
                                                   office_id=dinas.pk, target=8),
        namosain_point=drive_services.drive_point_set(actor=None, drive_id=drive.pk,
                                                      office_id=namosain.pk, target=5))


def print_one(office: Office) -> PrintJob:
    """Print the next record of the office's queue, through the services."""
    from ektp.printing.selectors import queue_ids

    job = print_job_start(actor=None, office_id=office.pk, application_id=queue_ids(office)[0])
    return print_job_finish(actor=None, job_id=job.pk)


def snapshot() -> dict:
    return {
        "stock": stock_snapshot(),
        "drives": sorted(Drive.objects.values_list("pk", "name", "stall_minutes")),
        "points": sorted(DrivePoint.objects.values_list("pk", "target", "stock_request_id")),
        "supplies": sorted(DriveSupply.objects.values_list("pk", "quantity")),
        "jobs": PrintJob.objects.count(),
    }
