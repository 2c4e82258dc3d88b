"""Capture checks: every refusal code from a concrete input (no database, no Django)."""

import io
import resource
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from ektp.enrollment.capture_quality import (
    FINGER_NAMES,
    CaptureRejected,
    check_fingerprints,
    check_photo,
    check_signature,
)

MAX_BYTES = 2_000_000
MIN_SIDE = 300
DIM = 64


def encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def photo(width: int = 600, height: int = 800, fmt: str = "JPEG") -> bytes:
    return encode(Image.new("RGB", (width, height), (180, 140, 120)), fmt)


def png_header_bomb(width: int, height: int) -> bytes:
    """A valid-looking PNG of a few dozen bytes declaring width x height grey pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress(b"\x00" * 1024)  # far fewer rows than declared
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def rejection_code(call, *args, **kwargs) -> str:
    with pytest.raises(CaptureRejected) as caught:
        call(*args, **kwargs)
    assert caught.value.message  # every refusal says why, for the operator
    return caught.value.code


# Photo


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_photo_accepted_returns_size(fmt):
    assert check_photo(photo(640, 480, fmt), max_bytes=MAX_BYTES, min_side=MIN_SIDE) == (640, 480)


def test_photo_over_max_bytes():
    data = photo()
    code = rejection_code(check_photo, data, max_bytes=len(data) - 1, min_side=MIN_SIDE)
    assert code == "photo_too_large"


def test_photo_text_file_renamed_jpg(tmp_path):
    fake = tmp_path / "foto.jpg"
    fake.write_text("This is a note, not a photograph.\n")
    code = rejection_code(check_photo, fake.read_bytes(), max_bytes=MAX_BYTES, min_side=MIN_SIDE)
    assert code == "photo_not_image"


def test_photo_in_other_format_refused():
    gif = encode(Image.new("RGB", (600, 800), (10, 20, 30)), "GIF")
    assert rejection_code(check_photo, gif, max_bytes=MAX_BYTES, min_side=MIN_SIDE) == (
        "photo_not_image"
    )


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_photo_truncated_upload_refused(fmt):
    data = photo(fmt=fmt)
    half = data[: len(data) // 2]
    assert rejection_code(check_photo, half, max_bytes=MAX_BYTES, min_side=MIN_SIDE) == (
        "photo_not_image"
    )


def test_photo_empty_refused():
    assert rejection_code(check_photo, b"", max_bytes=MAX_BYTES, min_side=MIN_SIDE) == (
        "photo_not_image"
    )


def test_photo_side_below_min():
    data = photo(640, MIN_SIDE - 1)
    assert rejection_code(check_photo, data, max_bytes=MAX_BYTES, min_side=MIN_SIDE) == (
        "photo_too_small"
    )


def test_png_header_bomb_refused_without_allocating():
    bomb = png_header_bomb(20_000, 20_000)  # 400 M pixels declared in < 100 bytes
    assert len(bomb) < 100
    peak_before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code = rejection_code(check_photo, bomb, max_bytes=MAX_BYTES, min_side=MIN_SIDE)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before_kib
    assert code == "photo_too_large"  # the declared size is what is wrong
    assert grown_kib < 50 * 1024  # decoding it would need 400 MB


def test_png_over_our_pixel_limit_but_under_pillows_refused():
    # 7000x7000 = 49 M pixels: Pillow would decode it (limit ~89 M), our 36 M limit refuses it.
    bomb = png_header_bomb(7_000, 7_000)
    assert rejection_code(check_photo, bomb, max_bytes=MAX_BYTES, min_side=MIN_SIDE) == (
        "photo_too_large"
    )


# Signature


def test_signature_accepted():
    signature = encode(Image.new("L", (400, 150), 255), "PNG")
    assert check_signature(signature, max_bytes=MAX_BYTES) == (400, 150)


@pytest.mark.parametrize("missing", [b"", None])
def test_signature_missing(missing):
    assert rejection_code(check_signature, missing, max_bytes=MAX_BYTES) == "signature_missing"


def test_signature_not_image():
    assert rejection_code(check_signature, b"%PDF-1.7\n", max_bytes=MAX_BYTES) == (
        "signature_not_image"
    )


def test_signature_over_max_bytes():
    signature = encode(Image.new("L", (400, 150), 255), "PNG")
    assert rejection_code(check_signature, signature, max_bytes=10) == "signature_too_large"


def test_signature_header_bomb():
    bomb = png_header_bomb(20_000, 20_000)
    assert rejection_code(check_signature, bomb, max_bytes=MAX_BYTES) == "signature_too_large"


# Fingerprints


def template(seed: int, dim: int = DIM) -> list[float]:
    return np.random.default_rng(seed).normal(size=dim).tolist()


def test_fingerprints_normalised_float32_in_position_order():
    fingers = {7: template(7), 2: template(2), 1: template(1)}
    checked = check_fingerprints(fingers, dim=DIM, min_fingers=2)
    assert list(checked) == [1, 2, 7]
    for position, vector in checked.items():
        assert vector.dtype == np.float32 and vector.shape == (DIM,)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-6)
        expected = np.array(fingers[position]) / np.linalg.norm(fingers[position])
        np.testing.assert_allclose(vector, expected, rtol=1e-5)


def test_fingerprints_numpy_positions_and_huge_values_accepted():
    huge = [1e300] * DIM  # the plain norm would overflow to inf
    checked = check_fingerprints({np.int64(6): huge}, dim=DIM, min_fingers=1)
    np.testing.assert_allclose(checked[6], np.full(DIM, 1 / np.sqrt(DIM)), rtol=1e-6)


def test_fingerprints_too_few():
    code = rejection_code(check_fingerprints, {1: template(1)}, dim=DIM, min_fingers=2)
    assert code == "fingerprints_too_few"


@pytest.mark.parametrize("position", [0, 11, -1, True, "1", 2.0, None])
def test_fingerprint_position_outside_iso_numbering(position):
    fingers = {position: template(1), 2: template(2)}
    code = rejection_code(check_fingerprints, fingers, dim=DIM, min_fingers=1)
    assert code == "fingerprint_position"


@pytest.mark.parametrize(
    "values",
    [
        [0.5] * (DIM - 1),  # too short
        [0.5] * (DIM + 1),  # too long
        [[0.5] * DIM],  # nested
        [0.5] * (DIM - 1) + [float("nan")],
        [0.5] * (DIM - 1) + [float("inf")],
        [0.0] * DIM,  # a failed capture
        ["a"] * DIM,
        "not a vector",
        None,
    ],
    ids=["short", "long", "nested", "nan", "inf", "zeros", "strings", "text", "none"],
)
def test_fingerprint_vector_refused(values):
    fingers = {1: template(1), 6: values}
    code = rejection_code(check_fingerprints, fingers, dim=DIM, min_fingers=2)
    assert code == "fingerprint_vector"


def test_finger_names_follow_iso_numbering():
    assert FINGER_NAMES[1] == "right thumb" and FINGER_NAMES[5] == "right little"
    assert FINGER_NAMES[6] == "left thumb" and FINGER_NAMES[10] == "left little"
