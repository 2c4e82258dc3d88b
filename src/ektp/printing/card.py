"""Render the front of a KTP-el onto an ID-1 page (PDF) and rasterise it (PNG).

Pure Python on purpose (reportlab, Pillow, pypdfium2; no Django), so the print station, the
API and offline scripts can all call it. Element list, wording and layout follow domain.md
§2.1 (front elements, observed layout) and §2.2 (ID-1 size, WNI blue / WNA orange card).

Coordinates are in millimetres from the bottom-left corner of the card (PDF convention) and
converted to points only when drawing.
"""

import base64
import binascii
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pypdfium2
from PIL import Image, ImageOps
from reportlab.lib.colors import Color, HexColor, black
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

POINTS_PER_MM = 72 / 25.4
CARD_WIDTH_MM = 85.60
CARD_HEIGHT_MM = 53.98
CARD_PAGE_SIZE = (CARD_WIDTH_MM * POINTS_PER_MM, CARD_HEIGHT_MM * POINTS_PER_MM)

LIFETIME_VALIDITY = "SEUMUR HIDUP"  # UU 24/2013 Pasal 64(7)(a): a WNI card is valid for life
WNI_CARD_COLOUR = HexColor("#C6E3F7")  # light blue
WNA_CARD_COLOUR = HexColor("#F8BE78")  # orange (domain.md §2.2)
PHOTO_BACKGROUND_EVEN_YEAR = (0, 84, 180)  # blue
PHOTO_BACKGROUND_ODD_YEAR = (200, 16, 30)  # red

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
# Below this size a value stays legible only when condensed instead of shrunk further.
MIN_FONT_SIZE = 4.6
# The image resolution embedded in the PDF: enough for a 300 dpi card printer.
IMAGE_DPI = 400


@dataclass(frozen=True)
class CardData:
    """Everything printed on the front. Names arrive as stored (title case); the renderer
    upper-cases them."""

    province_name: str
    regency_name: str
    nik: str
    name: str
    birth_place: str
    birth_date: date
    sex_label: str
    blood_type_label: str
    address: str
    rt: str | int
    rw: str | int
    village_name: str
    district_name: str
    religion_label: str
    marital_label: str
    occupation_label: str
    citizenship: str
    valid_until: date | None
    issue_place: str
    issue_date: date
    photo: bytes
    signature: bytes
    is_foreigner: bool = False


IMAGE_FIELDS = ("photo", "signature")
DATE_FIELDS = ("birth_date", "valid_until", "issue_date")


def card_to_dict(card: CardData) -> dict:
    """The card as JSON-ready data (images in base64, dates in ISO form), to carry it to a
    print point that prints it offline."""
    data = {name: getattr(card, name) for name in CardData.__dataclass_fields__}
    data.update({name: base64.b64encode(data[name]).decode("ascii") for name in IMAGE_FIELDS})
    data.update({name: data[name] and data[name].isoformat() for name in DATE_FIELDS})
    return data


def card_from_dict(data: dict) -> CardData:
    """Back from ``card_to_dict``; ValueError when a field is missing or damaged."""
    try:
        values = {name: data[name] for name in CardData.__dataclass_fields__}
        values.update({name: base64.b64decode(values[name], validate=True)
                       for name in IMAGE_FIELDS})
        values.update({name: values[name] and date.fromisoformat(values[name])
                       for name in DATE_FIELDS})
    except (KeyError, TypeError, binascii.Error) as exc:
        raise ValueError(f"card data incomplete or damaged: {exc}") from exc
    return CardData(**values)


