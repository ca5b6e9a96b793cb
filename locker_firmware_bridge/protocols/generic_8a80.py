"""The generic "8A/80" RS485 lock-board protocol (reference §1): codec and registry entry.

Frames: `HEAD BOARD LOCK FUNC BCC`, BCC = XOR of all earlier bytes.
- open one `8A BB LL 11`, open all `8A BB 00 11`; reply `8A BB LL SS BCC`, SS `00` = opened and
  `11` = not opened for "closing feedback" locks (inverted for "opening feedback").
- status of one lock `80 BB LL 33`; reply `80 BB LL SS BCC`, SS `11` = closed, `00` = open.
- status of all `80 BB 00 33`; reply `80 BB S.. 33 BCC`: at least ceil(locks/8) status bytes
  (some firmware sends more: an 8-lock board answers with 3), one bit per lock, byte order and
  polarity per board.
- open several (bitmap) `90 BB b.. BCC`.
- keep a lock powered `9A BB LL 11`, switch it off again `9B BB LL 11` (the host sends the
  latter for every lock at start-up: no output stays on after a crash). The reference gives no
  reply for it, so any 5-byte `9B BB LL .. BCC` frame counts as one, and none is fine too.
"""

from __future__ import annotations

from functools import reduce

from locker_firmware_bridge.codec import Codec, Expect, Found, Reply, Request, bits_to_locks
from locker_firmware_bridge.errors import ChecksumError, ProtocolError
from locker_firmware_bridge.protocol import EmulatorProfile, LockBoardProtocol, StatusDefaults
from locker_firmware_bridge.settings import BoardSettings

OPEN = 0x8A
STATUS = 0x80
BITMAP = 0x90
HOLD = 0x9A
HOLD_OFF = 0x9B
FUNC_OPEN = 0x11
FUNC_STATUS = 0x33
LOCKED = 0x11
UNLOCKED = 0x00
MAX_STATUS_BYTES = 8


