"""Temporary certificates (Surat Keterangan pengganti KTP-el): issue, render, verify,
supersede when the card is issued, revoke. The QR is signed with this office's Ed25519 key.

Concurrency: an issue locks its application row (a second issue for it waits, then finds the
live certificate; a hand-over cannot slip between the status check and the insert) and the
regency's region row (numbers are per regency and year, so two offices never take the same
serial). On SQLite the IMMEDIATE transaction already serialises writers; on PostgreSQL the locks
do. Lock order is always application, then region.
"""

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.audit.models import AuditEvent
from ektp.audit.services import audit_record
from ektp.devices.models import Office
from ektp.errors import Conflict, DomainError, NotFound
from ektp.issuance import rules, suket_signing
from ektp.issuance.models import Application, SigningKey, TemporaryCertificate
from ektp.issuance.suket_document import CertificateDocument, render_certificate_pdf
from ektp.regions.models import Region
from ektp.stations import outbox as station_outbox

Status = TemporaryCertificate.Status

# A certificate stands in for a card still to come: from a recording that passed penunggalan
# until the card is in the holder's hands. Not before: a recording still waiting for (or under)
# adjudication may be a second identity, and this paper is exactly what such fraud wants.
CERTIFIABLE = frozenset({rules.S_PRR, rules.S_SFP, rules.S_PRINTED, rules.S_SHIPPED})

# The application's end also ends its certificate, even when nobody updated the certificate row
# (a hand-over recorded by hand, a cancellation after death): verify and print look at both.
ENDED_BY_APPLICATION = {rules.S_ISSUED: Status.SUPERSEDED, rules.S_CANCELLED: Status.REVOKED}

# Verify statuses beyond suket_signing's valid/expired.
STATUS_REVOKED = Status.REVOKED.value
STATUS_SUPERSEDED = Status.SUPERSEDED.value

# Signed by one of our keys, yet not the certificate the register holds under that number: a
# leaked key or a lost database. Never "valid".
QR_NOT_REGISTERED = "qr_not_registered"
QR_MAX_INPUT = 4000  # a pasted link is longer than the bare text; refuse anything far beyond

NUMBER_SERIAL_DIGITS = 6


# --- keys ------------------------------------------------------------------------------------


def office_private_key():
    """This office's signing key; the path is read each time so a changed setting takes effect."""
    return _private_key_at(Path(settings.EKTP_SUKET_KEY_FILE))


@lru_cache(maxsize=4)
def _private_key_at(path: Path):
    return suket_signing.load_or_create_key_file(path)


def current_signing_key() -> SigningKey:
    """Register this office's public key (idempotent) and return its row.

    INSERT ... ON CONFLICT DO NOTHING: two processes registering a new key at once both go on,
    where a plain insert would make the second one fail.
    """
    private_key = office_private_key()
    kid = suket_signing.key_id(private_key.public_key())
    pem = suket_signing.public_key_pem(private_key).decode()
    SigningKey.objects.bulk_create([SigningKey(key_id=kid, public_pem=pem)],
                                   ignore_conflicts=True)
    return SigningKey.objects.get(key_id=kid)


def signing_key_trust(public_pem: str) -> str:
    """Trust a station's Suket key (central, applying a certificate packet signed by a
    registered station, which vouches for the key its papers are signed with); its id."""
    try:
        public_key = suket_signing.load_public_key(str(public_pem).encode())
    except (ValueError, TypeError) as exc:
        raise DomainError(_("Kunci tanda tangan Suket stasiun tidak sah"),
                          code="signing_key_invalid") from exc
    kid = suket_signing.key_id(public_key)
    SigningKey.objects.bulk_create([SigningKey(key_id=kid, public_pem=str(public_pem))],
                                   ignore_conflicts=True)
    return kid


def trusted_keys() -> dict:
    """Every public key this office ever signed with. Read only: verifying is public, so it
    neither writes nor needs the private key file."""
    return suket_signing.trusted_key_map(
        suket_signing.load_public_key(pem.encode())
        for pem in SigningKey.objects.values_list("public_pem", flat=True))


