"""The public Suket verify page: anyone holding the paper (a bank, BPJS, a police officer) pastes
or scans its QR and sees whether it is genuine and in force. No login, no JavaScript, no external
assets; the scanner's link form (``?qr=<text>``) opens the answer directly."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ektp.issuance import suket_signing
from ektp.issuance.suket_services import QR_NOT_REGISTERED, certificate_verify

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
