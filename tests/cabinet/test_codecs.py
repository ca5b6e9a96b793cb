"""Codecs against every byte example of the reference (shared/reference/locker-protocols.md),
plus round-trip properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from locker_firmware_bridge.codec import Expect, get_codec, locks_to_bits
from locker_firmware_bridge.protocols.generic_8a80 import bcc
from locker_firmware_bridge.protocols.kerong_cu import checksum as ksum
from locker_firmware_bridge.errors import ChecksumError, ProtocolError
from locker_firmware_bridge.settings import BoardSettings

C8 = get_codec("8a80")
CK = get_codec("kerong-cu")


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# -- 8a80 ---------------------------------------------------------------------------------------
def test_8a80_requests_match_reference_bytes() -> None:
    assert C8.encode_open(1, 1) == h("8A 01 01 11 9B")
    assert C8.encode_open_all(1) == h("8A 01 00 11 9A")
    assert C8.encode_status_one(1, 1) == h("80 01 01 33 B3")
    assert C8.encode_status_all(1) == h("80 01 00 33 B2")
    assert C8.encode_open_bitmap(1, {2, 10, 18}) == h("90 01 02 02 02 93")
    assert bcc(h("9A 01 01 11")) == 0x8B  # keep-powered example `9A 01 01 11 8B`
    assert C8.encode_output_off(1, 1) == h("9B 01 01 11 8A")  # its "off" twin, XOR recomputed


def test_output_off_frames_and_replies() -> None:
    assert CK.encode_output_off(0, 1) is None  # Kerong times every pulse on the board: nothing held
    found = C8.find_output_off_reply(h("FA FD 9B 01 02 11 89 00"), 1, 2)
    assert found is not None and found.frame == h("9B 01 02 11 89") and found.start == 2
    assert C8.find_output_off_reply(h("9B 01 02 11 88"), 1, 2) is None  # bad BCC
    assert C8.find_output_off_reply(h("9B 01 03 11 8B"), 1, 2) is None  # another lock's
    with pytest.raises(ProtocolError):
        C8.encode_output_off(1, 0)


def test_8a80_decode_requests() -> None:
    assert C8.decode_request(h("8A 01 01 11 9B")).kind == "open"
    assert C8.decode_request(h("8A 01 00 11 9A")).kind == "open_all"
    assert C8.decode_request(h("80 01 00 33 B2")).kind == "status_all"
    assert C8.decode_request(h("90 01 02 02 02 93")).kind == "open_bitmap"
    with pytest.raises(ChecksumError):
        C8.decode_request(h("8A 01 01 11 9C"))


def test_8a80_open_reply_closing_and_opening_feedback() -> None:
    closing = BoardSettings(1, 24)
    opening = BoardSettings(1, 24, feedback="opening")
    expect = Expect("open", 1, 1)
    assert C8.decode_reply(h("8A 01 01 00 8A"), expect, closing).opened is True
    assert C8.decode_reply(h("8A 01 01 11 9B"), expect, closing).opened is False  # the echo: not opened
    assert C8.decode_reply(h("8A 01 01 00 8A"), expect, opening).opened is False
    assert C8.decode_reply(h("8A 01 01 11 9B"), expect, opening).opened is True
    with pytest.raises(ProtocolError):  # a reply for another lock is not this reply
        C8.decode_reply(h("8A 01 01 00 8A"), Expect("open", 1, 2), closing)
    with pytest.raises(ProtocolError):  # nor one from another board
        C8.decode_reply(h("8A 01 01 00 8A"), Expect("open", 2, 1), closing)


def test_8a80_status_one_reply() -> None:
    s = BoardSettings(1, 24)
    assert C8.decode_reply(h("80 01 01 11 91"), Expect("status_one", 1, 1), s).locks == {1: False}
    assert C8.decode_reply(h("80 01 01 00 80"), Expect("status_one", 1, 1), s).locks == {1: True}


def test_8a80_status_all_8_lock_board_answers_with_three_bytes() -> None:
    reply = C8.decode_reply(h("80 01 00 00 00 33 B2"), Expect("status_all", 1), BoardSettings(1, 8))
    assert reply.locks == {n: False for n in range(1, 9)}


def test_8a80_status_all_24_locks_lock2_open_default_order() -> None:
    frame = h("80 01 00 00 02 33 B0")
    locks = C8.decode_reply(frame, Expect("status_all", 1), BoardSettings(1, 24)).locks
    assert [n for n, o in locks.items() if o] == [2]
    # the other firmware (first byte = locks 1-8) reads the same bytes as lock 18
    locks = C8.decode_reply(frame, Expect("status_all", 1), BoardSettings(1, 24, "first-byte-low")).locks
    assert [n for n, o in locks.items() if o] == [18]
    # and with bit value 0 = open, every lock but 2 is open
    locks = C8.decode_reply(frame, Expect("status_all", 1), BoardSettings(1, 24, open_bit=0)).locks
    assert [n for n, o in locks.items() if not o] == [2]


def test_8a80_status_all_too_few_status_bytes_for_the_board() -> None:
    frame = h("80 01 02 33") + bytes([bcc(h("80 01 02 33"))])
    with pytest.raises(ProtocolError, match="needs 3"):
        C8.decode_reply(frame, Expect("status_all", 1), BoardSettings(1, 24))


def test_8a80_find_reply_skips_junk_and_bad_frames() -> None:
    s = BoardSettings(1, 24)
    good = h("80 01 00 00 02 33 B0")
    e = Expect("status_all", 1)
    found = C8.find_reply(h("FA FD 99 99") + good, e, s)
    assert found is not None and found.frame == good and found.start == 4
    # junk holding header bytes, then a frame with a bad checksum, then the good one
    found = C8.find_reply(h("80 8A 33") + h("80 01 00 00 02 33 B1") + good, e, s)
    assert found is not None and found.frame == good
    assert C8.find_reply(h("80 01 00 00 02 33 B1"), e, s) is None  # bad checksum only: no reply
    assert C8.find_reply(good[:-1], e, s) is None  # incomplete


# -- kerong-cu ----------------------------------------------------------------------------------
def test_kerong_requests_match_reference_bytes() -> None:
    assert CK.encode_status_all(0) == h("02 00 30 03 35")
    assert CK.encode_open(0, 1) == h("02 00 31 03 36")  # reference "board 0 lock 0" = our lock 1
    assert CK.encode_open(1, 2) == h("02 11 31 03 47")  # reference "board 1 lock 1" = our lock 2
    assert CK.encode_status_all(1) == h("02 10 30 03 45")


def test_kerong_rejects_the_public_example_with_the_wrong_checksum() -> None:
    with pytest.raises(ChecksumError, match="expected 45"):
        CK.decode_request(h("02 10 30 03 3E"))
    assert CK.decode_request(h("02 10 30 03 45")).board == 1


def _kreply(addr: int, cmd: int, h1: int, h2: int, ir1: int = 0, ir2: int = 0) -> bytes:
    body = bytes([0x02, addr, cmd, h1, h2, ir1, ir2, 0x03])
    return body + bytes([ksum(body)])


def test_kerong_status_reply_hooks_and_infrared() -> None:
    s = BoardSettings(0, 16)
    r = CK.decode_reply(_kreply(0x00, 0x30, 0b0000_0101, 0b1000_0000, ir1=0b10), Expect("status_all", 0), s)
    assert [n for n, o in r.locks.items() if o] == [1, 3, 16]
    assert r.present is not None and [n for n, p in r.present.items() if p] == [2]


def test_kerong_unlock_reply() -> None:
    s = BoardSettings(1, 16)
    frame = _kreply(0x11, 0x31, 0b10, 0)  # lock 2 reads open after the pulse
    assert CK.decode_reply(frame, Expect("open", 1, 2), s).opened is True
    assert CK.decode_reply(_kreply(0x11, 0x31, 0, 0), Expect("open", 1, 2), s).opened is False
    with pytest.raises(ProtocolError):
        CK.decode_reply(frame, Expect("open", 1, 3), s)
    bad = frame[:-1] + bytes([frame[-1] ^ 1])
    with pytest.raises(ChecksumError):
        CK.decode_reply(bad, Expect("open", 1, 2), s)


def test_address_ranges_are_checked() -> None:
    with pytest.raises(ProtocolError):
        CK.encode_open(16, 1)
    with pytest.raises(ProtocolError):
        CK.encode_open(0, 17)
    with pytest.raises(ProtocolError):
        C8.encode_open(0, 1)
    with pytest.raises(ProtocolError):
        get_codec("modbus")


# -- properties ---------------------------------------------------------------------------------
board_settings = st.builds(
    lambda locks, order, bit: (locks, order, bit),
    st.integers(1, 50), st.sampled_from(["last-byte-low", "first-byte-low"]), st.sampled_from([0, 1]),
)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), spec=board_settings, extra=st.integers(0, 2), board=st.integers(1, 32))
def test_8a80_status_round_trip(data: st.DataObject, spec: tuple[int, str, int], extra: int, board: int) -> None:
    locks, order, bit = spec
    s = BoardSettings(board, locks, order, bit)
    state = {n: data.draw(st.booleans()) for n in range(1, locks + 1)}
    nbytes = min(8, (locks + 7) // 8 + extra)
    body = bytes([0x80, board]) + locks_to_bits(state, nbytes, s, order) + b"\x33"
    frame = body + bytes([bcc(body)])
    assert C8.decode_reply(frame, Expect("status_all", board), s).locks == state
    junk = bytes(data.draw(st.lists(st.integers(0, 0x7F), max_size=8)))
    found = C8.find_reply(junk + frame, Expect("status_all", board), s)
    assert found is not None and C8.decode_reply(found.frame, Expect("status_all", board), s).locks == state


@settings(max_examples=200, deadline=None)
@given(data=st.data(), locks=st.integers(1, 16), order=st.sampled_from(["last-byte-low", "first-byte-low"]),
       bit=st.sampled_from([0, 1]), board=st.integers(0, 15))
def test_kerong_status_round_trip(data: st.DataObject, locks: int, order: str, bit: int, board: int) -> None:
    s = BoardSettings(board, locks, order, bit)
    state = {n: data.draw(st.booleans()) for n in range(1, locks + 1)}
    hooks = locks_to_bits(state, 2, s, order)
    frame = _kreply(board << 4, 0x30, hooks[0], hooks[1])
    assert CK.decode_reply(frame, Expect("status_all", board), s).locks == state


@given(protocol=st.sampled_from(["8a80", "kerong-cu"]), board=st.integers(0, 32), lock=st.integers(1, 50))
def test_request_round_trip(protocol: str, board: int, lock: int) -> None:
    codec = get_codec(protocol)
    try:
        frame = codec.encode_open(board, lock)
    except ProtocolError:
        assert not (codec.min_address <= board <= codec.max_address and lock <= codec.max_locks)
        return
    req = codec.decode_request(frame)
    assert (req.kind, req.board, req.lock) == ("open", board, lock)
    assert codec.decode_request(codec.encode_status_all(board)).kind == "status_all"
