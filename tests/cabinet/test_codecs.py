"""Codecs against every byte example of the reference (shared/reference/locker-protocols.md and
the Modbus-RTU facts), plus properties that run over EVERY registered protocol (a new protocol
module is covered without editing this file): requests round-trip at the lowest and highest
board address, and replies built by the protocol's own emulator firmware (an independent
implementation, found through the registry's emulator profile) decode to the doors' states."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from hw_sim.locker.boards import SimBoard
from hw_sim.locker.firmware import firmware_for
from locker_firmware_bridge.codec import Expect, get_codec, locks_to_bits
from locker_firmware_bridge.errors import BoardRefused, ChecksumError, ProtocolError
from locker_firmware_bridge.protocols import get_protocol, protocol_names, protocols
from locker_firmware_bridge.protocols.generic_8a80 import bcc
from locker_firmware_bridge.protocols.kerong_cu import checksum as ksum
from locker_firmware_bridge.protocols.modbus_rtu import crc16, with_crc
from locker_firmware_bridge.settings import BoardSettings

C8 = get_codec("8a80")
CK = get_codec("kerong-cu")
CM = get_codec("modbus-rtu")
PROTOCOLS = protocols()


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


@given(protocol=st.sampled_from(protocol_names()), board=st.integers(0, 248), lock=st.integers(1, 50))
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


# -- modbus-rtu ---------------------------------------------------------------------------------
def test_modbus_crc_matches_the_reference_example() -> None:
    assert with_crc(h("01 05 00 02 FF 00")) == h("01 05 00 02 FF 00 2D FA")
    assert CM.encode_open(1, 3) == h("01 05 00 02 FF 00 2D FA")  # lock 3 = coil 2


def test_modbus_requests() -> None:
    assert CM.encode_status_all(1, 24)[:6] == h("01 02 00 00 00 18")
    assert CM.encode_status_one(247, 5)[:6] == h("F7 02 00 04 00 01")
    assert CM.encode_output_off(2, 1)[:6] == h("02 05 00 00 00 00")
    assert CM.encode_open_all(1, 10)[:9] == h("01 0F 00 00 00 0A 02 FF 03")
    assert CM.decode_request(CM.encode_open(7, 12)).lock == 12
    assert CM.decode_request(CM.encode_open_all(1, 10)).kind == "open_all"
    with pytest.raises(ChecksumError, match="expected 2D FA"):
        CM.decode_request(h("01 05 00 02 FF 00 2D FB"))
    with pytest.raises(ProtocolError):
        CM.encode_open(0, 1)  # 0 is broadcast: never an address of ours
    with pytest.raises(ProtocolError):
        CM.encode_open(248, 1)


def test_modbus_status_and_open_replies() -> None:
    s = BoardSettings(3, 10)
    reply = with_crc(h("03 02 02 05 02"))  # inputs 0, 2, 9 set: locks 1, 3, 10 open
    assert [n for n, o in CM.decode_reply(reply, Expect("status_all", 3), s).locks.items() if o] == [1, 3, 10]
    inverted = BoardSettings(3, 10, open_bit=0)
    assert [n for n, o in CM.decode_reply(reply, Expect("status_all", 3), inverted).locks.items() if not o] == [1, 3, 10]
    with pytest.raises(ProtocolError, match="expected 2"):  # byte count must fit the board's 10 inputs
        CM.decode_reply(with_crc(h("03 02 01 05")), Expect("status_all", 3), s)
    echo = CM.encode_open(3, 4)
    assert CM.decode_reply(echo, Expect("open", 3, 4), s).opened is True
    with pytest.raises(ProtocolError):  # the echo of another coil is not this reply
        CM.decode_reply(echo, Expect("open", 3, 5), s)
    assert CM.decode_reply(with_crc(h("03 02 01 01")), Expect("status_one", 3, 7), s).locks == {7: True}


@pytest.mark.parametrize("code,text", [(0x01, "illegal function"), (0x02, "illegal data address"),
                                       (0x06, "busy"), (0x42, "unknown exception code")])
def test_modbus_exception_replies_are_clear_refusals(code: int, text: str) -> None:
    frame = with_crc(bytes([9, 0x82, code]))
    with pytest.raises(BoardRefused, match=f"board 9 refused function 02: exception {code:02X}, .*{text}") as info:
        CM.decode_reply(frame, Expect("status_all", 9), BoardSettings(9, 8))
    assert info.value.code == code
    # found in a buffer like any reply (so the link stops waiting), after junk
    found = CM.find_reply(h("FF 00") + frame, Expect("status_all", 9), BoardSettings(9, 8))
    assert found is not None and found.frame == frame and found.start == 2
    with pytest.raises(ProtocolError):  # an exception for another function is not this reply
        CM.decode_reply(with_crc(bytes([9, 0x85, code])), Expect("status_all", 9), BoardSettings(9, 8))


def test_modbus_frames_match_pymodbus() -> None:
    # an independent implementation (test-only dependency) for the CRC and the PDUs
    pytest.importorskip("pymodbus")
    from pymodbus.framer import FramerRTU
    from pymodbus.pdu.bit_message import ReadDiscreteInputsRequest, WriteSingleCoilRequest

    for body in (h("01 05 00 02 FF 00"), h("F7 02 00 00 00 32"), bytes(range(40))):
        assert crc16(body).to_bytes(2, "little") == FramerRTU.compute_CRC(body).to_bytes(2, "big")
    for board, lock in ((1, 1), (247, 50)):
        pdu = WriteSingleCoilRequest(address=lock - 1, bits=[True], dev_id=board).encode()
        assert CM.encode_open(board, lock)[:-2] == bytes([board, 0x05]) + pdu
        pdu = ReadDiscreteInputsRequest(address=0, count=lock, dev_id=board).encode()
        assert CM.encode_status_all(board, lock)[:-2] == bytes([board, 0x02]) + pdu


# -- every registered protocol -------------------------------------------------------------------
def _edges(protocol: str) -> list[int]:
    spec = get_protocol(protocol)
    return [spec.min_address, spec.max_address]


@pytest.mark.parametrize("spec", PROTOCOLS, ids=lambda p: p.name)
def test_protocol_entry_is_complete_and_consistent(spec) -> None:  # noqa: ANN001
    codec = spec.make_codec()
    assert codec.name == spec.name and codec.protocol is spec
    assert spec.default_baud in spec.bauds and 1 <= spec.default_locks <= spec.max_locks <= 50
    assert spec.status.status_order in ("last-byte-low", "first-byte-low") and spec.status.open_bit in (0, 1)
    firmware = firmware_for(spec.name)  # the emulator profile names a firmware that exists
    assert callable(firmware.take_request) and callable(firmware.handle)
    for bad in (spec.min_address - 1, spec.max_address + 1):
        with pytest.raises(ProtocolError, match="outside"):
            codec.encode_open(bad, 1)
    with pytest.raises(ProtocolError):
        codec.encode_open(spec.min_address, spec.max_locks + 1)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), spec=st.sampled_from(PROTOCOLS))
def test_replies_from_the_emulator_firmware_decode_to_the_doors(data: st.DataObject, spec) -> None:  # noqa: ANN001
    codec = spec.make_codec()
    firmware = firmware_for(spec.name)
    board = data.draw(st.sampled_from(_edges(spec.name)), label="board")
    locks = data.draw(st.integers(1, spec.max_locks), label="locks")
    order = data.draw(st.sampled_from(spec.status.orders), label="order")
    open_bit = data.draw(st.sampled_from([0, 1]), label="open_bit")
    sim = SimBoard(board, locks, order, open_bit)
    state = {n: data.draw(st.booleans()) for n in range(1, locks + 1)}
    for n, is_open in state.items():
        sim.door(n).open = is_open
    settings_ = BoardSettings(board, locks, order, open_bit)
    request = codec.encode_status_all(board, locks)
    taken, used = firmware.take_request(request)
    assert taken == request and used == len(request)
    address, reply = firmware.handle(request, {board: sim})
    assert address == board and reply is not None
    junk = bytes(data.draw(st.lists(st.integers(0x40, 0x7F), max_size=6), label="junk"))  # no header bytes
    found = codec.find_reply(junk + reply, Expect("status_all", board), settings_)
    assert found is not None and found.frame == reply
    assert codec.decode_reply(reply, Expect("status_all", board), settings_).locks == state
    assert codec.locks_reported(reply) >= locks
    # an open: the firmware pulses exactly that lock and the codec reads its reply
    lock = data.draw(st.integers(1, locks), label="lock")
    sim.door(lock).open = False
    _, reply = firmware.handle(codec.encode_open(board, lock), {board: sim})
    assert reply is not None and sim.door(lock).releases == 1
    assert codec.decode_reply(reply, Expect("open", board, lock), settings_).opened is True
