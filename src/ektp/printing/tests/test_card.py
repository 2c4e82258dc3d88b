"""The KTP-el front renderer: page size, printed text, colours, batches, determinism, fitting."""

import dataclasses
import io
from datetime import date

import pypdfium2
import pytest
from PIL import Image, ImageDraw

from ektp.printing.card import (
    CARD_HEIGHT_MM,
    CARD_WIDTH_MM,
    PHOTO_PANEL,
    POINTS_PER_MM,
    CardData,
    pdf_to_png,
    province_header,
    regency_header,
    render_card_pdf,
    render_cards_pdf,
)

LABELS = ["NIK", "Nama", "Tempat/Tgl Lahir", "Jenis Kelamin", "Gol. Darah", "Alamat", "RT/RW",
          "Kel/Desa", "Kecamatan", "Agama", "Status Perkawinan", "Pekerjaan", "Kewarganegaraan",
          "Berlaku Hingga"]
SIXTY_CHAR_NAME = "Alexandra Catherine Montgomery Fitzwilliam Harrington Smythe"
DPI = 300


def _png(image: Image.Image, image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


def drawn_face(background: tuple[int, ...] = (0, 0, 0, 0)) -> Image.Image:
    image = Image.new("RGBA", (240, 320), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((30, 230, 210, 400), fill=(240, 240, 240, 255))
    draw.ellipse((70, 60, 170, 200), fill=(205, 160, 120, 255))
    draw.ellipse((95, 115, 105, 125), fill=(20, 20, 20, 255))
    draw.ellipse((135, 115, 145, 125), fill=(20, 20, 20, 255))
    return image


def drawn_signature() -> bytes:
    image = Image.new("L", (300, 100), 255)
    ImageDraw.Draw(image).line([(10, 80), (60, 20), (110, 85), (200, 30), (290, 60)],
                               fill=0, width=4)
    return _png(image)


def make_card(**changes) -> CardData:
    card = CardData(
        province_name="Nusa Tenggara Timur", regency_name="Kota Kupang",
        nik="5371011203900001", name="Yohanes Benediktus Ndun", birth_place="Kupang",
        birth_date=date(1990, 3, 12), sex_label="LAKI-LAKI", blood_type_label="O",
        address="Jl. Alfons Nisnoni No. 17", rt="3", rw=1, village_name="Namosain",
        district_name="Alak", religion_label="KRISTEN", marital_label="KAWIN",
        occupation_label="NELAYAN/PERIKANAN", citizenship="WNI", valid_until=None,
        issue_place="Kota Kupang", issue_date=date(2024, 8, 19),
        photo=_png(drawn_face()), signature=drawn_signature(), is_foreigner=False,
    )
    return dataclasses.replace(card, **changes)


def foreigner_card() -> CardData:
    return make_card(is_foreigner=True, citizenship="Australia", valid_until=date(2029, 5, 31),
                     name="Olivia Grace Bennett")


def page_text(pdf: bytes, page: int = 0) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return " ".join(document[page].get_textpage().get_text_range().split())
    finally:
        document.close()


def pixel_at_mm(png: bytes, x_mm: float, y_mm: float) -> tuple[int, int, int]:
    """Pixel at a card position given in mm from the bottom-left (PDF convention)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    column = round(x_mm / 25.4 * DPI)
    row = round((CARD_HEIGHT_MM - y_mm) / 25.4 * DPI)
    return image.getpixel((column, row))


def test_page_is_exactly_id1_size():
    document = pypdfium2.PdfDocument(render_card_pdf(make_card()))
    width, height = document[0].get_size()
    assert len(document) == 1
    assert width == pytest.approx(CARD_WIDTH_MM * POINTS_PER_MM, abs=0.1)
    assert height == pytest.approx(CARD_HEIGHT_MM * POINTS_PER_MM, abs=0.1)
    assert (CARD_WIDTH_MM, CARD_HEIGHT_MM) == (85.60, 53.98)


def test_every_label_and_upper_case_value_is_printed():
    text = page_text(render_card_pdf(make_card()))
    for label in LABELS:
        assert label in text
    for value in ["5371011203900001", "YOHANES BENEDIKTUS NDUN", "KUPANG, 12-03-1990",
                  "LAKI-LAKI", "Gol. Darah : O", "JL. ALFONS NISNONI NO. 17", "NAMOSAIN", "ALAK",
                  "KRISTEN", "KAWIN", "NELAYAN/PERIKANAN", "Kewarganegaraan : WNI"]:
        assert value in text


def test_header_lines_come_first():
    text = page_text(render_card_pdf(make_card()))
    assert text.startswith("PROVINSI NUSA TENGGARA TIMUR KOTA KUPANG NIK")


def test_rt_rw_is_three_digit_zero_padded():
    assert "RT/RW : 003/001" in page_text(render_card_pdf(make_card(rt="3", rw=1)))


def test_wni_card_is_valid_for_life():
    assert "Berlaku Hingga : SEUMUR HIDUP" in page_text(render_card_pdf(make_card()))


def test_wna_card_expires_with_the_kitap():
    text = page_text(render_card_pdf(foreigner_card()))
    assert "Berlaku Hingga : 31-05-2029" in text
    assert "Kewarganegaraan : AUSTRALIA" in text
    assert "SEUMUR HIDUP" not in text


def test_issue_place_and_date_are_printed_after_the_text_block():
    text = page_text(render_card_pdf(make_card(issue_date=date(2024, 1, 5))))
    assert text.endswith("KOTA KUPANG 05-01-2024")


@pytest.mark.parametrize(("regency", "expected"), [
    ("Kota Kupang", "KOTA KUPANG"),
    ("Kabupaten Bogor", "KABUPATEN BOGOR"),
    ("Kota Administrasi Jakarta Selatan", "JAKARTA SELATAN"),
])
def test_regency_header(regency, expected):
    assert regency_header(regency) == expected


def test_province_header():
    assert province_header("Nusa Tenggara Timur") == "PROVINSI NUSA TENGGARA TIMUR"
    assert province_header("Provinsi Bali") == "PROVINSI BALI"


def test_dki_card_header_drops_kota_administrasi():
    card = make_card(province_name="Daerah Khusus Ibukota Jakarta",
                     regency_name="Kota Administrasi Jakarta Selatan")
    text = page_text(render_card_pdf(card))
    assert text.startswith("PROVINSI DAERAH KHUSUS IBUKOTA JAKARTA JAKARTA SELATAN NIK")


def is_blue(pixel):
    red, green, blue = pixel
    return blue > 140 and red < 60 and green < 120


def is_red(pixel):
    red, green, blue = pixel
    return red > 150 and green < 60 and blue < 60


@pytest.mark.parametrize("photo_background", [(0, 0, 0, 0), (255, 255, 255, 255)],
                         ids=["transparent", "white"])
@pytest.mark.parametrize(("birth_year", "expected_colour"), [(1990, is_blue), (1991, is_red)])
def test_photo_background_follows_birth_year_parity(photo_background, birth_year,
                                                    expected_colour):
    card = make_card(birth_date=date(birth_year, 3, 12),
                     photo=_png(drawn_face(photo_background)))
    png = pdf_to_png(render_card_pdf(card), dpi=DPI)
    # Just inside the panel's top-left corner: background even when the photo is opaque white.
    edge = pixel_at_mm(png, PHOTO_PANEL.x + 0.3, PHOTO_PANEL.y + PHOTO_PANEL.height - 0.3)
    assert expected_colour(edge), edge


def test_transparent_photo_shows_the_background_around_the_face():
    png = pdf_to_png(render_card_pdf(make_card(birth_date=date(1991, 1, 1))), dpi=DPI)
    # Upper-left area of the photo itself, beside the head.
    inside = pixel_at_mm(png, PHOTO_PANEL.x + 3, PHOTO_PANEL.y + PHOTO_PANEL.height - 3)
    assert is_red(inside), inside


def test_jpeg_photo_is_accepted():
    photo = _png(drawn_face((255, 255, 255, 255)).convert("RGB"), "JPEG")
    assert render_card_pdf(make_card(photo=photo)).startswith(b"%PDF")


def test_wni_card_is_light_blue_and_wna_card_orange():
    wni = pixel_at_mm(pdf_to_png(render_card_pdf(make_card()), dpi=DPI), 1, 1)
    wna = pixel_at_mm(pdf_to_png(render_card_pdf(foreigner_card()), dpi=DPI), 1, 1)
    assert wni[2] > wni[1] > wni[0] and wni[0] > 150, wni
    assert wna[0] > wna[1] > wna[2] and wna[0] > 200, wna


def test_batch_has_one_page_per_card():
    pdf = render_cards_pdf([make_card(), foreigner_card(), make_card(nik="5371014403910002")])
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 3
    assert "5371014403910002" in page_text(pdf, page=2)


def test_empty_batch_is_refused():
    with pytest.raises(ValueError):
        render_cards_pdf([])


def test_same_card_renders_to_identical_bytes():
    assert render_card_pdf(make_card()) == render_card_pdf(make_card())


def test_sixty_character_name_fits_left_of_the_photo():
    assert len(SIXTY_CHAR_NAME) == 60
    pdf = render_card_pdf(make_card(name=SIXTY_CHAR_NAME))
    document = pypdfium2.PdfDocument(pdf)
    page = document[0]
    width, height = page.get_size()
    text_page = page.get_textpage()
    text = text_page.get_text_range()
    assert SIXTY_CHAR_NAME.upper() in text
    for index in range(text_page.count_chars()):
        left, bottom, right, top = text_page.get_charbox(index)
        assert 0 <= left <= right <= width and 0 <= bottom <= top <= height
    name_start = text.index(SIXTY_CHAR_NAME.upper())
    _, _, name_right, _ = text_page.get_charbox(name_start + 59)
    assert name_right < PHOTO_PANEL.x * POINTS_PER_MM


def test_png_has_the_requested_resolution():
    image = Image.open(io.BytesIO(pdf_to_png(render_card_pdf(make_card()), dpi=DPI)))
    assert image.format == "PNG"
    expected = (CARD_WIDTH_MM / 25.4 * DPI, CARD_HEIGHT_MM / 25.4 * DPI)  # 1011.0 x 637.6
    # pdfium rounds the bitmap size up to whole pixels.
    assert image.size[0] == pytest.approx(expected[0], abs=1)
    assert image.size[1] == pytest.approx(expected[1], abs=1)
