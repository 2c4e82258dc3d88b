"""Placeholder pas foto and signature images for synthetic residents (drawn, not real)."""

import io

from PIL import Image, ImageDraw

PHOTO_SIZE = (240, 320)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def placeholder_photo(initials: str, birth_year: int) -> bytes:
    """A silhouette with initials on the card's background colour: blue for an even birth
    year, red for an odd one (domain.md §2.1)."""
    background = (30, 80, 200) if birth_year % 2 == 0 else (200, 40, 40)
    image = Image.new("RGB", PHOTO_SIZE, background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((70, 50, 170, 170), fill=(230, 200, 170))
    draw.rectangle((40, 180, 200, 320), fill=(40, 40, 40))
    draw.text((105, 230), initials[:3], fill=(255, 255, 255))
    return _png(image)


def placeholder_signature(seed: int) -> bytes:
    image = Image.new("L", (300, 100), 255)
    draw = ImageDraw.Draw(image)
    points = [(20 + i * 26, 50 + ((seed * (i + 3)) % 41) - 20) for i in range(11)]
    draw.line(points, fill=0, width=3)
    return _png(image)