def bcc(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def _frame(*body: int) -> bytes:
    raw = bytes(body)
    return raw + bytes([bcc(raw)])


class Codec8A80(Codec):
    reply_headers = frozenset({OPEN, STATUS})

    def checksum(self, data: bytes) -> int:
        return bcc(data)

    def encode_status_all(self, board: int, locks: int | None = None) -> bytes:
        self.check_address(board)
        return _frame(STATUS, board, 0x00, FUNC_STATUS)

    def encode_status_one(self, board: int, lock: int) -> bytes:
        self.check_address(board, lock)
        return _frame(STATUS, board, lock, FUNC_STATUS)

    def encode_open(self, board: int, lock: int) -> bytes:
        self.check_address(board, lock)
        return _frame(OPEN, board, lock, FUNC_OPEN)

    def encode_open_all(self, board: int, locks: int | None = None) -> bytes:
        self.check_address(board)
        return _frame(OPEN, board, 0x00, FUNC_OPEN)

    def encode_open_bitmap(self, board: int, locks: set[int], nbytes: int = 3) -> bytes:
        """`90 BB b.. BCC`, the byte holding locks 1-8 last (e.g. locks 2, 10, 18 -> 90 01 02 02 02 93)."""
        self.check_address(board)
        out = bytearray(nbytes)
        for lock in locks:
            if not 1 <= lock <= nbytes * 8:
                raise ProtocolError(f"8a80: lock {lock} does not fit a {nbytes}-byte bitmap")
            out[nbytes - 1 - (lock - 1) // 8] |= 1 << ((lock - 1) % 8)
        return _frame(BITMAP, board, *out)

    def encode_output_off(self, board: int, lock: int) -> bytes:
        self.check_address(board, lock)
        return _frame(HOLD_OFF, board, lock, FUNC_OPEN)

    def find_output_off_reply(self, buf: bytes, board: int, lock: int) -> Found | None:
        for start in range(len(buf) - 4):
            frame = bytes(buf[start:start + 5])
            if frame[:3] == bytes([HOLD_OFF, board, lock]) and bcc(frame[:-1]) == frame[-1]:
                return Found(frame, start, start + 5)
        return None

    @staticmethod
    def _check(frame: bytes, min_len: int) -> None:
        if len(frame) < min_len:
            raise ProtocolError(f"8a80: frame of {len(frame)} bytes is too short (at least {min_len})")
        if bcc(frame[:-1]) != frame[-1]:
            raise ChecksumError(
                f"8a80: bad checksum {frame[-1]:02X} in {frame.hex(' ').upper()} (expected {bcc(frame[:-1]):02X})"
            )

    def decode_request(self, frame: bytes) -> Request:
        frame = bytes(frame)
        self._check(frame, 5)
        head, board = frame[0], frame[1]
        if head == BITMAP:
            return Request("open_bitmap", board)
        if len(frame) != 5:
            raise ProtocolError(f"8a80: request of {len(frame)} bytes (expected 5)")
        lock, func = frame[2], frame[3]
        if head == OPEN and func == FUNC_OPEN:
            return Request("open_all" if lock == 0 else "open", board, lock)
        if head == STATUS and func == FUNC_STATUS:
            return Request("status_all" if lock == 0 else "status_one", board, lock)
        raise ProtocolError(f"8a80: unknown request {frame.hex(' ').upper()}")

    def decode_reply(self, frame: bytes, expect: Expect, settings: BoardSettings) -> Reply:
        frame = bytes(frame)
        self._check(frame, 5)
        head, board = frame[0], frame[1]
        if board != expect.board:
            raise ProtocolError(f"8a80: reply from board {board}, expected board {expect.board}")
        if expect.kind == "open":
            if head != OPEN or len(frame) != 5 or frame[2] != expect.lock:
                raise ProtocolError(f"8a80: {frame.hex(' ').upper()} is not an open reply for lock {expect.lock}")
            state = frame[3]
            if state not in (LOCKED, UNLOCKED):
                raise ProtocolError(f"8a80: open reply state {state:02X} is neither 00 nor 11")
            released = state == UNLOCKED
            if settings.feedback == "opening":
                released = not released
            return Reply("open", board, opened=released)
        if head != STATUS:
            raise ProtocolError(f"8a80: {frame.hex(' ').upper()} is not a status reply")
        if expect.kind == "status_one":
            if len(frame) != 5 or frame[2] != expect.lock or frame[3] not in (LOCKED, UNLOCKED):
                raise ProtocolError(f"8a80: {frame.hex(' ').upper()} is not a status reply for lock {expect.lock}")
            return Reply("status_one", board, locks={expect.lock: frame[3] == UNLOCKED})
        if frame[-2] != FUNC_STATUS:
            raise ProtocolError(f"8a80: status-all reply does not end with 33 before its checksum")
        status = frame[2:-2]
        if not 1 <= len(status) <= MAX_STATUS_BYTES:
            raise ProtocolError(f"8a80: status-all reply with {len(status)} status bytes")
        return Reply("status_all", board,
                     locks=bits_to_locks(status, settings, self.status_order(settings), self.open_bit(settings)))

    def raw_status(self, frame: bytes) -> bytes:
        return bytes(frame[2:-2])

    def _candidate_lengths(self, buf: bytes, start: int, expect: Expect) -> list[int]:
        if expect.kind != "status_all":
            return [5]
        # 80 BB + n status bytes + 33 + BCC; the shortest valid candidate wins, so a checksum
        # match is required and at least the board's status bytes (checked by decode_reply).
        return [4 + n for n in range(1, MAX_STATUS_BYTES + 1)]


PROTOCOL = LockBoardProtocol(
    name="8a80",
    title='generic "8A/80" RS485 lock board (XOR checksum)',
    codec=Codec8A80,
    default_baud=9600,
    bauds=(9600,),  # the only rate the reference documents
    min_address=1,
    max_address=32,  # DIP switch 1-31, some firmware 1-32
    max_locks=50,
    default_locks=24,
    status=StatusDefaults(status_order="last-byte-low", open_bit=1),  # `80 01 00 00 02 33 B0` = lock 2 open
    emulator=EmulatorProfile(firmware="hw_sim.locker.firmware:Firmware8A80", boards="1:24"),
)
