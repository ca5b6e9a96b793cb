"""Barcode engines, the fallback chain, ZBar's UTF-8 garbling, and codes read from page photos."""

from __future__ import annotations

import numpy as np
import pytest

from hw_sim.documents import DEFAULT_BARCODE, DEFAULT_QR, code128_image, page_photo, qr_image
from kiosk.devices.scanner import Code
from kiosk.devices.scanner import barcodes as bc
from kiosk.devices.scanner.barcodes import ENGINES, BarcodeReader, fix_zbar_text, normalise_type, read_with

CHINESE = ["办件", "受理回执", "KQ1:受理", "你好", "中文", "不动产登记申请表 材料齐全", "费用：¥20.00，已缴"]


def _on_paper(code: np.ndarray, pad: int = 40) -> np.ndarray:
    return np.pad(code, pad, constant_values=255)


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_each_engine_reads_a_clean_qr(engine):
    codes = read_with(engine, _on_paper(qr_image(DEFAULT_QR, box=5)))
    assert [(c.type, c.text, c.engine) for c in codes] == [("QRCODE", DEFAULT_QR, engine)]


@pytest.mark.parametrize("engine", ["zxingcpp", "pyzbar"])
def test_engines_that_read_code128(engine):
    codes = read_with(engine, _on_paper(code128_image(DEFAULT_BARCODE, scale=3)))
    assert [(c.type, c.text) for c in codes] == [("CODE128", DEFAULT_BARCODE)]


@pytest.mark.parametrize("engine", ["opencv", "opencv_aruco"])
def test_opencv_barcode_detector_does_not_read_code128(engine):
    """OpenCV's 1-D detector knows EAN/UPC only; recorded so a future OpenCV that adds it is noticed."""
    assert read_with(engine, _on_paper(code128_image(DEFAULT_BARCODE, scale=3))) == []


def test_symbologies_outside_the_station_set_are_dropped(monkeypatch):
    monkeypatch.setitem(ENGINES, "fake", lambda gray: [Code("EAN8", "12345670", "fake"), Code("QRCODE", "q", "fake")])
    assert read_with("fake", np.zeros((40, 40), np.uint8)) == [Code("QRCODE", "q", "fake")]


@pytest.mark.parametrize("text", CHINESE)
def test_pyzbar_utf8_chinese_is_decoded_correctly(text):
    codes = read_with("pyzbar", _on_paper(qr_image(text, box=5)))
    assert [c.text for c in codes] == [text]


def test_zbar_really_garbles_without_the_fix():
    from pyzbar import pyzbar
    raw = pyzbar.decode(_on_paper(qr_image("受理回执", box=5)))[0].data
    assert raw.decode("utf-8") != "受理回执"  # ZBar guessed Shift-JIS
    assert fix_zbar_text(raw) == "受理回执"
    raw = pyzbar.decode(_on_paper(qr_image("你好", box=5)))[0].data
    assert raw.decode("utf-8") != "你好"  # ZBar guessed Latin-1
    assert fix_zbar_text(raw) == "你好"


@pytest.mark.parametrize("text", ["hello", "Grüße", "é", "日本語のテキスト", "中文"])
def test_fix_leaves_correct_text_alone(text):
    assert fix_zbar_text(text.encode("utf-8")) == text


@pytest.mark.parametrize("engine", ["zxingcpp", "opencv", "opencv_aruco"])
@pytest.mark.parametrize("text", CHINESE[:3])
def test_other_engines_read_utf8(engine, text):
    assert [c.text for c in read_with(engine, _on_paper(qr_image(text, box=5)))] == [text]


def test_reader_reads_both_codes_on_a_page_photo():
    frame, truth = page_photo("good")
    codes = BarcodeReader().read(frame)
    assert {(c.type, c.text) for c in codes} == {("QRCODE", truth.qr_text), ("CODE128", truth.barcode_text)}


def test_chain_falls_back_to_the_next_engine(monkeypatch):
    calls = []

    def nothing(gray):
        calls.append("first")
        return []

    def found(gray):
        calls.append("second")
        return [Code("QRCODE", "x", "second")]

    monkeypatch.setitem(ENGINES, "first", nothing)
    monkeypatch.setitem(ENGINES, "second", found)
    assert BarcodeReader(["first", "second"]).read(np.zeros((40, 40), np.uint8)) == [Code("QRCODE", "x", "second")]
    assert calls == ["first", "second"]
    calls.clear()
    assert BarcodeReader(["second", "first"]).read(np.zeros((40, 40), np.uint8))
    assert calls == ["second"]  # stops at the first engine that finds something


def test_chain_skips_an_engine_whose_library_is_missing(monkeypatch):
    def broken(gray):
        raise OSError("libzbar.so.0: cannot open shared object file")

    monkeypatch.setitem(ENGINES, "broken", broken)
    reader = BarcodeReader(["broken", "zxingcpp"])
    assert [c.text for c in reader.read(_on_paper(qr_image("abc", box=5)))] == ["abc"]
    assert "broken" in reader._broken


def test_unknown_engine_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown barcode engine"):
        BarcodeReader(["zxingcpp", "nope"])
    with pytest.raises(ValueError):
        BarcodeReader([])


def test_decoded_text_is_length_limited(monkeypatch):
    long = "A" * 2000
    codes = read_with("zxingcpp", _on_paper(qr_image(long, box=3)))
    assert codes and len(codes[0].text) == bc.MAX_TEXT


def test_no_codes_in_blank_or_noise():
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, (480, 640), dtype=np.uint8)
    for engine in ENGINES:
        assert read_with(engine, noise) == [], engine
        assert read_with(engine, np.full((480, 640), 255, np.uint8)) == [], engine


def test_type_names_are_normalised():
    assert normalise_type("QRCode") == "QRCODE"
    assert normalise_type("CODE_128") == "CODE128"
    assert normalise_type("EAN_13") == "EAN13"


def test_tilted_code128_is_rescued_by_the_rotated_engine():
    from kiosk.devices.scanner.barcodes import _rotated
    tilted = _rotated(_on_paper(code128_image(DEFAULT_BARCODE, scale=2, height=60), pad=60), 25.0)
    assert read_with("zxingcpp", tilted) == [] and read_with("pyzbar", tilted) == []
    assert [c.text for c in read_with("zxingcpp_rot", tilted)] == [DEFAULT_BARCODE]
    assert [c.text for c in BarcodeReader().read(tilted)] == [DEFAULT_BARCODE]


def test_default_order_matches_config():
    from kiosk.devices.scanner.analyse import default_config
    assert BarcodeReader().order == default_config().barcode_engines


def test_chain_can_be_limited_to_its_first_engines(monkeypatch):
    calls = []
    monkeypatch.setitem(ENGINES, "a", lambda gray: calls.append("a") or [])
    monkeypatch.setitem(ENGINES, "b", lambda gray: calls.append("b") or [])
    BarcodeReader(["a", "b"]).read(np.zeros((40, 40), np.uint8), engines=1)
    assert calls == ["a"]
