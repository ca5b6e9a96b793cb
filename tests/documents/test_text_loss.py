"""Quality verdicts judged by what the text loses: glare on white paper that clips nothing, a hard
shadow over lines of text, a photo of a screen, a half page — on generated photographed pages,
and real OCR showing that what is refused is what OCR loses."""

from __future__ import annotations

import pytest

from hw_sim.documents import page_photo
from hw_sim.material_pages import material_page
from hw_sim.page_defects import half_page, hard_shadow, screen_photo, veiling_glare
from kiosk.devices.scanner import FEEDBACK_TEXT, PROBLEM_TEXT, feedback_key


@pytest.fixture(scope="module")
def pages():
    """Two kinds of page (a form with ruled lines, a certificate), flat, rendered once."""
    return {kind: material_page(kind)[0] for kind in ("application_form", "property_certificate")}


def _photo(page, seed=1):
    return page_photo("custom", page_image=page, seed=seed)[0]


@pytest.mark.parametrize("kind", ["application_form", "property_certificate"])
def test_clean_pages_pass(kind, pages, analyzer):
    res = analyzer.analyse(_photo(pages[kind]))
    assert res.ok, (res.problems, res.metrics)
    assert res.metrics["text_glare"] == 0.0 and res.metrics["text_shadow"] == 0.0


@pytest.mark.parametrize("kind", ["application_form", "property_certificate"])
def test_glare_that_clips_nothing_but_fades_text_is_refused(kind, pages, analyzer):
    frame = _photo(veiling_glare(pages[kind]))
    res = analyzer.analyse(frame)
    assert res.problems == ["glare"], res.metrics
    assert res.metrics["glare_blobs"] == 0.0  # the clipped-pixel check alone would have passed it
    assert res.metrics["text_glare"] > 0.0
    assert feedback_key(res) == "glare" and FEEDBACK_TEXT["glare"] == PROBLEM_TEXT["glare"]


@pytest.mark.parametrize("kind", ["application_form", "property_certificate"])
def test_hard_shadow_over_text_is_refused(kind, pages, analyzer):
    res = analyzer.analyse(_photo(hard_shadow(pages[kind])))
    assert res.problems == ["shadow"], res.metrics
    assert feedback_key(res) == "shadow"
    zh, en = FEEDBACK_TEXT["shadow"]
    assert "阴影" in zh and "shadow" in en.lower()


def test_photo_of_a_screen_is_a_clear_refusal(pages, analyzer):
    res = analyzer.analyse(screen_photo(pages["application_form"]))
    assert res.problems == ["screen"] and not res.ok and res.page is None
    assert feedback_key(res) == "screen"
    assert "屏幕" in FEEDBACK_TEXT["screen"][0] and "screen" in FEEDBACK_TEXT["screen"][1]


def test_a_flatbed_scan_is_never_called_a_screen(pages, analyzer):
    res = analyzer.analyse(pages["application_form"], flatbed=True)
    assert "screen" not in res.problems and res.ok, res.problems


def test_half_a_page_is_cut_off(pages, analyzer):
    res = analyzer.analyse(_photo(half_page(pages["application_form"], keep=0.6)))
    assert res.problems == ["cut_off"], res.metrics
    assert feedback_key(res) == "move_into_view"


def test_ocr_loses_what_the_verdict_refuses(pages, analyzer):
    """Real OCR on the corrected pages: the line under the glare spot's core is read whole on the
    clean page and loses characters on the refused one (the verdict stands for lost text, not for bright pixels)."""
    from kiosk.devices.scanner.ocr import read_lines

    page = pages["application_form"]
    text = {}
    for name, img in (("clean", page), ("glare", veiling_glare(page))):
        res = analyzer.analyse(_photo(img))
        assert res.problems == ([] if name == "clean" else ["glare"]), res.metrics
        lines, _ms = read_lines(res.page)
        text[name] = "".join(ln.text for ln in lines)
    assert "申请事项：个体工商户设立登记" in text["clean"]
    assert "申请事项：个体工商户设立登记" not in text["glare"]
    assert "申请人" in text["glare"] and len(text["glare"]) < len(text["clean"])
