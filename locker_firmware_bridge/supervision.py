"""`BusSupervisor`: one thread owns the bus, polls every board and turns changes into door events.

At start the owner thread's first job switches every lock output off (reference §4; 8a80 `9B BB LL
11` per lock, nothing for Kerong, whose board times every pulse itself).
Commands (`release`, `release_many`, `read_status`, `submit`) are queued to the owner thread and
run between polls, in order; each returns a `concurrent.futures.Future`. Opens are paced
(`open_pacing_s` between two pulses, to limit inrush current) and never retried.

Door events (`DoorEvent.kind`):
- `opened`: closed -> open after a release of that lock (the expectation set before sending);
- `uncommanded_open`: closed -> open with no release pending (forced door: an alarm);
- `closed`: open -> closed;
- `left_open`: open for `left_open_after_s` (once per opening);
- `not_opened`: released but not seen open within `not_opened_after_s` (jam or absent user), or
  the board reported at once that the lock did not release;
- `unknown`: the board failed `unknown_after_failed_polls` polls in a row (one event per lock);
- board-level (lock 0): `board_unreachable` (with the reason), `board_reachable`.
A door's first observation sets its state without an event; a state seen again after `unknown`
is compared with the last known one, so a door forced open during an outage still alarms.
One board that does not answer never stops the others from being polled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from locker_firmware_bridge.bus import BoardStatus, LockerBus, OpenResult
from locker_firmware_bridge.errors import LinkError

log = logging.getLogger(__name__)


class ReleaseCancelled(Exception):
    """The caller withdrew a queued release before its pulse was sent (nothing went to the board)."""


@dataclass(frozen=True)
class DoorEvent:
    kind: str
    board: int
    lock: int = 0
    ts: float = 0.0
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Door:
    state: str = "unknown"  # open | closed | unknown
    last_known: str | None = None
    since: float = 0.0
    left_open_sent: bool = False
    expected_until: float | None = None  # a release is pending until then


@dataclass
class _Board:
    failures: int = 0
    unknown: bool = False
    last_error: str = ""
    last_ok: float | None = None


class BusSupervisor:
    def __init__(
        self,
        bus: LockerBus,
        *,
        poll_interval_s: float = 0.5,
        left_open_after_s: float = 60.0,
        not_opened_after_s: float = 10.0,
        unknown_after_failed_polls: int = 3,
        open_pacing_s: float = 0.3,
        poll_retries: int = 0,
        outputs_off_at_start: bool = True,
        on_event: Callable[[DoorEvent], None] | None = None,
        on_round: Callable[[], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bus = bus
        self.poll_interval_s = poll_interval_s
        self.left_open_after_s = left_open_after_s
        self.not_opened_after_s = not_opened_after_s
        self.unknown_after = unknown_after_failed_polls
        self.open_pacing_s = open_pacing_s
        self.poll_retries = poll_retries
        self.outputs_off_at_start = outputs_off_at_start
        self._listeners: list[Callable[[DoorEvent], None]] = [on_event] if on_event else []
        self._on_round = on_round
        self._mono = monotonic
        self._jobs: deque[tuple[Callable[[], Any], Future[Any]]] = deque()
        self._cond = threading.Condition()
        self._doors: dict[tuple[int, int], _Door] = {}
        self._boards: dict[int, _Board] = {b: _Board() for b in bus.boards}
        for address, settings in bus.boards.items():
            for lock in range(1, settings.locks + 1):
                self._doors[(address, lock)] = _Door()
        self._last_open = -1e9
        self._stop = False
        self._thread: threading.Thread | None = None
        self.polls = 0

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the owner thread. Never raises for an absent port: the boards go `unknown`.
        Its first job (before any poll or release) switches every lock output off."""
        if self._thread is not None:
            return
        with self._cond:
            self._stop = False  # start after stop: a device closed and opened again
        self.bus.link.open()
        if self.outputs_off_at_start:
            self.submit(self._outputs_off)
        self._thread = threading.Thread(target=self._run, name=f"bus-{self.bus.link.port}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None
        while self._jobs:
            _, fut = self._jobs.popleft()
            fut.cancel()
        self.bus.close()

    def subscribe(self, listener: Callable[[DoorEvent], None]) -> None:
        self._listeners.append(listener)

    # -- commands -----------------------------------------------------------------------------
    def submit(self, fn: Callable[[], Any]) -> Future[Any]:
        fut: Future[Any] = Future()
        with self._cond:
            if self._stop:
                fut.set_exception(RuntimeError("bus supervisor stopped"))
                return fut
            self._jobs.append((fn, fut))
            self._cond.notify_all()
        return fut

    def release(self, board: int, lock: int, cancelled: Callable[[], bool] | None = None) -> Future[OpenResult]:
        """One paced pulse of one lock; the `opened`/`not_opened` event follows from the polls.
        `cancelled`: asked right before the pulse; if it says True the pulse is not sent and the
        future fails with `ReleaseCancelled` (a caller that gave up waiting must not have its
        door open later, unjournaled)."""
        return self.submit(lambda: self._release(board, lock, cancelled))

    def release_many(self, targets: list[tuple[int, int]]) -> list[Future[OpenResult]]:
        """Several locks, `open_pacing_s` apart (each its own pulse, each its own result)."""
        return [self.release(b, lk) for b, lk in targets]

    def read_status(self, board: int) -> Future[BoardStatus]:
        return self.submit(lambda: self._poll_board(board, retries=self.bus.status_retries, raise_errors=True))

    def poll_now(self) -> Future[None]:
        """One poll round of every board (e.g. before reconciliation)."""
        return self.submit(self._poll_round)

    def door_state(self, board: int, lock: int) -> str:
        door = self._doors.get((board, lock))
        return door.state if door else "unknown"

    def doors(self) -> dict[tuple[int, int], str]:
        return {k: d.state for k, d in self._doors.items()}

    def board_state(self, board: int) -> dict[str, Any]:
        b = self._boards.get(board, _Board())
        return {"board": board, "state": "unknown" if b.unknown else ("ok" if b.last_ok is not None else "not_polled"),
                "failures": b.failures, "last_error": b.last_error}

    # -- owner thread -------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                self._loop()
                return
            except Exception:  # a bug in one round must not leave the cabinet unsupervised
                log.exception("bus supervisor: unexpected error; continuing")
                time.sleep(self.poll_interval_s)

    def _loop(self) -> None:
        next_poll = self._mono()
        while True:
            with self._cond:
                if self._stop:
                    return
                job = self._jobs.popleft() if self._jobs else None
            if job is not None:
                self._run_job(*job)
                continue
            now = self._mono()
            if now >= next_poll:
                for board in list(self.bus.boards):
                    self._poll_board(board)
                    self._run_pending_jobs()  # an open never waits for a whole poll round
                self.polls += 1
                self._round_done()
                next_poll = self._mono() + self.poll_interval_s
            self._check_timers(self._mono())
            with self._cond:
                if not self._jobs and not self._stop:
                    self._cond.wait(max(0.0, min(next_poll - self._mono(), 0.05)))

    def _run_pending_jobs(self) -> None:
        while True:
            with self._cond:
                if self._stop or not self._jobs:
                    return
                job = self._jobs.popleft()
            self._run_job(*job)

    @staticmethod
    def _run_job(fn: Callable[[], Any], fut: Future[Any]) -> None:
        if not fut.set_running_or_notify_cancel():
            return
        try:
            fut.set_result(fn())
        except BaseException as exc:  # delivered to the caller; the owner thread lives on
            fut.set_exception(exc)

    def _outputs_off(self) -> int:
        """Reference §4: at start-up the host turns every output off. One board that does not
        answer never stops the others; an unplugged adapter ends it (the polls report that)."""
        sent = 0
        for board in list(self.bus.boards):
            try:
                sent += self.bus.outputs_off(board)
            except LinkError as exc:
                log.warning("outputs off at start: %s", exc)
                break
        return sent

    def _poll_round(self) -> None:
        # asked for explicitly (start-up, reconciliation): worth the bounded status retries
        for board in list(self.bus.boards):
            self._poll_board(board, retries=self.bus.status_retries)
        self._check_timers(self._mono())
        self._round_done()

    def _round_done(self) -> None:
        if self._on_round is not None:
            try:
                self._on_round()
            except Exception:
                log.exception("poll-round listener failed")

    def _poll_board(self, board: int, retries: int | None = None, raise_errors: bool = False) -> BoardStatus | None:
        try:
            status = self.bus.read_status(board, retries=self.poll_retries if retries is None else retries)
        except LinkError as exc:
            self._board_failed(board, exc)
            if raise_errors:
                raise
            return None
        self._apply_status(status)
        return status

    def _release(self, board: int, lock: int, cancelled: Callable[[], bool] | None = None) -> OpenResult:
        wait = self._last_open + self.open_pacing_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        if cancelled is not None and cancelled():
            raise ReleaseCancelled(f"release of board {board} lock {lock} cancelled before the pulse: not sent")
        door = self._doors.setdefault((board, lock), _Door())
        was_open = door.state == "open"
        door.expected_until = self._mono() + self.not_opened_after_s  # set BEFORE the pulse
        result = self.bus.open_lock(board, lock, was_open=was_open)
        self._last_open = time.monotonic()
        if result.result == "opened":
            self._poll_board(board)  # see the door spring open now, not at the next poll round
        elif result.result in ("unreachable", "already_open"):
            door.expected_until = None
        elif result.result == "not_opened":
            door.expected_until = None
            self._emit("not_opened", board, lock, result.detail, result="not_opened")
        return result

    # -- state changes -> events --------------------------------------------------------------
    def _apply_status(self, status: BoardStatus) -> None:
        now = self._mono()
        b = self._boards.setdefault(status.board, _Board())
        was_unknown = b.unknown
        b.failures, b.unknown, b.last_ok, b.last_error = 0, False, now, ""
        if was_unknown:  # state first, then the event: a listener sees the new state
            self._emit("board_reachable", status.board, 0, "the board answers again")
        for lock, is_open in status.locks.items():
            door = self._doors.setdefault((status.board, lock), _Door())
            new = "open" if is_open else "closed"
            previous = door.last_known
            door.state = new
            if previous == new:
                continue
            door.last_known = new
            door.since = now
            if previous is None:
                continue  # first observation: a baseline, not a change
            if new == "open":
                door.left_open_sent = False
                if door.expected_until is not None:
                    door.expected_until = None
                    self._emit("opened", status.board, lock, "opened after a release")
                else:
                    self._emit("uncommanded_open", status.board, lock, "opened without a release: forced?")
            else:
                self._emit("closed", status.board, lock, "closed")

    def _board_failed(self, board: int, exc: LinkError) -> None:
        b = self._boards.setdefault(board, _Board())
        b.failures += 1
        b.last_error = str(exc)
        if b.failures >= self.unknown_after and not b.unknown:
            b.unknown = True
            self._emit("board_unreachable", board, 0, str(exc), error=exc.kind, failures=b.failures)
            for (bd, lock), door in self._doors.items():
                if bd == board:
                    door.state = "unknown"
                    self._emit("unknown", board, lock, f"{b.failures} failed polls in a row")

    def _check_timers(self, now: float) -> None:
        for (board, lock), door in self._doors.items():
            if door.expected_until is not None and now >= door.expected_until:
                # the release is over either way; one left pending on a door that was open all
                # along (no closed -> open change to clear it) would excuse a later forced opening
                door.expected_until = None
                if door.state != "open":
                    self._emit("not_opened", board, lock,
                               f"released but not open within {self.not_opened_after_s:g} s (jam or absent user)",
                               door=door.state)
            if (door.state == "open" and not door.left_open_sent
                    and now - door.since >= self.left_open_after_s):
                door.left_open_sent = True
                self._emit("left_open", board, lock, f"open for {self.left_open_after_s:g} s")

    def _emit(self, kind: str, board: int, lock: int, detail: str = "", **data: Any) -> None:
        event = DoorEvent(kind, board, lock, self._mono(), detail, data)
        log.info("door event %s board %s lock %s: %s", kind, board, lock, detail)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener's bug must not stop the bus
                log.exception("door event listener failed on %s", event)
