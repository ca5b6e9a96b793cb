"""Draw a parsed receipt as the printed slip: 80 mm paper (576 printable dots at 203 dpi plus
margins), Font A cells (12 x 24 dots ASCII, 24 x 24 Chinese) drawn with WenQuanYi Micro Hei,
GS ! sizes, bold/underline/inverse, QR codes drawn from their payload, raster images dot for dot,
a torn edge at the cut. Simulator problems (lost lines, parse errors) are noted in red BELOW the
paper, never on it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from hw_sim.escpos.model import Feed, Image, Line, QrCode, Receipt

FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
PAPER_DOTS = 576
MARGIN = 32
CELL_W, CELL_H, LINE_GAP = 12, 24, 6
INK = 20
PAPER = 255
_EC = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
       "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}


@lru_cache(maxsize=16)
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, px)
    return ImageFont.load_default(size=px)


@lru_cache(maxsize=4096)
def _glyph(ch: str, wide: bool, w: int, h: int, bold: bool) -> PILImage.Image:
    """One character cell as an 'L' image (0 = ink), sized for the print multipliers. Drawn at 2x
    on a wide canvas and scaled down; a glyph wider than its cell (m, W, @) is squeezed into it."""
    cell_w = CELL_W * 2 if wide else CELL_W
    cw2, ch2 = cell_w * 2, CELL_H * 2
    canvas = PILImage.new("L", (cw2 * 3, ch2), 255)
    d = ImageDraw.Draw(canvas)
    d.text((cw2 * 3 // 2, int(ch2 * 0.80)), ch, font=_font(44 if wide else 42), fill=0, anchor="ms",
           stroke_width=2 if bold else 0, stroke_fill=0)
    bbox = PILImage.eval(canvas, lambda v: 255 - v).getbbox()
    if bbox and (bbox[2] - bbox[0]) > cw2 - 2:
        cell = PILImage.new("L", (cw2, ch2), 255)
        cell.paste(canvas.crop((bbox[0], 0, bbox[2], ch2)).resize((cw2 - 2, ch2), PILImage.LANCZOS), (1, 0))
    else:
        left = cw2 * 3 // 2 - cw2 // 2
        cell = canvas.crop((left, 0, left + cw2, ch2))
    return cell.resize((cell_w * w, CELL_H * h), PILImage.LANCZOS)


def _line_image(line: Line) -> PILImage.Image:
    cells = [(ch, ord(ch) >= 0x80) for ch in line.text]
    width = sum((CELL_W * 2 if wide else CELL_W) * line.width for _, wide in cells) or 1
    img = PILImage.new("L", (width, CELL_H * line.height), 255)
    x = 0
    for ch, wide in cells:
        g = _glyph(ch, wide, line.width, line.height, line.bold)
        img.paste(g, (x, 0))
        x += g.width
    if line.underline:
        ImageDraw.Draw(img).rectangle((0, img.height - 2, img.width, img.height - 1), fill=0)
    if line.invert:
        img = PILImage.eval(img, lambda v: 255 - v)
    return img


def _split(img: PILImage.Image) -> list[PILImage.Image]:
    """A line wider than the paper continues on the next line, as the printer does."""
    parts = []
    for x in range(0, img.width, PAPER_DOTS):
        parts.append(img.crop((x, 0, min(img.width, x + PAPER_DOTS), img.height)))
    return parts


def _x(align: str, width: int) -> int:
    if align == "center":
        return max(0, (PAPER_DOTS - width) // 2)
    if align == "right":
        return max(0, PAPER_DOTS - width)
    return 0


def _image(item: Image) -> PILImage.Image:
    raw = PILImage.frombytes("1", (item.width, item.height), item.rows)
    return PILImage.eval(raw.convert("L"), lambda v: 255 - v)  # 1 bits are black dots


def _qr(item: QrCode) -> PILImage.Image:
    q = qrcode.QRCode(box_size=item.module, border=0, error_correction=_EC.get(item.ec, _EC["L"]))
    q.add_data(item.payload.encode("utf-8"))
    q.make(fit=True)
    return q.make_image(fill_color="black", back_color="white").get_image().convert("L")


def render(receipt: Receipt) -> PILImage.Image:
    """The slip as an RGB image (paper 640 px wide for 80 mm)."""
    pieces: list[tuple[int, PILImage.Image | int]] = []  # (x, image) or (0, blank dots)
    for item in receipt.items:
        if isinstance(item, Line):
            for part in _split(_line_image(item)):
                pieces.append((_x(item.align, part.width), part))
                pieces.append((0, LINE_GAP))
        elif isinstance(item, Feed):
            pieces.append((0, item.dots))
        elif isinstance(item, QrCode):
            img = _qr(item)
            if img.width > PAPER_DOTS:
                img = img.crop((0, 0, PAPER_DOTS, img.height))
            pieces.append((0, 8))
            pieces.append((_x(item.align, img.width), img))
            pieces.append((0, 8))
        elif isinstance(item, Image):
            img = _image(item)
            if img.width > PAPER_DOTS:
                img = img.crop((0, 0, PAPER_DOTS, img.height))
            pieces.append((_x(item.align, img.width), img))
    body_h = sum(p if isinstance(p, int) else p.height for _, p in pieces)
    top, bottom = 24, 24
    notes = list(receipt.errors[:8])
    if receipt.lost:
        notes.insert(0, f"not printed: {receipt.lost}")
    if receipt.cut is None and not receipt.lost:
        notes.append("no cut received")
    note_h = (22 * len(notes) + 16) if notes else 0
    paper_w = PAPER_DOTS + 2 * MARGIN
    total_h = top + body_h + bottom + note_h + 12
    canvas = PILImage.new("RGB", (paper_w + 40, total_h), (206, 208, 212))
    paper = PILImage.new("L", (paper_w, top + body_h + bottom), PAPER)
    y = top
    for x, p in pieces:
        if isinstance(p, int):
            y += p
            continue
        paper.paste(p, (MARGIN + x, y))
        y += p.height
    paper_rgb = PILImage.merge("RGB", [paper.point(lambda v: v if v < 250 else 252),
                                       paper.point(lambda v: v if v < 250 else 251),
                                       paper.point(lambda v: v if v < 250 else 247)])
    canvas.paste(paper_rgb, (20, 6))
    d = ImageDraw.Draw(canvas)
    edge_y = 6 + paper.height
    if receipt.cut is not None:  # cut edge: a light zigzag
        pts = [(20 + x, edge_y - (4 if (x // 8) % 2 else 0)) for x in range(0, paper_w + 1, 8)]
        d.polygon([(20, edge_y + 2)] + pts + [(20 + paper_w, edge_y + 2)], fill=(206, 208, 212))
    small = _font(16)
    for i, note in enumerate(notes):
        d.text((24, edge_y + 12 + 22 * i), note[:90], font=small, fill=(180, 20, 20))
    return canvas


def save_png(receipt: Receipt, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    render(receipt).save(path, optimize=False)
    receipt.png = str(path)
    return path
