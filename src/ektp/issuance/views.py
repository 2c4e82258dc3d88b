"""Temporary certificate (Suket) pages and application tracking.

The public verify page: anyone holding the paper (a bank, BPJS, a police officer) pastes or scans
its QR and sees whether it is genuine and in force. No login, no JavaScript, no external assets;
the scanner's link form (``?qr=<text>``) opens the answer directly.

The operators' pages (below the verify page): the list of certificates, issuing one for an
application that passed penunggalan, its A4 PDF (audited, never cached), and an application's
status timeline."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ektp.accounts.decorators import operator_required
from ektp.accounts.rules import APPLICATION_VIEW, CERTIFICATE_ISSUE
from ektp.accounts.scoping import may, require_action, restrict
from ektp.devices.models import Office
from ektp.errors import DomainError
from ektp.form_pages import form_page, refusal_status, refusal_text
from ektp.issuance import rules, suket_signing
from ektp.issuance.forms import CertificateIssueForm
from ektp.issuance.models import Application, TemporaryCertificate
from ektp.issuance.suket_services import (
    CERTIFIABLE,
    QR_NOT_REGISTERED,
    certificate_issue_or_get,
    certificate_print,
    certificate_status,
    certificate_verify,
)

INVALID = "invalid"

# (heading, explanation, tone) per answer; tone picks the colour only.
VERDICTS = {
    suket_signing.STATUS_VALID: (
        _("SAH / VALID"), _("Surat keterangan ini asli dan masih berlaku."), "ok"),
    suket_signing.STATUS_EXPIRED: (
        _("KEDALUWARSA"),
        _("Surat keterangan ini asli, tetapi masa berlakunya (6 bulan) telah habis."), "warn"),
    "revoked": (
        _("DICABUT"),
        _("Surat keterangan ini telah dicabut oleh Dinas Dukcapil dan tidak berlaku lagi."),
        "bad"),
    "superseded": (
        _("DIGANTI KTP-el"),
        _("KTP-el pemegang sudah diterbitkan; surat keterangan ini tidak berlaku lagi."), "warn"),
    INVALID: (_("TIDAK SAH"), _("Surat keterangan ini tidak dapat dipercaya."), "bad"),
}

# Why a QR is refused, by the stable code of the refusal.
REASONS = {
    suket_signing.QR_FORMAT: _(
        "Teks yang dipindai bukan kode QR Surat Keterangan KTP-el, atau tidak terbaca utuh."),
    suket_signing.QR_UNKNOWN_KEY: _(
        "Kode QR ditandatangani dengan kunci yang tidak dikenal oleh kantor ini."),
    suket_signing.QR_SIGNATURE: _(
        "Tanda tangan digital tidak cocok dengan isinya: data pada kode QR telah diubah."),
    QR_NOT_REGISTERED: _("Surat keterangan ini tidak tercatat dalam register kantor penerbit."),
}


@never_cache  # the answer changes when a certificate is revoked or superseded
@require_http_methods(["GET", "POST"])
def suket_verify(request):
    """GET shows the form (or the answer for ``?qr=``); POST (with CSRF) checks a pasted text."""
    source = request.POST if request.method == "POST" else request.GET
    scanned = source.get("qr", "")
    context = {"qr": scanned}
    if scanned.strip():
        context.update(_check(scanned))
    return render(request, "issuance/suket_verify.html", context)


def _check(scanned: str) -> dict:
    try:
        result = certificate_verify(scanned)
    except suket_signing.SuketVerifyError as exc:
        heading, explanation, tone = VERDICTS[INVALID]
        reason = REASONS.get(exc.code, REASONS[suket_signing.QR_FORMAT])
        return {"heading": heading, "explanation": explanation, "tone": tone,
                "reason": reason, "code": exc.code}
    heading, explanation, tone = VERDICTS[result.status]
    return {"heading": heading, "explanation": explanation, "tone": tone, "result": result}


# --- the operators' certificate pages and application tracking ---------------------------------
#
# Certificates need "certificate.issue", tracking "application.view" (else 403); an
# application, certificate or office outside the operator's region answers 404 like a missing
# one. The pages hold personal data: never cached. Certificates and applications are
# addressed by their row id, never by a NIK.

CERTIFICATE_PAGE_SIZE = 20

# What each status means to the person at the counter.
STATUS_MEANING = {
    rules.S_BIO: _("Biometrik direkam di tempat perekaman."),
    rules.S_SFE: _("Dikirim untuk pendaftaran."),
    rules.S_RAC: _("Diterima di pusat, menunggu penunggalan."),
    rules.S_PRR: _("Lolos penunggalan: siap cetak (PRR)."),
    rules.S_DUP: _("Terdeteksi ganda: tidak dapat dicetak."),
    rules.S_ADJ: _("Kemungkinan ganda: menunggu adjudikasi."),
    rules.S_EFC: _("Gagal diproses di pusat: perlu rekam ulang."),
    rules.S_SFP: _("Masuk antrean cetak."),
    rules.S_PRINTED: _("KTP-el tercetak."),
    rules.S_SHIPPED: _("KTP-el dikirim ke tempat pengambilan."),
    rules.S_ISSUED: _("KTP-el diserahkan kepada penduduk."),
    rules.S_CANCELLED: _("Permohonan dibatalkan."),
}


def _in_scope(user, action: str, queryset):
    require_action(user, action)
    return restrict(user, action, queryset)


def _application(user, action: str, application_id: int) -> Application:
    application = _in_scope(user, action, Application.objects.select_related(
        "resident__family__village__parent")).filter(pk=application_id).first()
    if application is None:
        raise Http404
    return application


def _certificate(user, certificate_id: int) -> TemporaryCertificate:
    certificate = _in_scope(user, CERTIFICATE_ISSUE, TemporaryCertificate.objects.select_related(
        "application__resident", "office", "issued_by")).filter(pk=certificate_id).first()
    if certificate is None:
        raise Http404
    return certificate


@operator_required
@never_cache
@require_GET
def certificate_list(request):
    """Certificates issued in the operator's region, newest first."""
    certificates = _in_scope(request.user, CERTIFICATE_ISSUE, TemporaryCertificate.objects
                             .select_related("application__resident", "office")
                             .order_by("-created_at", "-id"))
    page = Paginator(certificates, CERTIFICATE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "issuance/certificate_list.html", {"page": page})


