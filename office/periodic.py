"""`Periodic`: the office's background jobs (SMS sending, alarm escalation, pickup reminders,
refund sweeps) as one kind of daemon thread that runs `tick()` every `every_s` seconds until
stopped. A failing round (the database away) is logged and the next round tries again: the jobs
are idempotent, so several office processes may run them side by side."""

from __future__ import annotations

import logging
import threading
from typing import Self

log = logging.getLogger(__name__)


class Periodic:
    thread_name = "office-periodic"
    join_s = 5.0

    def __init__(self, every_s: float) -> None:
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.join_s)

    def tick(self) -> object:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.tick()
            except Exception:  # a database outage must not end the thread
                log.exception("%s failed; retrying in %g s", self.thread_name, self.every_s)
