"""The physical model of one emulated lock board: latches, doors with springs, door sensors, faults.

A release pulses the latch; unless the lock is jammed the latch lets go and the spring pushes the
door open at once (unless the door is stuck). Doors stay where they are until someone closes them
(`close_door`), or after `auto_close_s` when that is set (a simulated user).
The door sensor reports the door, unless it is broken (`sensor="open"|"closed"`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Door:
    open: bool = False
    opened_at: float = 0.0
    jammed: bool = False  # the latch does not release: the board reports "not opened"
    stuck: bool = False  # the latch releases but the door stays shut
    sensor: str | None = None  # None = works; "open"/"closed" = broken wire reading that value
    item: bool = False  # kerong infrared: something in the compartment
    held: bool = False  # 8a80 "keep powered" (9A): the output stays on until switched off (9B)
    releases: int = 0
    released_at: list[float] = field(default_factory=list)  # monotonic time of each pulse

    def reads_open(self) -> bool:
        if self.sensor is not None:
            return self.sensor == "open"
        return self.open


@dataclass
class SimBoard:
    address: int
    locks: int
    status_order: str | None = None  # None: the protocol's default (filled in by the emulator)
    open_bit: int | None = None  # None: the protocol's default (filled in by the emulator)
    feedback: str = "closing"
    offline: bool = False
    doors: dict[int, Door] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for lock in range(1, self.locks + 1):
            self.doors.setdefault(lock, Door())

    def door(self, lock: int) -> Door:
        if lock not in self.doors:
            raise ValueError(f"board {self.address} has no lock {lock} (it has {self.locks})")
        return self.doors[lock]

    def release(self, lock: int) -> bool:
        """Pulse one latch; True when the latch let go."""
        door = self.door(lock)
        door.releases += 1
        door.released_at.append(time.monotonic())
        if door.jammed:
            return False
        if not door.stuck and not door.open:
            door.open = True
            door.opened_at = time.monotonic()
        return True

    def status_bits(self, order: str, nbytes: int) -> bytes:
        out = bytearray(nbytes)
        for lock, door in self.doors.items():
            open_bit = 1 if self.open_bit is None else self.open_bit
            bit = open_bit if door.reads_open() else 1 - open_bit
            group = (lock - 1) // 8
            index = nbytes - 1 - group if order == "last-byte-low" else group
            if index < 0 or index >= nbytes:
                continue
            out[index] |= bit << ((lock - 1) % 8)
        return bytes(out)

    def item_bits(self, order: str) -> bytes:
        out = bytearray(2)
        for lock, door in self.doors.items():
            if door.item and lock <= 16:
                group = (lock - 1) // 8
                index = 1 - group if order == "last-byte-low" else group
                out[index] |= 1 << ((lock - 1) % 8)
        return bytes(out)

    def snapshot(self) -> dict[str, object]:
        return {
            "board": self.address, "locks": self.locks, "offline": self.offline,
            "status_order": self.status_order, "open_bit": self.open_bit, "feedback": self.feedback,
            "doors": {str(n): ("open" if d.open else "closed") for n, d in self.doors.items()},
            "faults": {str(n): f for n, d in self.doors.items() if (f := _faults(d))},
            "releases": {str(n): d.releases for n, d in self.doors.items() if d.releases},
            "held": [n for n, d in self.doors.items() if d.held],
        }


def _faults(d: Door) -> list[str]:
    out = []
    if d.jammed:
        out.append("jammed")
    if d.stuck:
        out.append("stuck")
    if d.sensor:
        out.append(f"sensor_reads_{d.sensor}")
    return out
