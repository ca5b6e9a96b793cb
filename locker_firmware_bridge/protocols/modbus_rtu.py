"""Modbus-RTU lock boards (as Open-Locker's boards speak): codec and registry entry.

- Slave address = board (1-247; 0 is broadcast, never used here). Lock N = coil N-1, door
  sensor N = discrete input N-1 (1 = open by default).
- Open: 05 write single coil, value `FF 00` (the board drops the output itself after its pulse);
  the reply echoes the request. Open all: 0F write multiple coils, all ON.
- Status: 02 read discrete inputs from 0, quantity = the board's lock count; reply
  `addr 02 bytecount bits.. CRC`, bit 0 of the first byte = input 0 (= lock 1): "first-byte-low".
- Output off (start-up): 05 with value `00 00`, echoed.
- Exception reply: `addr func|0x80 code CRC` -> `BoardRefused` naming the code (01 illegal
  function, 02 illegal data address, ...).
- CRC-16/MODBUS (reflected poly 0xA001, init 0xFFFF), low byte first: `01 05 00 02 FF 00` -> `2D FA`.
- Frames are separated by at least 3.5 character times of silence, 1.75 ms above 19200 baud
  (`min_gap_s`; the link adds its 3.5-character floor).
See docs/protocols/lock-boards.md and docs/adr/0122.
"""

from __future__ import annotations

from locker_firmware_bridge.codec import Codec, Expect, Found, Reply, Request, bits_to_locks
from locker_firmware_bridge.errors import BoardRefused, ChecksumError, ProtocolError
from locker_firmware_bridge.protocol import EmulatorProfile, LockBoardProtocol, StatusDefaults
from locker_firmware_bridge.settings import BoardSettings

READ_COILS = 0x01
READ_INPUTS = 0x02
WRITE_COIL = 0x05
WRITE_COILS = 0x0F
ON = b"\xFF\x00"
OFF = b"\x00\x00"
EXCEPTIONS = {
    0x01: "illegal function (the board does not support this command)",
    0x02: "illegal data address (no such lock/input on this board)",
    0x03: "illegal data value",
    0x04: "slave device failure",
    0x05: "acknowledge (busy with a long command)",
    0x06: "slave device busy",
}
DEFAULT_QUANTITY = 8  # inputs read when the caller does not know the board's lock count


