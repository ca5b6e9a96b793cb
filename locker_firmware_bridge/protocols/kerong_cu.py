"""Kerong KR-CU (CU12/CU16) lock-board protocol (reference §2): codec and registry entry.

Frames: `STX(02) ADDR CMD ETX(03) SUM`, SUM = low byte of the sum of all earlier bytes.
ADDR: high nibble = board (0-15), low nibble = lock on the wire (0-15) = our 1-based lock - 1.
Commands: `30` status, `31` unlock, `33` unlock all.
Status reply (9 bytes): `02 ADDR CMD H1 H2 IR1 IR2 03 SUM`; H1/H2 hook bitmaps (locks 1-8 in H1
by default, i.e. "first-byte-low"), IR1/IR2 item-presence bitmaps (1 = something inside).
An unlock is answered with the same 9-byte status frame (CMD `31`) taken after the pulse; the
lock counts as released when its hook bit reads open (inverted for "opening feedback" locks).
This is the behaviour of the units we model; see docs/adr/0011.
"""

from __future__ import annotations

from locker_firmware_bridge.codec import Codec, Expect, Reply, Request, bits_to_locks
from locker_firmware_bridge.errors import ChecksumError, ProtocolError
from locker_firmware_bridge.protocol import EmulatorProfile, LockBoardProtocol, StatusDefaults
from locker_firmware_bridge.settings import BoardSettings

STX = 0x02
ETX = 0x03
CMD_STATUS = 0x30
CMD_UNLOCK = 0x31
CMD_STATUS_BUS = 0x32
CMD_UNLOCK_ALL = 0x33
REPLY_LEN = 9


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def _frame(*body: int) -> bytes:
    raw = bytes(body)
    return raw + bytes([checksum(raw)])


class CodecKerong(Codec):
    reply_headers = frozenset({STX})

    def checksum(self, data: bytes) -> int:
        return checksum(data)

    def encode_status_all(self, board: int, locks: int | None = None) -> bytes:
        self.check_address(board)
        return _frame(STX, board << 4, CMD_STATUS, ETX)

    def encode_status_one(self, board: int, lock: int) -> bytes:
        # The board answers any status request with all its locks.
        self.check_address(board, lock)
        return _frame(STX, (board << 4) | (lock - 1), CMD_STATUS, ETX)

    def encode_open(self, board: int, lock: int) -> bytes:
        self.check_address(board, lock)
        return _frame(STX, (board << 4) | (lock - 1), CMD_UNLOCK, ETX)

    def encode_open_all(self, board: int, locks: int | None = None) -> bytes:
        self.check_address(board)
        return _frame(STX, board << 4, CMD_UNLOCK_ALL, ETX)

    @staticmethod
    def _check(frame: bytes, length: int) -> None:
        if len(frame) != length:
            raise ProtocolError(f"kerong-cu: frame of {len(frame)} bytes (expected {length})")
        if frame[0] != STX or frame[-2] != ETX:
            raise ProtocolError(f"kerong-cu: {frame.hex(' ').upper()} lacks STX 02 / ETX 03")
        if checksum(frame[:-1]) != frame[-1]:
            raise ChecksumError(
                f"kerong-cu: bad checksum {frame[-1]:02X} in {frame.hex(' ').upper()} "
                f"(expected {checksum(frame[:-1]):02X})"
            )

    def decode_request(self, frame: bytes) -> Request:
        frame = bytes(frame)
        self._check(frame, 5)
        addr, cmd = frame[1], frame[2]
        board, lock = addr >> 4, (addr & 0x0F) + 1
        kinds = {CMD_STATUS: "status_all", CMD_UNLOCK: "open", CMD_UNLOCK_ALL: "open_all", CMD_STATUS_BUS: "status_bus"}
        if cmd not in kinds:
            raise ProtocolError(f"kerong-cu: unknown command {cmd:02X}")
        return Request(kinds[cmd], board, lock if cmd == CMD_UNLOCK else 0)

    def decode_reply(self, frame: bytes, expect: Expect, settings: BoardSettings) -> Reply:
        frame = bytes(frame)
        self._check(frame, REPLY_LEN)
        addr, cmd = frame[1], frame[2]
        board = addr >> 4
        if board != expect.board:
            raise ProtocolError(f"kerong-cu: reply from board {board}, expected board {expect.board}")
        want = CMD_UNLOCK if expect.kind == "open" else CMD_STATUS
        if cmd != want:
            raise ProtocolError(f"kerong-cu: reply command {cmd:02X}, expected {want:02X}")
        order = self.status_order(settings)
        locks = bits_to_locks(frame[3:5], settings, order, self.open_bit(settings))
        present = bits_to_locks(frame[5:7], settings, order, 1)  # infrared: 1 = something inside
        if expect.kind == "open":
            if (addr & 0x0F) + 1 != expect.lock:
                raise ProtocolError(f"kerong-cu: unlock reply for lock {(addr & 0x0F) + 1}, expected {expect.lock}")
            released = locks.get(expect.lock, False)
            if settings.feedback == "opening":
                released = not released
            return Reply("open", board, locks=locks, present=present, opened=released)
        return Reply(expect.kind, board, locks=locks, present=present)

    def _candidate_lengths(self, buf: bytes, start: int, expect: Expect) -> list[int]:
        return [REPLY_LEN]

    def raw_status(self, frame: bytes) -> bytes:
        return bytes(frame[3:5])  # H1 H2 (the infrared bytes are not door sensors)


PROTOCOL = LockBoardProtocol(
    name="kerong-cu",
    title="Kerong KR-CU (CU12/CU16), STX/ETX frames with a sum checksum",
    codec=CodecKerong,
    default_baud=19200,
    bauds=(19200, 9600, 57600, 115200),  # factory default first, then the selectable rates (command 0x40)
    min_address=0,
    max_address=15,
    max_locks=16,
    default_locks=16,
    # today's default reads hook bit 1 as open; one field implementation reads 1 as locked:
    # `kiosk setup` detects it per board (docs/adr/0121)
    status=StatusDefaults(status_order="first-byte-low", open_bit=1),
    emulator=EmulatorProfile(firmware="hw_sim.locker.firmware:FirmwareKerong", boards="0:16"),
    capabilities=frozenset({"item_sensor"}),
)
