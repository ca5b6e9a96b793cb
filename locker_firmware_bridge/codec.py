"""The codec interface every board protocol implements (the protocols themselves, one module
each, are in `locker_firmware_bridge.protocols`; `get_codec` looks them up there).

A codec turns board operations into request frames and reply bytes into facts. It is pure
(no I/O, no clock). Two kinds of decoding:

- `decode_reply(frame, expect, settings)` / `decode_request(frame)`: strict; the bytes must be
  exactly one valid frame, otherwise `ProtocolError` (`ChecksumError` for a bad checksum).
- `find_reply(buf, expect, settings)`: scans a receive buffer for the first valid reply to the
  request described by `expect`, skipping junk before it; never raises, returns `Found | None`.
  A reply is recognised by its header, its fields and a valid checksum, never by an assumed
  length (an 8a80 status-all reply's length cannot be derived from the lock count).

A valid frame in which the board refuses the request (a Modbus exception reply) is found like
any reply, and `decode_reply` raises `BoardRefused` for it (the bus turns that into `Refused`).

Lock numbers are 1-based everywhere in this package; a codec maps them to its wire numbering.
The protocol's facts (name, baud, address range, lock limit, status defaults) are the codec's
`protocol`; the properties below read them from there.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from locker_firmware_bridge.errors import BoardRefused, ProtocolError
from locker_firmware_bridge.settings import BoardSettings

if TYPE_CHECKING:
    from locker_firmware_bridge.protocol import LockBoardProtocol

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
    reply_headers: frozenset[int] = frozenset()

    def __init__(self, protocol: LockBoardProtocol) -> None:
        self.protocol = protocol

    @property
    def name(self) -> str:
        return self.protocol.name

    @property
    def default_baud(self) -> int:
        return self.protocol.default_baud

    @property
    def min_address(self) -> int:
        return self.protocol.min_address

    @property
    def max_address(self) -> int:
        return self.protocol.max_address

    @property
    def max_locks(self) -> int:
        return self.protocol.max_locks

    @property
    def default_status_order(self) -> str:
        return self.protocol.status.status_order

    @abstractmethod
    def checksum(self, data: bytes) -> int: ...

    @abstractmethod
    def encode_status_all(self, board: int, locks: int | None = None) -> bytes:
        """`locks`: the board's lock count, for protocols whose request names how many to read."""

    @abstractmethod
    def encode_status_one(self, board: int, lock: int) -> bytes: ...

    @abstractmethod
    def encode_open(self, board: int, lock: int) -> bytes: ...

    @abstractmethod
    def encode_open_all(self, board: int, locks: int | None = None) -> bytes: ...

    @abstractmethod
    def decode_request(self, frame: bytes) -> Request: ...

    @abstractmethod
    def decode_reply(self, frame: bytes, expect: Expect, settings: BoardSettings) -> Reply: ...

    @abstractmethod
    def _candidate_lengths(self, buf: bytes, start: int, expect: Expect) -> list[int]:
        """Frame lengths worth trying at `start` (the buffer may hold fewer bytes)."""

    @abstractmethod
    def raw_status(self, frame: bytes) -> bytes:
        """The door-sensor status bytes of a valid status-all reply, in wire order (for polarity
        detection: which byte and bit changed)."""

    def locks_reported(self, frame: bytes) -> int:
        """How many locks a valid status-all reply covers (an upper bound where the firmware pads)."""
        return min(len(self.raw_status(frame)) * 8, self.max_locks)

    # A protocol whose status request names the number of inputs to read (Modbus) can be asked
    # for its exact lock count: a board refuses a read past its last input.
    sized_by_request = False

    def status_order(self, settings: BoardSettings) -> str:
        return settings.status_order or self.default_status_order

    def open_bit(self, settings: BoardSettings) -> int:
        return self.protocol.status.open_bit if settings.open_bit is None else settings.open_bit

    def is_header(self, byte: int, expect: Expect) -> bool:
        return byte in self.reply_headers

    def check_address(self, board: int, lock: int | None = None, settings: BoardSettings | None = None) -> None:
        if not self.min_address <= board <= self.max_address:
            raise ProtocolError(f"{self.name}: board address {board} outside {self.min_address}-{self.max_address}")
        if lock is not None:
            top = settings.locks if settings else self.max_locks
            if not 1 <= lock <= min(top, self.max_locks):
                raise ProtocolError(f"{self.name}: lock {lock} outside 1-{min(top, self.max_locks)}")

    def find_reply(self, buf: bytes, expect: Expect, settings: BoardSettings) -> Found | None:
        for start in range(len(buf)):
            if not self.is_header(buf[start], expect):
                continue
            for length in self._candidate_lengths(buf, start, expect):
                end = start + length
                if end > len(buf):
                    continue
                frame = bytes(buf[start:end])
                try:
                    self.decode_reply(frame, expect, settings)
                except BoardRefused:
                    return Found(frame, start, end)  # a valid frame: the board said no
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

    def encode_for(self, expect: Expect, locks: int | None = None) -> bytes:
        if expect.kind == "status_all":
            return self.encode_status_all(expect.board, locks)
        if expect.kind == "status_one":
            return self.encode_status_one(expect.board, expect.lock)
        return self.encode_open(expect.board, expect.lock)


def bits_to_locks(status: bytes, settings: BoardSettings, order: str, open_bit: int | None = None) -> dict[int, bool]:
    """Status bitmap bytes -> {lock: is_open}. Bit k of the byte holding locks 8i+1..8i+8 is
    lock 8i+k+1; `order` says whether that byte is counted from the end or the start.
    `open_bit`: the bit value meaning open (default: the settings', else 1)."""
    if open_bit is None:
        open_bit = 1 if settings.open_bit is None else settings.open_bit
    need = (settings.locks + 7) // 8
    if len(status) < need:
        raise ProtocolError(f"reply has {len(status)} status byte(s); a board of {settings.locks} locks needs {need}")
    locks: dict[int, bool] = {}
    for lock in range(1, settings.locks + 1):
        group = (lock - 1) // 8
        byte = status[len(status) - 1 - group] if order == "last-byte-low" else status[group]
        bit = (byte >> ((lock - 1) % 8)) & 1
        locks[lock] = bit == open_bit
    return locks


def locks_to_bits(locks: dict[int, bool], nbytes: int, settings: BoardSettings, order: str,
                  open_bit: int | None = None) -> bytes:
    """Inverse of `bits_to_locks` (used by tests and the round-trip properties)."""
    if open_bit is None:
        open_bit = 1 if settings.open_bit is None else settings.open_bit
    out = bytearray(nbytes)
    for lock, is_open in locks.items():
        group = (lock - 1) // 8
        index = nbytes - 1 - group if order == "last-byte-low" else group
        bit = 1 if is_open == bool(open_bit) else 0
        out[index] |= bit << ((lock - 1) % 8)
    return bytes(out)


def get_codec(name: str) -> Codec:
    """A codec for the registered protocol `name` (`ProtocolError` naming the allowed ones if unknown)."""
    from locker_firmware_bridge.protocols import get_protocol

    return get_protocol(name).make_codec()