@operator_required
@never_cache
@require_http_methods(["GET", "POST"])
def certificate_issue(request, application_id: int):
    """Issue the Suket of an application that passed penunggalan (or open its live one)."""
    application = _application(request.user, CERTIFICATE_ISSUE, application_id)
    offices = restrict(request.user, CERTIFICATE_ISSUE, Office.objects.all()).order_by("code")
    form = CertificateIssueForm(request.POST or None, offices=offices,
                                initial={"office": offices.first()})

    def perform(data):
        certificate, created = certificate_issue_or_get(
            actor=request.user, application_id=application.pk, office_id=data["office"].pk)
        messages.success(request, _("Surat keterangan %(n)s diterbitkan.") % {
            "n": certificate.number} if created else _(
            "Permohonan ini sudah memiliki surat keterangan yang berlaku: %(n)s.") % {
            "n": certificate.number})
        return redirect("certificate_detail", certificate_id=certificate.pk)

    return form_page(request, "issuance/certificate_issue.html", {
        "application": application, "resident": application.resident,
        "qualifies": application.status in CERTIFIABLE}, form, perform)


@operator_required
@never_cache
@require_GET
def certificate_detail(request, certificate_id: int):
    certificate = _certificate(request.user, certificate_id)
    return render(request, "issuance/certificate_detail.html", {
        "certificate": certificate, "resident": certificate.application.resident,
        "status": certificate_status(certificate)})


@operator_required
@never_cache
@require_GET
def certificate_pdf(request, certificate_id: int):
    """The A4 PDF with the holder's full data: each print audited, no copy kept by a cache."""
    certificate = _certificate(request.user, certificate_id)
    try:
        pdf = certificate_print(actor=request.user, number=certificate.number,
                                purpose="cetak dari halaman operator")
    except DomainError as exc:
        return render(request, "issuance/certificate_detail.html", {
            "certificate": certificate, "resident": certificate.application.resident,
            "status": certificate_status(certificate), "refusal": refusal_text(exc)},
            status=refusal_status(exc))
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = "suket-" + certificate.number.replace("/", "-") + ".pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@operator_required
@never_cache
@require_GET
def application_track(request, application_id: int):
    """An application's status timeline: who moved it, when, where and why."""
    application = _application(request.user, APPLICATION_VIEW, application_id)
    history = list(application.history.select_related("actor").order_by("at", "id"))
    for step in history:
        step.meaning = STATUS_MEANING.get(step.to_status, "")
    certificates = application.certificates.select_related("office").order_by("-created_at")
    return render(request, "issuance/application_track.html", {
        "application": application, "resident": application.resident, "history": history,
        "meaning": STATUS_MEANING.get(application.status, ""),
        "certificates": list(certificates),
        "may_certificates": may(request.user, CERTIFICATE_ISSUE),
        "may_issue": application.status in CERTIFIABLE
        and may(request.user, CERTIFICATE_ISSUE)})
