"""Temporary certificates (Surat Keterangan pengganti KTP-el): issue, the A4 PDF, revoke, and
the public verify. Writes check the role (403) and the region (404, as for a missing record);
verify needs no login and answers only what the paper shows."""

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from ninja import Router, Status

from ektp.accounts import rules as roles
from ektp.accounts.scoping import may, restrict
from ektp.devices.models import Office
from ektp.errors import NotFound, PermissionDenied
from ektp.issuance.models import Application, TemporaryCertificate
from ektp.issuance.schemas import ErrorOut
from ektp.issuance.suket_schemas import (
    CertificateIssueIn,
    CertificateOut,
    RevokeIn,
    VerifyIn,
    VerifyOut,
)
from ektp.issuance.suket_services import (
    certificate_issue_or_get,
    certificate_print,
    certificate_revoke,
    certificate_verify,
    verify_link,
)

router = Router(tags=["certificates"])

ERRORS = {frozenset({400, 401, 403, 404, 409, 422}): ErrorOut}


def _require(user, action: str) -> None:
    if not may(user, action):
        raise PermissionDenied("You may not do this", code="forbidden")


def _visible(user, action: str, queryset: QuerySet, what: str, **lookup):
    """The row if it lies in the user's region; missing and out of scope answer alike: 404."""
    found = restrict(user, action, queryset).filter(**lookup).first()
    if found is None:
        raise NotFound(f"Unknown {what}", code=f"{what}_unknown")
    return found


def _certificate(user, action: str, number: str) -> TemporaryCertificate:
    return _visible(user, action, TemporaryCertificate.objects, "certificate", number=number)


def _out(request, certificate: TemporaryCertificate) -> dict:
    pdf_path = reverse(f"{request.resolver_match.namespace}:certificate_pdf",
                       kwargs={"number": certificate.number})
    return {
        "number": certificate.number, "status": certificate.status,
        "application_id": certificate.application_id, "office_code": certificate.office.code,
        "issued_on": certificate.issued_on, "valid_until": certificate.valid_until,
        "links": {"pdf": request.build_absolute_uri(pdf_path),
                  "verify": verify_link(certificate)},
    }


@router.post("", response={200: CertificateOut, 201: CertificateOut, **ERRORS})
def issue_certificate(request, payload: CertificateIssueIn):
    """Issue the Suket of an application (201), or return its live one (200: a reprint is the
    same paper). 409 certificate_not_allowed before penunggalan passed or after the card."""
    _require(request.user, roles.CERTIFICATE_ISSUE)
    application = _visible(request.user, roles.CERTIFICATE_ISSUE, Application.objects,
                           "application", pk=payload.application_id)
    office = _visible(request.user, roles.CERTIFICATE_ISSUE, Office.objects, "office",
                      pk=payload.office_id)
    certificate, created = certificate_issue_or_get(
        actor=request.user, application_id=application.pk, office_id=office.pk)
    return Status(201 if created else 200, _out(request, certificate))


@router.get("/{path:number}/pdf", response=ERRORS, url_name="certificate_pdf")
def certificate_pdf(request, number: str):
    """The A4 PDF with the full biodata, audited as a print (409 when no longer active)."""
    _require(request.user, roles.CERTIFICATE_ISSUE)
    certificate = _certificate(request.user, roles.CERTIFICATE_ISSUE, number)
    pdf = certificate_print(actor=request.user, number=certificate.number)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = "suket-" + certificate.number.replace("/", "-") + ".pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # full personal data: no copies in caches
    return response


@router.post("/{path:number}/revoke", response={200: CertificateOut, **ERRORS})
def revoke_certificate(request, number: str, payload: RevokeIn):
    """Withdraw a live certificate with a reason; its QR then answers "revoked"."""
    _require(request.user, roles.CERTIFICATE_REVOKE)
    certificate = _certificate(request.user, roles.CERTIFICATE_REVOKE, number)
    revoked = certificate_revoke(actor=request.user, number=certificate.number,
                                 reason=payload.reason)
    return _out(request, revoked)


@router.post("/verify", auth=None, response={200: VerifyOut, 400: ErrorOut, 422: ErrorOut})
def verify_certificate(request, payload: VerifyIn):
    """Public: is this scanned Suket genuine and in force? 400 with qr_format, qr_unknown_key,
    qr_signature or qr_not_registered when it cannot be trusted."""
    return certificate_verify(payload.qr)
