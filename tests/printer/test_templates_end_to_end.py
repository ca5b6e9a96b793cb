"""Every template, in both languages, printed through python-escpos's real Network backend into
the simulated printer, parsed back, and rendered to a PNG whose QR code decodes again."""

from __future__ import annotations

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from kiosk.devices.printer.chinese_text import normalise
from kiosk.devices.printer.samples import sample
from kiosk.devices.printer.templates import build_receipt

KINDS = ["application", "pickup", "deposit_slip", "test_page"]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_template_prints_parses_and_renders(kind, lang, sim, printer):
    data = sample(kind, lang)
    done = printer.print_document(kind, data, lang).result(10)
    assert done.ok, done.detail
    assert done.data["paper"] == "ok" and done.data["replaced"] == []

    (receipt,) = sim.wait_receipts(1)
    expected = build_receipt(kind, data, lang)
    assert receipt.texts == [normalise(t) for t in expected.text_lines()]
    assert receipt.qr == expected.qr_payloads() == done.data["qr"]
    assert receipt.cut == "full"
    assert receipt.errors == [] and receipt.lost is None
    assert not any(line.overflow for line in receipt.lines), [l.text for l in receipt.lines if l.overflow]
    assert receipt.images, "the logo raster reached the printer"

    png = Image.open(receipt.png)
    assert png.width == 680 and png.height > 600
    decoded = [r.text for r in zxingcpp.read_barcodes(np.asarray(png.convert("L")))]
    assert decoded == receipt.qr


def test_application_receipt_content_zh(sim, printer):
    assert printer.print_document("application", sample("application")).result(10).ok
    r = sim.wait_receipts(1)[0]
    text = "\n".join(r.texts)
    for needle in ("政务服务24小时自助服务站", "受理回执", "SQ20261122-000123", "城乡居民基本医疗保险参保登记",
                   "110101********1234", "承诺办结：2026-11-29", "费用：    ￥20.00，已缴", "扫码查询办理进度"):
        assert needle in text
    big = next(l for l in r.lines if l.text == "SQ20261122-000123")
    assert (big.width, big.height, big.bold, big.align) == (2, 2, True, "center")
    title = next(l for l in r.lines if l.text == "受理回执")
    assert (title.width, title.height) == (2, 2)


def test_test_page_exercises_every_feature(sim, printer):
    assert printer.print_document("test_page", sample("test_page"), "en").result(10).ok
    r = sim.wait_receipts(1)[0]
    aligns = {l.align for l in r.lines}
    assert aligns == {"left", "center", "right"}
    sizes = {(l.width, l.height) for l in r.lines}
    assert {(1, 1), (2, 1), (1, 2), (2, 2), (3, 3)} <= sizes
    assert any(l.bold for l in r.lines) and any(l.underline for l in r.lines) and any(l.invert for l in r.lines)
    assert {i.align for i in r.images} >= {"left", "right", "center"}
    assert r.qr == ["TESTPAGE:20261122T080000"]
    assert "费用：￥20.00，已缴" in r.texts


def test_several_receipts_on_one_connection_are_split_at_the_cut(sim, printer):
    for kind in ("pickup", "deposit_slip", "pickup"):
        assert printer.print_document(kind, sample(kind)).result(10).ok
    receipts = sim.wait_receipts(3)
    assert [r.texts[1] for r in receipts] == ["取件回执", "投件单（工作人员联）", "取件回执"]
    assert sim.connections == 1
