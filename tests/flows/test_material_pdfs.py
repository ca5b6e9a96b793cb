"""Materials travel as PDFs: the apply flow hands the back office one A4 PDF per scanned
material with its page count, keeps no raw pixels after packing, and the simulated back office
refuses what a real office refuses (not a PDF, wrong page count, not A4, wrong media type)."""

from __future__ import annotations

import io

import pikepdf
import pytest

from kiosk.services.backoffice import Applicant, BackofficeError, CaseSubmission, SubmittedFile
from kiosk.services.material_pdf import MaterialPdfError, inspect_pdf, material_pdf
from tests.flows import fakes


def _scan_all(world, f, pages: int) -> None:
    for _ in range(pages):
        assert f.state == "scan", f.history
        world.scanner.page()
        world.pump(f)


def test_applied_case_sends_one_a4_pdf_per_material_with_its_page_count(world):
    f = world.start("apply", matter_code="PS-002")
    assert f.act("start")
    world.identify(f)
    assert f.act("consent")  # the ID card comes as an e-certificate
    world.wait_services(f)
    _scan_all(world, f, 1 + 2)  # application form (1 page) + household register (2 pages)
    world.wait_services(f)
    world.wait_services(f)
    world.pump(f)
    assert f.state in ("receipt", "done"), (f.state, f.outcome, f.history)
    case_no = f.session.visit.case_no
    files = world.backoffice.cases[case_no].files
    scans = [x for x in files if x.kind == "scan"]
    assert [(x.name, x.pages) for x in scans] == [("申请表", 1), ("户口簿", 2)]
    for x in scans:
        assert x.media_type == "application/pdf"
        with pikepdf.open(io.BytesIO(x.content)) as pdf:
            assert len(pdf.pages) == x.pages
            box = [float(v) for v in pdf.pages[0].mediabox]
            assert abs(box[2] - 595.28) < 1 and abs(box[3] - 841.89) < 1  # A4 in points
            # lossless: the page image is Flate (PNG), never DCT (JPEG re-encoding)
            images = list(pdf.pages[0].get_images().values())
            assert images and images[0].Filter == "/FlateDecode"
    # the station now holds the PDFs, not the pixels
    assert not f.session.pages
    receipt_pages = {m["name"]: m["pages"] for m in f._receipt_data()["materials"]}
    assert receipt_pages["户口簿"] == 2


def test_pages_that_are_not_images_fail_the_submission_and_withdraw_the_case(world):
    f = world.start("apply", matter_code="PS-002")
    assert f.act("start")
    world.identify(f)
    assert f.act("consent")
    world.wait_services(f)
    from kiosk.devices.base import Completion
    from kiosk.devices.scanner import PageResult

    for _ in range(3):  # a scanner that delivered raw bytes instead of a page image
        world.scanner.complete_next(Completion.success(PageResult(True, None, True, [], page=b"page-bytes")))
        world.pump(f)
    world.wait_services(f)
    world.pump(f)
    assert f.outcome == "submit_failed", f.history
    assert not world.backoffice.cases  # nothing reached the office


def _submission(world, *files: SubmittedFile) -> CaseSubmission:
    from hw_sim.identities import get_identity

    ident = get_identity("obama")
    case = world.services.cases.open("PS-002", ident.id_number, promised_days=5)
    return CaseSubmission(case.case_no, "PS-002", "sim-0001", Applicant(ident.id_number, ident.name_zh, "1101****1234"),
                          files=files)


def _pdf(pages: int = 1, size: tuple[int, int] = (210, 297)) -> bytes:
    return material_pdf([fakes.page_image(*size)] * pages, "t").content


@pytest.mark.parametrize("bad, message", [
    (SubmittedFile("户口簿", "scan", "application/octet-stream", b"\x00" * 500, 2, pages=2), "media type"),
    (SubmittedFile("户口簿", "scan", "application/pdf", b"page-bytes", 2, pages=1), "%PDF-"),
    (SubmittedFile("户口簿", "scan", "application/pdf", b"%PDF-1.4\ngarbage", 2, pages=1), "cannot be parsed"),
    (SubmittedFile("户口簿", "scan", "application/pdf", _pdf(1), 2, pages=2), "declares 2 page(s), the PDF has 1"),
    (SubmittedFile("申请表", "form", "application/pdf", _pdf(3), 1, pages=1), "the PDF has 3"),
])
def test_back_office_refuses_what_a_real_office_refuses(world, bad, message):
    with pytest.raises(BackofficeError) as exc:
        world.backoffice.submit_case(_submission(world, bad))
    assert exc.value.code == "invalid" and message in exc.value.detail and bad.name in exc.value.detail


def test_back_office_refuses_a_pdf_that_is_not_a4(world):
    import img2pdf

    letter = img2pdf.convert([material_pdf_png()], layout_fun=img2pdf.get_layout_fun((612, 792)))
    bad = SubmittedFile("户口簿", "scan", "application/pdf", letter, 2, pages=1)
    with pytest.raises(BackofficeError, match="A4"):
        world.backoffice.submit_case(_submission(world, bad))


def material_pdf_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (100, 140), 255).save(buf, "PNG")
    return buf.getvalue()


def test_back_office_accepts_good_pdfs(world):
    good = SubmittedFile("户口簿", "scan", "application/pdf", _pdf(2), 2, pages=2)
    receipt = world.backoffice.submit_case(_submission(world, good))
    assert receipt.accepted


def test_material_pdf_bad_input_is_named():
    with pytest.raises(MaterialPdfError, match="no pages"):
        material_pdf([], "户口簿")
    with pytest.raises(MaterialPdfError, match="neither PNG nor JPEG"):
        material_pdf([b"page-bytes"], "户口簿")
    import numpy as np

    with pytest.raises(MaterialPdfError, match="uint8"):
        material_pdf([np.zeros((100, 100), np.float32)], "户口簿")
    with pytest.raises(MaterialPdfError, match="not a PDF"):
        inspect_pdf(b"hello")


def test_material_pdf_keeps_pixels_exactly():
    import numpy as np
    from PIL import Image

    page = fakes.page_image()
    page[5:9, 5:9] = (0, 0, 255)  # a red seal dot (BGR): colour must survive
    pdf = material_pdf([page], "申请表")
    info = inspect_pdf(pdf.content)
    assert info.pages == 1 and info.all_a4 and info.title == "申请表"
    with pikepdf.open(io.BytesIO(pdf.content)) as doc:
        img = pikepdf.PdfImage(next(iter(doc.pages[0].get_images().values()))).as_pil_image()
    assert np.array_equal(np.asarray(img.convert("RGB"))[:, :, ::-1], page)
    assert isinstance(img, Image.Image)
