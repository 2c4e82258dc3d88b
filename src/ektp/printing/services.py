"""Print jobs and hand-over. A job claims one PRR with a conditional transition (two operators
can never print the same record), takes one blank by serial and one ribbon and film share, and
ends printed or spoiled. The card is handed over only after a 1:1 check of the holder."""

import secrets
from dataclasses import dataclass, replace

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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
from ektp.stations import outbox as station_outbox
from ektp.stations.leases import lease_refuse_print
from ektp.supplies import services as supplies
from ektp.supplies.models import InvalidCard

STOCK_OUT_CODES = frozenset({"blank_out", "ribbon_out", "film_out"})
# Refusals that concern one record only (it changed meanwhile, or cannot be printed): a batch
# skips the record. Any other refusal (stock, printer, office) stops the batch.
RECORD_SKIP_CODES = frozenset({
    "status_changed", "illegal_transition", "not_print_ready", "duplicate_not_printable",
    "resident_deceased", "not_wajib_ktp", "application_unknown", "record_leased_to_station"})
SPOIL_REASONS = frozenset(r for r in InvalidCard.Reason.values if not r.startswith("returned"))
MAX_BATCH = 500


def _actor(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _print_office(office_id: int) -> Office:
    office = Office.objects.select_related("region").filter(pk=office_id).first()
    if office is None:
        raise NotFound(_("Unknown office"), code="office_unknown")
    if not office.prints_cards:
        raise DomainError(_("This office is not a print point"), code="office_not_print_point")
    return office


def _printable(application_id: int, office: Office) -> Application:
    application = Application.objects.select_related("resident__family").filter(
        pk=application_id).first()
    village = application.resident.family.village_id if application else ""
    if application is None or not (village + ".").startswith(office.region_id + "."):
        raise NotFound(_("Unknown application"), code="application_unknown")
    if application.status == issuance_rules.S_DUP:
        raise Conflict(_("A duplicate record can never be printed"),
                       code="duplicate_not_printable")
    if application.status != issuance_rules.S_PRR:
        raise Conflict(_("Only a print-ready record is printed, not %(s)s")
                       % {"s": application.status}, code="not_print_ready")
    lease_refuse_print(application.pk)  # a print point may be printing it offline
    resident = application.resident
    if resident.status == Resident.Status.DECEASED:
        raise Conflict(_("The resident is recorded as deceased"), code="resident_deceased")
    if not is_wajib_ktp(resident.birth_date, resident.marital_status, timezone.localdate(),
                        resident.citizenship, has_kitap=resident.kitap_expiry is not None):
        raise Conflict(_("A card is printed at 17 or once married"), code="not_wajib_ktp")
    return application


def _printer(office: Office, printer_id: int | None) -> Device | None:
    if printer_id is None:
        return None
    printer = Device.objects.filter(pk=printer_id, office=office,
                                    kind=Device.Kind.CARD_PRINTER).first()
    if printer is None or printer.status not in device_rules.PRINTING_STATUSES:
        raise Conflict(_("This printer cannot print now"), code="printer_unavailable")
    return printer


@transaction.atomic
def print_job_start(*, actor, office_id: int, application_id: int, serial: str | None = None,
                    printer_id: int | None = None, batch: str = "") -> PrintJob:
    """Claim the record and take its blank, ribbon and film; all or nothing."""
    office = _print_office(office_id)
    application = _printable(application_id, office)
    printer = _printer(office, printer_id)
    # The claim comes first and is conditional on the status read above: of two operators
    # printing the same record, the second is refused here before touching any stock.
    application_transition(actor=actor, application_id=application.pk,
                           to_status=issuance_rules.S_SFP, expected_status=issuance_rules.S_PRR,
                           reason=f"cetak di {office.code}")
    reference = f"cetak #{application.pk}"
    blank = supplies.blank_take(actor=actor, office_id=office.pk,
                                first_card=application.kind == "new", serial=serial,
                                reference=reference)
    supplies.consumables_take(actor=actor, office_id=office.pk, reference=reference)
    job = PrintJob.objects.create(
        application=application, office=office, printer=printer, blank_serial=blank.serial,
        operator=_actor(actor), started_at=timezone.now(), batch=batch)
    audit_record(actor=actor, action="print", obj=job, nik=application.resident.nik)
    return job


def _finish(job_id: int, status: str, **fields) -> PrintJob:
    job = PrintJob.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("Unknown print job"), code="print_job_unknown")
    updated = PrintJob.objects.filter(pk=job_id, status=PrintJob.Status.PRINTING).update(
        status=status, finished_at=timezone.now(), **fields)
    if updated != 1:
        raise Conflict(_("The print job is already %(s)s") % {"s": job.status},
                       code="print_job_finished")
    job.refresh_from_db()
    return job


@transaction.atomic
def print_job_finish(*, actor, job_id: int) -> PrintJob:
    job = _finish(job_id, PrintJob.Status.PRINTED)
    application_transition(actor=actor, application_id=job.application_id,
                           to_status=issuance_rules.S_PRINTED, reason=f"blangko {job.blank_serial}")
    station_outbox.print_packet(job=job)
    return job


@transaction.atomic
def print_job_spoil(*, actor, job_id: int, reason: str) -> PrintJob:
    """The card came out spoiled: the blank is booked invalid, the record goes back to PRR."""
    if reason not in SPOIL_REASONS:
        raise DomainError(_("Unknown spoilage reason %(r)r") % {"r": reason}, code="spoil_reason")
    job = _finish(job_id, PrintJob.Status.SPOILED, spoil_reason=reason)
    supplies.blank_spoil(actor=actor, serial=job.blank_serial, reason=reason)
    application_transition(actor=actor, application_id=job.application_id,
                           to_status=issuance_rules.S_PRR, reason=f"kartu rusak: {reason}")
    station_outbox.spoil_packet(job=job)
    return job


