"""Signed Suket QR payload: round trip, expiry, tampering, foreign keys, malformed text, keys."""

import base64
import hashlib
import json
import os
import stat
import threading
from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import assume, given
from hypothesis import strategies as st

from ektp.errors import DomainError
from ektp.issuance.suket_signing import (
    PREFIX,
    QR_FORMAT,
    QR_SIGNATURE,
    QR_UNKNOWN_KEY,
    CertificatePayload,
    SuketVerifyError,
    add_months,
    generate_private_key_pem,
    key_id,
    load_or_create_key_file,
    load_private_key,
    load_public_key,
    mask_nik,
    parse_and_verify,
    public_key_pem,
    sign_certificate,
    trusted_key_map,
    valid_until_for,
)

ISSUED = date(2025, 8, 31)
VALID_UNTIL = date(2026, 2, 28)
# Fixed keys: Ed25519 signatures are deterministic, so every run signs the same texts.
OFFICE_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"office").digest())
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"other").digest())
TRUSTED = trusted_key_map([OFFICE_KEY.public_key()])
PAYLOAD = CertificatePayload.create(
    number="470/SKT/5371/2025/000123",
    nik="5371014503910001",
    name="MARIA GORETTI NDOEN",
    birth_date=date(1991, 3, 5),
    issued_on=ISSUED,
    office_code="5371",
)
TEXT = sign_certificate(PAYLOAD, OFFICE_KEY)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fields_of(text: str) -> dict:
    return json.loads(unb64(text.split(".")[1]))


def signed_text(fields: dict, key: Ed25519PrivateKey = OFFICE_KEY, *, raw: bytes = b"") -> str:
    """A text whose JSON we choose (canonical unless `raw` is given), signed by `key`."""
    body = raw or json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    signing_input = f"{PREFIX}.{b64(body)}"
    return f"{signing_input}.{b64(key.sign(signing_input.encode()))}"


def error_code(text, trusted=TRUSTED, today=ISSUED) -> str:
    with pytest.raises(SuketVerifyError) as caught:
        parse_and_verify(text, trusted, today=today)
    return caught.value.code


# --- round trip and validity ---------------------------------------------------------------


def test_round_trip_is_valid_and_returns_the_payload():
    result = parse_and_verify(TEXT, TRUSTED, today=ISSUED)
    assert result.status == "valid"
    assert result.payload == PAYLOAD
    assert result.key_id == key_id(OFFICE_KEY.public_key())


def test_text_has_the_documented_shape():
    prefix, body, signature = TEXT.split(".")
    assert prefix == "EKTP-SKT1" and "=" not in TEXT
    assert len(unb64(signature)) == 64
    assert fields_of(TEXT) == {
        "v": 1,
        "no": "470/SKT/5371/2025/000123",
        "nik": "5371********0001",
        "name": "MARIA GORETTI NDOEN",
        "dob": "1991-03-05",
        "iss": "2025-08-31",
        "exp": "2026-02-28",
        "off": "5371",
        "kid": key_id(OFFICE_KEY.public_key()),
    }


def test_qr_never_holds_the_full_nik():
    assert "5371014503910001" not in unb64(TEXT.split(".")[1]).decode()


def test_valid_on_the_last_day_and_expired_the_day_after():
    assert parse_and_verify(TEXT, TRUSTED, today=VALID_UNTIL).status == "valid"
    after = VALID_UNTIL + timedelta(days=1)
    assert parse_and_verify(TEXT, TRUSTED, today=after).status == "expired"


def test_signing_is_deterministic():
    assert sign_certificate(PAYLOAD, OFFICE_KEY) == TEXT


# --- tampering and keys --------------------------------------------------------------------


def test_one_changed_letter_of_the_name_breaks_the_signature():
    fields = fields_of(TEXT)
    fields["name"] = "MARIA GORETTI NDOEM"
    body = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    prefix, _, signature = TEXT.split(".")
    assert error_code(f"{prefix}.{b64(body)}.{signature}") == QR_SIGNATURE


def test_longer_validity_with_the_old_signature_is_refused():
    fields = fields_of(TEXT) | {"exp": "2026-08-31"}
    prefix, _, signature = TEXT.split(".")
    body = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    assert error_code(f"{prefix}.{b64(body)}.{signature}") == QR_SIGNATURE