@dataclass(frozen=True)
class Box:
    """A rectangle on the card, in millimetres from the bottom-left corner."""

    x: float
    y: float
    width: float
    height: float

    @property
    def centre_x(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Row:
    """One line of the text block: ``label : value``, optionally followed by a second pair
    on the same line (Jenis Kelamin ... Gol. Darah)."""

    label: str
    value: str
    indented: bool = False
    second: tuple[str, str] | None = None


# --- Layout (mm). Text block left, photo column right, header across the top. ---
HEADER_BASELINES = (50.3, 47.1)
HEADER_SIZE = 7.2
TEXT_LEFT = 3.0
INDENT = 2.2
COLON_X = 21.4
VALUE_X = 22.6
TEXT_RIGHT = 60.6  # values never run into the photo column
SECOND_PAIR_LABEL_X = 42.0
NIK_BASELINE = 42.4
NIK_LABEL_SIZE = 8.5
NIK_VALUE_SIZE = 10.0
NIK_VALUE_X = VALUE_X + 0.8  # the bold colon is wider than the row colons
FIRST_ROW_BASELINE = 38.6
ROW_PITCH = 3.15
ROW_SIZE = 6.0
# The coloured panel is slightly larger than the photo so the background colour always
# shows, whatever the uploaded photo carries at its edges.
PHOTO_PANEL = Box(x=62.6, y=18.6, width=20.4, height=26.6)
PHOTO_INSET = 0.7
ISSUE_PLACE_BASELINE = 15.9
ISSUE_DATE_BASELINE = 13.4
ISSUE_SIZE = 5.6
SIGNATURE_BOX = Box(x=63.4, y=2.6, width=18.8, height=9.4)


def province_header(province_name: str) -> str:
    """``PROVINSI <NAME>`` in upper case; tolerates a name that already says Provinsi."""
    name = province_name.strip().upper()
    return name if name.startswith("PROVINSI ") else f"PROVINSI {name}"


def regency_header(regency_name: str) -> str:
    """Kab/kota line as printed: "Kota Kupang" → "KOTA KUPANG", "Kabupaten Bogor" →
    "KABUPATEN BOGOR". DKI's administrative cities and regency drop the prefix
    ("Kota Administrasi Jakarta Selatan" → "JAKARTA SELATAN"), as DKI cards print."""
    name = " ".join(regency_name.split()).upper()
    for prefix in ("KOTA ADMINISTRASI ", "KABUPATEN ADMINISTRASI "):
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def format_date(value: date) -> str:
    return value.strftime("%d-%m-%Y")


def format_rt_rw(rt: str | int, rw: str | int) -> str:
    """``003/001``: both parts zero-padded to three digits."""
    return f"{str(rt).strip().zfill(3)}/{str(rw).strip().zfill(3)}"


def validity_text(card: CardData) -> str:
    """WNI: for life. WNA: the KITAP expiry date (domain.md §2.2)."""
    if card.valid_until is None:
        return LIFETIME_VALIDITY
    return format_date(card.valid_until)


def photo_background_colour(birth_year: int) -> tuple[int, int, int]:
    """Blue for an even birth year, red for an odd one (Ditjen Dukcapil, domain.md §2.1)."""
    return PHOTO_BACKGROUND_EVEN_YEAR if birth_year % 2 == 0 else PHOTO_BACKGROUND_ODD_YEAR


def card_rows(card: CardData) -> list[Row]:
    """The text block below the NIK, top to bottom, values upper-cased."""
    birth = f"{card.birth_place.strip().upper()}, {format_date(card.birth_date)}"
    return [
        Row("Nama", card.name.upper()),
        Row("Tempat/Tgl Lahir", birth),
        Row("Jenis Kelamin", card.sex_label.upper(),
            second=("Gol. Darah", card.blood_type_label.upper() or "-")),
        Row("Alamat", card.address.upper()),
        Row("RT/RW", format_rt_rw(card.rt, card.rw), indented=True),
        Row("Kel/Desa", card.village_name.upper(), indented=True),
        Row("Kecamatan", card.district_name.upper(), indented=True),
        Row("Agama", card.religion_label.upper()),
        Row("Status Perkawinan", card.marital_label.upper()),
        Row("Pekerjaan", card.occupation_label.upper()),
        Row("Kewarganegaraan", card.citizenship.upper()),
        Row("Berlaku Hingga", validity_text(card)),
    ]


def render_card_pdf(card: CardData) -> bytes:
    """One ID-1 page with the front of ``card``."""
    return render_cards_pdf([card])


def render_cards_pdf(cards: Sequence[CardData]) -> bytes:
    """One PDF for a print batch, one ID-1 page per card, in the given order. The output is
    byte-for-byte reproducible (no timestamps or random document id)."""
    if not cards:
        raise ValueError("A print batch needs at least one card")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=CARD_PAGE_SIZE, invariant=1, pageCompression=1)
    canvas.setTitle("KTP-el")
    for card in cards:
        _draw_card(canvas, card)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def pdf_to_png(pdf: bytes, *, page: int = 0, dpi: int = 300) -> bytes:
    """Rasterise one page of ``pdf`` to PNG at ``dpi``."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = document[page].render(scale=dpi / 72)
        image = bitmap.to_pil()
    finally:
        document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


# --- Drawing ---------------------------------------------------------------------------


def _mm(value: float) -> float:
    return value * POINTS_PER_MM


def _draw_card(canvas: Canvas, card: CardData) -> None:
    _draw_card_background(canvas, card.is_foreigner)
    _draw_header(canvas, card)
    _draw_nik(canvas, card.nik)
    for index, row in enumerate(card_rows(card)):
        _draw_row(canvas, row, FIRST_ROW_BASELINE - index * ROW_PITCH)
    _draw_photo(canvas, card.photo, photo_background_colour(card.birth_date.year))
    _draw_issue_block(canvas, card)
    _draw_signature(canvas, card.signature)


def _draw_card_background(canvas: Canvas, is_foreigner: bool) -> None:
    canvas.setFillColor(WNA_CARD_COLOUR if is_foreigner else WNI_CARD_COLOUR)
    canvas.rect(0, 0, *CARD_PAGE_SIZE, stroke=0, fill=1)
    canvas.setFillColor(black)


def _draw_header(canvas: Canvas, card: CardData) -> None:
    lines = (province_header(card.province_name), regency_header(card.regency_name))
    full_width = Box(x=2.0, y=0, width=CARD_WIDTH_MM - 4.0, height=0)
    for text, baseline in zip(lines, HEADER_BASELINES, strict=True):
        _draw_fitted(canvas, text, FONT_BOLD, HEADER_SIZE, full_width, baseline, centred=True)


def _draw_nik(canvas: Canvas, nik: str) -> None:
    canvas.setFont(FONT_BOLD, NIK_LABEL_SIZE)
    canvas.drawString(_mm(TEXT_LEFT), _mm(NIK_BASELINE), "NIK")
    canvas.drawString(_mm(COLON_X), _mm(NIK_BASELINE), ":")
    value_area = Box(x=NIK_VALUE_X, y=0, width=TEXT_RIGHT - NIK_VALUE_X, height=0)
    _draw_fitted(canvas, nik, FONT_BOLD, NIK_VALUE_SIZE, value_area, NIK_BASELINE)


def _draw_row(canvas: Canvas, row: Row, baseline: float) -> None:
    label_x = TEXT_LEFT + (INDENT if row.indented else 0)
    canvas.setFont(FONT, ROW_SIZE)
    canvas.drawString(_mm(label_x), _mm(baseline), row.label)
    canvas.drawString(_mm(COLON_X), _mm(baseline), ":")
    value_right = SECOND_PAIR_LABEL_X - 1.0 if row.second else TEXT_RIGHT
    value_area = Box(x=VALUE_X, y=0, width=value_right - VALUE_X, height=0)
    _draw_fitted(canvas, row.value, FONT, ROW_SIZE, value_area, baseline)
    if row.second:
        _draw_second_pair(canvas, *row.second, baseline)


def _draw_second_pair(canvas: Canvas, label: str, value: str, baseline: float) -> None:
    canvas.setFont(FONT, ROW_SIZE)
    canvas.drawString(_mm(SECOND_PAIR_LABEL_X), _mm(baseline), label)
    colon_x = SECOND_PAIR_LABEL_X + stringWidth(label, FONT, ROW_SIZE) / POINTS_PER_MM + 0.8
    canvas.drawString(_mm(colon_x), _mm(baseline), ":")
    value_area = Box(x=colon_x + 1.2, y=0, width=TEXT_RIGHT - colon_x - 1.2, height=0)
    _draw_fitted(canvas, value, FONT, ROW_SIZE, value_area, baseline)


def _draw_fitted(canvas: Canvas, text: str, font: str, size: float, area: Box,
                 baseline: float, *, centred: bool = False) -> None:
    """Draw ``text`` within ``area``'s width: shrink the font first, then, below the
    legibility floor, condense it horizontally, so a 60-character name never overflows."""
    natural_width = stringWidth(text, font, size)
    available = _mm(area.width)
    fitted_size = size if natural_width <= available else max(
        MIN_FONT_SIZE, size * available / natural_width)
    width_at_size = stringWidth(text, font, fitted_size)
    horizontal_scale = min(1.0, available / width_at_size) if width_at_size else 1.0
    drawn_width = width_at_size * horizontal_scale
    x = _mm(area.centre_x) - drawn_width / 2 if centred else _mm(area.x)
    # Font size and horizontal scale are graphics state: save/restore keeps them from
    # leaking into the next label.
    canvas.saveState()
    text_object = canvas.beginText(x, _mm(baseline))
    text_object.setFont(font, fitted_size)
    text_object.setHorizScale(horizontal_scale * 100)
    text_object.textOut(text)
    canvas.drawText(text_object)
    canvas.restoreState()


def _draw_photo(canvas: Canvas, photo: bytes, background: tuple[int, int, int]) -> None:
    panel = PHOTO_PANEL
    canvas.setFillColor(Color(*(channel / 255 for channel in background)))
    canvas.rect(_mm(panel.x), _mm(panel.y), _mm(panel.width), _mm(panel.height),
                stroke=0, fill=1)
    inner = Box(panel.x + PHOTO_INSET, panel.y + PHOTO_INSET,
                panel.width - 2 * PHOTO_INSET, panel.height - 2 * PHOTO_INSET)
    image = _photo_on_background(photo, background, _pixel_size(inner))
    canvas.drawImage(ImageReader(image), _mm(inner.x), _mm(inner.y),
                     _mm(inner.width), _mm(inner.height))
    canvas.setFillColor(black)


def _pixel_size(box: Box) -> tuple[int, int]:
    return (round(box.width * IMAGE_DPI / 25.4), round(box.height * IMAGE_DPI / 25.4))


def _photo_on_background(photo: bytes, background: tuple[int, int, int],
                         size: tuple[int, int]) -> Image.Image:
    """Scale the photo to fit (never crop the face) and flatten any transparency onto the
    birth-year colour, so every viewer and card printer shows the same background."""
    source = ImageOps.exif_transpose(Image.open(io.BytesIO(photo))).convert("RGBA")
    fitted = ImageOps.contain(source, size, Image.Resampling.LANCZOS)
    canvas_image = Image.new("RGBA", size, (*background, 255))
    offset = ((size[0] - fitted.width) // 2, (size[1] - fitted.height) // 2)
    canvas_image.alpha_composite(fitted, offset)
    return canvas_image.convert("RGB")


def _draw_issue_block(canvas: Canvas, card: CardData) -> None:
    column = Box(x=PHOTO_PANEL.x - 1.0, y=0, width=PHOTO_PANEL.width + 2.0, height=0)
    _draw_fitted(canvas, regency_header(card.issue_place), FONT, ISSUE_SIZE, column,
                 ISSUE_PLACE_BASELINE, centred=True)
    _draw_fitted(canvas, format_date(card.issue_date), FONT, ISSUE_SIZE, column,
                 ISSUE_DATE_BASELINE, centred=True)


def _draw_signature(canvas: Canvas, signature: bytes) -> None:
    box = SIGNATURE_BOX
    canvas.drawImage(ImageReader(_signature_ink(signature)), _mm(box.x), _mm(box.y),
                     _mm(box.width), _mm(box.height), mask="auto",
                     preserveAspectRatio=True, anchor="c")


def _signature_ink(signature: bytes) -> Image.Image:
    """Keep only the ink: pads deliver dark strokes on white or transparent paper, and a
    white rectangle would hide the card colour. Darkness becomes opacity."""
    source = Image.open(io.BytesIO(signature)).convert("RGBA")
    white = Image.new("RGBA", source.size, (255, 255, 255, 255))
    luminance = Image.alpha_composite(white, source).convert("L")
    ink = Image.new("RGBA", source.size, (0, 0, 0, 0))
    ink.putalpha(ImageOps.invert(luminance))
    return ink
