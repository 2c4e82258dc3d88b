"""Station packets: canonical encoding, hash, Ed25519 signature, and biometrics sealed to
central. Pure Python + ``cryptography``; no Django.

A packet travels as an *envelope* ``{"body": {...}, "hash": hex, "sig": base64}``:

- ``body`` holds ``v`` (format version), ``id`` (a UUID made on the station), ``station``
  (its code), ``seq`` (the station's own counter, from 1, never reused), ``occurred_at``
  (ISO 8601 UTC on the station's clock), ``kind``, ``payload`` (JSON) and ``sealed`` (base64,
  may be empty: the biometric part, readable only by central).
- ``hash`` is SHA-256 of the canonical encoding of ``body``.
- ``sig`` is the station's Ed25519 signature of ``DOMAIN + hash bytes``.

The canonical encoding is JSON with sorted keys, no spaces, UTF-8, no NaN/Infinity, and no
duplicate keys on the way in: one value has exactly one encoding, so a hash made on the
station matches the one central computes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import uuid
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = 1
KINDS = ("enrollment", "print_result", "spoiled", "stock_movement", "certificate")
PACKET_DOMAIN = b"ektp-packet-v1\x00"
REQUEST_DOMAIN = b"ektp-request-v1\x00"
RESPONSE_DOMAIN = b"ektp-response-v1\x00"
RECEIPT_DOMAIN = b"ektp-receipt-v1\x00"
SEAL_INFO = b"ektp-seal-v1"
BODY_KEYS = frozenset({"v", "id", "station", "seq", "occurred_at", "kind", "payload", "sealed"})
STATION_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.-]{1,23}$")
MAX_SEQUENCE = 2**63 - 1

# Stable codes of a refused packet (central keeps it aside for review under this code).
MALFORMED = "malformed"
WRONG_HASH = "wrong_hash"
BAD_SIGNATURE = "bad_signature"
UNKNOWN_STATION = "unknown_station"


class PacketError(Exception):
    """A packet (or request) that cannot be accepted; ``code`` is stable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- canonical JSON ---------------------------------------------------------------------------


def canonical(value) -> bytes:
    """The one encoding of ``value``; ValueError for NaN/Infinity or non-JSON types."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _no_duplicates(pairs):
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def decode(data: bytes):
    """Parse JSON strictly (UTF-8, no duplicate keys, no NaN); PacketError(malformed)."""
    try:
        return json.loads(bytes(data).decode("utf-8"), object_pairs_hook=_no_duplicates,
                          parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PacketError(MALFORMED, f"not valid JSON: {exc}") from exc


def body_hash(body: dict) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


# --- base64 and keys --------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError, AttributeError) as exc:
        raise PacketError(MALFORMED, "not valid base64") from exc


def raw_public(key) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def ed25519_public(text: str) -> Ed25519PublicKey:
    raw = unb64(text)
    if len(raw) != 32:
        raise PacketError(MALFORMED, "an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def x25519_public(text: str) -> X25519PublicKey:
    raw = unb64(text)
    if len(raw) != 32:
        raise PacketError(MALFORMED, "an X25519 public key is 32 bytes")
    return X25519PublicKey.from_public_bytes(raw)


def key_fingerprint(public_raw: bytes) -> str:
    """Short fingerprint to compare by eye or pin: 16 hex digits of SHA-256."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


# --- sealing to central (X25519 + HKDF-SHA256 + AES-256-GCM) ----------------------------------


def _seal_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient,
                info=SEAL_INFO).derive(shared)


def seal_to(recipient: X25519PublicKey, plaintext: bytes, *, associated_data: bytes) -> bytes:
    """``ephemeral public (32) | nonce (12) | ciphertext+tag``: only central can open it."""
    ephemeral = X25519PrivateKey.generate()
    eph_raw, rcpt_raw = raw_public(ephemeral.public_key()), raw_public(recipient)
    key = _seal_key(ephemeral.exchange(recipient), eph_raw, rcpt_raw)
    nonce = os.urandom(12)
    return eph_raw + nonce + AESGCM(key).encrypt(nonce, plaintext, associated_data)


def open_sealed(private: X25519PrivateKey, blob: bytes, *, associated_data: bytes) -> bytes:
    if len(blob) < 32 + 12 + 16:
        raise PacketError(MALFORMED, "the sealed part is truncated")
    eph_raw, nonce, ciphertext = blob[:32], blob[32:44], blob[44:]
    ephemeral = X25519PublicKey.from_public_bytes(eph_raw)
    key = _seal_key(private.exchange(ephemeral), eph_raw, raw_public(private.public_key()))
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, associated_data)
    except InvalidTag as exc:
        raise PacketError(MALFORMED, "the sealed part cannot be opened") from exc


# --- packets ----------------------------------------------------------------------------------


def utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_utc(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError, TypeError) as exc:
        raise PacketError(MALFORMED, "occurred_at is not an ISO 8601 time") from exc
    if moment.tzinfo is None:
        raise PacketError(MALFORMED, "occurred_at needs its time zone")
    return moment


def make_body(*, station: str, seq: int, occurred_at: datetime, kind: str, payload: dict,
              sealed: bytes = b"", packet_id: str | None = None) -> dict:
    body = {"v": VERSION, "id": packet_id or str(uuid.uuid4()), "station": station, "seq": seq,
            "occurred_at": utc_text(occurred_at), "kind": kind, "payload": payload,
            "sealed": b64(sealed) if sealed else ""}
    check_body(body)
    return body


def sign_body(body: dict, private_key: Ed25519PrivateKey) -> dict:
    digest = body_hash(body)
    signature = private_key.sign(PACKET_DOMAIN + bytes.fromhex(digest))
    return {"body": body, "hash": digest, "sig": b64(signature)}


def _check_header(body: dict) -> None:
    if body.get("v") != VERSION:
        raise PacketError(MALFORMED, "unknown packet version")
    try:
        if str(uuid.UUID(str(body.get("id")))) != body.get("id"):
            raise ValueError
    except ValueError as exc:
        raise PacketError(MALFORMED, "the packet id is not a lower-case UUID") from exc
    if not isinstance(body.get("station"), str) or not STATION_CODE.match(body["station"]):
        raise PacketError(MALFORMED, "the station code is not valid")
    seq = body.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQUENCE:
        raise PacketError(MALFORMED, "the sequence number is not a positive integer")


def check_body(body) -> dict:
    """The body's shape, or PacketError(malformed)."""
    if not isinstance(body, dict) or set(body) != BODY_KEYS:
        raise PacketError(MALFORMED, "the packet body does not have the expected fields")
    _check_header(body)
    if not isinstance(body["occurred_at"], str):
        raise PacketError(MALFORMED, "occurred_at is not text")
    parse_utc(body["occurred_at"])
    if body.get("kind") not in KINDS:
        raise PacketError(MALFORMED, "unknown packet kind")
    if not isinstance(body.get("payload"), dict):
        raise PacketError(MALFORMED, "the payload is not an object")
    if not isinstance(body.get("sealed"), str):
        raise PacketError(MALFORMED, "the sealed part is not text")
    if body["sealed"]:
        unb64(body["sealed"])
    return body


def check_envelope(envelope) -> dict:
    """Shape only (no key needed): the body, or PacketError(malformed)."""
    if not isinstance(envelope, dict) or set(envelope) != {"body", "hash", "sig"}:
        raise PacketError(MALFORMED, "a packet is {body, hash, sig}")
    if not isinstance(envelope["hash"], str) or not re.fullmatch(r"[0-9a-f]{64}",
                                                                  envelope["hash"]):
        raise PacketError(MALFORMED, "the hash is not 64 hex digits")
    if not isinstance(envelope["sig"], str) or len(unb64(envelope["sig"])) != 64:
        raise PacketError(MALFORMED, "the signature is not 64 bytes")
    return check_body(envelope["body"])


def verify_envelope(envelope, public_key: Ed25519PublicKey) -> dict:
    """The checked body; PacketError malformed / wrong_hash / bad_signature."""
    body = check_envelope(envelope)
    try:
        digest = body_hash(body)
    except (ValueError, RecursionError) as exc:
        raise PacketError(MALFORMED, "the body cannot be encoded canonically") from exc
    if digest != envelope["hash"]:
        raise PacketError(WRONG_HASH, "the hash does not match the packet's content")
    try:
        public_key.verify(unb64(envelope["sig"]), PACKET_DOMAIN + bytes.fromhex(digest))
    except InvalidSignature as exc:
        raise PacketError(BAD_SIGNATURE, "the station's signature does not verify") from exc
    return body


def sealed_aad(body: dict) -> bytes:
    """What the sealed part is bound to: this packet, this station, this kind."""
    return canonical(["ektp-sealed-packet", body["id"], body["station"], body["kind"]])


# --- signed requests and responses ------------------------------------------------------------


def _message(domain: bytes, path: str, data: bytes) -> bytes:
    return domain + path.encode("utf-8") + b"\x00" + hashlib.sha256(data).digest()


def sign_message(private_key: Ed25519PrivateKey, domain: bytes, path: str, data: bytes) -> str:
    return b64(private_key.sign(_message(domain, path, data)))


def verify_message(public_key: Ed25519PublicKey, domain: bytes, path: str, data: bytes,
                   signature: str) -> None:
    try:
        public_key.verify(unb64(signature or ""), _message(domain, path, data))
    except (InvalidSignature, PacketError) as exc:
        raise PacketError(BAD_SIGNATURE, "the request's signature does not verify") from exc
