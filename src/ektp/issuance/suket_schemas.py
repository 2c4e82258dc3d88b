"""Shapes of the certificates API. A verify answer carries no more than the paper shows, with
the NIK masked; the full record stays behind the login (the PDF)."""

from datetime import date

from ninja import Field, Schema


class CertificateIssueIn(Schema):
    application_id: int
    office_id: int


class CertificateLinks(Schema):
    pdf: str  # the A4 PDF (login, audited as a print)
    verify: str  # the public verify page with the signed text: what the printed QR holds


class CertificateOut(Schema):
    number: str
    status: str  # active | superseded | revoked (as registered; expiry follows valid_until)
    application_id: int
    office_code: str
    issued_on: date
    valid_until: date
    links: CertificateLinks


class RevokeIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


class VerifyIn(Schema):
    # The scanned text, or the verify link holding it; the service refuses anything malformed.
    qr: str = Field(..., min_length=1, max_length=4000)


class VerifyOut(Schema):
    status: str  # valid | expired | revoked | superseded
    number: str
    name: str
    nik_masked: str
    birth_date: date
    issued_on: date
    valid_until: date
    office_code: str
