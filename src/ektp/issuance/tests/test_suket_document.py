"""The printed Suket PDF: A4, the right text, deterministic, and a QR that scans and verifies."""

import dataclasses
import hashlib
import io
from datetime import date

import pypdfium2 as pdfium
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from ektp.issuance.suket_document import (
    CertificateDocument,
    format_date_long,
    format_date_numeric,
    render_certificate_pdf,
)
from ektp.issuance.suket_signing import (
    CertificatePayload,
    parse_and_verify,
    sign_certificate,
    trusted_key_map,
)

KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"document tests").digest())
ISSUED = date(2025, 8, 31)
VERIFY_URL = "https://ektp.example.go.id/suket/verifikasi"


def photo_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 30, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def qr_text() -> str:
    payload = CertificatePayload.create(
        number="470/SKT/5371/2025/000123",
        nik="5371014503910001",
        name="MARIA GORETTI NDOEN",
        birth_date=date(1991, 3, 5),
        issued_on=ISSUED,
        office_code="5371",
    )
    return sign_certificate(payload, KEY)


CERT = CertificateDocument(
    government="PEMERINTAH KOTA KUPANG",
    office_name="DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL",
    office_address="Jl. Contoh Raya No. 1, Kota Kupang",
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
    issued_on=ISSUED,
    issue_place="Kupang",
    official_title="KEPALA DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL KOTA KUPANG",
    official_name="CONTOH NAMA PEJABAT, S.H.",
    official_nip="19700101 199503 1 001",
    photo=photo_png(),
    qr_text=qr_text(),
    verify_url=VERIFY_URL,
)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_certificate_pdf(CERT)


def page_text(pdf_bytes: bytes) -> str:
    document = pdfium.PdfDocument(pdf_bytes)
    assert len(document) == 1
    return document[0].get_textpage().get_text_bounded()


def render_png(pdf_bytes: bytes, dpi: int) -> Image.Image:
    return pdfium.PdfDocument(pdf_bytes)[0].render(scale=dpi / 72).to_pil()


def test_is_one_a4_page(pdf):
    assert pdf.startswith(b"%PDF-")
    width, height = pdfium.PdfDocument(pdf)[0].get_size()
    assert width == pytest.approx(595.28, abs=0.1)
    assert height == pytest.approx(841.89, abs=0.1)


def test_holds_the_letter_text_and_biodata(pdf):
    text = page_text(pdf)
    for expected in (
        "PEMERINTAH KOTA KUPANG",
        "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL",
        "SURAT KETERANGAN",
        "Pengganti KTP-el (sementara)",
        "Nomor: 470/SKT/5371/2025/000123",
        "5371014503910001",
        "MARIA GORETTI NDOEN",
        "KUPANG, 05-03-1991",
        "Status Perkawinan",
        "Kewarganegaraan",
        "perekaman KTP-el",
        "Berlaku sampai 28-02-2026",
        "Kupang, 31 Agustus 2025",
        "CONTOH NAMA PEJABAT, S.H.",
        "NIP. 19700101 199503 1 001",
        "Pindai untuk memeriksa keaslian:",
        VERIFY_URL,
    ):
        assert expected in text, expected


def test_rendering_is_deterministic(pdf):
    assert render_certificate_pdf(CERT) == pdf


def test_valid_until_is_derived_from_the_issue_date():
    assert CERT.valid_until == date(2026, 2, 28)
    later = dataclasses.replace(CERT, issued_on=date(2025, 1, 10))
    assert "Berlaku sampai 10-07-2025" in page_text(render_certificate_pdf(later))


@pytest.mark.parametrize("dpi", [110, 200])
def test_qr_scans_to_the_signed_text_which_verifies(pdf, dpi):
    zxingcpp = pytest.importorskip("zxingcpp", reason="QR decoder (zxing-cpp) not installed")
    found = zxingcpp.read_barcodes(render_png(pdf, dpi))
    texts = [barcode.text for barcode in found if barcode.format == zxingcpp.BarcodeFormat.QRCode]
    assert texts == [CERT.qr_text]
    trusted = trusted_key_map([KEY.public_key()])
    assert parse_and_verify(texts[0], trusted, today=ISSUED).status == "valid"


def test_without_a_photo_an_empty_frame_is_printed():
    text = page_text(render_certificate_pdf(dataclasses.replace(CERT, photo=None)))
    assert "Pas foto 3 x 4" in text


def test_long_values_wrap_and_stay_on_one_page():
    address = "JL. JENDERAL SUDIRMAN GANG MAWAR MERAH NOMOR 123 BLOK C KOMPLEKS PERUMAHAN INDAH"
    pdf_bytes = render_certificate_pdf(dataclasses.replace(CERT, address=address))
    text = " ".join(page_text(pdf_bytes).split())
    assert address in text


def test_date_formats():
    assert format_date_numeric(date(2026, 2, 8)) == "08-02-2026"
    assert format_date_long(date(2025, 8, 31)) == "31 Agustus 2025"
    assert format_date_long(date(2025, 1, 1)) == "1 Januari 2025"
