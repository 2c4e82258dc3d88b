"""Encryption at rest of biometric templates and photos (AES-256-GCM).

A sealed blob is ``version (1 byte) | nonce (12 bytes) | ciphertext with 16-byte tag``. The
associated data is not stored: the caller passes it again to unseal, and it names the row and
modality the blob belongs to (``row_binding``), so a blob copied into another row, or from the
face column into the fingerprint column, fails to unseal instead of silently matching.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from pathlib import Path

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ektp.errors import DomainError

VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
TEMPLATE_UNREADABLE = "template_unreadable"
# Stored vectors are little-endian float32 whatever the machine, so blobs move between hosts.
_VECTOR_DTYPE = np.dtype("<f4")

logger = logging.getLogger(__name__)


class SealError(DomainError):
    """A sealed blob cannot be opened: tampered, truncated, wrong key or wrong row."""

    # Not the applicant's fault: the stored data or the server's key is wrong.
    status = 500
    code = TEMPLATE_UNREADABLE

    def __init__(self, message: str = "A stored biometric record cannot be decrypted."):
        super().__init__(message, code=TEMPLATE_UNREADABLE)


def row_binding(row_id: object, modality: str) -> bytes:
    """Associated data tying a blob to one row and modality (e.g. enrollment 42, "face")."""
    # JSON keeps the parts unambiguous whatever characters they contain.
    return json.dumps(["ektp-sealed", str(row_id), modality], separators=(",", ":")).encode()


def seal(plaintext: bytes, *, key: bytes, associated_data: bytes) -> bytes:
    """Encrypt and authenticate plaintext under key, bound to associated_data."""
    _check_key(key)
    nonce = os.urandom(NONCE_BYTES)  # random 96-bit nonce: safe for far more than 2**32 seals
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _aad(VERSION, associated_data))
    return bytes([VERSION]) + nonce + ciphertext


def unseal(blob: bytes, *, key: bytes, associated_data: bytes) -> bytes:
    """Decrypt a blob from seal(); SealError if it was altered or key/associated_data differ."""
    _check_key(key)
    blob = bytes(blob)  # database drivers may hand back memoryview
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES:
        raise SealError("A stored biometric record is truncated.")
    if blob[0] != VERSION:
        raise SealError(f"A stored biometric record has unknown format version {blob[0]}.")
    nonce, ciphertext = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, _aad(blob[0], associated_data))
    except InvalidTag as exc:
        raise SealError() from exc


def seal_vector(vec: np.ndarray, *, key: bytes, associated_data: bytes) -> bytes:
    """Seal a 1-d vector as little-endian float32 bytes."""
    array = np.asarray(vec, dtype=_VECTOR_DTYPE)
    if array.ndim != 1:
        raise ValueError(f"expected a 1-d vector, got shape {array.shape}")
    return seal(array.tobytes(), key=key, associated_data=associated_data)


def unseal_vector(
    blob: bytes, *, key: bytes, associated_data: bytes, dim: int | None = None
) -> np.ndarray:
    """Unseal a vector from seal_vector() as float32; SealError if it is not `dim` long."""
    raw = unseal(blob, key=key, associated_data=associated_data)
    if len(raw) % _VECTOR_DTYPE.itemsize:
        raise SealError("A stored biometric template has a broken length.")
    vector = np.frombuffer(raw, dtype=_VECTOR_DTYPE).astype(np.float32)  # writable copy
    if dim is not None and vector.shape != (dim,):
        raise SealError(f"A stored biometric template has {vector.size} values, not {dim}.")
    return vector


def _aad(version: int, associated_data: bytes) -> bytes:
    # The version byte is authenticated too, so it cannot be flipped to steer the decoder.
    return bytes([version]) + bytes(associated_data)


def _check_key(key: bytes) -> None:
    if len(key) != KEY_BYTES:
        raise ValueError(f"the sealing key must be {KEY_BYTES} bytes, got {len(key)}")


def load_key(setting_value: str, key_file: Path) -> bytes:
    """The 32-byte sealing key: from the setting (base64) if given, else from key_file.

    A missing key file is created with a fresh random key, readable by its owner only. Losing
    that file makes every sealed template unreadable: back it up with the database.
    """
    if setting_value and setting_value.strip():
        return decode_key(setting_value, source="the sealing key setting")
    key_file = Path(key_file)
    try:
        return _read_key_file(key_file)
    except FileNotFoundError:
        return _create_key_file(key_file)


def decode_key(text: str, *, source: str) -> bytes:
    """Decode base64 (standard or URL-safe alphabet) text holding a 32-byte key."""
    normalised = text.strip().replace("-", "+").replace("_", "/")
    try:
        key = base64.b64decode(normalised, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{source} is not valid base64 (expected base64 of 32 bytes)") from exc
    if len(key) != KEY_BYTES:
        raise ValueError(
            f"{source} must be base64 of {KEY_BYTES} bytes, it decodes to {len(key)} bytes"
        )
    return key


def generate_key_text() -> str:
    """A fresh key in the base64 form the setting and the key file expect."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _read_key_file(path: Path) -> bytes:
    if path.stat().st_mode & 0o077:
        logger.warning("sealing key file %s is readable by other users; chmod 600 it", path)
    return decode_key(path.read_text(encoding="ascii"), source=f"the key file {path}")


def _create_key_file(path: Path) -> bytes:
    # The key is written in full to a private temporary file, then hard-linked to its final
    # name. link() fails if the name exists, so when two processes start at once exactly one
    # key wins and the loser reads it; and nobody can ever read a half-written key file
    # (which creating the final name directly with O_EXCL would allow).
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_text = generate_key_text()
    temp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key_text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            return _read_key_file(path)
    finally:
        temp.unlink(missing_ok=True)
    return base64.b64decode(key_text)
