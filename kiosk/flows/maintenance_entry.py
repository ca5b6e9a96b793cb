"""The way into technician mode at the maintenance pad, UI-free (security finding 3): first the
technician's card on the ID reader, then that technician's own PIN (kiosk.services.technician_pad:
the lock-out is that card's only, every attempt audited). A station configured with its own
maintenance PIN (`[ui] technician_pin_hash`) also offers "no card: station PIN".

    entry = MaintenanceEntry(pad, id_reader)
    entry.start()            # state "card": reading the card
    entry.tick()             # each UI tick: card read -> state "pin"
    entry.submit("123456")   # -> state "open" (technician mode) or a message to show
    entry.stop()             # leaving the screen: the read is cancelled, the card number forgotten

`message` is a translation key (ui.maint.*) with `params`; the screen renders it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiosk.devices.base import Command
from kiosk.services.technician_pad import PadCheck, TechnicianPad

READ_TIMEOUT_S = 30.0
LOCKED_MINUTES = 5


@dataclass
class EntryView:
    state: str  # card | pin | open
    message: str  # translation key
    params: dict[str, Any] = field(default_factory=dict)
    station_pin_offered: bool = False


class MaintenanceEntry:
    def __init__(self, pad: TechnicianPad, id_reader: Any) -> None:
        self.pad = pad
        self.reader = id_reader
        self.state = "card"
        self.message, self.params = "ui.maint.insert_card", {}
        self._card: str | None = None
        self._read: Command[Any] | None = None
        self.staff_no: str | None = None

    @property
    def station_pin_offered(self) -> bool:
        return bool(self.pad.station_pin_hash)

    def view(self) -> EntryView:
        return EntryView(self.state, self.message, dict(self.params), self.station_pin_offered)

    def start(self) -> None:
        self.stop()
        self.state, self.message, self.params = "card", "ui.maint.insert_card", {}
        self._start_read()

    def _start_read(self) -> None:
        if self.reader is None:
            self.message = "ui.maint.no_reader"
            return
        self._read = self.reader.read(timeout=READ_TIMEOUT_S)

    def tick(self) -> None:
        """Called by the screen's clock: picks up the card read when it has ended."""
        cmd = self._read
        if self.state != "card" or cmd is None or not cmd.done():
            return
        self._read = None
        c = cmd.result(0)
        number = getattr(c.data, "id_number", None) if c.ok else None
        if number:
            self._card = number
            self.state, self.message, self.params = "pin", "ui.maint.enter_pin", {}
            return
        if c.code.value not in ("timeout", "canceled"):
            self.message = "ui.maint.card_unreadable"
        self._start_read()  # keep waiting for a card

    def use_station_pin(self) -> bool:
        """No card: the station's own maintenance PIN, only where the station has one."""
        if not self.station_pin_offered:
            self.message, self.params = "ui.maint.card_needed", {}
            return False
        self._cancel_read()
        self._card = None
        self.state, self.message, self.params = "pin", "ui.maint.enter_pin", {}
        return True

    def submit(self, pin: str) -> PadCheck:
        if self.state != "pin":
            self.message, self.params = "ui.maint.card_needed", {}
            return PadCheck(False, "card_needed")
        check = self.pad.check(pin, card_number=self._card)
        if check.ok:
            self.state, self.message, self.params = "open", "", {}
            self.staff_no = check.staff_no
            self._card = None
        elif check.reason == "wrong_pin":
            self.message, self.params = "ui.maint.wrong_pin", {"left": check.attempts_left}
        else:  # locked, not a technician, card needed: start again from the card
            key = {"locked": "ui.maint.locked"}.get(check.reason, "ui.maint.card_needed")
            self.start()
            self.message, self.params = key, ({"minutes": LOCKED_MINUTES} if key == "ui.maint.locked" else {})
        return check

    def _cancel_read(self) -> None:
        if self._read is not None and not self._read.done():
            self._read.cancel()
        self._read = None

    def stop(self) -> None:
        self._cancel_read()
        self._card = None
        self.staff_no = None
