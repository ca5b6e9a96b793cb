"""Materials as PDFs: one A4, lossless PDF per material, and the check a receiver applies to one.

`material_pdf(pages, title)` turns the captured pages of one material (numpy BGR/grey images as
the document scanner delivers them, or PNG/JPEG bytes) into a `MaterialPdf`: the PDF bytes and
their page count. Numpy pages are stored as PNG (Flate, no generation loss); JPEG bytes are
embedded as they are. Every page is an A4 page (210 x 297 mm) with the image fitted into it.

`inspect_pdf(content)` parses a PDF the way a receiving office does (header, page tree, page
size) and raises `MaterialPdfError` naming what is wrong; the simulated back office uses it to
refuse what a real office would refuse.

Imports no device library (no cv2): flows may use it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import img2pdf

PDF_MEDIA_TYPE = "application/pdf"
A4_PT = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
A4_TOLERANCE_PT = 2.0


class MaterialPdfError(ValueError):
    """A page that cannot go into a PDF, or a PDF that is not what it claims to be."""


@dataclass(frozen=True)
class MaterialPdf:
    """One material's PDF, ready to store and send."""

    title: str
    content: bytes
    pages: int

    @property
    def media_type(self) -> str:
        return PDF_MEDIA_TYPE


@dataclass(frozen=True)
class PdfInfo:
    pages: int
    page_sizes_pt: tuple[tuple[float, float], ...]
    title: str | None

    @property
    def all_a4(self) -> bool:
        return all(_is_a4(w, h) for w, h in self.page_sizes_pt)


def _is_a4(w: float, h: float) -> bool:
    aw, ah = A4_PT
    return (abs(w - aw) <= A4_TOLERANCE_PT and abs(h - ah) <= A4_TOLERANCE_PT) or \
        (abs(w - ah) <= A4_TOLERANCE_PT and abs(h - aw) <= A4_TOLERANCE_PT)


def _page_image_bytes(page: Any, n: int) -> bytes:
    if isinstance(page, bytes | bytearray):
        data = bytes(page)
        if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
            raise MaterialPdfError(f"page {n}: bytes are neither PNG nor JPEG (check what the scanner delivered)")
        return data
    shape = getattr(page, "shape", None)
    dtype = str(getattr(page, "dtype", ""))
    if shape is None or dtype != "uint8" or len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 3):
        raise MaterialPdfError(f"page {n}: expected an HxW or HxWx3 uint8 image, got {type(page).__name__} "
                               f"{shape!r} {dtype}")
    if shape[0] < 8 or shape[1] < 8:
        raise MaterialPdfError(f"page {n}: image {shape[1]}x{shape[0]} is too small to be a page")
    from PIL import Image

    img = Image.fromarray(page[:, :, ::-1].copy() if len(shape) == 3 else page)  # BGR -> RGB
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=3)  # lossless; level 3 is ~4x faster than 9 for ~10% more bytes
    return buf.getvalue()


def material_pdf(pages: Sequence[Any], title: str) -> MaterialPdf:
    """One PDF with one A4 page per captured page. Raises `MaterialPdfError` for no pages or a
    page that is not an image."""
    if not pages:
        raise MaterialPdfError(f"material {title!r}: no pages to put into the PDF")
    images = [_page_image_bytes(p, i + 1) for i, p in enumerate(pages)]
    layout = img2pdf.get_layout_fun(A4_PT, fit=img2pdf.FitMode.into)
    try:
        content = img2pdf.convert(images, layout_fun=layout, title=title, creator="kiosk-station",
                                  producer="kiosk-station")
    except (img2pdf.ImageOpenError, img2pdf.PdfTooLargeError, ValueError) as exc:
        raise MaterialPdfError(f"material {title!r}: could not build the PDF: {exc}") from None
    return MaterialPdf(title, content, len(images))


def inspect_pdf(content: bytes) -> PdfInfo:
    """Parse a PDF (header, page tree, media boxes). Raises `MaterialPdfError` saying what is wrong."""
    if not isinstance(content, bytes | bytearray):
        raise MaterialPdfError(f"expected PDF bytes, got {type(content).__name__}")
    if not bytes(content[:1024]).lstrip().startswith(b"%PDF-"):
        raise MaterialPdfError("not a PDF: the content does not start with %PDF-")
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(bytes(content))) as pdf:
            sizes = []
            for page in pdf.pages:
                box = [float(v) for v in page.mediabox]
                sizes.append((round(box[2] - box[0], 2), round(box[3] - box[1], 2)))
            title = str(pdf.docinfo.get("/Title")) if "/Title" in pdf.docinfo else None
    except pikepdf.PdfError as exc:
        raise MaterialPdfError(f"the PDF cannot be parsed: {str(exc)[:120]}") from None
    if not sizes:
        raise MaterialPdfError("the PDF has no pages")
    return PdfInfo(len(sizes), tuple(sizes), title)
