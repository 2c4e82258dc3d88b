"""Signed QR payload of the Suket (Surat Keterangan pengganti KTP-el), verifiable offline.

Wire format, short enough for a QR code printed on A4::

    EKTP-SKT1.<base64url(canonical JSON)>.<base64url(Ed25519 signature)>

base64url without padding. The signature covers the ASCII bytes ``EKTP-SKT1.<payload part>``, so
the version prefix is authenticated too. The JSON is canonical (sorted keys, no spaces, UTF-8) and
holds exactly ``v, no, nik, name, dob, iss, exp, off, kid``.

NIK decision: the QR carries the NIK *masked* (first 4 and last 4 digits). The printed paper shows
the full NIK, but a QR is what gets photographed, forwarded and scanned by third parties; a
masked NIK plus name and birth date is enough for a verifier to match the paper in front of them,
and a leaked photo of the QR alone does not hand out the NIK.

Revoked or superseded certificates are decided by the server's database, not here: this module only
answers "signed by a trusted office key, and within its 6 months?".
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ektp.errors import DomainError

PREFIX = "EKTP-SKT1"
WIRE_VERSION = 1
VALIDITY_MONTHS = 6  # domain.md §3.6: valid nationally for 6 months, then expires by itself
SIGNATURE_BYTES = 64
KEY_ID_BYTES = 8
STATUS_VALID = "valid"
STATUS_EXPIRED = "expired"

QR_FORMAT = "qr_format"
QR_UNKNOWN_KEY = "qr_unknown_key"
QR_SIGNATURE = "qr_signature"

_FIELDS = frozenset({"v", "no", "nik", "name", "dob", "iss", "exp", "off", "kid"})
_MASKED_NIK = re.compile(r"\d{4}\*{8}\d{4}")
_FULL_NIK = re.compile(r"\d{16}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAX_TEXT = 2000  # far above any real payload; refuses huge input before decoding it

logger = logging.getLogger(__name__)


class SuketVerifyError(DomainError):
    """A scanned Suket QR cannot be trusted; `code` says why (qr_format / qr_unknown_key / ...)."""

    status = 400
    code = QR_FORMAT

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


@dataclass(frozen=True)
class CertificatePayload:
    """What the QR vouches for. Build it with `CertificatePayload.create` to get the 6 months."""

    number: str
    nik_masked: str
    name: str
    birth_date: date
    issued_on: date
    valid_until: date
    office_code: str

    def __post_init__(self) -> None:
        if not _MASKED_NIK.fullmatch(self.nik_masked):
            raise ValueError("nik_masked must look like 5371********0001 (use mask_nik)")
        for field, value in (("number", self.number), ("name", self.name)):
            if not value.strip() or len(value) > 120:
                raise ValueError(f"{field} must be 1 to 120 characters")
        if not self.office_code.strip() or len(self.office_code) > 20:
            raise ValueError("office_code must be 1 to 20 characters")
        # The validity is the rule, not a choice of the signer: a longer one is refused.
        if self.valid_until != valid_until_for(self.issued_on):
            raise ValueError(f"valid_until must be issued_on + {VALIDITY_MONTHS} months")

    @classmethod
    def create(
        cls,
        *,
        number: str,
        nik: str,
        name: str,
        birth_date: date,
        issued_on: date,
        office_code: str,
    ) -> CertificatePayload:
        """A payload for a full NIK, masked here, valid for the standard 6 months."""
        return cls(
            number=number,
            nik_masked=mask_nik(nik),
            name=name,
            birth_date=birth_date,
            issued_on=issued_on,
            valid_until=valid_until_for(issued_on),
            office_code=office_code,
        )


@dataclass(frozen=True)
class Verification:
    """Outcome of a good signature: `status` is "valid" or "expired" on the given day."""

    status: str
    payload: CertificatePayload
    key_id: str


# --- dates -----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's end (31 Aug + 6 = 28/29 Feb)."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last_day))


def valid_until_for(issued_on: date) -> date:
    """Last day (inclusive) a Suket issued on `issued_on` is valid."""
    return add_months(issued_on, VALIDITY_MONTHS)


def mask_nik(nik: str) -> str:
    """16-digit NIK with its middle 8 digits hidden: 5371********0001."""
    if not _FULL_NIK.fullmatch(nik):
        raise ValueError("a NIK is exactly 16 digits")
    return nik[:4] + "*" * 8 + nik[-4:]


# --- keys ------------------------------------------------------------------------------------


def generate_private_key_pem() -> bytes:
    """A fresh Ed25519 private key as unencrypted PKCS#8 PEM."""
    return _private_pem(Ed25519PrivateKey.generate())


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the Suket signing key must be an Ed25519 private key")
    return key


def public_key_pem(private_key: Ed25519PrivateKey) -> bytes:
    """The public half as SubjectPublicKeyInfo PEM, for publishing to verifiers."""
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("a Suket verification key must be an Ed25519 public key")
    return key


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 8 bytes of SHA-256 of the raw 32-byte public key, as 16 hex digits."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:KEY_ID_BYTES].hex()


def trusted_key_map(public_keys: Iterable[Ed25519PublicKey]) -> dict[str, Ed25519PublicKey]:
    """The `trusted_keys` mapping for parse_and_verify, keyed by key_id."""
    return {key_id(key): key for key in public_keys}


