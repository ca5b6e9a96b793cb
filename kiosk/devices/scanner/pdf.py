"""Scanned pages -> one PDF per required material (A4 portrait pages, real page size).

Pages are embedded losslessly with img2pdf: a numpy page is stored as PNG (Flate, no generation
loss); a JPEG file or JPEG bytes from a camera are embedded as they are, never re-encoded. Each
image is fitted onto an A4 page (210 x 297 mm), so a printout has the paper's real size.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import img2pdf
import numpy as np

A4_PT = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


class PdfError(ValueError):
    pass


def _page_bytes(page: Any, gray: bool = False) -> bytes:
    if isinstance(page, (bytes, bytearray)):
        return bytes(page)
    if isinstance(page, (str, Path)):
        return Path(page).read_bytes()
    if isinstance(page, np.ndarray):
        if page.dtype != np.uint8 or page.ndim not in (2, 3):
            raise PdfError("a page must be an HxW or HxWx3 uint8 image")
        if gray and page.ndim == 3:
            page = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
        ok, buf = cv2.imencode(".png", page)
        if not ok:
            raise PdfError("could not encode a page as PNG")
        return buf.tobytes()
    raise PdfError(f"cannot put a {type(page).__name__} into a PDF page")


def pages_to_pdf(pages: Sequence[Any], title: str | None = None, gray: bool = False) -> bytes:
    """One PDF (bytes) with one A4 page per image (numpy BGR/grey, image bytes, or a file path).
    `gray` stores numpy pages as 8-bit grey (about a third of the size; still lossless)."""
    if not pages:
        raise PdfError("no pages to put into the PDF")
    layout = img2pdf.get_layout_fun(A4_PT, fit=img2pdf.FitMode.into)
    try:
        return img2pdf.convert([_page_bytes(p, gray) for p in pages], layout_fun=layout,
                               title=title, creator="kiosk-station", producer="kiosk-station")
    except (img2pdf.ImageOpenError, img2pdf.PdfTooLargeError, ValueError) as exc:
        raise PdfError(f"could not build the PDF: {exc}") from None


def write_pdf(pages: Sequence[Any], path: str | Path, title: str | None = None, gray: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(pages_to_pdf(pages, title, gray))
    tmp.replace(path)  # never leave a half-written PDF under the real name
    return path


def material_pdfs(materials: Mapping[str, Iterable[Any]], out_dir: str | Path, gray: bool = False) -> dict[str, Path]:
    """One PDF per required material: {material id: [pages]} -> {material id: PDF path}.
    The file name is the material id; an id with other characters than [A-Za-z0-9_.-] gets them
    replaced and a short hash of the id appended."""
    out: dict[str, Path] = {}
    for material, pages in materials.items():
        name = _SAFE_NAME.sub("_", str(material))[:60].strip(".") or "material"
        if name != str(material):  # two Chinese names must not collapse into the same file name
            name += "-" + hashlib.sha1(str(material).encode("utf-8")).hexdigest()[:8]
        out[material] = write_pdf(list(pages), Path(out_dir) / f"{name}.pdf", title=str(material), gray=gray)
    return out