# --- links -----------------------------------------------------------------------------------


def verify_url() -> str:
    """The public verify page, as printed under the QR."""
    return settings.EKTP_PUBLIC_URL.rstrip("/") + reverse("suket_verify")


def verify_link(certificate: TemporaryCertificate) -> str:
    """What the printed QR holds: the verify page with the signed text, so a phone's scanner
    opens the answer directly."""
    return f"{verify_url()}?{urlencode({'qr': certificate.qr_text})}"


def qr_text_from_scan(scanned: str) -> str:
    """The signed text out of what a scanner or a paste gives: the text itself or the link."""
    text = scanned.strip()
    if text.lower().startswith(("http://", "https://")):
        values = parse_qs(urlsplit(text).query).get("qr")
        if values:
            return values[0].strip()
    return text  # anything else is left to parse_and_verify to refuse (qr_format)


# --- issue -----------------------------------------------------------------------------------


def certificate_issue(*, actor, application_id: int, office_id: int) -> TemporaryCertificate:
    """Issue the certificate, or return the live one (a reprint is the same paper)."""
    certificate, _created = certificate_issue_or_get(
        actor=actor, application_id=application_id, office_id=office_id)
    return certificate


@transaction.atomic
def certificate_issue_or_get(*, actor, application_id: int,
                             office_id: int) -> tuple[TemporaryCertificate, bool]:
    """(certificate, created): the live certificate of the application, made if there is none."""
    office = Office.objects.filter(pk=office_id).first()
    if office is None:
        raise NotFound("Unknown office", code="office_unknown")
    application = _locked_application(application_id)
    if application.status not in CERTIFIABLE:
        raise Conflict(f"No certificate for a record at {application.status}",
                       code="certificate_not_allowed")
    live = application.certificates.filter(status=Status.ACTIVE).first()
    if live and live.valid_until >= timezone.localdate():
        return live, False
    try:
        with transaction.atomic():
            if live:
                _retire_expired(live)
            return _create(actor, application, office), True
    except IntegrityError as exc:
        # Only a writer that bypassed the locks above can collide with us.
        raise Conflict("The certificate register changed meanwhile; try again",
                       code="certificate_contention") from exc


def _locked_application(application_id: int) -> Application:
    # FOR NO KEY UPDATE: waits for a concurrent issue or hand-over of this application, yet lets
    # inserts that merely reference it (history, certificates) through.
    application = Application.objects.select_for_update(no_key=True).filter(
        pk=application_id).first()
    if application is None:
        raise NotFound("Unknown application", code="application_unknown")
    return application


def _retire_expired(certificate: TemporaryCertificate) -> None:
    """Six months passed and the card is still not there: the old paper gives way to a new one.
    Its QR keeps answering "expired" (verify ranks expiry above supersession)."""
    TemporaryCertificate.objects.filter(pk=certificate.pk, status=Status.ACTIVE).update(
        status=Status.SUPERSEDED, status_reason="Kedaluwarsa, diganti surat keterangan baru")


def _create(actor, application: Application, office: Office) -> TemporaryCertificate:
    issued_on = timezone.localdate()
    number = _next_number(office, issued_on)
    resident = application.resident
    try:
        payload = suket_signing.CertificatePayload.create(
            number=number, nik=resident.nik, name=resident.name, birth_date=resident.birth_date,
            issued_on=issued_on, office_code=office.code[:20])
    except ValueError as exc:  # e.g. a name longer than the QR allows
        raise DomainError(f"The record cannot go on a certificate: {exc}",
                          code="certificate_data_invalid") from exc
    certificate = TemporaryCertificate.objects.create(
        number=number, application=application, office=office, issued_on=issued_on,
        valid_until=payload.valid_until, key=current_signing_key(),
        qr_text=suket_signing.sign_certificate(payload, office_private_key()),
        issued_by=actor if actor and actor.is_authenticated else None)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=certificate, nik=resident.nik,
                 purpose="Surat Keterangan pengganti KTP-el")
    station_outbox.certificate_packet(certificate=certificate)  # no-op unless a station
    return certificate


