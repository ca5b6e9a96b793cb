"""`LockBoardProtocol`: everything the station knows about one lock-board protocol, in one value.

Each module in `locker_firmware_bridge.protocols` declares one `PROTOCOL = LockBoardProtocol(...)`:
its codec class, link facts (default and plausible baud rates, a silent-gap floor), the board
address range and lock limit, its status defaults (which status byte holds locks 1-8, which bit
value means open), capabilities, and the emulator profile (where the device-side firmware that
plays this protocol lives). Config validation, the CLI, the bus, the probe, the board emulator
and the benchmarks all read these facts from the registry (`locker_firmware_bridge.protocols`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from locker_firmware_bridge.settings import StatusOrder

if TYPE_CHECKING:
    from locker_firmware_bridge.codec import Codec


@dataclass(frozen=True)
class StatusDefaults:
    """How a board of this protocol reports door sensors unless its own settings say otherwise."""

    status_order: StatusOrder  # which status byte holds locks 1-8
    open_bit: int = 1  # the bit value that means "open"


@dataclass(frozen=True)
class EmulatorProfile:
    """How `hw_sim`'s board emulator answers as this firmware.

    `firmware`: "package.module:Class" of the device-side firmware, imported only by the emulator
    (the bridge never imports it). `boards`: the emulator's default board spec (ADDRESS:LOCKS,...)."""

    firmware: str
    boards: str


@dataclass(frozen=True)
class LockBoardProtocol:
    name: str  # the URL's protocol= value, e.g. "8a80"
    title: str  # one line for help texts and docs
    codec: type[Codec]
    default_baud: int
    bauds: tuple[int, ...]  # plausible rates, most likely first (a bus probe tries them in order)
    min_address: int
    max_address: int
    max_locks: int
    default_locks: int  # assumed when a board's lock count is not known (CLI without --locks)
    status: StatusDefaults
    emulator: EmulatorProfile
    capabilities: frozenset[str] = field(default_factory=frozenset)  # extra device capabilities, e.g. item_sensor
    min_gap_s: float = 0.0  # a floor for the silent gap between frames (on top of 3.5 characters)

    def __post_init__(self) -> None:
        if self.default_baud not in self.bauds:
            raise ValueError(f"protocol {self.name}: default_baud {self.default_baud} is not among bauds {self.bauds}")
        if not 0 <= self.min_address <= self.max_address:
            raise ValueError(f"protocol {self.name}: bad address range {self.min_address}-{self.max_address}")
        if not 1 <= self.default_locks <= self.max_locks:
            raise ValueError(f"protocol {self.name}: default_locks {self.default_locks} outside 1-{self.max_locks}")

    @property
    def addresses(self) -> range:
        return range(self.min_address, self.max_address + 1)

    def make_codec(self) -> Codec:
        return self.codec(self)