def test_another_key_claiming_the_trusted_key_id_fails_the_signature():
    forged = signed_text(fields_of(TEXT), OTHER_KEY)  # kid still names the office key
    assert error_code(forged) == QR_SIGNATURE


def test_a_foreign_key_id_is_unknown():
    foreign = sign_certificate(PAYLOAD, OTHER_KEY)
    assert error_code(foreign) == QR_UNKNOWN_KEY
    assert error_code(TEXT, trusted={}) == QR_UNKNOWN_KEY


def test_any_of_several_trusted_keys_verifies():
    trusted = trusted_key_map([OTHER_KEY.public_key(), OFFICE_KEY.public_key()])
    assert parse_and_verify(sign_certificate(PAYLOAD, OTHER_KEY), trusted, today=ISSUED)
    assert parse_and_verify(TEXT, trusted, today=ISSUED).status == "valid"


def test_verify_error_is_a_domain_error_with_a_stable_code():
    with pytest.raises(DomainError) as caught:
        parse_and_verify("nope", TRUSTED, today=ISSUED)
    assert caught.value.code == QR_FORMAT and caught.value.message


# --- malformed text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "https://example.com/",
        "EKTP-SKT1",
        "EKTP-SKT1..",
        TEXT.replace("EKTP-SKT1", "EKTP-SKT2", 1),
        TEXT.replace("EKTP-SKT1", "ektp-skt1", 1),
        TEXT[:-1],
        TEXT[:-4],
        TEXT[: len(TEXT) // 2],
        TEXT + "=",
        TEXT + ".AAAA",
        " " + TEXT,
        TEXT + "\n",
        TEXT.replace(".", "!", 1),
        TEXT + "A" * 3000,
    ],
)
def test_malformed_text_is_a_format_error(text):
    assert error_code(text) == QR_FORMAT


def test_a_non_string_is_a_format_error():
    assert error_code(None) == QR_FORMAT
    assert error_code(TEXT.encode()) == QR_FORMAT


def test_base64_with_set_trailing_bits_is_refused():
    # 64 bytes end in 4 unused bits; flipping one decodes to the same bytes yet differs.
    prefix, body, signature = TEXT.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet[alphabet.index(signature[-1]) ^ 1]
    assert error_code(f"{prefix}.{body}.{signature[:-1]}{last}") == QR_FORMAT


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b"[1,2,3]",
        b'"text"',
        b"{}",
    ],
)
def test_signed_but_unreadable_content_is_a_format_error(raw):
    assert error_code(signed_text({}, raw=raw)) == QR_FORMAT


def mutated_fields(**changes) -> dict:
    fields = fields_of(TEXT)
    for name, value in changes.items():
        if value is None:
            del fields[name]
        else:
            fields[name] = value
    return fields


@pytest.mark.parametrize(
    "fields",
    [
        mutated_fields(name=None),
        mutated_fields(extra="x"),
        mutated_fields(v=2),
        mutated_fields(v="1"),
        mutated_fields(v=True),
        mutated_fields(nik="5371014503910001"),  # a full NIK must never be in the QR
        mutated_fields(nik="5371****0001"),
        mutated_fields(exp="2026-08-31"),  # longer than 6 months, even if signed
        mutated_fields(dob="05-03-1991"),
        mutated_fields(iss="2025-02-30"),
        mutated_fields(name=""),
        mutated_fields(no=123),
        mutated_fields(kid="ZZ"),
    ],
)
def test_signed_content_breaking_the_rules_is_a_format_error(fields):
    assert error_code(signed_text(fields)) == QR_FORMAT


def test_non_canonical_json_is_a_format_error():
    raw = json.dumps(fields_of(TEXT), sort_keys=True, indent=1).encode()
    assert error_code(signed_text({}, raw=raw)) == QR_FORMAT


_CHARS = st.sampled_from(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \n*é\x00"
)


