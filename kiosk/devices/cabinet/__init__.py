"""The `Cabinet` device class: lockable compartments behind lock-control boards.

The device owns the boards (through `locker_firmware_bridge`); the compartment store, the intent
journal and the business rules live in `kiosk.services.cabinet`.
Events: `door_opened`, `door_closed`, `door_left_open`, `uncommanded_open`, `not_opened`,
`door_unknown`, `board_unreachable`.
"""

from __future__ import annotations

from kiosk.devices.base import Command, Device

BACKENDS: dict[str, str] = {
    "serial": "kiosk.devices.cabinet.boards:open_cabinet",
}


class Cabinet(Device):
    device_class = "cabinet"

    def release(self, board: int, lock: int) -> Command[str]:
        """Pulse one lock. Completes success with "opened" | "already_open", or not success with
        `hardware_error` ("no_reply", "not_opened") — never retried blindly."""
        raise NotImplementedError

    def door_state(self, board: int, lock: int) -> str:
        """"open" | "closed" | "unknown" from the latest poll."""
        raise NotImplementedError
