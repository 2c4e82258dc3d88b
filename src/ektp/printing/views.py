"""The print point's pages: the queue of print-ready records with the blanks, ribbon and film
in stock and the printers' state; print (claim a record, take a blank by serial), printed or
spoiled with a reason; the card preview; and the hand-over after a 1:1 fingerprint check.

Reads need ``print.view``, printing ``print.run``, the hand-over ``card.handover`` (else 403);
an office, job or record outside the user's region answers 404 like a missing one. Every
write is a service call, answered with a redirect back to the queue and a message.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ektp.accounts import rules as roles
from ektp.accounts.decorators import operator_required
from ektp.accounts.scoping import may, region_filter, require_action, restrict
from ektp.devices.models import Device, Office
from ektp.devices.selectors import working_printers
from ektp.errors import DomainError
from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application
from ektp.printing import selectors, services
from ektp.printing.card import pdf_to_png
from ektp.printing.forms import HandoverForm, PrintForm, SpoilForm
from ektp.printing.models import PrintJob
from ektp.supplies.models import Item
from ektp.supplies.selectors import roll_yield

PAGE_SIZE = 20
PREVIEW_DPI = 150
HANDOVER_LIMIT = 20

ERRORS = {
    "blank_out": gettext_lazy("Blangko habis. Penduduk yang menunggu dapat diberi Surat "
                              "Keterangan (Suket) sampai blangko datang."),
    "ribbon_out": gettext_lazy("Ribbon habis: pasang ribbon baru sebelum mencetak."),
    "film_out": gettext_lazy("Film habis: pasang film baru sebelum mencetak."),
    "printer_unavailable": gettext_lazy("Printer ini tidak dapat mencetak sekarang."),
    "status_changed": gettext_lazy("Rekaman ini sudah diambil atau diubah petugas lain."),
    "illegal_transition": gettext_lazy("Rekaman ini sudah diambil atau diubah petugas lain."),
    "not_print_ready": gettext_lazy("Hanya rekaman siap cetak (PRR) yang dapat dicetak."),
    "duplicate_not_printable": gettext_lazy("Rekaman ganda tidak pernah dicetak."),
    "resident_deceased": gettext_lazy("Penduduk ini tercatat meninggal dunia."),
    "not_wajib_ktp": gettext_lazy("KTP-el dicetak mulai usia 17 tahun atau sudah kawin."),
    "print_job_finished": gettext_lazy("Pekerjaan cetak ini sudah selesai."),
    "blank_serial_unknown": gettext_lazy("Nomor seri blangko tidak ada di stok kantor ini."),
    "blank_serial_used": gettext_lazy("Blangko dengan nomor seri itu sudah dipakai."),
    "blank_earmarked": gettext_lazy("Blangko itu dialokasikan untuk jenis permohonan lain."),
    "card_not_printed": gettext_lazy("Hanya kartu yang sudah tercetak yang dapat diserahkan."),
}


def _error(error: DomainError) -> str:
    return str(ERRORS.get(error.code, error.message))


def _office(user, action: str, office_id: int) -> Office:
    require_action(user, action)
    office = restrict(user, action, Office.objects.select_related("region")).filter(
        pk=office_id, prints_cards=True).first()
    if office is None:
        raise Http404
    return office


def _job(user, action: str, job_id: int) -> PrintJob:
    require_action(user, action)
    job = restrict(user, action, PrintJob.objects.select_related(
        "application__resident__family", "application__enrollment", "office__region")).filter(
        pk=job_id).first()
    if job is None:
        raise Http404
    return job


@operator_required
@never_cache
@require_GET
def print_offices(request):
    """The print points of the user's region; with only one, straight to its queue."""
    require_action(request.user, roles.PRINT_VIEW)
    offices = list(restrict(request.user, roles.PRINT_VIEW, Office.objects.filter(
        prints_cards=True)).select_related("region").order_by("code"))
    if len(offices) == 1:
        return redirect("print_queue", office_id=offices[0].pk)
    counts = selectors.queue_counts(offices)
    rows = [{"office": office, "waiting": counts[office.pk]} for office in offices]
    return render(request, "printing/offices.html", {"rows": rows})


def _stock(office: Office) -> dict:
    levels = selectors.stock_levels(office)
    return {"blank": levels[Item.BLANK], "ribbon": levels[Item.RIBBON],
            "film": levels[Item.FILM],
            "ribbon_rolls": levels[Item.RIBBON] / roll_yield(Item.RIBBON),
            "film_rolls": levels[Item.FILM] / roll_yield(Item.FILM)}


def _awaiting_handover(user, office: Office) -> list[Application]:
    if not may(user, roles.CARD_HANDOVER):
        return []
    printed = restrict(user, roles.CARD_HANDOVER, Application.objects.filter(
        region_filter(Application.region_path, office.region_id),
        status__in=(issuance_rules.S_PRINTED, issuance_rules.S_SHIPPED)))
    jobs = Prefetch("print_jobs", to_attr="printed_jobs",
                    queryset=PrintJob.objects.filter(status=PrintJob.Status.PRINTED))
    return list(printed.select_related("resident").prefetch_related(jobs)
                .order_by("status_changed_at", "pk")[:HANDOVER_LIMIT])


