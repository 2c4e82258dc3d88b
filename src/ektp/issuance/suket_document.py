"""The printed Suket: an A4 PDF letter "Surat Keterangan pengganti KTP-el (sementara)".

Laid out as an Indonesian government letter: the office letterhead (kop surat) with a double rule,
the title and number, the biodata as on the KTP-el with the photo beside it, the statement that
the card is being processed, the validity, the place/date and signing official, and the signed QR
(see suket_signing) with the public verify URL under it.

Output is deterministic (reportlab ``invariant=1``, vector QR), so the same certificate always
renders to the same bytes: handy for tests and for re-printing a copy that matches the original.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen.canvas import Canvas

from ektp.issuance.suket_signing import valid_until_for

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT = 25 * mm
MARGIN_RIGHT = 20 * mm
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
PHOTO_WIDTH, PHOTO_HEIGHT = 30 * mm, 40 * mm  # pas foto 3 x 4 cm
QR_SIZE = 34 * mm  # modules only; a version-14 code (73 modules) gets 0.47 mm each
LABEL_WIDTH = 42 * mm
LINE = 5.6 * mm  # body line pitch for 11 pt text

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"

MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


@dataclass(frozen=True)
class CertificateDocument:
    """Everything printed on one Suket, as display text (labels already resolved)."""

    government: str  # "PEMERINTAH KOTA KUPANG"
    office_name: str  # "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL"
    office_address: str  # letterhead address line; may be ""
    number: str
    nik: str
    name: str
    birth_place: str
    birth_date: date
    sex: str
    address: str
    rt_rw: str  # "007/002"
    village: str
    district: str
    religion: str
    marital_status: str
    occupation: str
    citizenship: str
    issued_on: date
    issue_place: str  # "Kupang"
    official_title: str  # "KEPALA DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL KOTA KUPANG"
    official_name: str
    official_nip: str  # may be ""
    photo: bytes | None  # JPEG or PNG; None prints an empty 3 x 4 frame
    qr_text: str
    verify_url: str

    @property
    def valid_until(self) -> date:
        # Derived, never stored: paper and QR cannot disagree about the 6 months.
        return valid_until_for(self.issued_on)


def render_certificate_pdf(cert: CertificateDocument) -> bytes:
    """The certificate as a one-page A4 PDF."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(f"Surat Keterangan {cert.number}")
    canvas.setAuthor(f"{cert.office_name} - {cert.government}")
    canvas.setSubject("Surat Keterangan pengganti KTP-el (sementara)")
    y = _draw_letterhead(canvas, cert, PAGE_HEIGHT - 15 * mm)
    y = _draw_title(canvas, cert, y - 10 * mm)
    y = _draw_opening(canvas, cert, y - 9 * mm)
    y = _draw_biodata(canvas, cert, y - 3 * mm)
    y = _draw_statement(canvas, cert, y - 4 * mm)
    _draw_signature_block(canvas, cert, y - 10 * mm)
    _draw_qr(canvas, cert, y - 10 * mm)
    _draw_footer(canvas)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def format_date_numeric(day: date) -> str:
    """DD-MM-YYYY, as dates are printed on the KTP-el."""
    return day.strftime("%d-%m-%Y")


def format_date_long(day: date) -> str:
    """ "5 Maret 2025": the date form of a letter's place-and-date line."""
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def _draw_letterhead(canvas: Canvas, cert: CertificateDocument, top: float) -> float:
    """Kop surat: centred office lines over a thick and a thin rule. Returns the y below."""
    center = MARGIN_LEFT + TEXT_WIDTH / 2
    canvas.setFont(FONT_BOLD, 14)
    canvas.drawCentredString(center, top - 14, cert.government.upper())
    canvas.setFont(FONT_BOLD, 15)
    canvas.drawCentredString(center, top - 32, cert.office_name.upper())
    y = top - 32
    if cert.office_address:
        canvas.setFont(FONT, 9.5)
        y -= 15
        canvas.drawCentredString(center, y, cert.office_address)
    y -= 3 * mm
    canvas.setLineWidth(2.2)
    canvas.line(MARGIN_LEFT, y, PAGE_WIDTH - MARGIN_RIGHT, y)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN_LEFT, y - 2.5, PAGE_WIDTH - MARGIN_RIGHT, y - 2.5)
    return y - 2.5


