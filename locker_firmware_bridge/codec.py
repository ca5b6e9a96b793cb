"""The codec interface every board protocol implements, and the protocol registry.

A codec turns board operations into request frames and reply bytes into facts. It is pure
(no I/O, no clock). Two kinds of decoding:

- `decode_reply(frame, expect, settings)` / `decode_request(frame)`: strict; the bytes must be
  exactly one valid frame, otherwise `ProtocolError` (`ChecksumError` for a bad checksum).
- `find_reply(buf, expect, settings)`: scans a receive buffer for the first valid reply to the
  request described by `expect`, skipping junk before it; never raises, returns `Found | None`.
  A reply is recognised by its header, its fields and a valid checksum, never by an assumed
  length (an 8a80 status-all reply's length cannot be derived from the lock count).

Lock numbers are 1-based everywhere in this package; a codec maps them to its wire numbering.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

from locker_firmware_bridge.errors import ProtocolError
from locker_firmware_bridge.settings import BoardSettings

ExpectKind = Literal["status_all", "status_one", "open"]


@dataclass(frozen=True)
class Expect:
    """Which reply the host waits for: the request's kind, board and lock."""

    kind: ExpectKind
    board: int
    lock: int = 0


@dataclass(frozen=True)
class Found:
    frame: bytes
    start: int  # bytes of junk before the frame
    end: int  # index just past the frame in the buffer


@dataclass(frozen=True)
class Request:
    kind: str  # status_all | status_one | open | open_all | open_bitmap | other
    board: int
    lock: int = 0


@dataclass(frozen=True)
class Reply:
    """A decoded reply. `locks`: lock -> True if open (status replies and kerong open replies);
    `present`: lock -> item present (kerong infrared), `opened`: for open replies."""

    kind: ExpectKind
    board: int
    locks: dict[int, bool] = field(default_factory=dict)
    present: dict[int, bool] | None = None
    opened: bool | None = None


class Codec(ABC):
    name: str
    default_baud: int
    min_address: int
    max_address: int
    max_locks: int
    default_status_order: str
    reply_headers: frozenset[int]

    @abstractmethod
    def checksum(self, data: bytes) -> int: ...

    @abstractmethod
    def encode_status_all(self, board: int) -> bytes: ...

    @abstractmethod
    def encode_status_one(self, board: int, lock: int) -> bytes: ...

    @abstractmethod
    def encode_open(self, board: int, lock: int) -> bytes: ...

    @abstractmethod
    def encode_open_all(self, board: int) -> bytes: ...

    @abstractmethod
    def decode_request(self, frame: bytes) -> Request: ...

    @abstractmethod
    def decode_reply(self, frame: bytes, expect: Expect, settings: BoardSettings) -> Reply: ...

    @abstractmethod
    def _candidate_lengths(self, buf: bytes, start: int, expect: Expect) -> list[int]:
        """Frame lengths worth trying at `start` (the buffer may hold fewer bytes)."""

    def status_order(self, settings: BoardSettings) -> str:
        return settings.status_order or self.default_status_order

    def check_address(self, board: int, lock: int | None = None, settings: BoardSettings | None = None) -> None:
        if not self.min_address <= board <= self.max_address:
            raise ProtocolError(f"{self.name}: board address {board} outside {self.min_address}-{self.max_address}")
        if lock is not None:
            top = settings.locks if settings else self.max_locks
            if not 1 <= lock <= min(top, self.max_locks):
                raise ProtocolError(f"{self.name}: lock {lock} outside 1-{min(top, self.max_locks)}")

    def find_reply(self, buf: bytes, expect: Expect, settings: BoardSettings) -> Found | None:
        for start in range(len(buf)):
            if buf[start] not in self.reply_headers:
                continue
            for length in self._candidate_lengths(buf, start, expect):
                end = start + length
                if end > len(buf):
                    continue
                frame = bytes(buf[start:end])
                try:
                    self.decode_reply(frame, expect, settings)
                except ProtocolError:
                    continue
                return Found(frame, start, end)
        return None

    def encode_output_off(self, board: int, lock: int) -> bytes | None:
        """The frame that switches a lock's output off (ends a "keep powered"), or None when the
        protocol has no held outputs (the board times every pulse itself)."""
        return None

    def find_output_off_reply(self, buf: bytes, board: int, lock: int) -> Found | None:
        return None

    def encode_for(self, expect: Expect) -> bytes:
        if expect.kind == "status_all":
            return self.encode_status_all(expect.board)
        if expect.kind == "status_one":
            return self.encode_status_one(expect.board, expect.lock)
        return self.encode_open(expect.board, expect.lock)


def bits_to_locks(status: bytes, settings: BoardSettings, order: str) -> dict[int, bool]:
    """Status bitmap bytes -> {lock: is_open}. Bit k of the byte holding locks 8i+1..8i+8 is
    lock 8i+k+1; `order` says whether that byte is counted from the end or the start."""
    need = (settings.locks + 7) // 8
    if len(status) < need:
        raise ProtocolError(f"reply has {len(status)} status byte(s); a board of {settings.locks} locks needs {need}")
    locks: dict[int, bool] = {}
    for lock in range(1, settings.locks + 1):
        group = (lock - 1) // 8
        byte = status[len(status) - 1 - group] if order == "last-byte-low" else status[group]
        bit = (byte >> ((lock - 1) % 8)) & 1
        locks[lock] = bit == settings.open_bit
    return locks


def locks_to_bits(locks: dict[int, bool], nbytes: int, settings: BoardSettings, order: str) -> bytes:
    """Inverse of `bits_to_locks` (used by tests and the round-trip properties)."""
    out = bytearray(nbytes)
    for lock, is_open in locks.items():
        group = (lock - 1) // 8
        index = nbytes - 1 - group if order == "last-byte-low" else group
        bit = 1 if is_open == bool(settings.open_bit) else 0
        out[index] |= bit << ((lock - 1) % 8)
    return bytes(out)


PROTOCOLS = ("8a80", "kerong-cu")


def get_codec(name: str) -> Codec:
    if name == "8a80":
        from locker_firmware_bridge.codec_8a80 import Codec8A80

        return Codec8A80()
    if name == "kerong-cu":
        from locker_firmware_bridge.codec_kerong import CodecKerong

        return CodecKerong()
    raise ProtocolError(f"unknown lock-board protocol {name!r} (allowed: {', '.join(PROTOCOLS)})")
