"""The SAM frame codec against the reference's literal frames, and hostile replies."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.devices.base import ResultCode
from kiosk.devices.idreader import sam_frames as sf


def reader_of(data: bytes):
    buf = bytearray(data)

    def read(n: int) -> bytes:
        out = bytes(buf[:n])
        del buf[:n]
        return out

    return read


@pytest.mark.parametrize("cmd, frame", [
    (sf.SAM_STATUS, "AA AA AA 96 69 00 03 11 FF ED"),
    (sf.FIND_CARD, "AA AA AA 96 69 00 03 20 01 22"),
    (sf.SELECT_CARD, "AA AA AA 96 69 00 03 20 02 21"),
    (sf.READ_BASE_INFO, "AA AA AA 96 69 00 03 30 01 32"),
])
def test_requests_match_the_reference(cmd, frame):
    assert sf.build_request(cmd) == bytes.fromhex(frame)


def test_set_max_rf_bytes_matches_the_reference():
    assert sf.build_request(sf.SET_MAX_RF_BYTES, b"\x50") == bytes.fromhex("AA AA AA 96 69 00 04 61 FF 50 CA")


def test_observed_replies_parse():
    ok = sf.read_reply(reader_of(bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")), 0.1)
    assert (ok.sw3, ok.data, ok.ok) == (0x9F, bytes(4), True)
    none = sf.read_reply(reader_of(bytes.fromhex("AA AA AA 96 69 00 04 00 00 80 84")), 0.1)
    assert none.sw3 == 0x80 and not none.ok


def test_noise_before_the_preamble_is_skipped():
    frame = bytes.fromhex("AA AA AA 96 69 00 04 00 00 80 84")
    assert sf.read_reply(reader_of(b"\x00\xAA\xAA\x13\x37" + frame), 0.1).sw3 == 0x80


@pytest.mark.parametrize("data, kind", [
    (b"", "no_reply"),
    (bytes.fromhex("AA AA AA 96 69 00"), "truncated"),
    (bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00"), "truncated"),
    (bytes.fromhex("AA AA AA 96 69 00 04 00 00 80 85"), "bad_checksum"),
    (bytes.fromhex("AA AA AA 96 69 00 02 00 02"), "bad_length"),
    (bytes.fromhex("AA AA AA 96 69 FF FF 00 00 90"), "bad_length"),
    (b"garbage " * 10, "truncated"),
])
def test_hostile_replies(data, kind):
    with pytest.raises(sf.FrameError) as info:
        sf.read_reply(reader_of(data), 0.05)
    assert info.value.kind == kind
    assert str(info.value)


def test_endless_garbage_is_bounded():
    with pytest.raises(sf.FrameError) as info:
        sf.read_reply(reader_of(b"\x55" * (sf.MAX_GARBAGE + 10)), 1.0)
    assert info.value.kind == "garbage"


def test_every_reference_status_is_mapped():
    for sw3 in (0x90, 0x9F, 0x80, 0x81, 0x10, 0x11, 0x21, 0x91):
        assert sw3 in sf.SW3_TABLE
    assert sf.sw3_meaning(0x31)[0] is ResultCode.FRAUD_ATTEMPT
    code, text = sf.sw3_meaning(0xEE)
    assert code is ResultCode.HARDWARE_ERROR and "0xEE" in text


def test_reply_round_trip():
    body = b"\x00\x00\x90" + bytes(range(256)) * 5
    assert sf.read_reply(reader_of(sf.build_frame(body)), 0.1).data == body[3:]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_only_ever_raise_frame_error(data):
    try:
        reply = sf.read_reply(reader_of(data), 0.0)
    except sf.FrameError:
        return
    assert isinstance(reply, sf.Reply)
