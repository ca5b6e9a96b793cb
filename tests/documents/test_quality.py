"""Page finding, perspective correction and every quality verdict on generated page photos."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import pytest

from hw_sim.documents import KINDS, page_photo, qr_image, render_page
from kiosk.devices.scanner import PROBLEMS
from kiosk.devices.scanner.analyse import ImageError, PageAnalyzer, default_config, page_size
from kiosk.devices.scanner.quality import Thresholds, glare_blobs, paper_level

EXPECTED = {
    "good": [],
    "blurred": ["blur"],
    "glare": ["glare"],
    "cut_off": ["cut_off"],
    "dark": ["too_dark"],
    "far": ["too_small"],
    "skewed": ["skewed"],
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_kind_gets_exactly_its_verdict(kind, photos, analyzer):
    frame, _truth = photos[kind]
    res = analyzer.analyse(frame)
    assert res.page_found
    assert res.problems == EXPECTED[kind], res.metrics
    assert res.ok is (kind == "good")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_verdicts_hold_for_other_seeds(seed, analyzer):
    for kind, problems in EXPECTED.items():
        frame, _ = page_photo(kind, seed=seed)
        assert analyzer.analyse(frame).problems == problems, (kind, seed)


def test_no_page_on_an_empty_desk(photos, analyzer):
    res = analyzer.analyse(photos["no_page"][0])
    assert not res.page_found and res.corners is None and not res.ok and res.page is None


@pytest.mark.parametrize("kind", ["good", "blurred", "glare", "dark", "far", "skewed"])
def test_corners_match_ground_truth(kind, photos, analyzer):
    frame, truth = photos[kind]
    res = analyzer.analyse(frame)
    err = np.hypot(*(np.array(res.corners) - np.array(truth.corners)).T)
    assert err.max() < 6.0, err  # pixels in a 1600x1200 frame


@pytest.mark.parametrize("rotation", [-12.0, 8.0, 15.0])
def test_rotated_page_corners_in_order(rotation, analyzer):
    frame, truth = page_photo("good", rotation=rotation, distance=1.15)
    res = analyzer.analyse(frame)
    assert res.ok, res.problems
    err = np.hypot(*(np.array(res.corners) - np.array(truth.corners)).T)
    assert err.max() < 6.0
    assert res.metrics["sideways"] == 0.0


def test_cut_off_page_corners_inside_frame_match(photos, analyzer):
    frame, truth = photos["cut_off"]
    res = analyzer.analyse(frame)
    h, w = frame.shape[:2]
    inside = [i for i, (x, y) in enumerate(truth.corners) if 0 <= x < w and 0 <= y < h]
    assert inside, "the generator should leave some corners in view"
    for i in inside:
        assert np.hypot(*(np.array(res.corners[i]) - np.array(truth.corners[i]))) < 6.0


def test_perspective_output_is_upright_a4_at_configured_width(photos):
    cfg = default_config().model_copy(update={"page_width_px": 827})
    res = PageAnalyzer(cfg).analyse(photos["skewed"][0])
    assert res.page.shape == (page_size(827)[1], 827, 3) == (1170, 827, 3)
    res = PageAnalyzer().analyse(photos["good"][0])
    assert res.page.shape == (1754, 1240, 3)


def test_corrected_page_is_upright(photos, analyzer):
    """The title is at the top and the codes at the bottom of the corrected page."""
    res = analyzer.analyse(photos["skewed"][0], read_codes=False)
    gray = res.page.mean(axis=2)
    top, bottom = gray[: gray.shape[0] // 6], gray[-gray.shape[0] // 4:]
    assert bottom.mean() < top.mean()  # barcode + QR make the bottom darkest
    assert gray[60:120].mean() > gray[120:180].mean()  # margin above the title line


def test_flatbed_scan_is_whole_page_and_not_cut_off(analyzer):
    page = render_page()
    res = analyzer.analyse(page, flatbed=True)
    assert res.page_found and res.ok, res.problems
    assert res.corners[0] == (0.0, 0.0)
    assert analyzer.analyse(page).page_found is False  # without --flatbed there is no page edge


def test_white_paper_is_not_glare(analyzer):
    # flatbed paper is pure 255 everywhere; an over-exposed photo clips the whole sheet
    assert "glare" not in analyzer.analyse(render_page(), flatbed=True).problems
    for light in (1.13, 1.2, 1.3):
        res = analyzer.analyse(page_photo("good", light=light)[0])
        assert "glare" not in res.problems, (light, res.metrics)


def _sticker_page() -> np.ndarray:
    """Off-white paper with a bright white QR label: the label and its quiet zone clip, the paper does not."""
    page = render_page().astype(np.float32)
    page = np.where(page > 250, 226, page)
    qr = qr_image("KQ1:SZ-20261122-000123", box=14)
    page[300:300 + qr.shape[0], 300:300 + qr.shape[1]] = qr[..., None]
    return page.astype(np.uint8)


def test_qr_quiet_zone_on_grey_paper_is_not_glare(analyzer):
    frame, _ = page_photo("good", page_image=_sticker_page(), light=1.17)
    res = analyzer.analyse(frame)
    assert "glare" not in res.problems, res.metrics
    # the label really is clipped and above the paper: only the halo rule tells it from glare
    import cv2
    gray = cv2.cvtColor(cv2.resize(res.page, (600, 849), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    no_halo_rule = Thresholds(glare_halo=-255)
    assert glare_blobs(gray, paper_level(gray), no_halo_rule)[1] >= 1


def test_thresholds_are_configurable(photos):
    frame = photos["blurred"][0]
    lenient = PageAnalyzer(default_config().model_copy(update={"blur_min": 5.0}))
    assert "blur" not in lenient.analyse(frame).problems
    strict = PageAnalyzer(default_config().model_copy(update={"min_page_area": 0.5}))
    assert "too_small" in strict.analyse(photos["good"][0]).problems


def test_problems_listed_in_fix_order(analyzer):
    frame, _ = page_photo("custom", distance=2.3, blur=3.5, light=0.3)
    res = analyzer.analyse(frame)
    assert res.problems == [p for p in PROBLEMS if p in res.problems]
    assert {"too_small", "too_dark"} <= set(res.problems)


@pytest.mark.parametrize("bad", [
    np.zeros((0, 0, 3), np.uint8), np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.uint8),
    np.zeros((8, 8, 4), np.uint8), np.zeros((100, 100, 3), np.float32),
    "not an image", None, np.zeros((100, 100, 2), np.uint8),
])
def test_malformed_images_are_refused_clearly(bad, analyzer):
    with pytest.raises(ImageError):
        analyzer.analyse(bad)


def test_grey_and_bgra_frames_are_accepted(photos, analyzer):
    import cv2
    frame = photos["good"][0]
    assert analyzer.analyse(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)).page_found
    assert analyzer.analyse(cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA)).page_found


def test_extra_shared_photos_do_not_crash(testdata, analyzer):
    from kiosk.devices.scanner.analyse import load_image
    for p in sorted(testdata.rglob("*.jpg"))[:6]:
        res = analyzer.analyse(load_image(p))
        assert isinstance(res.page_found, bool)


def test_all_kinds_are_covered():
    assert set(EXPECTED) | {"no_page"} == set(KINDS)


@pytest.mark.parametrize("rotation", [90.0, -90.0, 60.0, 45.0])
def test_sideways_page_is_corrected_to_portrait_without_stretching(rotation, analyzer):
    frame, truth = page_photo("good", rotation=rotation, distance=1.4)
    res = analyzer.analyse(frame, read_codes=True)
    assert res.page_found and res.ok, res.problems
    found = {tuple(np.round(c)) for c in res.corners}
    for c in truth.corners:  # the same four corners, whatever their labels
        assert min(np.hypot(c[0] - f[0], c[1] - f[1]) for f in found) < 6.0
    c = np.array(res.corners)
    top, left = np.linalg.norm(c[1] - c[0]), np.linalg.norm(c[3] - c[0])
    assert top < left  # the short edge is the top of the portrait page
    assert res.metrics["sideways"] == 1.0
    assert "SIM0001-20261122-0042-P" in {x.text for x in res.codes}


def test_sample_face_photos_are_not_pages(samples, analyzer):
    from hw_sim.documents import sample_photos
    from kiosk.devices.scanner.analyse import load_image
    photos = sample_photos()
    assert len(photos) >= 10
    found_ok = [p.name for p in photos if analyzer.analyse(load_image(p)).ok]
    assert found_ok == []  # never a capturable page
    found = [p.name for p in photos if analyzer.analyse(load_image(p)).page_found]
    # a bright wall or shirt may look like paper (biden_1/_2 are one photograph, mirrored); never capturable
    assert len(found) <= len(photos) // 4, found


def test_decompression_bomb_is_refused_before_decoding():
    import struct
    import zlib
    from kiosk.devices.scanner.analyse import decode_image

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))
    with pytest.raises(ImageError, match="too large"):
        decode_image(png, "bomb.png")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=st.integers(16, 300), w=st.integers(16, 300), seed=st.integers(0, 2**32 - 1), gray=st.booleans())
def test_random_images_never_crash(analyzer, h, w, seed, gray):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w) if gray else (h, w, 3), dtype=np.uint8)
    if seed % 3 == 0:
        img[h // 4: 3 * h // 4, w // 4: 3 * w // 4] = 255  # a bright block: sometimes page-like
    res = analyzer.analyse(img, read_codes=True)
    assert isinstance(res.problems, list) and (res.corners is None or len(res.corners) == 4)


@pytest.mark.parametrize("tint", [(255, 225, 200), (200, 235, 255), (215, 255, 215)])
def test_pale_coloured_paper_is_a_page(tint, analyzer):
    """Household-register pages and forms are often pale blue, yellow or green."""
    page = render_page().astype(np.float32) * (np.array(tint, np.float32) / 255.0)
    res = analyzer.analyse(page_photo("good", page_image=page.astype(np.uint8))[0])
    assert res.page_found and res.ok, (res.problems, res.metrics)


def test_a_hand_holding_the_page_is_not_paper(analyzer):
    """A hand and arm reaching in from the frame edge over the page edge: the page is still found
    with its corners, and not reported as cut off."""
    import cv2
    frame, truth = page_photo("good")
    cv2.ellipse(frame, (1170, 600), (140, 60), 20, 0, 360, (120, 150, 205), -1)
    cv2.rectangle(frame, (1170, 570), (1600, 630), (110, 140, 195), -1)
    res = analyzer.analyse(frame)
    assert res.page_found and res.problems == [], res.problems
    assert np.hypot(*(np.array(res.corners) - np.array(truth.corners)).T).max() < 6.0


@pytest.mark.parametrize("rotation", [180.0, 175.0, -90.0, 90.0])
def test_upside_down_and_sideways_pages_come_out_the_right_way_up(rotation, analyzer):
    frame, _ = page_photo("good", rotation=rotation, distance=1.4 if abs(rotation) == 90 else 1.0)
    res = analyzer.analyse(frame)
    assert res.ok, res.problems
    gray = res.page.mean(axis=2)
    top, bottom = gray[: gray.shape[0] // 6], gray[-gray.shape[0] // 4:]
    assert bottom.mean() < top.mean()  # codes at the bottom, title at the top
    assert gray[60:120].mean() > gray[120:180].mean()


def test_upside_down_detection_can_be_switched_off(photos):
    frame, _ = page_photo("good", rotation=180.0)
    cfg = default_config().model_copy(update={"detect_upside_down": False})
    res = PageAnalyzer(cfg).analyse(frame)
    gray = res.page.mean(axis=2)
    assert gray[: gray.shape[0] // 6].mean() < gray[-gray.shape[0] // 4:].mean()  # left as found: upside down
    assert res.metrics["upside_down"] == 0.0
