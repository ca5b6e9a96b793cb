"""The simulator's ESC/POS parser takes garbage, truncated and hostile streams without crashing
and says what was wrong."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from hw_sim.escpos.parser import EscposParser
from hw_sim.escpos.render import render
from kiosk.devices.printer.escpos_job import build_job
from kiosk.devices.printer.samples import sample
from kiosk.devices.printer.templates import build_receipt

JOB = build_job(build_receipt("application", sample("application"))).data


def _parse(*chunks: bytes) -> EscposParser:
    p = EscposParser()
    for c in chunks:
        p.feed(c)
    p.close()
    return p


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash(data):
    p = _parse(data)
    assert not p.buf  # the stream end consumed or reported every byte
    for r in p.receipts:
        assert len(r.errors) <= 43  # bounded, however bad the input
        render(r)  # whatever was parsed can be drawn


def test_mutated_real_jobs_never_crash():
    rng = random.Random(4)
    for _ in range(60):
        job = bytearray(JOB)
        for _ in range(rng.randint(1, 12)):
            job[rng.randrange(len(job))] = rng.randrange(256)
        p = _parse(bytes(job))
        assert p.receipts  # something printed (at least the stream-end receipt)


def test_byte_at_a_time_equals_one_chunk():
    whole = _parse(JOB).receipts[0]
    p = EscposParser()
    for i in range(len(JOB)):
        p.feed(JOB[i:i + 1])
    p.close()
    assert p.receipts[0].texts == whole.texts and p.receipts[0].qr == whole.qr


def test_truncated_streams_report_where_they_stopped():
    seen = set()
    for cut in range(1, len(JOB) - 1, 7):
        p = _parse(JOB[:cut])
        (r,) = p.receipts
        assert r.cut is None
        assert "stream ended without a cut" in r.errors
        seen.update(e.split(" (")[0] for e in r.errors if e.startswith("stream ended inside"))
    assert any("GS v 0 image data" in s for s in seen)
    assert any("double-byte character" in s for s in seen)


def test_unknown_commands_are_reported_and_skipped():
    p = _parse(b"\x1b@\x1bZ" + b"OK\n" + b"\x1d\xee" + b"\x1c\xff" + b"\x10\x09" + b"\x01AFTER\n\x1dV\x00")
    (r,) = p.receipts
    assert r.texts == ["OK", "AFTER"]
    assert [e.split(" at byte")[0] for e in r.errors] == [
        "unknown command ESC 0x5a", "unknown command GS 0xee", "unknown command FS 0xff",
        "unknown command DLE 0x09", "unknown control byte 0x01"]


def test_oversize_raster_is_skipped_and_parsing_resumes():
    header = b"\x1dv0\x00" + (200).to_bytes(2, "little") + (10000).to_bytes(2, "little")
    body = b"\xff" * (200 * 10000)
    p = EscposParser()
    p.feed(b"\x1b@" + header + body[:5000])
    p.feed(body[5000:] + b"AFTER\n\x1dV\x00")
    p.close()
    (r,) = p.receipts
    assert r.texts == ["AFTER"] and r.images == []
    assert "too large; skipped" in r.errors[0]


def test_wide_raster_is_clipped_with_a_note():
    p = _parse(b"\x1dv0\x00" + (80).to_bytes(2, "little") + (2).to_bytes(2, "little") + b"\xaa" * 160 + b"\x1dV\x00")
    (r,) = p.receipts
    assert len(r.images) == 1 and "640 dots wide" in r.errors[0]
    assert render(r).width == 680


def test_invalid_double_byte_codes_and_bad_qr():
    p = _parse(b"\x1c&\x81\x20X\n" + b"\x1d(k\x03\x001Q0" + b"\x1d(k\x03\x00\x30Q0" + b"\x1dV\x00")
    (r,) = p.receipts
    assert r.texts == ["\ufffdX"]
    assert any("invalid double-byte code 81 20" in e for e in r.errors)
    assert any("QR print without stored data" in e for e in r.errors)
    assert any("cn=48 is not supported" in e for e in r.errors)


def test_text_without_chinese_mode_prints_code_page_mojibake():
    """What a printer makes of GBK bytes when FS & was never sent."""
    p = _parse("已缴\n".encode("gbk") + b"\x1dV\x00")
    assert p.receipts[0].texts[0] != "已缴"


def test_status_requests_are_answered_in_order():
    replies = []
    states = {1: 0x12, 2: 0x16, 3: 0x12, 4: 0x1E}
    p = EscposParser(reply=replies.append, status=states.__getitem__)
    p.feed(b"\x10\x04\x01\x10\x04\x02\x10\x04")
    p.feed(b"\x03\x10\x04\x04\x10\x04\x09")
    assert b"".join(replies) == bytes([0x12, 0x16, 0x12, 0x1E])
    assert "DLE EOT 9: n must be 1..4" in p.current.errors[0]


def test_error_list_is_bounded():
    p = _parse(b"\x01" * 10000)
    assert len(p.receipts[0].errors) <= 43


def test_endless_line_without_line_feed_is_bounded():
    p = _parse(b"A" * 20000 + b"\x1dV\x00")
    (r,) = p.receipts
    assert sum(len(t) for t in r.texts) == 20000
    assert max(len(t) for t in r.texts) <= 4800
    assert any("without a line feed" in e for e in r.errors)
