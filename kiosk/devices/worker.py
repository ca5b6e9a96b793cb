"""One owner thread per piece of hardware: commands run on it one at a time, in order.

A command body is a function taking the `Command` (to look at `cancel_requested`) and returning
the result data, or raising `DeviceError` for a specific completion code. Any other exception
becomes a `hardware_error` completion: a device fault never propagates into a flow or screen.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from kiosk.devices.base import Command, Completion, DeviceError, ResultCode

T = TypeVar("T")
log = logging.getLogger(__name__)

_STOP = object()


class OwnerThread:
    def __init__(self, name: str) -> None:
        self.name = name
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"owner-{name}", daemon=True)
        self._thread.start()

    def submit(
        self,
        name: str,
        body: Callable[[Command[T]], T],
        timeout: float | None = None,
    ) -> Command[T]:
        """Queue `body` on the owner thread; returns at once. With `timeout`, the command
        completes with `timeout` (and is asked to cancel) if the body has not finished by then."""
        cmd: Command[T] = Command(name)
        if timeout is not None:
            timer = threading.Timer(timeout, self._expire, args=(cmd, timeout))
            timer.daemon = True
            timer.start()
            cmd.add_done_callback(lambda _c: timer.cancel())
        self._q.put((cmd, body))
        return cmd

    def call(self, body: Callable[[], T], timeout: float | None = None) -> T:
        """Run `body` on the owner thread and wait for its return value (exceptions re-raised)."""
        box: dict[str, Any] = {}
        done = threading.Event()

        def wrapper(_cmd: Command[Any]) -> None:
            try:
                box["value"] = body()
            except BaseException as exc:  # re-raised in the caller's thread
                box["error"] = exc
            finally:
                done.set()

        self.submit("call", wrapper)
        if not done.wait(timeout):
            raise TimeoutError(f"{self.name}: call did not finish within {timeout}s")
        if "error" in box:
            raise box["error"]
        return box["value"]

    def stop(self, join_timeout: float = 2.0) -> None:
        self._q.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join(join_timeout)

    @staticmethod
    def _expire(cmd: Command[Any], timeout: float) -> None:
        cmd.cancel()
        cmd.complete(Completion(ResultCode.TIMEOUT, f"no result within {timeout:g} s"))

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is _STOP:
                return
            cmd, body = item
            if cmd.done():
                continue
            if cmd.cancel_requested.is_set():
                cmd.complete(Completion(ResultCode.CANCELED, "canceled before it started"))
                continue
            try:
                data = body(cmd)
            except DeviceError as exc:
                cmd.complete(Completion(exc.code, exc.detail, exc.data))
            except Exception as exc:  # a device fault must never kill the owner thread
                log.exception("%s: command %s failed", self.name, cmd.name)
                cmd.complete(Completion(ResultCode.HARDWARE_ERROR, f"{type(exc).__name__}: {exc}"))
            else:
                if cmd.cancel_requested.is_set() and not cmd.done():
                    cmd.complete(Completion(ResultCode.CANCELED, "canceled"))
                else:
                    cmd.complete(Completion.success(data))
