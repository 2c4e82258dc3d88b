"""Checks of a recording's captures, run before anything is written.

Each refusal is a ``CaptureRejected`` with a stable ``code`` the operator's screen can act on
(retake the photo, capture more fingers...). Images are only parsed, never fully trusted: the
pixel count is checked from the header before any pixel is decoded, so a small file declaring a
huge image (a decompression bomb) is refused without allocating it.
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Mapping, Sequence
from numbers import Integral

import numpy as np
from PIL import Image

from ektp.errors import DomainError

PHOTO_TOO_LARGE = "photo_too_large"
PHOTO_NOT_IMAGE = "photo_not_image"
PHOTO_TOO_SMALL = "photo_too_small"
SIGNATURE_MISSING = "signature_missing"
SIGNATURE_NOT_IMAGE = "signature_not_image"
SIGNATURE_TOO_LARGE = "signature_too_large"
FINGERPRINTS_TOO_FEW = "fingerprints_too_few"
FINGERPRINT_POSITION = "fingerprint_position"
FINGERPRINT_VECTOR = "fingerprint_vector"

ALLOWED_FORMATS = frozenset({"JPEG", "PNG"})
# 36 megapixels (e.g. 6000x6000) is far above any enrollment camera or signature pad, and
# bounds the memory a decode may take (~108 MB in RGB) well below Pillow's own limit.
MAX_PIXELS = 36_000_000

# ISO/IEC 19794-2 / ANSI-NIST finger positions.
FINGER_NAMES = {
    1: "right thumb",
    2: "right index",
    3: "right middle",
    4: "right ring",
    5: "right little",
    6: "left thumb",
    7: "left index",
    8: "left middle",
    9: "left ring",
    10: "left little",
}

# What Pillow raises on corrupt, truncated or hostile input (its plugins are not uniform).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)


class CaptureRejected(DomainError):
    """A capture fails a quality check; nothing of the recording has been written."""

    status = 400

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


class _ImageKind:
    """Which capture an image is, for the codes and wording of its refusals."""

    def __init__(self, label: str, not_image: str, too_large: str):
        self.label, self.not_image, self.too_large = label, not_image, too_large


_PHOTO = _ImageKind("photo", PHOTO_NOT_IMAGE, PHOTO_TOO_LARGE)
_SIGNATURE = _ImageKind("signature", SIGNATURE_NOT_IMAGE, SIGNATURE_TOO_LARGE)


def check_photo(
    data: bytes, *, max_bytes: int, min_side: int, max_pixels: int = MAX_PIXELS
) -> tuple[int, int]:
    """Refuse a face photo that is too big, not a JPEG/PNG, or too small; return (width, height)."""
    _check_byte_size(data, max_bytes, _PHOTO)
    width, height = _inspect_image(data, _PHOTO, max_pixels)
    if min(width, height) < min_side:
        raise CaptureRejected(
            PHOTO_TOO_SMALL,
            f"The photo is {width}x{height} px; each side must be at least {min_side} px.",
        )
    return width, height


def check_signature(
    data: bytes | None, *, max_bytes: int, max_pixels: int = MAX_PIXELS
) -> tuple[int, int]:
    """Refuse a missing, oversized or non-JPEG/PNG signature image; return (width, height)."""
    if not data:
        raise CaptureRejected(SIGNATURE_MISSING, "The signature has not been captured.")
    _check_byte_size(data, max_bytes, _SIGNATURE)
    return _inspect_image(data, _SIGNATURE, max_pixels)


def _check_byte_size(data: bytes, max_bytes: int, kind: _ImageKind) -> None:
    if len(data) > max_bytes:
        raise CaptureRejected(
            kind.too_large,
            f"The {kind.label} is {len(data)} bytes; the limit is {max_bytes} bytes.",
        )


def _inspect_image(data: bytes, kind: _ImageKind, max_pixels: int) -> tuple[int, int]:
    """Parse the image header and check its integrity without decoding it at full size."""
    try:
        # Only the JPEG and PNG parsers are tried: anything else is "not an image" here.
        with Image.open(io.BytesIO(data), formats=sorted(ALLOWED_FORMATS)) as img:
            size = img.size
            _check_pixel_count(size, kind, max_pixels)
            img.verify()  # PNG: every chunk's CRC up to IEND, so truncation is caught
        if img.format == "JPEG":
            _decode_jpeg_cheaply(data)  # JPEG's verify() checks nothing
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own limit, for an image declaring even more pixels than ours.
        raise CaptureRejected(kind.too_large, f"The {kind.label} has too many pixels.") from exc
    except _DECODE_ERRORS as exc:
        raise CaptureRejected(
            kind.not_image, f"The {kind.label} is not a readable JPEG or PNG image."
        ) from exc
    return size


def _check_pixel_count(size: tuple[int, int], kind: _ImageKind, max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise CaptureRejected(
            kind.too_large,
            f"The {kind.label} is {width}x{height} px; the limit is {max_pixels} pixels.",
        )


def _decode_jpeg_cheaply(data: bytes) -> None:
    # Decoding at 1/8 scale still reads every entropy-coded byte, so a truncated or corrupt
    # JPEG fails here, at 1/64 of the memory of a full decode.
    with Image.open(io.BytesIO(data), formats=["JPEG"]) as img:
        img.draft(None, (max(1, img.width // 8), max(1, img.height // 8)))
        img.load()


def check_fingerprints(
    fingers: Mapping[int, Sequence[float]], *, dim: int, min_fingers: int
) -> dict[int, np.ndarray]:
    """Check fixed-length fingerprint templates keyed by finger position (1..10).

    Returns float32 unit vectors keyed by position in ascending order, ready for an
    inner-product search.
    """
    if len(fingers) < min_fingers:
        raise CaptureRejected(
            FINGERPRINTS_TOO_FEW,
            f"{len(fingers)} fingerprints were captured; at least {min_fingers} are needed.",
        )
    checked = {_check_position(position): values for position, values in fingers.items()}
    return {pos: _unit_vector(pos, checked[pos], dim) for pos in sorted(checked)}


def _check_position(position: object) -> int:
    # bool is an Integral in Python, and True must not pass for the right thumb.
    if isinstance(position, Integral) and not isinstance(position, bool):
        if 1 <= int(position) <= 10:
            return int(position)
    raise CaptureRejected(
        FINGERPRINT_POSITION,
        f"Finger position {position!r} is invalid: use 1-5 (right thumb to little), "
        "6-10 (left thumb to little).",
    )


def _unit_vector(position: int, values: Sequence[float], dim: int) -> np.ndarray:
    finger = FINGER_NAMES[position]
    try:
        vector = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise _vector_error(f"The {finger} template is not a list of numbers.") from exc
    if vector.shape != (dim,):
        raise _vector_error(f"The {finger} template has shape {vector.shape}, expected ({dim},).")
    if not np.all(np.isfinite(vector)):
        raise _vector_error(f"The {finger} template contains NaN or infinite values.")
    peak = float(np.max(np.abs(vector)))
    if peak == 0.0:
        raise _vector_error(f"The {finger} template is all zeros (a failed capture).")
    scaled = vector / peak  # scaling first keeps the norm from overflowing on huge values
    return (scaled / math.sqrt(float(np.dot(scaled, scaled)))).astype(np.float32)


def _vector_error(message: str) -> CaptureRejected:
    return CaptureRejected(FINGERPRINT_VECTOR, message)