@operator_required
@never_cache
@require_GET
def print_queue(request, office_id: int):
    """The queue in print order (pemula first when blanks are short), 20 a page, with the
    stock, the printers, the cards being printed and the cards waiting to be handed over."""
    office = _office(request.user, roles.PRINT_VIEW, office_id)
    stock = _stock(office)
    ordered = selectors.queue_ids(office, blanks=stock["blank"])
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    by_id = Application.objects.select_related("resident").in_bulk(list(page.object_list))
    printers = list(office.devices.filter(kind=Device.Kind.CARD_PRINTER).exclude(
        status="retired").order_by("serial_number"))
    live = list(PrintJob.objects.filter(office=office, status=PrintJob.Status.PRINTING)
                .select_related("application__resident").order_by("started_at"))
    return render(request, "printing/queue.html", {
        "office": office, "stock": stock, "page": page, "waiting": len(ordered),
        "applications": [by_id[pk] for pk in page.object_list],
        "blanks_short": stock["blank"] < len(ordered), "printers": printers,
        "live": live, "handover": _awaiting_handover(request.user, office),
        "can_print": may(request.user, roles.PRINT_RUN),
        "print_form": PrintForm(printers=working_printers(office)),
        "spoil_form": SpoilForm(), "handover_form": HandoverForm()})


def _back(office_id: int):
    return redirect("print_queue", office_id=office_id)


@operator_required
@never_cache
@require_POST
def print_start(request, office_id: int):
    """Claim one record and take its blank, ribbon and film; the card is then printing."""
    office = _office(request.user, roles.PRINT_RUN, office_id)
    form = PrintForm(request.POST, printers=working_printers(office))
    if not form.is_valid():
        messages.error(request, _("Data cetak tidak sah; muat ulang halaman."))
        return _back(office.pk)
    data = form.cleaned_data
    visible = restrict(request.user, roles.PRINT_RUN, Application.objects.all())
    if not visible.filter(pk=data["application"]).exists():
        raise Http404
    try:
        job = services.print_job_start(
            actor=request.user, office_id=office.pk, application_id=data["application"],
            serial=data["serial"] or None, printer_id=data["printer"])
    except DomainError as error:
        messages.error(request, _error(error))
    else:
        messages.success(request, _("Kartu sedang dicetak pada blangko %(serial)s.")
                         % {"serial": job.blank_serial})
    return _back(office.pk)


@operator_required
@never_cache
@require_POST
def print_finish(request, job_id: int):
    """The card came out well: printed, waiting to be handed over."""
    job = _job(request.user, roles.PRINT_RUN, job_id)
    try:
        services.print_job_finish(actor=request.user, job_id=job.pk)
    except DomainError as error:
        messages.error(request, _error(error))
    else:
        messages.success(request, _("Kartu pada blangko %(serial)s tercetak.")
                         % {"serial": job.blank_serial})
    return _back(job.office_id)


@operator_required
@never_cache
@require_POST
def print_spoil(request, job_id: int):
    """The card came out spoiled: the blank is booked invalid, the record waits again."""
    job = _job(request.user, roles.PRINT_RUN, job_id)
    form = SpoilForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
        return _back(job.office_id)
    try:
        services.print_job_spoil(actor=request.user, job_id=job.pk,
                                 reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, _error(error))
    else:
        messages.warning(request, _("Blangko %(serial)s dicatat rusak; rekaman kembali ke "
                                    "antrean.") % {"serial": job.blank_serial})
    return _back(job.office_id)


@operator_required
@never_cache
@require_GET
def card_preview(request, job_id: int):
    """The card as printed, as a PNG rendered on the server (the read is audited)."""
    job = _job(request.user, roles.PRINT_VIEW, job_id)
    image = pdf_to_png(services.card_preview(actor=request.user, job=job), dpi=PREVIEW_DPI)
    response = HttpResponse(image, content_type="image/png")
    response["Content-Disposition"] = "inline"
    return response


@operator_required
@never_cache
@require_POST
def card_handover_view(request, office_id: int, application_id: int):
    """Hand the card over after a 1:1 check of the holder's fingers. A mismatch is recorded
    by the service and changes nothing else."""
    office = _office(request.user, roles.CARD_HANDOVER, office_id)
    visible = restrict(request.user, roles.CARD_HANDOVER, Application.objects.filter(
        region_filter(Application.region_path, office.region_id)))
    if not visible.filter(pk=application_id).exists():
        raise Http404
    form = HandoverForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form.errors["fingerprints"][0])
        return _back(office.pk)
    try:
        result = services.card_handover(actor=request.user, application_id=application_id,
                                        fingerprints=form.cleaned_data["fingerprints"])
    except DomainError as error:
        messages.error(request, _error(error))
        return _back(office.pk)
    if result.matched:
        messages.success(request, _("Sidik jari cocok (skor %(score).2f): KTP-el diserahkan.")
                         % {"score": result.score})
    else:
        messages.error(request, _("Sidik jari TIDAK cocok (skor %(score).2f): kartu tidak "
                                  "diserahkan.") % {"score": result.score})
    return _back(office.pk)
