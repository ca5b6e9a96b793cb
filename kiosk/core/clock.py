"""The injected clock: flows and services ask it for the time, so tests can move time by hand."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Wall-clock time, timezone-aware UTC (for records people read)."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never goes back (for timeouts)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that only moves when told to; thread-safe."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._wall = start or datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc)
        self._mono = 1000.0

    def now(self) -> datetime:
        with self._lock:
            return self._wall

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._mono += seconds
            self._wall += timedelta(seconds=seconds)

    def step(self, seconds: float | None = None, to: datetime | None = None) -> None:
        """Step the wall clock only (an NTP correction, an RTC that forgot the date): monotonic
        time does not move. `to` sets the wall time outright."""
        with self._lock:
            self._wall = to if to is not None else self._wall + timedelta(seconds=seconds or 0.0)
