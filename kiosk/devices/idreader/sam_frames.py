"""The SAM module's frame protocol (host side): build request frames, read and check reply
frames, and map every status byte (SW3) to a completion code.

Request:  AA AA AA 96 69 | LEN(2, BE) | CMD | PARA | DATA | CHK
Reply:    AA AA AA 96 69 | LEN(2, BE) | SW1 SW2 SW3 | DATA | CHK
LEN counts every byte after itself, CHK included; CHK = XOR of every byte after the preamble
except CHK. Pure code over a `read(n)` callable (pyserial's `Serial.read` fits), so the codec is
tested without a port.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.devices.base import ResultCode

PREAMBLE = bytes.fromhex("AAAAAA9669")
MAX_LEN = 4096  # longest reply we accept (read base info is 1288; fingerprint variants ~2.3 kB)
MAX_GARBAGE = 8192  # bytes skipped looking for a preamble before giving up

# (CMD, PARA) of the commands we use
SAM_STATUS = (0x11, 0xFF)
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_BASE_INFO = (0x30, 0x01)
SET_MAX_RF_BYTES = (0x61, 0xFF)

SW3_OK = 0x90
SW3_FIND_OK = 0x9F
SW3_NO_CARD = 0x80
SW3_SELECT_FAILED = 0x81

# Every status byte the module can return (GA 467 and the reference) -> (code, what it means).
SW3_TABLE: dict[int, tuple[ResultCode, str]] = {
    0x90: (ResultCode.SUCCESS, "success"),
    0x9F: (ResultCode.SUCCESS, "card found"),
    0x10: (ResultCode.HARDWARE_ERROR, "module received a frame with a bad checksum"),
    0x11: (ResultCode.HARDWARE_ERROR, "module received a frame with a bad length"),
    0x21: (ResultCode.UNSUPPORTED, "module does not know the command"),
    0x23: (ResultCode.HARDWARE_ERROR, "operation not permitted by the module"),
    0x24: (ResultCode.HARDWARE_ERROR, "module reports an unrecognised error"),
    0x31: (ResultCode.FRAUD_ATTEMPT, "card failed to authenticate the reader"),
    0x32: (ResultCode.FRAUD_ATTEMPT, "card data failed verification"),
    0x33: (ResultCode.FRAUD_ATTEMPT, "reader failed to authenticate the card"),
    0x40: (ResultCode.INVALID_DATA, "not a resident ID card (unknown card type)"),
    0x41: (ResultCode.USER_ERROR, "reading the card failed (was it moved?)"),
    0x47: (ResultCode.HARDWARE_ERROR, "getting a random number from the card failed"),
    0x60: (ResultCode.HARDWARE_ERROR, "SAM self-test failed"),
    0x66: (ResultCode.HARDWARE_ERROR, "SAM not authorised"),
    0x80: (ResultCode.TIMEOUT, "no card in the field"),
    0x81: (ResultCode.USER_ERROR, "selecting the card failed (was it moved?)"),
    0x91: (ResultCode.INVALID_DATA, "the card has no such content"),
}


def sw3_meaning(sw3: int) -> tuple[ResultCode, str]:
    return SW3_TABLE.get(sw3, (ResultCode.HARDWARE_ERROR, f"unknown module status 0x{sw3:02X}"))


class FrameError(Exception):
    """A reply that cannot be used. `kind`: no_reply | truncated | bad_length | bad_checksum | garbage."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


@dataclass(frozen=True)
class Reply:
    sw1: int
    sw2: int
    sw3: int
    data: bytes

    @property
    def ok(self) -> bool:
        return self.sw3 in (SW3_OK, SW3_FIND_OK)


def xor_checksum(data: bytes) -> int:
    chk = 0
    for b in data:
        chk ^= b
    return chk


def build_frame(body: bytes) -> bytes:
    """Frame any body (CMD PARA DATA for requests, SW1..DATA for replies)."""
    length = len(body) + 1
    if length > 0xFFFF:
        raise ValueError("frame body too long")
    head = length.to_bytes(2, "big") + body
    return PREAMBLE + head + bytes([xor_checksum(head)])


def build_request(cmd: tuple[int, int], data: bytes = b"") -> bytes:
    return build_frame(bytes(cmd) + data)


def read_reply(read: Callable[[int], bytes], timeout: float) -> Reply:
    """Read one reply frame. Skips noise before the preamble; raises FrameError on anything else.
    `read(n)` returns up to n bytes (fewer or none when its own short timeout passes)."""
    deadline = time.monotonic() + timeout

    def take(n: int, what: str) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = read(n - len(buf))
            if chunk:
                buf += chunk
            elif time.monotonic() > deadline:
                kind = "no_reply" if what == "preamble" and not buf else "truncated"
                raise FrameError(kind, f"{what}: got {len(buf)} of {n} bytes within {timeout:g} s")
        return buf

    window = b""
    skipped = 0
    while True:  # hunt for the preamble byte by byte
        window = (window + take(1, "preamble" if not skipped and not window else "preamble (after noise)"))[-5:]
        if window == PREAMBLE:
            break
        skipped += 1
        if skipped > MAX_GARBAGE:
            raise FrameError("garbage", f"no frame preamble in {MAX_GARBAGE} bytes")
    length_bytes = take(2, "length")
    length = int.from_bytes(length_bytes, "big")
    if length < 4 or length > MAX_LEN:
        raise FrameError("bad_length", f"reply LEN {length} outside 4..{MAX_LEN}")
    rest = take(length, f"reply body (LEN {length})")
    body, chk = rest[:-1], rest[-1]
    expected = xor_checksum(length_bytes + body)
    if chk != expected:
        raise FrameError("bad_checksum", f"reply checksum 0x{chk:02X}, computed 0x{expected:02X}")
    return Reply(body[0], body[1], body[2], body[3:])
