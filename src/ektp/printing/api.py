"""The printing API: the print queue of an office, print jobs (start, printed, spoiled), the
card preview, batches and their PDF, and the hand-over after a 1:1 fingerprint check.

Each endpoint needs its action ("print.view", "print.run", "card.handover"; else 403
``forbidden``); an office, job or application outside the user's region answers 404 like a
missing one. Every write is a service call.
"""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from ektp.accounts import rules as roles
from ektp.accounts.scoping import may, restrict
from ektp.devices.models import Office
from ektp.errors import NotFound, PermissionDenied
from ektp.issuance.models import Application
from ektp.printing import selectors, services
from ektp.printing.card import pdf_to_png
from ektp.printing.models import PrintJob
from ektp.printing.schemas import (
    BatchIn,
    BatchOut,
    ErrorOut,
    HandoverIn,
    HandoverOut,
    JobIn,
    JobOut,
    QueueOut,
    SpoilIn,
)

router = Router(tags=["printing"])

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
PREVIEW_DPI = 300


class QueueFilter(Schema):
    limit: int = Field(100, ge=1, le=500)


def _user(request, action: str):
    # The API's authenticators put the operator in ``request.auth``.
    user = getattr(request, "auth", None) or request.user
    if not may(user, action):
        raise PermissionDenied(_("You may not do this."), code="forbidden")
    return user


def _office(user, action: str, office_id: int) -> Office:
    office = restrict(user, action, Office.objects.select_related("region")).filter(
        pk=office_id).first()
    if office is None:
        raise NotFound(_("Unknown office"), code="office_unknown")
    return office


def _jobs(user, action: str):
    return restrict(user, action, PrintJob.objects.select_related(
        "application__resident__family", "application__enrollment", "office__region"))


def _job(user, action: str, job_id: int) -> PrintJob:
    job = _jobs(user, action).filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("Unknown print job"), code="print_job_unknown")
    return job


def _pdf(content: bytes, filename: str, content_type: str = "application/pdf") -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: never kept by a proxy or browser
    return response


@router.get("/offices/{int:office_id}/queue", response={200: QueueOut, **READ_ERRORS})
def office_queue(request, office_id: int, filters: Query[QueueFilter]):
    """Print-ready records waiting, longest first (pemula first when blanks are short), with
    the office's blanks, ribbon and film in stock and its working printers."""
    user = _user(request, roles.PRINT_VIEW)
    view = selectors.queue_view(_office(user, roles.PRINT_VIEW, office_id), limit=filters.limit)
    return {"office_id": view.office.pk, "office_code": view.office.code,
            "waiting": view.waiting, "blanks_short": view.blanks_short,
            "stock": {"blanks": view.stock["blank"], "ribbon": view.stock["ribbon"],
                      "film": view.stock["film"]},
            "printers": view.printers, "items": view.applications}


@router.post("/jobs", response={201: JobOut, **WRITE_ERRORS})
def start_job(request, payload: JobIn):
    """Claim a print-ready record and take its blank (the one scanned, or the lowest serial),
    ribbon and film. 409 ``blank_out`` says a temporary certificate can be issued instead."""
    user = _user(request, roles.PRINT_RUN)
    office = _office(user, roles.PRINT_RUN, payload.office_id)
    job = services.print_job_start(actor=user, office_id=office.pk,
                                   application_id=payload.application_id,
                                   serial=payload.serial, printer_id=payload.printer_id)
    return Status(201, job)


@router.post("/jobs/{int:job_id}/printed", response={200: JobOut, **WRITE_ERRORS})
def job_printed(request, job_id: int):
    user = _user(request, roles.PRINT_RUN)
    return services.print_job_finish(actor=user, job_id=_job(user, roles.PRINT_RUN, job_id).pk)


@router.post("/jobs/{int:job_id}/spoiled", response={200: JobOut, **WRITE_ERRORS})
def job_spoiled(request, job_id: int, payload: SpoilIn):
    """The card came out spoiled: the blank is booked invalid, the record waits again."""
    user = _user(request, roles.PRINT_RUN)
    return services.print_job_spoil(actor=user, job_id=_job(user, roles.PRINT_RUN, job_id).pk,
                                    reason=payload.reason)


@router.get("/jobs/{int:job_id}/card.pdf", response=READ_ERRORS)
def card_pdf(request, job_id: int):
    """The card as printed, one ID-1 page (the read is audited)."""
    user = _user(request, roles.PRINT_VIEW)
    job = _job(user, roles.PRINT_VIEW, job_id)
    return _pdf(services.card_preview(actor=user, job=job), f"ktp-el-{job.pk}.pdf")


@router.get("/jobs/{int:job_id}/card.png", response=READ_ERRORS)
def card_png(request, job_id: int):
    """The card preview as an image (the read is audited)."""
    user = _user(request, roles.PRINT_VIEW)
    job = _job(user, roles.PRINT_VIEW, job_id)
    image = pdf_to_png(services.card_preview(actor=user, job=job), dpi=PREVIEW_DPI)
    return _pdf(image, f"ktp-el-{job.pk}.png", content_type="image/png")


@router.post("/batches", response={200: BatchOut, **WRITE_ERRORS})
def run_batch(request, payload: BatchIn):
    """Print the queue in order until ``limit`` cards or until stock or the printer stops
    it; what was printed is kept, in one PDF (see ``pdf_url``)."""
    user = _user(request, roles.PRINT_RUN)
    office = _office(user, roles.PRINT_RUN, payload.office_id)
    result = services.print_batch(actor=user, office_id=office.pk, limit=payload.limit,
                                  printer_id=payload.printer_id)
    return {"batch": result.batch, "printed": len(result.jobs), "jobs": result.jobs,
            "stopped": result.stopped or None, "hint": result.hint,
            "pdf_url": f"{request.path}/{result.batch}.pdf" if result.jobs else None}


@router.get("/batches/{batch}.pdf", response=READ_ERRORS)
def batch_pdf(request, batch: str):
    """A batch's cards rendered again from its jobs, one page each (each read is audited)."""
    user = _user(request, roles.PRINT_VIEW)
    jobs = selectors.batch_jobs(_jobs(user, roles.PRINT_VIEW), batch)
    if not jobs:
        raise NotFound(_("Unknown batch"), code="batch_unknown")
    return _pdf(services.batch_reprint(actor=user, jobs=jobs), f"batch-{batch}.pdf")


@router.post("/handover", response={200: HandoverOut, **WRITE_ERRORS})
def handover(request, payload: HandoverIn):
    """Hand the card over after a 1:1 fingerprint check. A mismatch answers 409
    ``handover_mismatch``: the failed check is recorded, nothing else changes."""
    user = _user(request, roles.CARD_HANDOVER)
    visible = restrict(user, roles.CARD_HANDOVER, Application.objects.all())
    if not visible.filter(pk=payload.application_id).exists():
        raise NotFound(_("Unknown application"), code="application_unknown")
    result = services.card_handover(actor=user, application_id=payload.application_id,
                                    fingerprints=payload.fingerprints)
    if not result.matched:
        return Status(409, {"detail": _("The fingerprints do not match the card's holder; "
                                        "the card is not handed over."),
                            "code": "handover_mismatch"})
    return {"application_id": result.application.pk, "matched": True,
            "score": result.score, "status": result.application.status}
