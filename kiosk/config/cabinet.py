"""`[cabinet]`: the lock-board bus and the compartment map."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import Field, field_validator, model_validator

from kiosk.config.base import Section


class BoardConfig(Section):
    address: int = Field(ge=0, le=247, description="board address (the protocol's range: docs/protocols/lock-boards.md)")
    locks: int = Field(ge=1, le=50)
    # None = the protocol's default (declared in its module in locker_firmware_bridge/protocols/)
    status_order: Literal["last-byte-low", "first-byte-low"] | None = None
    open_bit: Literal[0, 1] | None = None
    feedback: Literal["closing", "opening"] = "closing"


class CompartmentConfig(Section):
    id: str
    board: int
    lock: int = Field(ge=1, le=50)
    size: Literal["S", "M", "L"]

    @field_validator("id")
    @classmethod
    def _id_form(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z][0-9]{2}", v):
            raise ValueError("compartment id must be a letter and two digits, e.g. A01")
        return v


class CabinetConfig(Section):
    url: str = Field(description="e.g. serial:///dev/ttyUSB1?protocol=8a80&baud=9600")
    boards: list[BoardConfig] = Field(min_length=1)
    compartments: list[CompartmentConfig] = Field(min_length=1)
    poll_interval_s: float = Field(default=0.5, gt=0, le=10)
    left_open_after_s: float = Field(default=60.0, gt=0)
    not_opened_after_s: float = Field(default=10.0, gt=0)
    unknown_after_failed_polls: int = Field(default=3, ge=1)
    open_pacing_s: float = Field(default=0.3, ge=0)
    reply_timeout_s: float = Field(default=0.1, gt=0, le=5, description="wait this long for a board's first reply byte")
    status_retries: int = Field(default=2, ge=0, le=5, description="extra attempts of a status read (opens: never)")
    bus_gap_s: float | None = Field(default=None, gt=0, le=1, description="silent gap between frames (>= 3.5 chars)")
    reconnect_cooldown_s: float = Field(default=2.0, gt=0, le=600)

    @model_validator(mode="after")
    def _boards_fit_the_protocol(self) -> "CabinetConfig":
        # the protocol's address and lock ranges, from its registry entry (imported here, not at
        # module level: the cabinet interface and service must not pull in the bridge)
        from locker_firmware_bridge.protocols import DEFAULT_PROTOCOL, protocols

        params = dict(parse_qsl(urlsplit(self.url).query))
        protocol = params.get("protocol", DEFAULT_PROTOCOL)
        known = {p.name: p for p in protocols()}
        if protocol not in known:
            raise ValueError(f"url: protocol={protocol!r} is not a lock-board protocol (allowed: {', '.join(known)})")
        if "baud" in params and not params["baud"].isdigit():
            raise ValueError(f"url: baud={params['baud']!r} is not a number")
        spec = known[protocol]
        lo, hi, max_locks = spec.min_address, spec.max_address, spec.max_locks
        for b in self.boards:
            if not lo <= b.address <= hi:
                raise ValueError(f"board {b.address}: {protocol} board addresses are {lo}-{hi}")
            if b.locks > max_locks:
                raise ValueError(f"board {b.address}: {protocol} boards have at most {max_locks} locks")
        if len({b.address for b in self.boards}) != len(self.boards):
            raise ValueError("[[cabinet.boards]]: a board address is listed twice")
        return self

    @model_validator(mode="after")
    def _map_is_consistent(self) -> "CabinetConfig":
        boards = {b.address: b for b in self.boards}
        seen_ids: set[str] = set()
        seen_locks: set[tuple[int, int]] = set()
        for c in self.compartments:
            if c.id in seen_ids:
                raise ValueError(f"compartment {c.id} is listed twice")
            seen_ids.add(c.id)
            if c.board not in boards:
                raise ValueError(f"compartment {c.id}: board {c.board} is not in [[cabinet.boards]]")
            if c.lock > boards[c.board].locks:
                raise ValueError(f"compartment {c.id}: lock {c.lock} > board {c.board}'s {boards[c.board].locks} locks")
            if (c.board, c.lock) in seen_locks:
                raise ValueError(f"compartment {c.id}: board {c.board} lock {c.lock} is already used")
            seen_locks.add((c.board, c.lock))
        return self
