"""The recording form: biodata confirmation, face photo (upload or camera), the fingerprint
template file from the capture device, and the signature image.

Each capture is checked by ``capture_quality`` (and the face photo by the face embedder) as it
is cleaned, so a refusal is shown next to its field in Indonesian, with the stable code kept on
the error; nothing is written until every field is good.
"""

import json

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ektp.enrollment import capture_quality as cq
from ektp.enrollment.face import (
    FACE_MULTIPLE,
    FACE_NOT_FOUND,
    PHOTO_UNREADABLE,
    FaceError,
    get_face_embedder,
)
from ektp.errors import DomainError

MAX_SEQUENCE = 2**63 - 1
FINGERPRINT_FILE = "fingerprint_file"
FINGERPRINT_FILE_MAX = 256 * 1024  # ten 128-d templates as JSON text are ~30 KB

# Stable code -> what the operator reads (the service's own messages are for logs and the API).
MESSAGES = {
    cq.PHOTO_TOO_LARGE: _("Foto terlalu besar (maksimal %(mb)s MB atau 36 megapiksel)."),
    cq.PHOTO_NOT_IMAGE: _("Foto bukan gambar JPEG atau PNG yang terbaca."),
    cq.PHOTO_TOO_SMALL: _("Foto terlalu kecil: setiap sisi minimal %(side)d piksel."),
    cq.SIGNATURE_MISSING: _("Tanda tangan belum direkam."),
    cq.SIGNATURE_NOT_IMAGE: _("Tanda tangan bukan gambar JPEG atau PNG yang terbaca."),
    cq.SIGNATURE_TOO_LARGE: _("Gambar tanda tangan terlalu besar (maksimal %(mb)s MB)."),
    cq.FINGERPRINTS_TOO_FEW: _("Sidik jari kurang: minimal %(n)d jari harus direkam."),
    cq.FINGERPRINT_POSITION: _("Posisi jari tidak sah: gunakan 1-5 (jempol sampai kelingking "
                               "kanan) dan 6-10 (jempol sampai kelingking kiri)."),
    cq.FINGERPRINT_VECTOR: _("Templat sidik jari rusak atau gagal direkam (panjang %(dim)d "
                             "angka per jari). Rekam ulang jari tersebut."),
    FINGERPRINT_FILE: _("Berkas templat sidik jari tidak terbaca: gunakan berkas JSON dari alat "
                        "perekam sidik jari."),
    FACE_NOT_FOUND: _("Tidak ada wajah yang terdeteksi pada foto. Ambil ulang foto."),
    FACE_MULTIPLE: _("Terdeteksi lebih dari satu wajah pada foto. Ambil ulang foto."),
    PHOTO_UNREADABLE: _("Foto tidak dapat dibaca. Ambil ulang foto."),
    "photo_missing": _("Foto wajah belum diambil."),
}


def capture_error(error: DomainError) -> forms.ValidationError:
    """A refusal as a form error in Indonesian, keeping its stable code."""
    params = {"mb": settings.EKTP_MAX_PHOTO_BYTES // (1024 * 1024),
              "side": settings.EKTP_MIN_PHOTO_SIDE, "n": settings.EKTP_MIN_FINGERPRINTS,
              "dim": settings.EKTP_FINGERPRINT_DIM}
    message = MESSAGES.get(error.code)
    if message is None:
        return forms.ValidationError(error.message, code=error.code)
    return forms.ValidationError(message, code=error.code, params=params)


def read_upload(upload, limit: int) -> bytes:
    """The file's bytes, never more than one byte over ``limit`` (the size check refuses it)."""
    upload.seek(0)
    return upload.read(limit + 1)


def check_photo(upload):
    """(photo bytes, face template) or a ValidationError."""
    data = read_upload(upload, settings.EKTP_MAX_PHOTO_BYTES)
    try:
        size = cq.check_photo(data, max_bytes=settings.EKTP_MAX_PHOTO_BYTES,
                              min_side=settings.EKTP_MIN_PHOTO_SIDE)
        face = get_face_embedder().embed(data)
    except (cq.CaptureRejected, FaceError) as error:
        raise capture_error(error) from error
    return data, face, size


def check_signature(upload) -> bytes:
    data = read_upload(upload, settings.EKTP_MAX_PHOTO_BYTES)
    try:
        cq.check_signature(data, max_bytes=settings.EKTP_MAX_PHOTO_BYTES)
    except cq.CaptureRejected as error:
        raise capture_error(error) from error
    return data


def parse_fingerprints(data: bytes) -> dict[int, list]:
    """The capture device's file: JSON ``{"2": [128 numbers], "7": [...]}`` keyed by finger
    position. Keys that are not whole numbers are left for the position check to refuse."""
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise DomainError("unreadable fingerprint file", code=FINGERPRINT_FILE) from error
    if not isinstance(parsed, dict):
        raise DomainError("fingerprint file is not an object", code=FINGERPRINT_FILE)
    return {_position(key): values for key, values in parsed.items()}


def _position(key: str):
    text = key.strip()
    return int(text) if text.isdigit() else key


def check_fingerprint_file(upload, *, min_fingers: int) -> dict[int, list]:
    data = read_upload(upload, FINGERPRINT_FILE_MAX)
    try:
        if len(data) > FINGERPRINT_FILE_MAX:
            raise DomainError("fingerprint file too large", code=FINGERPRINT_FILE)
        fingers = parse_fingerprints(data)
        cq.check_fingerprints(fingers, dim=settings.EKTP_FINGERPRINT_DIM,
                              min_fingers=min_fingers)
    except DomainError as error:
        raise capture_error(error) from error
    return fingers


class RecordingForm(forms.Form):
    """One perekaman at the office. ``sequence`` is made when the form is shown, so sending
    the same form twice is recognised as the same recording (never stored twice)."""

    sequence = forms.IntegerField(min_value=1, max_value=MAX_SEQUENCE, widget=forms.HiddenInput)
    biodata_confirmed = forms.BooleanField(
        label=_("Penduduk sudah memeriksa dan membenarkan biodata di atas"),
        error_messages={"required": _("Biodata harus diperiksa dan dibenarkan penduduk.")})
    photo = forms.FileField(label=_("Foto wajah"),
                            error_messages={"required": MESSAGES["photo_missing"]})
    fingerprints = forms.FileField(
        label=_("Berkas templat sidik jari"),
        error_messages={"required": _("Berkas templat sidik jari belum dipilih.")})
    signature = forms.FileField(label=_("Tanda tangan"),
                                error_messages={"required": MESSAGES[cq.SIGNATURE_MISSING]})

    def clean_photo(self):
        data, face, _size = check_photo(self.cleaned_data["photo"])
        self.face_template = face
        return data

    def clean_signature(self):
        return check_signature(self.cleaned_data["signature"])

    def clean_fingerprints(self):
        return check_fingerprint_file(self.cleaned_data["fingerprints"],
                                      min_fingers=settings.EKTP_MIN_FINGERPRINTS)


# The fields the page checks one by one as they are chosen (inline validation).
FIELD_CHECKS = {
    "photo": lambda upload: check_photo(upload),
    "fingerprints": lambda upload: check_fingerprint_file(
        upload, min_fingers=settings.EKTP_MIN_FINGERPRINTS),
    "signature": lambda upload: check_signature(upload),
}