def _next_number(office: Office, issued_on: date) -> str:
    """470/SKT/<regency>/<year>/<serial>: the next serial of the office's regency this year."""
    regency = office.region_id[:5]  # "53.71" of "53.71.01.1001"
    prefix = f"470/SKT/{regency.replace('.', '')}/{issued_on.year}/"
    # Serialise numbering per regency on its region row; the number is read after the lock, so it
    # sees every number committed before. NO KEY: foreign-key checks of other writers still pass.
    Region.objects.select_for_update(no_key=True).filter(code=regency).first()
    last = (TemporaryCertificate.objects.filter(number__startswith=prefix)
            .order_by(Length("number").desc(), "-number")  # 1000000 comes after 999999
            .values_list("number", flat=True).first())
    serial = int(last.rsplit("/", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:0{NUMBER_SERIAL_DIGITS}d}"


# --- certificates issued offline at a station ------------------------------------------------


def _same_paper(certificate: TemporaryCertificate, application: Application, qr_text: str) -> bool:
    return certificate.application_id == application.pk and certificate.qr_text == qr_text


@transaction.atomic
def certificate_mirror(*, application_id: int, office_id: int, number: str, issued_on: date,
                       valid_until: date, qr_text: str,
                       station_code: str) -> tuple[TemporaryCertificate, bool]:
    """(certificate, created): a certificate a station issued offline, put in this register
    under the station's number so its QR verifies here. Its QR must be signed by a key this
    register trusts and name the same number and dates; a repeat is the same paper."""
    application = _locked_application(application_id)
    known = TemporaryCertificate.objects.filter(number=number).first()
    if known is not None:
        if _same_paper(known, application, qr_text):
            return known, False
        raise Conflict(_("Nomor surat keterangan %(n)s sudah dipakai untuk surat lain")
                       % {"n": number}, code="certificate_number_taken")
    signed = suket_signing.parse_and_verify(qr_text, trusted_keys(), today=issued_on)
    if (signed.payload.number, signed.payload.issued_on, signed.payload.valid_until) != (
            number, issued_on, valid_until):
        raise DomainError(_("QR surat keterangan tidak sesuai nomor atau tanggalnya"),
                          code="certificate_qr_mismatch")
    if application.certificates.filter(status=Status.ACTIVE).exists():
        raise Conflict(_("Permohonan ini sudah punya surat keterangan yang berlaku"),
                       code="certificate_active_exists")
    try:
        with transaction.atomic():
            certificate = TemporaryCertificate.objects.create(
                number=number, application=application, office_id=office_id,
                issued_on=issued_on, valid_until=valid_until, key_id=signed.key_id,
                qr_text=qr_text)
    except IntegrityError as exc:  # the number taken meanwhile by a writer of another record
        raise Conflict(_("Nomor surat keterangan %(n)s sudah dipakai untuk surat lain")
                       % {"n": number}, code="certificate_number_taken") from exc
    audit_record(actor=None, action=AuditEvent.Action.CREATE, obj=certificate,
                 nik=application.resident.nik, purpose=f"Surat Keterangan dari stasiun "
                 f"{station_code}")
    return certificate, True


# --- supersede, revoke, print ----------------------------------------------------------------


def certificates_supersede(*, application_id: int) -> int:
    """Called when the card is issued: the paper stops counting."""
    return TemporaryCertificate.objects.filter(
        application_id=application_id, status=Status.ACTIVE
    ).update(status=Status.SUPERSEDED, status_reason="KTP-el diterima")


@transaction.atomic
def certificate_revoke(*, actor, number: str, reason: str) -> TemporaryCertificate:
    """Withdraw a live certificate (issued in error, misused); its QR then answers "revoked"."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Revoking a certificate needs a reason", code="reason_required")
    updated = TemporaryCertificate.objects.filter(number=number, status=Status.ACTIVE).update(
        status=Status.REVOKED, status_reason=reason[:200])
    if updated != 1:
        if not TemporaryCertificate.objects.filter(number=number).exists():
            raise NotFound("Unknown certificate", code="certificate_unknown")
        raise Conflict("The certificate is no longer active", code="certificate_not_active")
    certificate = TemporaryCertificate.objects.select_related("application__resident").get(
        number=number)
    audit_record(actor=actor, action=AuditEvent.Action.CHANGE, obj=certificate,
                 nik=certificate.application.resident.nik, purpose=f"dicabut: {reason}")
    return certificate


@transaction.atomic
def certificate_print(*, actor, number: str, purpose: str = "") -> bytes:
    """The A4 PDF of a live certificate, recorded as a print of the holder's full data."""
    certificate = TemporaryCertificate.objects.select_related(
        "application__resident").filter(number=number).first()
    if certificate is None:
        raise NotFound("Unknown certificate", code="certificate_unknown")
    if certificate_status(certificate) != Status.ACTIVE:
        raise Conflict("Only an active certificate is printed", code="certificate_not_active")
    pdf = certificate_pdf(certificate)
    audit_record(actor=actor, action=AuditEvent.Action.PRINT, obj=certificate,
                 nik=certificate.application.resident.nik, purpose=purpose)
    return pdf


def certificate_status(certificate: TemporaryCertificate) -> str:
    """active / superseded / revoked, counting an application that ended without telling us."""
    if certificate.status != Status.ACTIVE:
        return certificate.status
    return ENDED_BY_APPLICATION.get(certificate.application.status, Status.ACTIVE)


# --- verify ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    """What a verifier may learn: no more than the paper itself shows."""

    status: str  # valid | expired | revoked | superseded
    number: str
    name: str
    nik_masked: str
    birth_date: date
    issued_on: date
    valid_until: date
    office_code: str


def certificate_verify(text: str) -> VerifyResult:
    """Check the signature offline, then the register: revoked or superseded papers say so.

    ``text`` is the scanned QR: the signed text or the verify link that carries it.
    """
    if len(text) > QR_MAX_INPUT:
        raise suket_signing.SuketVerifyError(suket_signing.QR_FORMAT, "The QR text is too long.")
    qr_text = qr_text_from_scan(text)
    verification = suket_signing.parse_and_verify(
        qr_text, trusted_keys(), today=timezone.localdate())
    payload = verification.payload
    stored = TemporaryCertificate.objects.select_related("application").filter(
        number=payload.number).first()
    if stored is None or stored.qr_text != qr_text:
        raise suket_signing.SuketVerifyError(
            QR_NOT_REGISTERED, "The certificate is not in the register of the issuing office.")
    return VerifyResult(status=_verified_status(verification.status, stored),
                        number=payload.number, name=payload.name,
                        nik_masked=payload.nik_masked, birth_date=payload.birth_date,
                        issued_on=payload.issued_on, valid_until=payload.valid_until,
                        office_code=payload.office_code)


def _verified_status(signed_status: str, stored: TemporaryCertificate) -> str:
    # A revocation is news the holder must hear even after expiry; past its date a paper is
    # "expired" whatever replaced it; before, the register decides.
    register_status = certificate_status(stored)
    if register_status == Status.REVOKED:
        return STATUS_REVOKED
    if signed_status == suket_signing.STATUS_EXPIRED:
        return suket_signing.STATUS_EXPIRED
    if register_status == Status.SUPERSEDED:
        return STATUS_SUPERSEDED
    return suket_signing.STATUS_VALID


# --- the paper -------------------------------------------------------------------------------


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
        qr_text=verify_link(certificate), verify_url=verify_url())


def certificate_pdf(certificate: TemporaryCertificate) -> bytes:
    """The A4 PDF; callers outside this module go through certificate_print (audited)."""
    return render_certificate_pdf(certificate_document(certificate))
