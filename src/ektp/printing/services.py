"""Print jobs and hand-over. A job claims one PRR with a conditional transition (two operators
can never print the same record), takes one blank by serial and one ribbon and film share, and
ends printed or spoiled. The card is handed over only after a 1:1 check of the holder."""

from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ektp.audit.services import audit_record
from ektp.devices import rules as device_rules
from ektp.devices.models import Device, Office
from ektp.enrollment.capture_quality import check_fingerprints
from ektp.errors import Conflict, DomainError, NotFound
from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application
from ektp.issuance.services import application_transition
from ektp.issuance.suket_services import certificates_supersede
from ektp.printing.models import Handover, PrintJob
from ektp.printing.rules import finger_match_score
from ektp.residents.models import Resident
from ektp.residents.rules import is_wajib_ktp
from ektp.supplies import services as supplies
from ektp.supplies.models import InvalidCard


def _print_office(office_id: int) -> Office:
    office = Office.objects.select_related("region").filter(pk=office_id).first()
    if office is None:
        raise NotFound("Unknown office", code="office_unknown")
    if not office.prints_cards:
        raise DomainError("This office is not a print point", code="office_not_print_point")
    return office


def _printable(application_id: int, office: Office) -> Application:
    application = Application.objects.select_related("resident__family").filter(
        pk=application_id).first()
    village = application.resident.family.village_id if application else ""
    if application is None or not (village + ".").startswith(office.region_id + "."):
        raise NotFound("Unknown application", code="application_unknown")
    if application.status == issuance_rules.S_DUP:
        raise Conflict("A duplicate record can never be printed", code="duplicate_not_printable")
    if application.status != issuance_rules.S_PRR:
        raise Conflict(f"Only a print-ready record is printed, not {application.status}",
                       code="not_print_ready")
    resident = application.resident
    if resident.status == Resident.Status.DECEASED:
        raise Conflict("The resident is recorded as deceased", code="resident_deceased")
    if not is_wajib_ktp(resident.birth_date, resident.marital_status, timezone.localdate(),
                        resident.citizenship, has_kitap=resident.kitap_expiry is not None):
        raise Conflict("A card is printed at 17 or once married", code="not_wajib_ktp")
    return application


def _printer(office: Office, printer_id: int | None) -> Device | None:
    if printer_id is None:
        return None
    printer = Device.objects.filter(pk=printer_id, office=office,
                                    kind=Device.Kind.CARD_PRINTER).first()
    if printer is None or printer.status not in device_rules.PRINTING_STATUSES:
        raise Conflict("This printer cannot print now", code="printer_unavailable")
    return printer


@transaction.atomic
def print_job_start(*, actor, office_id: int, application_id: int, serial: str | None = None,
                    printer_id: int | None = None, batch: str = "") -> PrintJob:
    """Claim the record and take its blank, ribbon and film; all or nothing."""
    office = _print_office(office_id)
    application = _printable(application_id, office)
    printer = _printer(office, printer_id)
    application_transition(actor=actor, application_id=application.pk,
                           to_status=issuance_rules.S_SFP, reason=f"cetak di {office.code}")
    reference = f"cetak #{application.pk}"
    blank = supplies.blank_take(actor=actor, office_id=office.pk,
                                first_card=application.kind == "new", serial=serial,
                                reference=reference)
    supplies.consumables_take(actor=actor, office_id=office.pk, reference=reference)
    job = PrintJob.objects.create(
        application=application, office=office, printer=printer, blank_serial=blank.serial,
        operator=actor if actor and actor.is_authenticated else None,
        started_at=timezone.now(), batch=batch)
    audit_record(actor=actor, action="print", obj=job, nik=application.resident.nik)
    return job


def _finish(job_id: int, status: str, **fields) -> PrintJob:
    job = PrintJob.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound("Unknown print job", code="print_job_unknown")
    updated = PrintJob.objects.filter(pk=job_id, status=PrintJob.Status.PRINTING).update(
        status=status, finished_at=timezone.now(), **fields)
    if updated != 1:
        raise Conflict(f"The print job is already {job.status}", code="print_job_finished")
    job.refresh_from_db()
    return job


@transaction.atomic
def print_job_finish(*, actor, job_id: int) -> PrintJob:
    job = _finish(job_id, PrintJob.Status.PRINTED)
    application_transition(actor=actor, application_id=job.application_id,
                           to_status=issuance_rules.S_PRINTED, reason=f"blangko {job.blank_serial}")
    return job