def _draw_title(canvas: Canvas, cert: CertificateDocument, top: float) -> float:
    center = MARGIN_LEFT + TEXT_WIDTH / 2
    title = "SURAT KETERANGAN"
    canvas.setFont(FONT_BOLD, 14)
    canvas.drawCentredString(center, top, title)
    half = canvas.stringWidth(title, FONT_BOLD, 14) / 2
    canvas.setLineWidth(0.8)
    canvas.line(center - half, top - 2.5, center + half, top - 2.5)
    canvas.setFont(FONT_BOLD, 11.5)
    canvas.drawCentredString(center, top - 16, "Pengganti KTP-el (sementara)")
    canvas.setFont(FONT, 11)
    canvas.drawCentredString(center, top - 31, f"Nomor: {cert.number}")
    return top - 31


def _draw_opening(canvas: Canvas, cert: CertificateDocument, top: float) -> float:
    text = (
        f"Yang bertanda tangan di bawah ini, {_title_case(cert.official_title)}, "
        "menerangkan dengan sebenarnya bahwa:"
    )
    return _draw_paragraph(canvas, text, MARGIN_LEFT, top, TEXT_WIDTH)


def _biodata_rows(cert: CertificateDocument) -> list[tuple[str, str]]:
    return [
        ("NIK", cert.nik),
        ("Nama", cert.name),
        ("Tempat/Tgl Lahir", f"{cert.birth_place}, {format_date_numeric(cert.birth_date)}"),
        ("Jenis Kelamin", cert.sex),
        ("Alamat", cert.address),
        ("RT/RW", cert.rt_rw),
        ("Kel/Desa", cert.village),
        ("Kecamatan", cert.district),
        ("Agama", cert.religion),
        ("Status Perkawinan", cert.marital_status),
        ("Pekerjaan", cert.occupation),
        ("Kewarganegaraan", cert.citizenship),
    ]


def _draw_biodata(canvas: Canvas, cert: CertificateDocument, top: float) -> float:
    """Label : value rows, the photo to their right. Returns the y below both."""
    indent = MARGIN_LEFT + 6 * mm
    photo_x = PAGE_WIDTH - MARGIN_RIGHT - PHOTO_WIDTH
    value_x = indent + LABEL_WIDTH + 4 * mm
    value_width = photo_x - 5 * mm - value_x
    y = top - LINE
    for label, value in _biodata_rows(cert):
        font = FONT_BOLD if label in ("NIK", "Nama") else FONT
        canvas.setFont(FONT, 11)
        canvas.drawString(indent, y, label)
        canvas.drawString(indent + LABEL_WIDTH, y, ":")
        for line in simpleSplit(value, font, 11, value_width) or [""]:
            canvas.setFont(font, 11)
            canvas.drawString(value_x, y, line)
            y -= LINE
    photo_bottom = _draw_photo(canvas, cert.photo, photo_x, top - 2 * mm)
    return min(y + LINE, photo_bottom) - 2 * mm


def _draw_photo(canvas: Canvas, photo: bytes | None, x: float, top: float) -> float:
    """The 3 x 4 cm photo with a thin frame (an empty frame without a photo)."""
    bottom = top - PHOTO_HEIGHT
    if photo:
        canvas.drawImage(
            ImageReader(io.BytesIO(photo)), x, bottom, PHOTO_WIDTH, PHOTO_HEIGHT,
            preserveAspectRatio=True, anchor="c",
        )  # fmt: skip
    else:
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(x + PHOTO_WIDTH / 2, bottom + PHOTO_HEIGHT / 2, "Pas foto 3 x 4")
    canvas.setLineWidth(0.5)
    canvas.rect(x, bottom, PHOTO_WIDTH, PHOTO_HEIGHT)
    return bottom


def _draw_statement(canvas: Canvas, cert: CertificateDocument, top: float) -> float:
    text = (
        "Penduduk tersebut di atas telah melakukan perekaman KTP-el dan KTP-el yang "
        "bersangkutan sedang dalam proses penerbitan. Surat keterangan ini berlaku sebagai "
        "pengganti KTP-el untuk sementara waktu."
    )
    y = _draw_paragraph(canvas, text, MARGIN_LEFT, top, TEXT_WIDTH)
    canvas.setFont(FONT_BOLD, 11.5)
    y -= LINE + 1.5 * mm
    canvas.drawString(MARGIN_LEFT, y, f"Berlaku sampai {format_date_numeric(cert.valid_until)}")
    closing = (
        "Demikian surat keterangan ini dibuat dengan sebenarnya untuk dapat dipergunakan "
        "sebagaimana mestinya."
    )
    return _draw_paragraph(canvas, closing, MARGIN_LEFT, y - 1.5 * mm, TEXT_WIDTH)


