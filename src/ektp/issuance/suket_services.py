"""Temporary certificates (Surat Keterangan pengganti KTP-el): issue, render, verify,
supersede when the card is issued, revoke. The QR is signed with this office's Ed25519 key."""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ektp.audit.services import audit_record
from ektp.devices.models import Office
from ektp.errors import Conflict, NotFound
from ektp.issuance import rules, suket_signing
from ektp.issuance.models import Application, SigningKey, TemporaryCertificate
from ektp.issuance.suket_document import CertificateDocument, render_certificate_pdf

# A certificate stands in for a card still to come: from a recording that passed penunggalan
# until the card is in the holder's hands.
CERTIFIABLE = frozenset({rules.S_PRR, rules.S_SFP, rules.S_PRINTED, rules.S_SHIPPED,
                         rules.S_ADJ, rules.S_RAC, rules.S_SFE})


@lru_cache(maxsize=1)
def office_private_key():
    return suket_signing.load_or_create_key_file(settings.EKTP_SUKET_KEY_FILE)


def current_signing_key() -> SigningKey:
    public = office_private_key().public_key()
    kid = suket_signing.key_id(public)
    key, _ = SigningKey.objects.get_or_create(
        key_id=kid, defaults={"public_pem": suket_signing.public_key_pem(
            office_private_key()).decode()})
    return key


def trusted_keys() -> dict:
    current_signing_key()
    return suket_signing.trusted_key_map(
        suket_signing.load_public_key(pem.encode())
        for pem in SigningKey.objects.values_list("public_pem", flat=True))


def _number(office: Office, issued_on) -> str:
    regency = office.region_id[:5].replace(".", "")
    count = TemporaryCertificate.objects.filter(issued_on__year=issued_on.year).count() + 1
    return f"470/SKT/{regency}/{issued_on.year}/{count:06d}"


@transaction.atomic
def certificate_issue(*, actor, application_id: int, office_id: int) -> TemporaryCertificate:
    """Issue the certificate, or return the live one (a reprint is the same paper)."""
    application = Application.objects.select_related("resident").filter(pk=application_id).first()
    office = Office.objects.filter(pk=office_id).first()
    if application is None or office is None:
        raise NotFound("Unknown application or office", code="application_unknown")
    live = application.certificates.filter(status=TemporaryCertificate.Status.ACTIVE).first()
    if live:
        return live
    if application.status not in CERTIFIABLE:
        raise Conflict(f"No certificate for a record at {application.status}",
                       code="certificate_not_allowed")
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return _create(actor, application, office)
        except IntegrityError:
            continue  # a concurrent issue took the number (or the application): try again
    raise Conflict("Could not issue the certificate, try again", code="certificate_contention")


def _create(actor, application, office) -> TemporaryCertificate:
    live = application.certificates.filter(status=TemporaryCertificate.Status.ACTIVE).first()
    if live:
        return live
    issued_on = timezone.localdate()
    number = _number(office, issued_on)
    resident = application.resident
    payload = suket_signing.CertificatePayload.create(
        number=number, nik=resident.nik, name=resident.name, birth_date=resident.birth_date,
        issued_on=issued_on, office_code=office.code[:20])
    certificate = TemporaryCertificate.objects.create(
        number=number, application=application, office=office, issued_on=issued_on,
        valid_until=payload.valid_until, key=current_signing_key(),
        qr_text=suket_signing.sign_certificate(payload, office_private_key()),
        issued_by=actor if actor and actor.is_authenticated else None)
    audit_record(actor=actor, action="print", obj=certificate, nik=resident.nik)
    return certificate


def certificates_supersede(*, application_id: int) -> int:
    """Called when the card is issued: the paper stops counting."""
    return TemporaryCertificate.objects.filter(
        application_id=application_id, status=TemporaryCertificate.Status.ACTIVE
    ).update(status=TemporaryCertificate.Status.SUPERSEDED, status_reason="KTP-el diterima")


@transaction.atomic
def certificate_revoke(*, actor, number: str, reason: str) -> TemporaryCertificate:
    updated = TemporaryCertificate.objects.filter(
        number=number, status=TemporaryCertificate.Status.ACTIVE
    ).update(status=TemporaryCertificate.Status.REVOKED, status_reason=reason.strip()[:200])
    if updated != 1:
        raise Conflict("No active certificate with this number", code="certificate_not_active")
    return TemporaryCertificate.objects.get(number=number)


@dataclass(frozen=True)
class VerifyResult:
    """What a verifier may learn: no more than the paper itself shows."""

    status: str  # valid | expired | revoked | superseded
    number: str
    name: str
    nik_masked: str
    birth_date: object
    issued_on: object
    valid_until: object
    office_code: str


def certificate_verify(text: str) -> VerifyResult:
    """Check the signature offline, then the register: revoked or superseded papers say so."""
    verification = suket_signing.parse_and_verify(
        text.strip(), trusted_keys(), today=timezone.localdate())
    payload = verification.payload
    status = verification.status
    stored = TemporaryCertificate.objects.filter(number=payload.number).first()
    if stored and stored.status != TemporaryCertificate.Status.ACTIVE:
        status = stored.status
    return VerifyResult(status=status, number=payload.number, name=payload.name,
                        nik_masked=payload.nik_masked, birth_date=payload.birth_date,
                        issued_on=payload.issued_on, valid_until=payload.valid_until,
                        office_code=payload.office_code)


def certificate_document(certificate: TemporaryCertificate) -> CertificateDocument:
    from ektp.enrollment.selectors import enrollment_image
    from ektp.residents import reference

    application = certificate.application
    resident = application.resident
    family = resident.family
    village = family.village
    label = reference.label_of
    return CertificateDocument(
        government=settings.EKTP_GOVERNMENT, office_name=settings.EKTP_OFFICE_NAME,
        office_address=settings.EKTP_OFFICE_ADDRESS, number=certificate.number,
        nik=resident.nik, name=resident.name, birth_place=resident.birth_place,
        birth_date=resident.birth_date, sex=label(reference.JENIS_KELAMIN, resident.sex),
        address=family.address, rt_rw=f"{family.rt}/{family.rw}", village=village.name.upper(),
        district=village.parent.name.upper(),
        religion=label(reference.AGAMA, resident.religion).upper(),
        marital_status=label(reference.STATUS_PERKAWINAN, resident.marital_status),
        occupation=label(reference.PEKERJAAN, resident.occupation),
        citizenship=resident.nationality if resident.citizenship == "WNA" else "WNI",
        issued_on=certificate.issued_on, issue_place=settings.EKTP_ISSUE_PLACE,
        official_title=settings.EKTP_OFFICIAL_TITLE, official_name=settings.EKTP_OFFICIAL_NAME,
        official_nip=settings.EKTP_OFFICIAL_NIP,
        photo=enrollment_image(application.enrollment, "photo") if application.enrollment else None,
        qr_text=certificate.qr_text, verify_url=f"{settings.EKTP_PUBLIC_URL}/suket/verifikasi")


def certificate_pdf(certificate: TemporaryCertificate) -> bytes:
    return render_certificate_pdf(certificate_document(certificate))
