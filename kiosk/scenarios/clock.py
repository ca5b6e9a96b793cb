"""A real-time clock that a scenario can move forward (idle timeouts, approvals, payments)
without waiting: flows and services see real time plus an offset; device threads keep real time."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from kiosk.core.clock import SystemClock


class OffsetClock(SystemClock):
    def __init__(self) -> None:
        self._offset = 0.0
        self._wall_step = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return super().now() + timedelta(seconds=self._offset + self._wall_step)

    def monotonic(self) -> float:
        return super().monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += float(seconds)

    def step(self, seconds: float) -> None:
        """Step the wall clock only (as FakeClock.step): monotonic time does not move."""
        with self._lock:
            self._wall_step += float(seconds)
