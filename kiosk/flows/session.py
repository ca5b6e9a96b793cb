"""The visit's session: the one place a flow keeps personal data, and the idle deadline.

Everything personal of a visit — the identity record, the face verdict, scanned pages, entered
codes, the person's cases — lives in a `Session`, never in flow attributes; what the flows keep
between steps is typed, in `visit` (kiosk.flows.visit_data). `wipe()` cancels every device command
still running, wipes the identity record in place (so a copy held by a finished command carries no
name or number either), empties the page lists and the visit data's collections in place and drops
every reference. Flows call it on every end: completion, timeout, cancel, error.

The idle deadline is re-armed by every touch and every device event the flow handles; in the last
`warning_s` seconds the screen shows a countdown with a one-touch "more time" (WCAG 2.2.1).
"""

from __future__ import annotations

import secrets
from typing import Any

from kiosk.core.clock import Clock
from kiosk.devices.base import Command
from kiosk.flows.visit_data import VisitData


class Session:
    def __init__(self, clock: Clock, idle_timeout_s: float = 60.0, warning_s: float = 20.0,
                 more_time_s: float = 60.0) -> None:
        self.clock = clock
        self.id = secrets.token_hex(8)  # this visit (per-visit limits such as wrong pickup codes)
        self.idle_timeout_s = idle_timeout_s
        self.warning_s = min(warning_s, idle_timeout_s)
        self.more_time_s = more_time_s
        self.deadline = clock.monotonic() + idle_timeout_s
        self.identity: Any = None  # kiosk.devices.idreader.IdentityRecord
        self.face_verdict: Any = None
        self.pages: dict[str, list[Any]] = {}  # material name -> page images
        self.visit = VisitData()  # what the flows keep about this person between steps
        self._commands: list[Command[Any]] = []
        self.wiped = False

    # -- idle deadline ------------------------------------------------------------------------
    def touch(self) -> None:
        """The person did something: a full idle period from now (never shortens a granted extension)."""
        self.deadline = max(self.deadline, self.clock.monotonic() + self.idle_timeout_s)

    def more_time(self) -> None:
        self.deadline = max(self.deadline, self.clock.monotonic()) + self.more_time_s

    def remaining(self) -> float:
        return self.deadline - self.clock.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def warning(self) -> bool:
        return 0 < self.remaining() <= self.warning_s

    # -- devices ------------------------------------------------------------------------------
    def track(self, cmd: Command[Any]) -> Command[Any]:
        """Remember a running command so `wipe()` can cancel it."""
        self._commands = [c for c in self._commands if not c.done()]
        self._commands.append(cmd)
        return cmd

    def running(self) -> list[Command[Any]]:
        return [c for c in self._commands if not c.done()]

    # -- end ----------------------------------------------------------------------------------
    def wipe(self) -> None:
        """Cancel running commands and drop every personal datum. Safe to call twice."""
        for cmd in self._commands:
            if not cmd.done():
                cmd.cancel()
        self._commands = []
        identity = self.identity
        if identity is not None and hasattr(identity, "wipe"):
            identity.wipe()
        self.identity = None
        self.face_verdict = None
        for pages in self.pages.values():
            pages.clear()
        self.pages = {}
        self.visit.clear_in_place()
        self.visit = VisitData()
        self.wiped = True

    def holds_personal_data(self) -> bool:
        return bool(self.identity is not None or self.face_verdict is not None or self.pages
                    or not self.visit.is_blank())
