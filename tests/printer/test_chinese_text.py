"""Chinese text reaches the printer as the exact GBK bytes, unlike python-escpos's text()."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy

from hw_sim.escpos.parser import EscposParser
from kiosk.devices.printer.chinese_text import columns, encode_text, pad_between, wrap
from kiosk.devices.printer.escpos_job import CHINESE_ON, ESC_INIT, text_bytes

MIXED = "费用：¥20.00，已缴"
# 费 B7D1 用 D3C3 ： A3BA ¥->￥ A3A4 "20.00" ， A3AC 已 D2D1 缴 BDC9
MIXED_BYTES = bytes.fromhex("b7d1 d3c3 a3ba a3a4") + b"20.00" + bytes.fromhex("a3ac d2d1 bdc9")


def test_mixed_string_exact_bytes():
    assert text_bytes(MIXED) == MIXED_BYTES


def test_full_width_punctuation_without_ideographs_exact_bytes():
    # python-escpos turns these into '?' (no CJK ideograph -> code-page guesser)
    assert text_bytes("（A01）¥5，") == bytes.fromhex("a3a8") + b"A01" + bytes.fromhex("a3a9 a3a4") + b"5" + bytes.fromhex("a3ac")


def test_python_escpos_text_garbles_the_same_strings():
    """Documents the library behaviour we work around: a four-byte ¥, and '?' for punctuation."""
    p = Dummy()
    p.text(MIXED)
    assert b"\x81\x30\x84\x36" in p.output  # GB18030 four-byte yen: garbage on a GBK printer
    q = Dummy()
    q.text("¥20.00，")
    assert q.output.endswith(b"20.00?")


def test_printer_sim_reads_our_bytes_back_and_shows_the_library_garbage():
    ours = EscposParser()
    ours.feed(ESC_INIT + CHINESE_ON + text_bytes(MIXED) + b"\n\x1dV\x00")
    assert ours.receipts[0].texts == ["费用：￥20.00，已缴"]
    assert ours.receipts[0].errors == []

    lib = Dummy()
    lib.text(MIXED + "\n")
    theirs = EscposParser()
    theirs.feed(ESC_INIT + CHINESE_ON + lib.output + b"\x1dV\x00")
    assert "￥" not in theirs.receipts[0].texts[0] and "\ufffd" in theirs.receipts[0].texts[0]
    assert any("four-byte GB18030" in e for e in theirs.receipts[0].errors)


def test_unprintable_characters_become_a_visible_box_and_are_reported():
    enc = encode_text("A\x07B\U0001f600")
    assert enc.data == b"A" + bytes.fromhex("a1f5") + b"B" + bytes.fromhex("a1f5")
    assert enc.replaced == ["\x07", "\U0001f600"]


def test_gb18030_charset_allows_four_byte_characters():
    ch = "\U00020000"  # CJK Extension B, a rare name character
    assert encode_text(ch, "gbk").replaced == [ch]
    assert encode_text(ch, "gb18030").data == ch.encode("gb18030")
    with pytest.raises(ValueError, match="unknown printer charset"):
        encode_text("x", "big5")


def test_columns_and_wrap():
    assert columns("受理编号A1") == 10
    lines = wrap("身份证复印件，户口簿原件及复印件。Marriage certificate copies", 20)
    assert all(columns(line) <= 20 for line in lines)
    assert not any(line.startswith(("，", "。")) for line in lines)
    assert "".join(lines).replace(" ", "") == "身份证复印件，户口簿原件及复印件。Marriagecertificatecopies"
    assert pad_between("左", "右", 10) == "左      右"


# --------------------------------------------------------------------------- rare name characters


def test_characters_a_gbk_font_lacks_are_replaced_and_reported():
    """䶮 has a two-byte GB18030 code (FE9F) but none in GBK, where FE9F is a user-defined code
    without a glyph: sent as FE9F it would print blank and nobody would know."""
    enc = encode_text("王*䶮")
    assert enc.data == "王*".encode("gbk") + bytes.fromhex("a1f5") and enc.replaced == ["䶮"]
    four = encode_text("李*㛃")  # CJK extension A, four bytes in GB18030
    assert four.data.endswith(bytes.fromhex("a1f5")) and four.replaced == ["㛃"]
    # a printer whose font is GB18030 gets the real codes
    assert encode_text("王*䶮", "gb18030").data.endswith(bytes.fromhex("fe9f"))
    assert encode_text("李*㛃", "gb18030").data.endswith(bytes.fromhex("8230b731"))


@pytest.mark.parametrize("charset", ["gbk", "gb18030"])
def test_private_use_characters_are_never_sent(charset):
    """ID systems put rare name characters in the private use area; GB18030 maps them to its
    user-defined rows (AAA1...), which print blank on any printer."""
    enc = encode_text("张\ue000明", charset)
    assert enc.replaced == ["\ue000"] and enc.data == "张".encode("gbk") + bytes.fromhex("a1f5") + "明".encode("gbk")


def test_printer_sim_reports_codes_its_gbk_font_lacks():
    gbk = EscposParser()
    gbk.feed(ESC_INIT + CHINESE_ON + "王".encode("gbk") + bytes.fromhex("fe9f aaa1") + b"\n\x1dV\x00")
    (r,) = gbk.receipts
    assert r.texts == ["王\ufffd\ufffd"] and len(r.errors) == 2 and "no glyph" in r.errors[0]
    wide = EscposParser(four_byte_gb18030=True)
    wide.feed(ESC_INIT + CHINESE_ON + bytes.fromhex("fe9f") + b"\n\x1dV\x00")
    assert wide.receipts[0].texts == ["䶮"] and wide.receipts[0].errors == []


def test_rare_name_character_on_a_printed_receipt_is_reported(sim, printer):
    from kiosk.devices.printer.samples import sample

    data = dict(sample("application"), applicant_name_masked="王*䶮")
    done = printer.print_document("application", data).result(10)
    assert done.ok and done.data["replaced"] == ["䶮"] and "□" in done.data["detail"]
    (receipt,) = sim.wait_receipts(1)
    assert receipt.errors == [] and any(t.endswith("王*□") for t in receipt.texts)
