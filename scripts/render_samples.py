"""Render a sample KTP-el front to docs/card-sample.pdf and docs/card-sample.png (300 dpi).

The resident is synthetic (a drawn face, a made-up NIK serial) from Kelurahan Namosain,
Kecamatan Alak, Kota Kupang, Nusa Tenggara Timur. Run: .venv/bin/python scripts/render_samples.py
"""

import io
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw

from ektp.printing.card import CardData, pdf_to_png, render_card_pdf

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def drawn_photo() -> bytes:
    """Head and shoulders on a transparent background: the renderer supplies the colour."""
    image = Image.new("RGBA", (300, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 290, 260, 520), fill=(245, 245, 245, 255))  # white shirt
    draw.polygon([(120, 300), (150, 360), (180, 300)], fill=(30, 30, 40, 255))  # collar gap
    draw.rectangle((128, 230, 172, 300), fill=(196, 150, 112, 255))  # neck
    draw.ellipse((85, 80, 215, 250), fill=(205, 160, 120, 255))  # face
    draw.chord((80, 60, 220, 190), 180, 360, fill=(25, 20, 20, 255))  # hair
    for eye_x in (125, 175):
        draw.ellipse((eye_x - 8, 155, eye_x + 8, 165), fill=(30, 25, 25, 255))
    draw.arc((125, 190, 175, 225), 20, 160, fill=(120, 50, 50, 255), width=4)
    return _png(image)


def drawn_signature() -> bytes:
    """Dark strokes on white, as a signature pad exports them."""
    image = Image.new("L", (360, 140), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(20, 100), (50, 30), (70, 105), (95, 40), (120, 95), (150, 60), (190, 70),
               (230, 45), (260, 90), (300, 55), (340, 60)], fill=0, width=5, joint="curve")
    draw.line([(60, 115), (320, 105)], fill=0, width=3)
    return _png(image)


def sample_card() -> CardData:
    return CardData(
        province_name="Nusa Tenggara Timur",
        regency_name="Kota Kupang",
        nik="5371011203900001",
        name="Yohanes Benediktus Ndun",
        birth_place="Kupang",
        birth_date=date(1990, 3, 12),
        sex_label="LAKI-LAKI",
        blood_type_label="O",
        address="Jl. Alfons Nisnoni No. 17",
        rt="3",
        rw="1",
        village_name="Namosain",
        district_name="Alak",
        religion_label="KRISTEN",
        marital_label="KAWIN",
        occupation_label="NELAYAN/PERIKANAN",
        citizenship="WNI",
        valid_until=None,
        issue_place="Kota Kupang",
        issue_date=date(2024, 8, 19),
        photo=drawn_photo(),
        signature=drawn_signature(),
        is_foreigner=False,
    )


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    pdf = render_card_pdf(sample_card())
    (DOCS / "card-sample.pdf").write_bytes(pdf)
    (DOCS / "card-sample.png").write_bytes(pdf_to_png(pdf, dpi=300))
    print(f"wrote {DOCS / 'card-sample.pdf'} and {DOCS / 'card-sample.png'}")


if __name__ == "__main__":
    main()
