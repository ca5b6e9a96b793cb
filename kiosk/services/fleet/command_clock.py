"""Which time a signed command's expiry is judged by (security finding 13).

The station's wall clock can step: an RTC that lost the date (2000-01-01) and NTP correcting it
later, a manual +8 days. Judged by a stepped wall clock, expired commands run forever (clock at
2000) or every fresh command is refused forever (clock 8 days ahead). So:

- Trusted wall clock (not before `CLOCK_FLOOR`, no step seen since this process started, or a
  signed command's `issued_at` agreed with it since): expiry by the wall clock, as before.
- After a step (wall and monotonic time drift apart by more than `max_skew_s`): expiry by the run
  time clock, the wall time before the step carried on by monotonic time. A verified command whose
  `issued_at` agrees with the current wall clock (within `max_skew_s`) makes the wall trusted again
  (NTP set it right). Each change of trust is audited (`clock.step`, `clock.trusted`).
- Wall clock before `CLOCK_FLOOR` at start (nothing to carry on): the newest `issued_at` of any
  verified command (kept in the store) plus the run time since start is a lower bound of the real
  time; a command that expired before it is refused; `not_yet_valid` is not judged.

Whatever the judge, an accepted command gets a monotonic deadline (its remaining lifetime at
receipt, never more than a day): the worker refuses to start it after that.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.clock import Clock
from kiosk.services.audit import AuditLog
from kiosk.services.pickup_codes import CLOCK_FLOOR
from kiosk.services.store import Store, register_migrations

MAX_LIFETIME_S = 86400

register_migrations("fleet_clock", [
    """
    CREATE TABLE fleet_clock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        latest_issued_at INTEGER NOT NULL
    )
    """,
])


@dataclass(frozen=True)
class Verdict:
    reason: str | None  # None (good) | expired | not_yet_valid
    detail: str
    judge: str  # wall | run_time | latest_command
    deadline_mono: float  # the command must start before this monotonic time


class CommandClock:
    def __init__(self, store: Store, clock: Clock, audit: AuditLog, max_skew_s: float = 300.0) -> None:
        self.store, self.clock, self.audit, self.max_skew_s = store, clock, audit, max_skew_s
        store.migrate("fleet_clock")
        wall, mono = clock.now().timestamp(), clock.monotonic()
        self._mono0 = mono
        self._offset = wall - mono  # wall - monotonic while the wall clock is trusted
        self._trusted = wall >= CLOCK_FLOOR.timestamp()
        rows = store.query("SELECT latest_issued_at FROM fleet_clock WHERE id = 1")
        self._latest = int(rows[0][0]) if rows else 0

    @property
    def trusted(self) -> bool:
        self._watch()
        return self._trusted

    def _watch(self) -> None:
        wall, mono = self.clock.now().timestamp(), self.clock.monotonic()
        if self._trusted and (abs(wall - mono - self._offset) > self.max_skew_s or wall < CLOCK_FLOOR.timestamp()):
            self._trusted = False
            self.audit.append("station", "clock.step", "wall_clock", stepped_by_s=round(wall - mono - self._offset),
                              judge="run_time", detail="command expiry now judged by the run-time clock")

    def _now(self) -> tuple[float, str]:
        self._watch()
        mono = self.clock.monotonic()
        if self._trusted:
            return self.clock.now().timestamp(), "wall"
        if self._offset >= CLOCK_FLOOR.timestamp() - mono:  # a trusted wall time before the step
            return mono + self._offset, "run_time"
        return self._latest + (mono - self._mono0), "latest_command"

    def judge(self, issued_at: int, expires_at: int) -> Verdict:
        """`issued_at`/`expires_at` of a command whose signature verified."""
        wall = self.clock.now().timestamp()
        self._watch()
        if not self._trusted and abs(wall - issued_at) <= self.max_skew_s and wall >= CLOCK_FLOOR.timestamp():
            self._trusted = True  # the back office's signed time agrees with the wall clock again
            self._offset = wall - self.clock.monotonic()
            self.audit.append("station", "clock.trusted", "wall_clock", issued_at=issued_at)
        now, judge = self._now()
        if issued_at > self._latest:
            self._latest = issued_at
            with self.store.transaction() as conn:
                conn.execute("INSERT INTO fleet_clock(id, latest_issued_at) VALUES (1, ?) ON CONFLICT(id) "
                             "DO UPDATE SET latest_issued_at = max(latest_issued_at, excluded.latest_issued_at)",
                             (issued_at,))
        left = min(expires_at - now, expires_at - issued_at, MAX_LIFETIME_S)
        deadline = self.clock.monotonic() + max(0.0, left)
        if now > expires_at:
            return Verdict("expired", f"expired {int(now - expires_at)} s ago (by the {judge.replace('_', '-')} "
                                      "clock)", judge, deadline)
        if judge != "latest_command" and issued_at > now + self.max_skew_s:
            return Verdict("not_yet_valid", "issued_at is in the future (clock skew?)", judge, deadline)
        return Verdict(None, "", judge, deadline)

    def overdue(self, deadline_mono: float | None) -> bool:
        return deadline_mono is not None and self.clock.monotonic() > deadline_mono
