"""The printed visit list of one village: A4 landscape, one line per resident, boxes to tick
the outcome and to write the invitation date or the document number.

Pure reportlab (no Django) on display data that the caller has already masked: the NIK and
the KK number are printed as ``5371********0001`` like everywhere else in the app; the officer
finds the house by name and address, and opens the full record in the app when needed.
Deterministic output (``invariant=1``): the same list always renders to the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN = 12 * mm
ROW = 7.2 * mm
HEADER_HEIGHT = 30 * mm
FOOTER_HEIGHT = 12 * mm
FONT, FONT_BOLD = "Helvetica", "Helvetica-Bold"
ROWS_PER_PAGE = int((PAGE_HEIGHT - 2 * MARGIN - HEADER_HEIGHT - FOOTER_HEIGHT) // ROW) - 1


@dataclass(frozen=True)
class ListLine:
    number: int
    nik_masked: str
    name: str
    sex: str  # "L" / "P"
    birth_date: date
    address: str  # "JL. YOS SUDARSO RT 001/RW 002"
    kk_masked: str


@dataclass(frozen=True)
class VillageList:
    title: str  # "DAFTAR VERIFIKASI LAPANGAN"
    campaign: str
    village: str  # "Kelurahan Namosain"
    district: str  # "Kecamatan Alak"
    as_of: date
    printed_on: date
    labels: dict[str, str]  # column and footer labels, translated by the caller
    lines: list[ListLine]


# (key, width in mm); the label of each comes from ``VillageList.labels``.
COLUMNS = (("no", 10), ("nik", 36), ("name", 58), ("sex", 8), ("born", 22), ("address", 66),
           ("present", 14), ("moved", 14), ("died", 14), ("unknown", 14), ("note", 17))
TICK_COLUMNS = frozenset({"present", "moved", "died", "unknown"})


def _fit(canvas: Canvas, text: str, width: float, size: float) -> str:
    while text and canvas.stringWidth(text, FONT, size) > width - 2:
        text = text[:-1]
    return text


def _header(canvas: Canvas, doc: VillageList, page: int, pages: int) -> float:
    top = PAGE_HEIGHT - MARGIN
    canvas.setFont(FONT_BOLD, 13)
    canvas.drawString(MARGIN, top - 5 * mm, doc.title)
    canvas.setFont(FONT, 10)
    canvas.drawString(MARGIN, top - 11 * mm, doc.campaign)
    canvas.drawString(MARGIN, top - 16 * mm, f"{doc.village} · {doc.district}")
    canvas.drawRightString(PAGE_WIDTH - MARGIN, top - 11 * mm,
                           f"{doc.labels['as_of']}: {doc.as_of:%d-%m-%Y}")
    canvas.drawRightString(PAGE_WIDTH - MARGIN, top - 16 * mm,
                           f"{doc.labels['page']} {page}/{pages}")
    return top - HEADER_HEIGHT


def _column_heads(canvas: Canvas, doc: VillageList, y: float) -> float:
    canvas.setFont(FONT_BOLD, 8)
    x = MARGIN
    for key, width in COLUMNS:
        canvas.drawString(x + 1, y + 2, _fit(canvas, doc.labels[key], width * mm, 8))
        x += width * mm
    canvas.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)
    return y - ROW


def _line(canvas: Canvas, line: ListLine, y: float) -> None:
    values = {"no": str(line.number), "nik": line.nik_masked, "name": line.name,
              "sex": line.sex, "born": f"{line.birth_date:%d-%m-%Y}", "address": line.address,
              "note": ""}
    canvas.setFont(FONT, 8)
    x = MARGIN
    for key, width in COLUMNS:
        if key in TICK_COLUMNS:
            canvas.rect(x + width * mm / 2 - 2 * mm, y, 4 * mm, 4 * mm)
        else:
            canvas.drawString(x + 1, y + 1, _fit(canvas, values[key], width * mm, 8))
        x += width * mm
    canvas.setStrokeGray(0.8)
    canvas.line(MARGIN, y - 1.6 * mm, PAGE_WIDTH - MARGIN, y - 1.6 * mm)
    canvas.setStrokeGray(0)


def _footer(canvas: Canvas, doc: VillageList) -> None:
    canvas.setFont(FONT, 8)
    canvas.drawString(MARGIN, MARGIN, doc.labels["footer"])
    canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN,
                           f"{doc.labels['printed']}: {doc.printed_on:%d-%m-%Y}")


def render_village_list(doc: VillageList) -> bytes:
    """The list as a PDF: as many pages as its lines need (one page when it is empty)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1)
    canvas.setTitle(f"{doc.title} {doc.village}")
    chunks = [doc.lines[i:i + ROWS_PER_PAGE] for i in range(0, len(doc.lines), ROWS_PER_PAGE)]
    chunks = chunks or [[]]
    for page, chunk in enumerate(chunks, start=1):
        y = _column_heads(canvas, doc, _header(canvas, doc, page, len(chunks)))
        for line in chunk:
            _line(canvas, line, y)
            y -= ROW
        _footer(canvas, doc)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
