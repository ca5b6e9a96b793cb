"""Decoded payloads are untrusted: only the station's formats are accepted; hostile ones are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.devices.scanner import payloads as pl
from kiosk.devices.scanner.payloads import PayloadError, parse_any, parse_case_number, parse_receipt_qr

GOOD = "SIM0001-20261122-0042-P"


def test_valid_case_number():
    c = parse_case_number(GOOD)
    assert (c.station, c.date, c.seq, str(c)) == ("SIM0001", dt.date(2026, 11, 22), 42, GOOD)


def test_receipt_qr_both_forms():
    assert parse_receipt_qr("https://zwfw.example.gov.cn/q/" + GOOD).case.value == GOOD
    assert parse_receipt_qr("KQ1:" + GOOD).case.value == GOOD
    assert pl.receipt_qr_text(GOOD) == "https://zwfw.example.gov.cn/q/" + GOOD
    assert pl.receipt_qr_text(GOOD, compact=True) == "KQ1:" + GOOD


def test_parse_any_tells_the_formats_apart():
    assert isinstance(parse_any("KQ1:" + GOOD), pl.ReceiptQr)
    assert isinstance(parse_any(GOOD), pl.CaseBarcode)


def test_same_rules_as_the_cases_service():
    cases = pytest.importorskip("kiosk.services.cases")
    for station, day, seq in [("sim-0001", dt.date(2026, 11, 22), 42), ("GZ7", dt.date(2024, 2, 29), 9999),
                              ("A", dt.date(2030, 1, 1), 1)]:
        number = cases.format_case_number(station, day, seq)
        assert parse_case_number(number).seq == seq
        assert cases.check_char(number[:-2]) == pl.check_char(number[:-2])


def test_flows_receipt_qr_is_accepted():
    apply = pytest.importorskip("kiosk.flows.apply")
    assert parse_receipt_qr(apply.receipt_qr(GOOD)).case.value == GOOD


HOSTILE = [
    ("", "empty"),
    ("A" * 10_000, "too_long"),
    ("KQ1:" + GOOD + "; rm -rf /", "bad_format"),
    ("KQ1:" + GOOD + "\n", "bad_characters"),
    (GOOD + "\x00", "bad_characters"),
    ("KQ1:SIM0001-20261122-0042-Q", "bad_check"),  # wrong check character
    ("SIM0001-20261131-0042-P", "bad_date"),  # 31 November
    ("SIM0001-20261122-0000-" + pl.check_char("SIM0001-20261122-0000"), "bad_check"),  # sequence 0 never issued
    ("ＳＩＭ0001-20261122-0042-P", "bad_characters"),  # full-width letters
    ("SIM0001-２0261122-0042-P", "bad_characters"),  # full-width digit
    ("SIM0001-20261122-0042-P\u202e", "bad_characters"),  # right-to-left override
    ("'; DROP TABLE cases; --", "unknown_format"),
    ("../../etc/passwd", "unknown_format"),
    ("{0.__class__.__mro__}", "unknown_format"),
    ("%s%s%s%n", "unknown_format"),
    ("__import__('os').system('id')", "unknown_format"),
    ("<script>alert(1)</script>", "unknown_format"),
    ("https://evil.example.com/q/" + GOOD, "unknown_format"),
    ("https://zwfw.example.gov.cn/q/" + GOOD + "?x=1", "bad_format"),
    ("https://zwfw.example.gov.cn/q/../admin", "bad_format"),
    ("sim0001-20261122-0042-p", "unknown_format"),  # lower case is not what the station prints
    (b"KQ1:SIM0001-20261122-0042-P", "not_text"),
    (None, "not_text"),
]


@pytest.mark.parametrize("text,reason", HOSTILE)
def test_hostile_payloads_are_refused(text, reason):
    with pytest.raises(PayloadError) as err:
        parse_any(text)
    assert err.value.reason == reason
    assert str(err.value)  # a message a log (and a technician) can read


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_either_parsed_or_refused_cleanly(text):
    try:
        result = parse_any(text)
    except PayloadError:
        return
    assert result.case.value in text
