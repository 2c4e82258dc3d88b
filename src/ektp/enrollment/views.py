"""Perekaman at the office: choose the resident, check the biodata with them, take the photo
(upload or the camera), the fingerprint template file and the signature, and send it.

Scoped like the resident pages: a role without ``enrollment.record`` gets 403, a resident
outside the operator's region 404. The search is a POST and the form is addressed by the row
id, so no NIK or name lands in a URL. Each capture is checked as soon as it is chosen (htmx),
and again on submit; a refused recording writes nothing. Recording calls the same
``enrollment_record`` service as the stations' API, so the application is opened and queued
for penunggalan exactly as there.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ektp.accounts.decorators import operator_required
from ektp.accounts.rules import ENROLLMENT_RECORD
from ektp.accounts.scoping import require_action, restrict
from ektp.audit.services import audit_record
from ektp.enrollment.forms import FIELD_CHECKS, RecordingForm
from ektp.enrollment.services import Capture, enrollment_record
from ektp.errors import DomainError
from ektp.residents import selectors
from ektp.residents.forms import ResidentSearchForm
from ektp.residents.models import Resident

PAGE_SIZE = 20
PURPOSE_BIODATA = "perekaman: cek biodata"

# Refusals of the service itself (not of one capture), in the operator's words.
SERVICE_MESSAGES = {
    "too_young": gettext_lazy("Perekaman baru dapat dilakukan mulai usia 16 tahun."),
    "resident_deceased": gettext_lazy("Penduduk ini tercatat meninggal dunia."),
    "enrollment_id_exists": gettext_lazy(
        "Perekaman ini sudah diterima sebelumnya (formulir terkirim dua kali)."),
    "biodata_not_confirmed": gettext_lazy("Biodata harus diperiksa dan dibenarkan penduduk."),
}


def station_code() -> str:
    """The web form records as the office's own station: ``<site code>-WEB``."""
    return f"{settings.EKTP_SITE_CODE.upper()[:20]}-WEB"


def new_sequence() -> int:
    """A station sequence made when the form is shown (microseconds since the epoch): the
    same form sent twice carries the same number, and two forms never share one."""
    return time.time_ns() // 1000


def _resident_in_scope(user, resident_id: int) -> Resident:
    require_action(user, ENROLLMENT_RECORD)
    residents = restrict(user, ENROLLMENT_RECORD, Resident.objects.all())
    resident = selectors.resident_detail(residents, resident_id)
    if resident is None:
        raise Http404
    return resident


@operator_required
@never_cache
@require_http_methods(["GET", "POST"])
def recording_start(request):
    """Choose whom to record (a POST search within the operator's region)."""
    require_action(request.user, ENROLLMENT_RECORD)
    form = ResidentSearchForm(request.POST if request.method == "POST" else None)
    page = None
    if form.is_bound and form.is_valid():
        residents = restrict(request.user, ENROLLMENT_RECORD, Resident.objects.all())
        page = selectors.search_page(residents, form.cleaned_data["q"],
                                     form.cleaned_data["page"], PAGE_SIZE)
    template = "enrollment/_residents.html" if request.htmx else "enrollment/start.html"
    return render(request, template, {"form": form, "page": page})


def _form_page(request, resident: Resident, form: RecordingForm, status: int = 200):
    # A resident recorded before is recorded again only on purpose (penunggalan would call
    # the new recording a one-to-one duplicate): the page says when it happened.
    earlier = resident.enrollments.defer("photo_sealed", "signature_sealed").order_by(
        "-captured_at").first()
    return render(request, "enrollment/record.html",
                  {"resident": resident, "form": form, "station": station_code(),
                   "earlier": earlier}, status=status)


@operator_required
@never_cache
@require_http_methods(["GET", "POST"])
def recording_form(request, resident_id: int):
    """GET: the biodata to check and the capture form (the read is audited). POST: record."""
    resident = _resident_in_scope(request.user, resident_id)
    if request.method == "GET":
        audit_record(actor=request.user, action="read", obj=resident, nik=resident.nik,
                     purpose=PURPOSE_BIODATA)
        return _form_page(request, resident, RecordingForm(initial={"sequence": new_sequence()}))
    form = RecordingForm(request.POST, request.FILES)
    if not form.is_valid():
        return _form_page(request, resident, form, status=400)
    try:
        enrollment = enrollment_record(actor=request.user, capture=_capture(resident, form))
    except DomainError as error:
        form.add_error(None, SERVICE_MESSAGES.get(error.code, error.message))
        return _form_page(request, resident, form, status=409 if error.status == 409 else 400)
    messages.success(request, _("Perekaman %(id)s tersimpan; permohonan KTP-el masuk antrean "
                                "penunggalan.") % {"id": enrollment.enrollment_id})
    return redirect("resident_detail", resident_id=resident.pk)


def _capture(resident: Resident, form: RecordingForm) -> Capture:
    data = form.cleaned_data
    return Capture(
        resident_id=resident.pk, station_code=station_code(), sequence=data["sequence"],
        captured_at=timezone.now(), biodata_confirmed=data["biodata_confirmed"],
        photo=data["photo"], signature=data["signature"], fingerprints=data["fingerprints"],
        face_template=form.face_template)


@operator_required
@never_cache
@require_POST
def recording_check(request, field: str):
    """Inline validation: one capture checked as soon as it is chosen; the answer is the
    field's message (an error in Indonesian, or that it is good). Nothing is stored."""
    require_action(request.user, ENROLLMENT_RECORD)
    if field not in FIELD_CHECKS:
        raise Http404
    upload = request.FILES.get(field)
    error = None
    if upload is None:
        error = _("Belum ada berkas yang dipilih.")
    else:
        try:
            FIELD_CHECKS[field](upload)
        except ValidationError as exc:
            error = exc.messages[0]
    return render(request, "enrollment/_check.html", {"field": field, "error": error})
