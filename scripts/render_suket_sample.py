"""Render a sample Suket for a synthetic resident of Kota Kupang into docs/.

Writes docs/suket-sample.pdf and docs/suket-sample.png (110 dpi). The signing key is derived from
a fixed seed, so the sample is byte-for-byte reproducible; it is NOT an office key and its QR
verifies only against that sample key (whose id the script prints).

    .venv/bin/python scripts/render_suket_sample.py
"""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageDraw

from ektp.issuance.suket_document import CertificateDocument, render_certificate_pdf
from ektp.issuance.suket_signing import (
    CertificatePayload,
    key_id,
    parse_and_verify,
    sign_certificate,
    trusted_key_map,
)

DOCS = Path(__file__).resolve().parent.parent / "docs"
PNG_DPI = 110
SAMPLE_SEED = b"ektp suket sample key - not for production"


def sample_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(SAMPLE_SEED).digest())


def synthetic_photo() -> bytes:
    """A 3 x 4 head-and-shoulders silhouette on the red background of odd birth years."""
    image = Image.new("RGB", (300, 400), (200, 30, 40))
    draw = ImageDraw.Draw(image)
    draw.ellipse((95, 70, 205, 200), fill=(120, 120, 125))  # head
    draw.rectangle((135, 190, 165, 240), fill=(120, 120, 125))  # neck
    draw.ellipse((30, 225, 270, 520), fill=(40, 40, 60))  # shoulders
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def sample_document(qr_text: str) -> CertificateDocument:
    return CertificateDocument(
        government="PEMERINTAH KOTA KUPANG",
        office_name="DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL",
        office_address="Jl. Contoh Raya No. 1, Kota Kupang, Nusa Tenggara Timur",
        number="470/SKT/5371/2025/000123",
        nik="5371014503910001",
        name="MARIA GORETTI NDOEN",
        birth_place="KUPANG",
        birth_date=date(1991, 3, 5),
        sex="PEREMPUAN",
        address="JL. CONTOH NO. 12",
        rt_rw="007/002",
        village="OEBOBO",
        district="OEBOBO",
        religion="KATOLIK",
        marital_status="BELUM KAWIN",
        occupation="PELAJAR/MAHASISWA",
        citizenship="WNI",
        issued_on=date(2025, 8, 31),
        issue_place="Kupang",
        official_title="KEPALA DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL KOTA KUPANG",
        official_name="CONTOH NAMA PEJABAT, S.H.",
        official_nip="19700101 199503 1 001",
        photo=synthetic_photo(),
        qr_text=qr_text,
        verify_url="https://ektp.example.go.id/suket/verifikasi",
    )


def main() -> None:
    key = sample_key()
    payload = CertificatePayload.create(
        number="470/SKT/5371/2025/000123",
        nik="5371014503910001",
        name="MARIA GORETTI NDOEN",
        birth_date=date(1991, 3, 5),
        issued_on=date(2025, 8, 31),
        office_code="5371",
    )
    qr_text = sign_certificate(payload, key)
    # Check the sample before writing it: a sample that does not verify is worse than none.
    parse_and_verify(qr_text, trusted_key_map([key.public_key()]), today=payload.issued_on)
    pdf = render_certificate_pdf(sample_document(qr_text))
    DOCS.mkdir(exist_ok=True)
    (DOCS / "suket-sample.pdf").write_bytes(pdf)
    page = pdfium.PdfDocument(pdf)[0]
    page.render(scale=PNG_DPI / 72).to_pil().save(DOCS / "suket-sample.png", optimize=True)
    print(f"wrote {DOCS}/suket-sample.pdf and .png; sample key id {key_id(key.public_key())}")


if __name__ == "__main__":
    main()
