"""The `Cabinet` device class: lockable compartments behind lock-control boards.

The device owns the boards (through `locker_firmware_bridge`); the compartment store, the intent
journal and the business rules live in `kiosk.services.cabinet`. Addresses are (board, lock),
lock numbers 1-based.

Commands (each ends in exactly one `Completion`; a release is NEVER retried by the device):
- `release(board, lock) -> Command[str]`: one pulse. success with data "opened" | "already_open";
  otherwise `hardware_error` with data "not_opened" | "no_reply", or `device_not_ready` with
  data "unreachable", or `canceled` with data "not_sent" when `cmd.cancel()` came before the
  pulse left (a caller that stopped waiting). `detail` says what happened and what to check.
- `release_many([(board, lock), ...]) -> list[Command[str]]`: paced pulses, one result each.
- `refresh() -> Command[dict]`: poll every board now; data = `doors()`.
Queries: `door_state(board, lock)` -> "open" | "closed" | "unknown" (latest poll);
`doors()` -> {(board, lock): state}; `boards()` -> per-board health dicts.
Events (`DeviceEvent.kind`, data has board, lock, detail): `door_opened`, `door_closed`,
`door_left_open`, `uncommanded_open`, `not_opened`, `door_unknown`, `board_unreachable`,
`board_reachable`, plus `status_changed`.
Class status: `bus` = ok | degraded | unreachable, `doors_open` = count as text.
"""

from __future__ import annotations

from kiosk.devices.base import Command, Device

BACKENDS: dict[str, str] = {
    "serial": "kiosk.devices.cabinet.boards:open_cabinet",
}

EVENT_KINDS = {
    "opened": "door_opened",
    "closed": "door_closed",
    "left_open": "door_left_open",
    "uncommanded_open": "uncommanded_open",
    "not_opened": "not_opened",
    "unknown": "door_unknown",
    "board_unreachable": "board_unreachable",
    "board_reachable": "board_reachable",
}


class Cabinet(Device):
    device_class = "cabinet"

    def release(self, board: int, lock: int) -> Command[str]:
        """Pulse one lock. Completes success with "opened" | "already_open", or not success with
        `hardware_error` ("no_reply", "not_opened") — never retried blindly."""
        raise NotImplementedError

    def release_many(self, targets: list[tuple[int, int]]) -> list[Command[str]]:
        return [self.release(b, lk) for b, lk in targets]

    def refresh(self) -> Command[dict]:
        """Poll every board now; completes with `doors()`."""
        raise NotImplementedError

    def door_state(self, board: int, lock: int) -> str:
        """"open" | "closed" | "unknown" from the latest poll."""
        raise NotImplementedError

    def doors(self) -> dict[tuple[int, int], str]:
        raise NotImplementedError

    def boards(self) -> list[dict]:
        raise NotImplementedError
