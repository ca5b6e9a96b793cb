"""The device contract every device class and backend follows (DESIGN.md "Devices").

- a status model (`DeviceStatus`) plus class status (paper, door, card, ...), with a
  `status_changed` event whenever either changes;
- declared capabilities;
- commands that end in exactly one `Completion` with a `ResultCode` and a human-readable detail;
  long commands can be cancelled (`Command.cancel`);
- events in between (`DeviceEvent`), delivered to subscribers (normally the core event queue).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

T = TypeVar("T")


class DeviceStatus(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    BUSY = "busy"
    NO_DEVICE = "no_device"
    HARDWARE_ERROR = "hardware_error"
    USER_ERROR = "user_error"
    FRAUD_ATTEMPT = "fraud_attempt"


class ResultCode(StrEnum):
    SUCCESS = "success"
    CANCELED = "canceled"
    TIMEOUT = "timeout"
    DEVICE_NOT_READY = "device_not_ready"
    HARDWARE_ERROR = "hardware_error"
    INVALID_DATA = "invalid_data"
    USER_ERROR = "user_error"
    FRAUD_ATTEMPT = "fraud_attempt"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Completion(Generic[T]):
    """How a command ended. `data` carries the result on success (and sometimes on failure)."""

    code: ResultCode
    detail: str = ""
    data: T | None = None

    @property
    def ok(self) -> bool:
        return self.code is ResultCode.SUCCESS

    @classmethod
    def success(cls, data: T | None = None, detail: str = "") -> "Completion[T]":
        return cls(ResultCode.SUCCESS, detail, data)


class DeviceError(Exception):
    """Raised inside a command body to end it with a specific code (instead of hardware_error)."""

    def __init__(self, code: ResultCode, detail: str, data: Any = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.data = data


@dataclass(frozen=True)
class DeviceEvent:
    device: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.monotonic)


class Command(Generic[T]):
    """A command in progress. It ends in exactly one completion; later attempts are ignored."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cancel_requested = threading.Event()
        self._done = threading.Event()
        self._completion: Completion[T] | None = None
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[Completion[T]], None]] = []

    def cancel(self) -> None:
        """Ask the command to stop; it completes with `canceled` at its next check."""
        self.cancel_requested.set()

    def complete(self, completion: Completion[T]) -> bool:
        with self._lock:
            if self._completion is not None:
                return False
            self._completion = completion
            callbacks = list(self._callbacks)
        self._done.set()
        for cb in callbacks:
            cb(completion)
        return True

    def done(self) -> bool:
        return self._done.is_set()

    def result(self, timeout: float | None = None) -> Completion[T]:
        """Wait for the completion. Raises TimeoutError if it does not come within `timeout`."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"command {self.name} still running after {timeout}s")
        assert self._completion is not None
        return self._completion

    def add_done_callback(self, cb: Callable[[Completion[T]], None]) -> None:
        with self._lock:
            if self._completion is None:
                self._callbacks.append(cb)
                return
            completion = self._completion
        cb(completion)


class Device:
    """Base of every device class: status, class status, capabilities, counters, events."""

    device_class: ClassVar[str] = "device"

    def __init__(self, name: str | None = None) -> None:
        self.name = name or self.device_class
        self._status = DeviceStatus.OFFLINE
        self._status_detail = ""
        self._class_status: dict[str, str] = {}
        self.capabilities: frozenset[str] = frozenset()
        self.last_error: str | None = None
        self.counters: Counter[str] = Counter()
        self._listeners: list[Callable[[DeviceEvent], None]] = []
        self._state_lock = threading.RLock()

    # -- status -------------------------------------------------------------------------------
    @property
    def status(self) -> DeviceStatus:
        return self._status

    @property
    def class_status(self) -> dict[str, str]:
        return dict(self._class_status)

    def set_status(self, status: DeviceStatus, detail: str = "", **class_status: str) -> None:
        """Change status and/or class status; emits `status_changed` only on a real change."""
        with self._state_lock:
            new_class = {**self._class_status, **class_status}
            changed = status != self._status or new_class != self._class_status
            self._status, self._class_status = status, new_class
            if detail:
                self._status_detail = detail
            if status in (DeviceStatus.HARDWARE_ERROR, DeviceStatus.NO_DEVICE) and detail:
                self.last_error = detail
        if changed:
            self.emit("status_changed", status=str(status), detail=detail, **new_class)

    # -- events -------------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[DeviceEvent], None]) -> None:
        self._listeners.append(listener)

    def emit(self, kind: str, **data: Any) -> None:
        event = DeviceEvent(self.name, kind, data)
        for listener in list(self._listeners):
            listener(event)

    def count(self, what: str, n: int = 1) -> None:
        self.counters[what] += n

    def snapshot(self) -> dict[str, Any]:
        """What a dashboard or the fleet health message shows of this device (no personal data)."""
        return {
            "device": self.name,
            "class": self.device_class,
            "status": str(self._status),
            "detail": self._status_detail,
            **self._class_status,
            "capabilities": sorted(self.capabilities),
            "last_error": self.last_error,
            "counters": dict(self.counters),
        }

    # -- lifecycle ----------------------------------------------------------------------------
    def open(self) -> None:
        """Connect to the hardware. Must not raise for an absent device: set the status instead."""

    def close(self) -> None:
        """Release the hardware and stop worker threads."""
