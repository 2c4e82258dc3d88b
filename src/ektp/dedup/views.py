"""Adjudication: the queue of doubtful penunggalan results in the supervisor's region, and the
screen that sets the new recording beside each record it resembles (photos, signatures, scores
per modality, the fields that differ) with the decision: duplicate or single, with a reason.

A role without ``application.adjudicate`` gets 403; an application outside the region, or no
longer waiting, the same 404 as a missing one. Opening the screen reads whole records, so it
is audited; the photos are decrypted on the server and served by a view that checks the same
scope, audits each image and is never cached.
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, FloatField, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ektp.accounts.decorators import operator_required
from ektp.accounts.rules import APPLICATION_ADJUDICATE
from ektp.accounts.scoping import require_action, restrict
from ektp.audit.services import audit_record
from ektp.dedup.forms import AdjudicationForm
from ektp.dedup.models import DedupCandidate
from ektp.dedup.services import adjudication_decide
from ektp.enrollment.models import Enrollment
from ektp.enrollment.selectors import enrollment_image
from ektp.errors import DomainError
from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application

PAGE_SIZE = 20
IMAGES = ("photo_sealed", "signature_sealed")
PURPOSE_SCREEN = "adjudikasi"
# Fields set side by side; a difference between the two records is highlighted.
COMPARED = [
    ("name", _l("Nama")), ("birth_place", _l("Tempat lahir")),
    ("birth_date", _l("Tanggal lahir")), ("sex", _l("Jenis kelamin")),
    ("religion", _l("Agama")), ("marital_status", _l("Status perkawinan")),
    ("occupation", _l("Pekerjaan")), ("address", _l("Alamat")),
    ("village", _l("Kelurahan/desa")),
]
# Scores shown under their own label; any other score column added to DedupCandidate later
# (likelihood ratios, a fused score) is shown too, under its field name.
KNOWN_SCORES = ("face_distance", "finger_score")


def _waiting(user):
    applications = Application.objects.filter(status=issuance_rules.S_ADJ)
    return restrict(user, APPLICATION_ADJUDICATE, applications)


@operator_required
@never_cache
@require_GET
def adjudication_queue(request):
    """Doubtful results in the region, longest waiting first, 20 a page."""
    require_action(request.user, APPLICATION_ADJUDICATE)
    waiting = (_waiting(request.user)
               .select_related("resident__family__village", "enrollment")
               .defer(*(f"enrollment__{name}" for name in IMAGES))
               .annotate(candidate_count=Count("candidates"))
               .order_by("status_changed_at", "pk"))
    page = Paginator(waiting, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "dedup/queue.html", {"page": page})


def _application(user, application_id: int) -> Application:
    require_action(user, APPLICATION_ADJUDICATE)
    candidates = DedupCandidate.objects.select_related(
        "matched_enrollment__resident__family__village").defer(
        *(f"matched_enrollment__{name}" for name in IMAGES)).order_by("face_distance", "pk")
    application = (_waiting(user).select_related("resident__family__village", "enrollment")
                   .defer(*(f"enrollment__{name}" for name in IMAGES))
                   .prefetch_related(Prefetch("candidates", queryset=candidates))
                   .filter(pk=application_id).first())
    if application is None:
        raise Http404
    return application


def _value(resident, field: str):
    if field == "address":
        family = resident.family
        return f"{family.address}, RT {family.rt} / RW {family.rw}"
    if field == "village":
        return resident.family.village.name
    display = getattr(resident, f"get_{field}_display", None)
    return display() if display else getattr(resident, field)


def comparison(mine, theirs) -> list[dict]:
    """The compared fields of two residents, each row marked when the values differ."""
    rows = []
    for field, label in COMPARED:
        left, right = _value(mine, field), _value(theirs, field)
        rows.append({"label": label, "left": left, "right": right,
                     "differs": str(left).strip().upper() != str(right).strip().upper()})
    return rows


def extra_scores(candidate: DedupCandidate) -> list[tuple[str, float]]:
    return [(str(field.verbose_name), getattr(candidate, field.name))
            for field in DedupCandidate._meta.concrete_fields
            if isinstance(field, FloatField) and field.name not in KNOWN_SCORES
            and getattr(candidate, field.name) is not None]


@operator_required
@never_cache
@require_GET
def adjudication_detail(request, application_id: int):
    """The new recording beside each candidate; reading both records is audited."""
    application = _application(request.user, application_id)
    candidates = list(application.candidates.all())
    _audit_screen(request.user, application, candidates)
    return _screen(request, application, candidates, AdjudicationForm())


def _screen(request, application, candidates, form, status: int = 200):
    sides = [{"candidate": c, "extra": extra_scores(c),
              "rows": comparison(application.resident, c.matched_enrollment.resident)}
             for c in candidates]
    thresholds = {"face_match": settings.EKTP_FACE_MATCH_DISTANCE,
                  "finger_match": settings.EKTP_FINGER_MATCH_SCORE}
    return render(request, "dedup/detail.html", {
        "application": application, "sides": sides, "form": form, "thresholds": thresholds},
        status=status)


def _audit_screen(user, application, candidates) -> None:
    audit_record(actor=user, action="read", obj=application, nik=application.resident.nik,
                 purpose=PURPOSE_SCREEN)
    for candidate in candidates:
        resident = candidate.matched_enrollment.resident
        audit_record(actor=user, action="read", obj=candidate.matched_enrollment,
                     nik=resident.nik, purpose=f"{PURPOSE_SCREEN} #{application.pk}")


def _image_type(data: bytes) -> str:
    return "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"


@operator_required
@never_cache
@require_GET
def adjudication_image(request, application_id: int, enrollment_id: int, kind: str):
    """A photo or signature of the application's recording or of one of its candidates,
    decrypted on the server. Anything else (another application's images, a kind that is not
    an image) answers 404; each image served is audited."""
    if kind not in ("photo", "signature"):
        raise Http404
    application = _application(request.user, application_id)
    allowed = {application.enrollment_id} | {
        c.matched_enrollment_id for c in application.candidates.all()}
    if enrollment_id not in allowed:
        raise Http404
    enrollment = Enrollment.objects.select_related("resident").get(pk=enrollment_id)
    data = enrollment_image(enrollment, kind)
    audit_record(actor=request.user, action="read", obj=enrollment, nik=enrollment.resident.nik,
                 purpose=f"{PURPOSE_SCREEN} #{application.pk}: {kind}")
    response = HttpResponse(data, content_type=_image_type(data))
    response["Content-Disposition"] = "inline"
    return response


@operator_required
@never_cache
@require_POST
def adjudication_decide_view(request, application_id: int):
    """Duplicate (DUPLICATE_RECORD, never printed) or single (PRINT_READY_RECORD). An
    application another adjudicator decided meanwhile is left as it is, and said so."""
    require_action(request.user, APPLICATION_ADJUDICATE)
    decided = restrict(request.user, APPLICATION_ADJUDICATE, Application.objects.filter(
        pk=application_id)).exclude(status=issuance_rules.S_ADJ).exists()
    if decided:
        messages.warning(request, _("Permohonan ini sudah diputuskan oleh petugas lain."))
        return redirect("adjudication_queue")
    application = _application(request.user, application_id)
    form = AdjudicationForm(request.POST)
    if form.is_valid():
        try:
            decided = adjudication_decide(
                actor=request.user, application_id=application.pk,
                decision=form.cleaned_data["decision"], reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, _decision_error(error))
        else:
            messages.success(request, _decided_message(decided))
            return redirect("adjudication_queue")
    return _screen(request, application, list(application.candidates.all()), form, status=400)


def _decision_error(error: DomainError) -> str:
    if error.code == "not_awaiting_adjudication" or error.code == "status_changed":
        return _("Permohonan ini sudah diputuskan oleh petugas lain.")
    return error.message


def _decided_message(application: Application) -> str:
    if application.status == issuance_rules.S_DUP:
        return _("Permohonan #%(id)d diputuskan GANDA; tidak akan dicetak.") % {
            "id": application.pk}
    return _("Permohonan #%(id)d diputuskan TUNGGAL; masuk antrean cetak (PRR).") % {
        "id": application.pk}