@st.composite
def mutations(draw):
    """TEXT with one character replaced, deleted, inserted, or two neighbours swapped."""
    index = draw(st.integers(0, len(TEXT) - 1))
    kind = draw(st.sampled_from(["replace", "delete", "insert", "swap"]))
    if kind == "replace":
        return TEXT[:index] + draw(_CHARS) + TEXT[index + 1 :]
    if kind == "delete":
        return TEXT[:index] + TEXT[index + 1 :]
    if kind == "insert":
        return TEXT[:index] + draw(_CHARS) + TEXT[index:]
    index = min(index, len(TEXT) - 2)
    return TEXT[:index] + TEXT[index + 1] + TEXT[index] + TEXT[index + 2 :]


@given(mutations())
def test_no_mutation_of_the_text_ever_verifies(mutated):
    assume(mutated != TEXT)
    with pytest.raises(SuketVerifyError):
        parse_and_verify(mutated, TRUSTED, today=ISSUED)


@given(st.text(max_size=400))
def test_arbitrary_text_never_verifies(text):
    with pytest.raises(SuketVerifyError):
        parse_and_verify(text, TRUSTED, today=ISSUED)


# --- dates and payload rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # leap year
        (date(2025, 8, 29), 6, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 12, 31), 6, date(2026, 6, 30)),
        (date(2025, 7, 1), 6, date(2026, 1, 1)),  # over the year end
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 5, 10), 0, date(2025, 5, 10)),
        (date(2025, 1, 15), 24, date(2027, 1, 15)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9000, 12, 31)), st.integers(0, 600))
def test_add_months_moves_whole_months_and_never_overflows_the_day(start, months):
    moved = add_months(start, months)
    assert (moved.year * 12 + moved.month) - (start.year * 12 + start.month) == months
    assert moved.day <= start.day
    assert moved.day == start.day or (moved + timedelta(days=1)).day == 1


def test_valid_until_is_six_months():
    assert valid_until_for(date(2025, 1, 10)) == date(2025, 7, 10)


def test_mask_nik():
    assert mask_nik("5371014503910001") == "5371********0001"
    for bad in ("537101450391000", "53710145039100011", "5371O14503910001"):
        with pytest.raises(ValueError):
            mask_nik(bad)


def test_payload_refuses_an_unmasked_nik_or_another_validity():
    with pytest.raises(ValueError):
        CertificatePayload(**{**PAYLOAD.__dict__, "nik_masked": "5371014503910001"})
    with pytest.raises(ValueError):
        CertificatePayload(**{**PAYLOAD.__dict__, "valid_until": date(2026, 3, 1)})


# --- keys ----------------------------------------------------------------------------------


def test_pem_round_trip_and_key_id():
    private = load_private_key(generate_private_key_pem())
    public = load_public_key(public_key_pem(private))
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key_id(public) == hashlib.sha256(raw).digest()[:8].hex()
    assert key_id(public) == key_id(private.public_key())
    assert len(key_id(public)) == 16


def test_loading_a_non_ed25519_key_is_refused():
    ec_key = ec.generate_private_key(ec.SECP256R1())
    pem = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError):
        load_private_key(pem)
    public_pem = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError):
        load_public_key(public_pem)


def test_key_file_is_created_private_and_read_back(tmp_path):
    path = tmp_path / "keys" / "suket.pem"
    first = load_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = load_or_create_key_file(path)
    assert key_id(first.public_key()) == key_id(second.public_key())
    assert os.listdir(path.parent) == ["suket.pem"]  # no temporary file left behind


def test_threads_creating_the_key_at_once_get_the_same_key(tmp_path):
    path = tmp_path / "suket.pem"
    start = threading.Barrier(12)
    ids: list[str] = []

    def create() -> None:
        start.wait()
        ids.append(key_id(load_or_create_key_file(path).public_key()))

    threads = [threading.Thread(target=create) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 12 and len(set(ids)) == 1
    assert ids[0] == key_id(load_private_key(path.read_bytes()).public_key())
    assert os.listdir(tmp_path) == ["suket.pem"]


def test_a_corrupt_key_file_is_an_error_not_a_new_key(tmp_path):
    path = tmp_path / "suket.pem"
    path.write_bytes(b"not a key")
    path.chmod(0o600)
    with pytest.raises(ValueError, match="Ed25519"):
        load_or_create_key_file(path)
    assert path.read_bytes() == b"not a key"
