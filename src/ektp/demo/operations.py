"""The demo's second half: offices and devices, a partial blank allocation, a print run until
the blanks run out, hand-over of some cards, and certificates for everyone still waiting."""

import random
from dataclasses import dataclass, field

from django.conf import settings

from ektp.devices.models import Device, Office
from ektp.devices.services import device_register, device_report_breakdown, office_create
from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application
from ektp.issuance.suket_services import certificate_issue
from ektp.printing.services import MAX_BATCH, card_handover, print_batch
from ektp.regions.models import Region
from ektp.supplies.models import Item
from ektp.supplies.services import allocation_receive, stock_request_send

DINAS_CODE = "DINAS-5371"
ALLOCATED_SHARE = 0.7  # the ministry grants part of what was asked
HANDED_OVER_SHARE = 0.5  # residents who came to collect their card during the demo


@dataclass
class OperationsOutcome:
    printed: int = 0
    stopped: str = ""
    handed_over: int = 0
    certificates: int = 0
    batch_pdfs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def set_up_offices(actor, kupang: str) -> Office:
    """The Dinas with four card printers (one broken) and a recording UPT per kecamatan, one
    of them with its recording kit out of order."""
    dinas = office_create(actor=actor, code=DINAS_CODE, name="Dinas Dukcapil Kota Kupang",
                          kind="dinas", region_code=kupang, prints_cards=True,
                          records_biometrics=True)
    printers = [device_register(actor=actor, office_id=dinas.pk, kind="card_printer",
                                serial_number=f"HDP5000-{n:03d}", model_name="Fargo HDP5000")
                for n in range(1, 5)]
    device_report_breakdown(actor=actor, device_id=printers[-1].pk,
                            description="Head printer rusak, menunggu suku cadang")
    for number, district in enumerate(Region.objects.filter(parent_id=kupang).order_by("code")):
        upt = office_create(actor=actor, code=f"UPT-{district.compact_code}",
                            name=f"UPT Kecamatan {district.name}", kind="upt",
                            region_code=district.code, records_biometrics=True)
        kit = device_register(actor=actor, office_id=upt.pk, kind="recording_kit",
                              serial_number=f"REK-{district.compact_code}")
        if number == 0:
            device_report_breakdown(actor=actor, device_id=kit.pk,
                                    description="Pemindai sidik jari tidak terbaca")
    return dinas


def stock_up(actor, dinas: Office, waiting: int) -> None:
    """Ask for what the queue needs; receive a partial tranche with its BA serah terima."""
    request = stock_request_send(
        actor=actor, office_id=dinas.pk, item=Item.BLANK, quantity=waiting,
        justification=f"{waiting} rekaman PRR menunggu cetak", letter_number="470/001/DKCS")
    granted = max(1, int(waiting * ALLOCATED_SHARE))
    allocation_receive(actor=actor, office_id=dinas.pk, item=Item.BLANK, quantity=granted,
                       handover_ref="BA-ST/2025/001", serial_prefix="KTP25-", first_serial=1,
                       request_id=request.pk)
    for item in (Item.RIBBON, Item.FILM):
        allocation_receive(actor=actor, office_id=dinas.pk, item=item, quantity=3,
                           handover_ref="BA-ST/2025/002")


def _working_printer(dinas: Office) -> Device:
    return dinas.devices.filter(kind=Device.Kind.CARD_PRINTER, status="working").first()


def run_operations(*, actor, kupang: str, people: dict, rng: random.Random) -> OperationsOutcome:
    """``people``: resident pk -> synthetic person, to present the right fingers at hand-over."""
    outcome = OperationsOutcome()
    dinas = set_up_offices(actor, kupang)
    waiting = Application.objects.filter(status=issuance_rules.S_PRR).count()
    stock_up(actor, dinas, waiting)
    jobs = _print_until_out(actor, dinas, outcome)
    outcome.handed_over = _hand_over(actor, jobs, people, rng)
    outcome.certificates = _certify_the_rest(actor, dinas)
    return outcome


def _print_until_out(actor, dinas: Office, outcome: OperationsOutcome) -> list:
    """Batches of up to MAX_BATCH cards, one PDF each, until the queue or a supply runs out."""
    printer = _working_printer(dinas)
    jobs = []
    while not outcome.stopped:
        result = print_batch(actor=actor, office_id=dinas.pk, limit=MAX_BATCH,
                             printer_id=printer.pk)
        if not result.jobs:
            outcome.stopped = result.stopped
            break
        jobs += result.jobs
        outcome.stopped = result.stopped
        outcome.batch_pdfs.append(_save_pdf(result.batch, result.pdf))
    outcome.printed = len(jobs)
    return jobs


def _save_pdf(batch: str, pdf: bytes) -> str:
    if not pdf:
        return ""
    folder = settings.DATA_DIR / "batches"
    folder.mkdir(exist_ok=True)
    path = folder / f"{batch}.pdf"
    path.write_bytes(pdf)
    return str(path)


def _hand_over(actor, jobs, people: dict, rng: random.Random) -> int:
    from ektp.demo.synthetic import SyntheticBiometrics

    capture = SyntheticBiometrics(rng.randrange(1 << 30))
    handed = 0
    for job in jobs:
        person = people.get(job.application.resident_id)
        if person is None or rng.random() > HANDED_OVER_SHARE:
            continue
        fingers = capture.capture_fingers(person)
        presented = {pos: fingers[pos] for pos in (2, 7)}  # the two index fingers
        handed += card_handover(actor=actor, application_id=job.application_id,
                                fingerprints=presented).matched
    return handed


def _certify_the_rest(actor, dinas: Office) -> int:
    waiting = Application.objects.filter(status=issuance_rules.S_PRR).values_list("pk", flat=True)
    for application_id in waiting:
        certificate_issue(actor=actor, application_id=application_id, office_id=dinas.pk)
    return len(waiting)