def crc16(data: bytes) -> int:
    """CRC-16/MODBUS of `data` (sent low byte first)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(body: bytes) -> bytes:
    crc = crc16(body)
    return body + bytes([crc & 0xFF, crc >> 8])


def _u16(value: int) -> bytes:
    return bytes([value >> 8 & 0xFF, value & 0xFF])


class CodecModbus(Codec):
    sized_by_request = True

    def checksum(self, data: bytes) -> int:
        return crc16(data)

    def encode_status_all(self, board: int, locks: int | None = None) -> bytes:
        self.check_address(board)
        qty = locks or DEFAULT_QUANTITY
        if not 1 <= qty <= self.max_locks:
            raise ProtocolError(f"{self.name}: cannot read {qty} inputs (1-{self.max_locks})")
        return with_crc(bytes([board, READ_INPUTS]) + _u16(0) + _u16(qty))

    def encode_status_one(self, board: int, lock: int) -> bytes:
        self.check_address(board, lock)
        return with_crc(bytes([board, READ_INPUTS]) + _u16(lock - 1) + _u16(1))

    def encode_open(self, board: int, lock: int) -> bytes:
        self.check_address(board, lock)
        return with_crc(bytes([board, WRITE_COIL]) + _u16(lock - 1) + ON)

    def encode_open_all(self, board: int, locks: int | None = None) -> bytes:
        self.check_address(board)
        qty = locks or DEFAULT_QUANTITY
        nbytes = (qty + 7) // 8
        bits = bytearray(b"\xFF" * nbytes)
        if qty % 8:
            bits[-1] = (1 << qty % 8) - 1
        return with_crc(bytes([board, WRITE_COILS]) + _u16(0) + _u16(qty) + bytes([nbytes]) + bits)

    def encode_output_off(self, board: int, lock: int) -> bytes:
        self.check_address(board, lock)
        return with_crc(bytes([board, WRITE_COIL]) + _u16(lock - 1) + OFF)

    def find_output_off_reply(self, buf: bytes, board: int, lock: int) -> Found | None:
        echo = self.encode_output_off(board, lock)
        at = bytes(buf).find(echo)
        return Found(echo, at, at + len(echo)) if at >= 0 else None

    def _check(self, frame: bytes, min_len: int) -> None:
        if len(frame) < min_len:
            raise ProtocolError(f"{self.name}: frame of {len(frame)} bytes is too short (at least {min_len})")
        want = crc16(frame[:-2])
        got = frame[-2] | frame[-1] << 8
        if want != got:
            raise ChecksumError(f"{self.name}: bad CRC {frame[-2]:02X} {frame[-1]:02X} in {frame.hex(' ').upper()} "
                                f"(expected {want & 0xFF:02X} {want >> 8:02X})")

    def decode_request(self, frame: bytes) -> Request:
        frame = bytes(frame)
        self._check(frame, 8)
        board, func = frame[0], frame[1]
        start = frame[2] << 8 | frame[3]
        if func == READ_INPUTS and len(frame) == 8:
            return Request("status_all" if start == 0 else "status_one", board, 0 if start == 0 else start + 1)
        if func == WRITE_COIL and len(frame) == 8:
            if frame[4:6] == ON:
                return Request("open", board, start + 1)
            if frame[4:6] == OFF:
                return Request("other", board, start + 1)
            raise ProtocolError(f"{self.name}: coil value {frame[4:6].hex(' ').upper()} is neither FF 00 nor 00 00")
        if func == WRITE_COILS and len(frame) == 9 + frame[6]:
            return Request("open_all" if start == 0 else "open_bitmap", board)
        if func == READ_COILS and len(frame) == 8:
            return Request("other", board)
        raise ProtocolError(f"{self.name}: unknown request {frame.hex(' ').upper()}")

    def decode_reply(self, frame: bytes, expect: Expect, settings: BoardSettings) -> Reply:
        frame = bytes(frame)
        self._check(frame, 5)
        board, func = frame[0], frame[1]
        if board != expect.board:
            raise ProtocolError(f"{self.name}: reply from board {board}, expected board {expect.board}")
        want = WRITE_COIL if expect.kind == "open" else READ_INPUTS
        if func == want | 0x80:
            if len(frame) != 5:
                raise ProtocolError(f"{self.name}: exception reply of {len(frame)} bytes (expected 5)")
            code = frame[2]
            what = EXCEPTIONS.get(code, "unknown exception code")
            raise BoardRefused(f"{self.name}: board {board} refused function {want:02X}: exception {code:02X}, {what}",
                               code)
        if func != want:
            raise ProtocolError(f"{self.name}: reply function {func:02X}, expected {want:02X}")
        if expect.kind == "open":
            if len(frame) != 8 or (frame[2] << 8 | frame[3]) != expect.lock - 1:
                raise ProtocolError(f"{self.name}: {frame.hex(' ').upper()} is not the echo of an open of lock "
                                    f"{expect.lock}")
            if frame[4:6] != ON:
                raise ProtocolError(f"{self.name}: open echo with coil value {frame[4:6].hex(' ').upper()}")
            # the board accepted the pulse; whether the door moved, its sensor tells
            return Reply("open", board, opened=True)
        count = frame[2]
        if len(frame) != 5 + count:
            raise ProtocolError(f"{self.name}: read reply of {len(frame)} bytes with byte count {count}")
        bits = frame[3:3 + count]
        if expect.kind == "status_one":
            if count != 1:
                raise ProtocolError(f"{self.name}: single-input reply with {count} data bytes")
            return Reply("status_one", board, locks={expect.lock: (bits[0] & 1) == self.open_bit(settings)})
        need = (settings.locks + 7) // 8
        if count != need:
            raise ProtocolError(f"{self.name}: {count} data byte(s) for {settings.locks} inputs (expected {need})")
        return Reply("status_all", board,
                     locks=bits_to_locks(bits, settings, self.status_order(settings), self.open_bit(settings)))

    def is_header(self, byte: int, expect: Expect) -> bool:
        return byte == expect.board

    def _candidate_lengths(self, buf: bytes, start: int, expect: Expect) -> list[int]:
        if start + 1 < len(buf) and buf[start + 1] & 0x80:
            return [5]
        if expect.kind == "open":
            return [8]
        if start + 2 < len(buf):
            return [5 + buf[start + 2]]
        return []

    def raw_status(self, frame: bytes) -> bytes:
        return bytes(frame[3:-2])

    def locks_reported(self, frame: bytes) -> int:
        # a read reply pads to whole bytes; the exact count comes from probing (sized_by_request)
        return min(len(self.raw_status(frame)) * 8, self.max_locks)


PROTOCOL = LockBoardProtocol(
    name="modbus-rtu",
    title="Modbus-RTU lock board (coils = locks, discrete inputs = door sensors, CRC-16)",
    codec=CodecModbus,
    default_baud=9600,
    bauds=(9600, 19200, 38400, 115200),
    min_address=1,
    max_address=247,
    max_locks=50,  # the station's limit per board (BoardSettings); Modbus itself allows 2000 inputs
    default_locks=16,
    status=StatusDefaults(status_order="first-byte-low", open_bit=1),  # input 0 = bit 0 of the first byte
    emulator=EmulatorProfile(firmware="hw_sim.locker.firmware_modbus:FirmwareModbus", boards="1:16"),
    min_gap_s=0.00175,
)
