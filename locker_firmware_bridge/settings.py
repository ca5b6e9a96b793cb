"""Per-board settings: what differs between boards that speak the same protocol.

Public sources disagree on the status byte order and on the bit polarity, so both are settings,
never guesses. `status_order=None` and `open_bit=None` mean the protocol's own defaults (declared
in its module in `locker_firmware_bridge.protocols`, see `LockBoardProtocol.status`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StatusOrder = Literal["last-byte-low", "first-byte-low"]
Feedback = Literal["closing", "opening"]


@dataclass(frozen=True)
class BoardSettings:
    address: int
    locks: int = 24
    status_order: StatusOrder | None = None
    open_bit: int | None = None
    feedback: Feedback = "closing"

    def __post_init__(self) -> None:
        if self.status_order not in (None, "last-byte-low", "first-byte-low"):
            raise ValueError(f"status_order {self.status_order!r}: allowed last-byte-low | first-byte-low")
        if self.open_bit not in (None, 0, 1):
            raise ValueError(f"open_bit {self.open_bit!r}: allowed 0 | 1 (or None: the protocol's default)")
        if self.feedback not in ("closing", "opening"):
            raise ValueError(f"feedback {self.feedback!r}: allowed closing | opening")
        if not 1 <= self.locks <= 50:
            raise ValueError(f"locks {self.locks}: allowed 1-50")

    @classmethod
    def from_config(cls, board: object) -> "BoardSettings":
        """From any object with the same attribute names (e.g. kiosk's BoardConfig)."""
        return cls(
            address=int(getattr(board, "address")),
            locks=int(getattr(board, "locks")),
            status_order=getattr(board, "status_order", None),
            open_bit=getattr(board, "open_bit", None),
            feedback=getattr(board, "feedback", "closing"),
        )
