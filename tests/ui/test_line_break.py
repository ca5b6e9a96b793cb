"""Chinese line breaking on the station's labels: no line starts with a closing mark (。，）…) or
ends with an opening one, Latin words and numbers stay whole, nothing is lost; checked on every
Chinese message of the station at several widths, with the station's real font through Kivy's
own text renderer (no window needed)."""

from __future__ import annotations

import re

import pytest

from kiosk.i18n import catalog, message_ids
from kiosk.core.line_break import NO_LINE_END, NO_LINE_START, has_cjk, units, wrap_cjk as wrap


def _width(s: str) -> float:
    return sum(10.0 if has_cjk(ch) else 6.0 for ch in s)


def _messages() -> list[str]:
    """Every Chinese message, its parameters filled with a short value such as a screen shows."""
    zh = catalog("zh")
    texts = {re.sub(r"\{[^{}]*\}", "A01", zh.gettext(k)) for k in message_ids("zh")}
    return sorted(t for t in texts if has_cjk(t) and len(t) > 12)


def _check(original: str, wrapped: str, width: float, measure) -> None:
    lines = wrapped.split("\n")
    for i, line in enumerate(lines):
        after_overflow = i and measure(lines[i - 1]) > width  # a number wider than the label
        if i and line and not after_overflow:
            assert line[0] not in NO_LINE_START, (line, wrapped)
        if line and i < len(lines) - 1:
            assert line[-1] not in NO_LINE_END, (line, wrapped)
        core = line.strip("".join(NO_LINE_START | NO_LINE_END))
        single_unit = len(units(core)) == 1  # a word or number wider than the label
        assert measure(line) <= width or single_unit or len(line) == 1, (line, measure(line), width)
    assert re.sub(r"\s", "", wrapped) == re.sub(r"\s", "", original), "nothing lost or added"


def test_the_reported_case_moves_the_character_before_the_full_stop_down():
    text = "护照机读区的校验位不符。请把护照资料页平放在扫描区，再试一次。"
    out = wrap(text, 110, _width)
    assert out.split("\n")[:2] == ["护照机读区的校验位不", "符。请把护照资料页平放"]
    _check(text, out, 110, _width)


def test_latin_words_and_numbers_stay_whole_and_brackets_stay_with_their_text():
    text = "请携带Passport No. E12345678到窗口（一楼）办理，电话0871-12345678。"
    for width in range(60, 260, 7):
        out = wrap(text, width, _width)
        _check(text, out, width, _width)
        words = re.findall(r"[A-Za-z0-9\-]+", out.replace("\n", " "))
        assert {"Passport", "E12345678", "0871-12345678"} <= set(words), out


def test_text_without_chinese_or_that_fits_is_left_alone():
    assert wrap("Please insert your ID card. " * 5, 100, _width) == "Please insert your ID card. " * 5
    assert wrap("请插入身份证。", 500, _width) == "请插入身份证。"
    assert wrap("请插入身份证。", 0, _width) == "请插入身份证。"


@pytest.mark.parametrize("width", [90, 150, 230, 410])
def test_every_chinese_message_of_the_station(width):
    messages = _messages()
    assert len(messages) > 100
    for text in messages:
        _check(text, wrap(text, width, _width), width, _width)


def test_the_label_renderer_breaks_by_these_rules_with_the_real_font():
    from kiosk.screens.theme import register_fonts

    register_fonts()
    from kiosk.screens.widgets import _ChineseWrapCoreLabel

    text = "护照机读区的校验位不符。请把护照资料页平放在扫描区，再试一次。如仍无法识别，请到人工窗口办理。"
    bad_starts = 0
    for width in range(120, 700, 11):
        label = _ChineseWrapCoreLabel(text=text, font_size=28, text_size=(width, None))
        label.render()
        lines = ["".join(w.text for w in line.words) for line in label._cached_lines]
        assert len(lines) > 1 or width > 600
        assert re.sub(r"\s", "", "".join(lines)) == re.sub(r"\s", "", text)
        bad_starts += sum(1 for line in lines[1:] if line[:1] in NO_LINE_START)
        assert label.text == text, "the label's own text is not changed"
    assert bad_starts == 0


def test_accented_and_full_width_words_stay_whole():
    for text in ("请联系Müller先生或François女士办理户籍迁移手续。", "受理编号１２３４５６７８已登记，请于三日内领取。"):
        for width in range(60, 300, 9):
            out = wrap(text, width, _width)
            _check(text, out, width, _width)
            for word in ("Müller", "François", "１２３４５６７８"):
                if word in text:
                    assert word in out.replace("\n", "|"), (word, out)


def test_the_receipt_printer_breaks_by_the_same_rules():
    from kiosk.devices.printer.chinese_text import columns, wrap as receipt_wrap

    text = "请携带（原件）及复印件到“政务服务中心”一楼窗口办理。Passport E12345678。"
    for width in range(8, 40):
        lines = receipt_wrap(text, width)
        assert all(columns(line) <= width for line in lines), lines
        assert not any(line[:1] in NO_LINE_START for line in lines[1:]), (width, lines)
        assert not any(line[-1:] in NO_LINE_END for line in lines[:-1]), (width, lines)