def load_or_create_key_file(path: Path) -> Ed25519PrivateKey:
    """The office signing key from `path`, created (mode 0600) if missing.

    Losing the file means new certificates get a new key id; old ones still verify only while
    their public key stays in the trusted list, so publish and keep every public key.
    """
    path = Path(path)
    try:
        return _read_key_file(path)
    except FileNotFoundError:
        return _create_key_file(path)


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _read_key_file(path: Path) -> Ed25519PrivateKey:
    if path.stat().st_mode & 0o077:
        logger.warning("Suket signing key file %s is readable by other users; chmod 600 it", path)
    try:
        return load_private_key(path.read_bytes())
    except ValueError as exc:
        raise ValueError(f"the Suket key file {path} does not hold an Ed25519 PEM key") from exc


def _create_key_file(path: Path) -> Ed25519PrivateKey:
    # Same pattern as enrollment.sealing: write the whole key to a private temporary file, then
    # hard-link it to the final name. link() fails if the name exists, so of two processes
    # starting together exactly one key wins and the loser reads it; and nobody can ever read
    # a half-written key (which O_EXCL on the final name alone would allow).
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    temp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_private_pem(key))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            return _read_key_file(path)
    finally:
        temp.unlink(missing_ok=True)
    return key


# --- signing and verifying -------------------------------------------------------------------


def sign_certificate(payload: CertificatePayload, private_key: Ed25519PrivateKey) -> str:
    """The QR text for `payload`, signed by the office key (deterministic: Ed25519)."""
    fields = _payload_fields(payload, key_id(private_key.public_key()))
    signing_input = f"{PREFIX}.{_b64encode(_canonical_json(fields))}"
    signature = private_key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{_b64encode(signature)}"


def parse_and_verify(
    text: str, trusted_keys: Mapping[str, Ed25519PublicKey], *, today: date
) -> Verification:
    """Check a scanned QR text; SuketVerifyError unless signed by a trusted key.

    The text is taken as is (no whitespace stripping), so the caller strips a scanner's
    trailing newline. A good signature gives "valid" up to and including valid_until, then
    "expired".
    """
    signing_input, payload_part, signature = _split(text)
    fields = _decode_fields(payload_part)
    kid = fields["kid"]
    public_key = trusted_keys.get(kid)
    if public_key is None:
        raise SuketVerifyError(
            QR_UNKNOWN_KEY, f"The certificate was signed by an unknown key ({kid})."
        )
    try:
        public_key.verify(signature, signing_input.encode("ascii"))
    except InvalidSignature as exc:
        raise SuketVerifyError(
            QR_SIGNATURE, "The certificate signature does not match its content."
        ) from exc
    payload = _payload_from_fields(fields)
    status = STATUS_VALID if today <= payload.valid_until else STATUS_EXPIRED
    return Verification(status=status, payload=payload, key_id=kid)


def _payload_fields(payload: CertificatePayload, kid: str) -> dict[str, object]:
    return {
        "v": WIRE_VERSION,
        "no": payload.number,
        "nik": payload.nik_masked,
        "name": payload.name,
        "dob": payload.birth_date.isoformat(),
        "iss": payload.issued_on.isoformat(),
        "exp": payload.valid_until.isoformat(),
        "off": payload.office_code,
        "kid": kid,
    }


def _split(text: str) -> tuple[str, str, bytes]:
    """(signing input, payload part, signature bytes) of a text in our format."""
    if not isinstance(text, str) or not text or len(text) > _MAX_TEXT:
        raise _format_error("The QR text is empty or too long.")
    parts = text.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise _format_error("The QR code is not a KTP-el temporary certificate.")
    signature = _b64decode(parts[2])
    if len(signature) != SIGNATURE_BYTES:
        raise _format_error("The QR signature has the wrong length.")
    return f"{parts[0]}.{parts[1]}", parts[1], signature


def _decode_fields(payload_part: str) -> dict:
    raw = _b64decode(payload_part)
    try:
        fields = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _format_error("The QR content is not readable JSON.") from exc
    if not isinstance(fields, dict) or set(fields) != _FIELDS:
        raise _format_error("The QR content lacks fields or has extra ones.")
    # Only the one canonical encoding is accepted, so a payload has a single valid text.
    version = fields["v"]
    if _canonical_json(fields) != raw or type(version) is not int or version != WIRE_VERSION:
        raise _format_error("The QR content has an unknown version or layout.")
    if not all(isinstance(fields[name], str) for name in _FIELDS - {"v"}):
        raise _format_error("The QR content has fields of the wrong type.")
    if not _KEY_ID.fullmatch(fields["kid"]):
        raise _format_error("The QR key id is malformed.")
    return fields


def _payload_from_fields(fields: dict) -> CertificatePayload:
    try:
        return CertificatePayload(
            number=fields["no"],
            nik_masked=fields["nik"],
            name=fields["name"],
            birth_date=_parse_date(fields["dob"]),
            issued_on=_parse_date(fields["iss"]),
            valid_until=_parse_date(fields["exp"]),
            office_code=fields["off"],
        )
    except ValueError as exc:
        # Signed but malformed: the signer is trusted, yet the content breaks the rules.
        raise _format_error("The QR content breaks the certificate rules.") from exc


def _parse_date(text: str) -> date:
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"not a YYYY-MM-DD date: {text!r}")
    return date.fromisoformat(text)


def _canonical_json(fields: Mapping[str, object]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise _format_error("The QR text is not valid base64url.")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _format_error("The QR text is not valid base64url.") from exc
    # Refuse texts whose unused trailing bits are set: otherwise two texts decode alike and a
    # changed last character could still verify.
    if _b64encode(data) != text:
        raise _format_error("The QR text is not valid base64url.")
    return data


def _format_error(message: str) -> SuketVerifyError:
    return SuketVerifyError(QR_FORMAT, message)