def _draw_signature_block(canvas: Canvas, cert: CertificateDocument, top: float) -> None:
    """Place, date, official's title, room for signature and stamp, name and NIP."""
    x = MARGIN_LEFT + TEXT_WIDTH * 0.52
    width = PAGE_WIDTH - MARGIN_RIGHT - x
    canvas.setFont(FONT, 11)
    canvas.drawString(x, top, f"{cert.issue_place}, {format_date_long(cert.issued_on)}")
    y = top - LINE
    for line in simpleSplit(cert.official_title.upper(), FONT_BOLD, 10.5, width):
        canvas.setFont(FONT_BOLD, 10.5)
        canvas.drawString(x, y, line)
        y -= 5 * mm
    y -= 20 * mm  # wet signature and office stamp go here
    canvas.setFont(FONT_BOLD, 11)
    canvas.drawString(x, y, cert.official_name)
    name_width = canvas.stringWidth(cert.official_name, FONT_BOLD, 11)
    canvas.setLineWidth(0.6)
    canvas.line(x, y - 2, x + name_width, y - 2)
    if cert.official_nip:
        canvas.setFont(FONT, 10.5)
        canvas.drawString(x, y - LINE, f"NIP. {cert.official_nip}")


def _draw_qr(canvas: Canvas, cert: CertificateDocument, top: float) -> None:
    """The signed QR (error correction M, vector modules) with the verify line under it."""
    qr = segno.make(cert.qr_text, error="m", boost_error=False, micro=False)
    qr_top = top + 3 * mm  # level with the capitals of the place-and-date line
    _draw_qr_modules(canvas, qr, MARGIN_LEFT, qr_top - QR_SIZE, QR_SIZE)
    caption = f"Pindai untuk memeriksa keaslian: {cert.verify_url}"
    width = TEXT_WIDTH * 0.48
    y = qr_top - QR_SIZE - 5 * mm
    canvas.setFont(FONT, 8)
    for line in simpleSplit(caption, FONT, 8, width):
        canvas.drawString(MARGIN_LEFT, y, line)
        y -= 3.6 * mm


def _draw_qr_modules(canvas: Canvas, qr: segno.QRCode, x: float, y: float, size: float) -> None:
    """Dark modules as filled rectangles, one per horizontal run, filling `size` exactly.

    The quiet zone (4 modules) is the white paper around it: the caller leaves room.
    """
    rows = [list(row) for row in qr.matrix]
    module = size / len(rows)
    path = canvas.beginPath()
    for r, row in enumerate(rows):
        top = y + size - r * module
        for start, length in _dark_runs(row):
            path.rect(x + start * module, top - module, length * module, module)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)


def _dark_runs(row: list[int]) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in one matrix row."""
    runs, start = [], None
    for index, dark in enumerate([*row, 0]):
        if dark and start is None:
            start = index
        elif not dark and start is not None:
            runs.append((start, index - start))
            start = None
    return runs


def _draw_footer(canvas: Canvas) -> None:
    """Notes at the foot of the page on when the certificate stops counting."""
    notes = (
        "Catatan:",
        "1. Surat keterangan ini tidak berlaku lagi setelah KTP-el yang bersangkutan diterima "
        "atau setelah masa berlakunya habis.",
        "2. Keaslian surat keterangan ini dapat diperiksa dengan memindai kode QR di atas.",
    )
    y = 24 * mm
    canvas.setLineWidth(0.4)
    canvas.line(MARGIN_LEFT, y + 4 * mm, PAGE_WIDTH - MARGIN_RIGHT, y + 4 * mm)
    canvas.setFont("Helvetica-Oblique", 8.5)
    for note in notes:
        for line in simpleSplit(note, "Helvetica-Oblique", 8.5, TEXT_WIDTH):
            canvas.drawString(MARGIN_LEFT, y, line)
            y -= 3.8 * mm


def _draw_paragraph(canvas: Canvas, text: str, x: float, top: float, width: float) -> float:
    """Wrapped 11 pt text whose first baseline is one line below `top`; returns the last one."""
    canvas.setFont(FONT, 11)
    y = top
    for line in simpleSplit(text, FONT, 11, width):
        y -= LINE
        canvas.drawString(x, y, line)
    return y


def _title_case(text: str) -> str:
    # "KEPALA DINAS ... KOTA KUPANG" reads as "Kepala Dinas ... Kota Kupang" inside a sentence.
    small = {"dan", "di", "ke", "dari", "untuk"}
    words = text.lower().split()
    return " ".join(w if (i and w in small) else w.capitalize() for i, w in enumerate(words))