@transaction.atomic
def print_job_spoil(*, actor, job_id: int, reason: str) -> PrintJob:
    """The card came out spoiled: the blank is booked invalid, the record goes back to PRR."""
    if reason not in InvalidCard.Reason.values or reason.startswith("returned"):
        raise DomainError(f"Unknown spoilage reason {reason!r}", code="spoil_reason")
    job = _finish(job_id, PrintJob.Status.SPOILED, spoil_reason=reason)
    supplies.blank_spoil(actor=actor, serial=job.blank_serial, reason=reason)
    application_transition(actor=actor, application_id=job.application_id,
                           to_status=issuance_rules.S_PRR, reason=f"kartu rusak: {reason}")
    return job


@dataclass(frozen=True)
class HandoverResult:
    matched: bool
    score: float
    application: Application


def card_handover(*, actor, application_id: int,
                  fingerprints: dict[int, list[float]]) -> HandoverResult:
    """1:1 check of the holder's fingers against the enrolled templates; only a match issues.
    A failed check is recorded too, and changes nothing else."""
    from ektp.dedup.services import probe_of

    application = Application.objects.select_related("enrollment", "resident").filter(
        pk=application_id).first()
    if application is None:
        raise NotFound("Unknown application", code="application_unknown")
    if application.status not in (issuance_rules.S_PRINTED, issuance_rules.S_SHIPPED):
        raise Conflict("Only a printed card is handed over", code="card_not_printed")
    presented = check_fingerprints(fingerprints, dim=settings.EKTP_FINGERPRINT_DIM,
                                   min_fingers=1)
    enrolled = probe_of(application.enrollment).fingers
    score = finger_match_score(enrolled, {p: np.asarray(v) for p, v in presented.items()})
    matched = score >= settings.EKTP_FINGER_MATCH_SCORE
    with transaction.atomic():
        Handover.objects.create(application=application, at=timezone.now(), modality="finger",
                                operator=actor if actor and actor.is_authenticated else None,
                                score=score, matched=matched)
        if matched:
            application = application_transition(
                actor=actor, application_id=application.pk, to_status=issuance_rules.S_ISSUED,
                reason=f"verifikasi 1:1 sidik jari {score:.2f}")
            certificates_supersede(application_id=application.pk)
            _void_older_cards(application)
    return HandoverResult(matched=matched, score=score, application=application)


def _void_older_cards(application: Application) -> int:
    """A replacement in the holder's hands makes every earlier card of theirs void."""
    return PrintJob.objects.filter(
        application__resident_id=application.resident_id, status=PrintJob.Status.PRINTED,
        voided_at=None).exclude(application=application).update(voided_at=timezone.now())


@dataclass
class BatchResult:
    batch: str
    jobs: list[PrintJob]
    stopped: str = ""  # the stable code that stopped the batch early, if any
    pdf: bytes = b""


def print_batch(*, actor, office_id: int, limit: int, printer_id: int | None = None,
                issue_place: str = "") -> BatchResult:
    """Print the office's queue in order until ``limit`` cards, or until blanks, ribbon or
    film run out (the code says which). Each card is its own transaction: a stop keeps what
    was printed. One PDF holds the batch's cards."""
    from ektp.printing.card import render_cards_pdf
    from ektp.printing.selectors import card_data, print_queue

    office = _print_office(office_id)
    result = BatchResult(batch=f"{office.code}-{timezone.now():%Y%m%d%H%M%S}", jobs=[])
    for application in print_queue(office, limit=limit):
        try:
            job = print_job_start(actor=actor, office_id=office.pk, batch=result.batch,
                                  application_id=application.pk, printer_id=printer_id)
        except Conflict as exc:
            if exc.code in STOCK_OUT_CODES:
                result.stopped = exc.code
                break
            continue  # this record changed meanwhile (printed elsewhere): skip it
        result.jobs.append(print_job_finish(actor=actor, job_id=job.pk))
    if result.jobs:
        place = issue_place or office.region.name
        result.pdf = render_cards_pdf([card_data(job.application, issue_place=place)
                                       for job in result.jobs])
    return result


STOCK_OUT_CODES = frozenset({"blank_out", "ribbon_out", "film_out"})
