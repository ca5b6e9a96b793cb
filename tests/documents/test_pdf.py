"""Pages -> one A4 PDF per material: page count, real page size, lossless pixels."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pikepdf
import pytest

from hw_sim.documents import render_page
from kiosk.devices.scanner.pdf import A4_PT, PdfError, material_pdfs, pages_to_pdf, write_pdf


def _open(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


def test_page_count_and_a4_size():
    page = render_page()
    pdf = _open(pages_to_pdf([page, page, cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)]))
    assert len(pdf.pages) == 3
    for p in pdf.pages:
        x0, y0, x1, y1 = (float(v) for v in p.mediabox)
        assert (round(x1 - x0, 1), round(y1 - y0, 1)) == (round(A4_PT[0], 1), round(A4_PT[1], 1)) == (595.3, 841.9)


def test_pixels_survive_unchanged():
    page = render_page()
    page[10:20, 10:20] = (10, 200, 30)  # a coloured mark to check channel order too
    pdf = _open(pages_to_pdf([page]))
    image = next(iter(pdf.pages[0].get_images().values()))
    pil = pikepdf.PdfImage(image).as_pil_image()
    back = cv2.cvtColor(np.array(pil.convert("RGB")), cv2.COLOR_RGB2BGR)
    assert back.shape == page.shape and np.array_equal(back, page)


def test_jpeg_is_embedded_without_re_encoding(tmp_path):
    ok, jpg = cv2.imencode(".jpg", render_page(), [cv2.IMWRITE_JPEG_QUALITY, 80])
    data = pages_to_pdf([jpg.tobytes()])
    assert jpg.tobytes() in data  # the camera's JPEG bytes, as they were


def test_one_pdf_per_material(tmp_path):
    page = render_page()
    out = material_pdfs({"id_card_copy": [page, page], "户口簿": [page], "遗失声明": [page]}, tmp_path)
    assert len(pikepdf.open(out["id_card_copy"]).pages) == 2
    assert out["id_card_copy"].name == "id_card_copy.pdf"
    assert out["户口簿"] != out["遗失声明"]  # non-ASCII names do not collide
    assert all(len(pikepdf.open(p).pages) == 1 for k, p in out.items() if k != "id_card_copy")


def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(PdfError):
        pages_to_pdf([])
    with pytest.raises(PdfError):
        pages_to_pdf([np.zeros((10, 10), np.float64)])
    with pytest.raises(PdfError):
        pages_to_pdf([b"not an image at all"])
    with pytest.raises(PdfError):
        pages_to_pdf([42])
    assert not list(tmp_path.iterdir())


def test_write_is_atomic(tmp_path):
    path = write_pdf([render_page()], tmp_path / "sub" / "a.pdf")
    assert path.exists() and not (tmp_path / "sub" / "a.pdf.part").exists()


def test_gray_pages_are_smaller_and_exact(photos, analyzer):
    page = analyzer.analyse(photos["good"][0]).page
    color, gray = pages_to_pdf([page]), pages_to_pdf([page], gray=True)
    assert len(gray) < 0.6 * len(color)
    pdf = _open(gray)
    image = next(iter(pdf.pages[0].get_images().values()))
    back = np.array(pikepdf.PdfImage(image).as_pil_image())
    assert np.array_equal(back, cv2.cvtColor(page, cv2.COLOR_BGR2GRAY))
