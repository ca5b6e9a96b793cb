"""The core event queue: worker threads post, one consumer drains (the Kivy Clock, or a test).

Device threads never call into flows or screens directly. They post events here; the app drains
the queue on the main thread, so events arrive in the order they happened (unlike scattered
`@mainthread` calls, which reorder under load).
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any


class EventQueue:
    def __init__(self) -> None:
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._wakeups: list[Callable[[], None]] = []

    def post(self, event: Any) -> None:
        """Thread-safe. Wakes the consumer if one registered a wake-up (e.g. a Clock trigger)."""
        self._q.put(event)
        for wake in list(self._wakeups):
            wake()

    def on_post(self, wake: Callable[[], None]) -> None:
        self._wakeups.append(wake)

    def drain(self, handler: Callable[[Any], None], limit: int = 1000) -> int:
        """Hand up to `limit` queued events to `handler` in order; returns how many were handled."""
        n = 0
        while n < limit:
            try:
                event = self._q.get_nowait()
            except queue.Empty:
                break
            handler(event)
            n += 1
        return n

    def get(self, timeout: float | None = None) -> Any:
        """Blocking read for tests and headless runners; raises queue.Empty on timeout."""
        return self._q.get(timeout=timeout)

    def empty(self) -> bool:
        return self._q.empty()
