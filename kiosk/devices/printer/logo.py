"""The raster logo printed at the top of receipts: a configured PNG turned into 1-bit rows, or,
without one, a generated emblem (a service-hall building under a circle, "24H").
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from kiosk.devices.printer.layout import PAPER_DOTS, Raster


def raster_from_image(image, threshold: int = 128, align: str = "center") -> Raster:  # PIL.Image
    """Pack a PIL image into printer rows (dark pixels print). Width is padded to whole bytes."""
    img = image.convert("L")
    if img.width > PAPER_DOTS:
        raise ValueError(f"logo is {img.width} dots wide; the paper prints {PAPER_DOTS}")
    width_bytes = (img.width + 7) // 8
    px = img.load()
    data = bytearray(width_bytes * img.height)
    for y in range(img.height):
        row = y * width_bytes
        for x in range(img.width):
            if px[x, y] < threshold:
                data[row + x // 8] |= 0x80 >> (x % 8)
    return Raster(width_bytes, img.height, bytes(data), align)  # type: ignore[arg-type]


def load_logo(path: str | Path, max_width: int = 384) -> Raster:
    from PIL import Image

    try:
        img = Image.open(path)
        img.load()
    except OSError as exc:
        raise ValueError(f"logo {path}: {exc}") from None
    if img.width > max_width:
        img = img.resize((max_width, max(1, img.height * max_width // img.width)))
    if img.mode in ("RGBA", "LA"):
        bg = Image.new("RGBA", img.size, "white")
        bg.alpha_composite(img.convert("RGBA"))
        img = bg
    return raster_from_image(img)


@lru_cache(maxsize=1)
def default_logo() -> Raster:
    """A 160 x 120 dot emblem drawn from shapes (no font file needed)."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = 160, 120
    img = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(img)
    d.ellipse((20, 0, 140, 120), outline=0, width=6)
    # a hall: roof, beam, four columns, steps; "24H" under it
    d.polygon([(48, 38), (80, 16), (112, 38)], fill=0)
    d.rectangle((50, 41, 110, 45), fill=0)
    for x in (55, 69, 83, 97):
        d.rectangle((x, 48, x + 7, 72), fill=0)
    d.rectangle((46, 74, 114, 78), fill=0)
    d.rectangle((40, 80, 120, 84), fill=0)
    font = ImageFont.load_default(size=18)
    d.text((80, 99), "24H", fill=0, font=font, anchor="mm", stroke_width=1, stroke_fill=0)
    return raster_from_image(img)