@dataclass(frozen=True)
class HandoverResult:
    matched: bool
    score: float
    application: Application
    handover: Handover


def _handed_over(application_id: int) -> Application:
    application = Application.objects.select_related("enrollment", "resident").filter(
        pk=application_id).first()
    if application is None:
        raise NotFound(_("Unknown application"), code="application_unknown")
    if application.status not in (issuance_rules.S_PRINTED, issuance_rules.S_SHIPPED):
        raise Conflict(_("Only a printed card is handed over"), code="card_not_printed")
    if application.enrollment is None:
        raise Conflict(_("No recording to verify the holder against"),
                       code="enrollment_missing")
    return application


@transaction.atomic
def card_handover(*, actor, application_id: int,
                  fingerprints: dict[int, list[float]]) -> HandoverResult:
    """1:1 check of the holder's fingers against the enrolled templates; only a match issues
    the card (superseding any temporary certificate and voiding older cards). A failed check
    is recorded too, and changes nothing else: the caller decides how to answer it."""
    from ektp.dedup.services import probe_of

    application = _handed_over(application_id)
    presented = check_fingerprints(fingerprints, dim=settings.EKTP_FINGERPRINT_DIM,
                                   min_fingers=1)
    enrolled = probe_of(application.enrollment).fingers
    score = finger_match_score(enrolled, {p: np.asarray(v) for p, v in presented.items()})
    matched = score >= settings.EKTP_FINGER_MATCH_SCORE
    handover = Handover.objects.create(application=application, at=timezone.now(),
                                       modality="finger", operator=_actor(actor),
                                       score=score, matched=matched)
    if matched:
        application = application_transition(
            actor=actor, application_id=application.pk, to_status=issuance_rules.S_ISSUED,
            reason=f"verifikasi 1:1 sidik jari {score:.2f}")
        certificates_supersede(application_id=application.pk)
        _void_older_cards(application)
        audit_record(actor=actor, action="change", obj=application,
                     nik=application.resident.nik, purpose="serah terima KTP-el")
    return HandoverResult(matched=matched, score=score, application=application,
                          handover=handover)


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
    hint: str = ""  # what the operator can do about it
    pdf: bytes = b""


def _batch_id(office: Office) -> str:
    # Time for the reader, a random tail so two batches in one second never share an id.
    return f"{office.pk}-{timezone.now():%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def _stop_hint(error: DomainError) -> str:
    if error.code == "blank_out":
        return _("No blank left. Residents still waiting can be given a temporary "
                 "certificate (Surat Keterangan) until blanks arrive.")
    return error.message


def _print_one(actor, office: Office, application_id: int, printer_id, batch: str) -> PrintJob:
    # One card, one transaction: printed whole, or not at all; a later stop keeps it.
    with transaction.atomic():
        job = print_job_start(actor=actor, office_id=office.pk, application_id=application_id,
                              printer_id=printer_id, batch=batch)
        return print_job_finish(actor=actor, job_id=job.pk)


def print_batch(*, actor, office_id: int, limit: int, printer_id: int | None = None,
                issue_place: str = "") -> BatchResult:
    """Print the office's queue in order until ``limit`` cards, or until something other than
    the record itself refuses (blanks, ribbon or film run out, the printer stops; the code
    says which). Records that changed meanwhile are skipped. One PDF holds the batch's cards."""
    from ektp.printing.selectors import queue_ids

    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_BATCH:
        raise DomainError(_("A batch prints 1 to %(n)d cards") % {"n": MAX_BATCH},
                          code="limit_invalid")
    office = _print_office(office_id)
    _printer(office, printer_id)  # a printer that cannot print refuses the whole batch
    result = BatchResult(batch=_batch_id(office), jobs=[])
    for application_id in queue_ids(office):
        if len(result.jobs) == limit:
            break
        try:
            result.jobs.append(_print_one(actor, office, application_id, printer_id,
                                          result.batch))
        except DomainError as error:
            if error.code in RECORD_SKIP_CODES:
                continue
            result.stopped, result.hint = error.code, _stop_hint(error)
            break
    if result.jobs:
        result.pdf = render_batch_pdf(result.jobs, issue_place=issue_place)
    return result


def render_batch_pdf(jobs: list[PrintJob], *, issue_place: str = "") -> bytes:
    """One PDF page per card, as printed (the office's kab/kota, the day of printing)."""
    from ektp.printing.card import render_cards_pdf
    from ektp.printing.selectors import job_card_data

    cards = [job_card_data(job) for job in jobs]
    if issue_place:  # a place named by the caller wins over the office's kab/kota
        cards = [replace(card, issue_place=issue_place) for card in cards]
    return render_cards_pdf(cards)


@transaction.atomic
def card_preview(*, actor, job: PrintJob, purpose: str = "pratinjau kartu") -> bytes:
    """The card of ``job`` as a PDF page; reading a whole card's data is audited."""
    from ektp.printing.card import render_card_pdf
    from ektp.printing.selectors import job_card_data

    audit_record(actor=actor, action="read", obj=job, nik=job.application.resident.nik,
                 purpose=purpose)
    return render_card_pdf(job_card_data(job))


@transaction.atomic
def batch_reprint(*, actor, jobs: list[PrintJob]) -> bytes:
    """A batch's PDF rendered again from its jobs; each card read is audited."""
    for job in jobs:
        audit_record(actor=actor, action="read", obj=job, nik=job.application.resident.nik,
                     purpose=f"PDF batch {job.batch}")
    return render_batch_pdf(jobs)
