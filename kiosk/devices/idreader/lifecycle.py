"""The lifecycle every ID reader backend shares: one owner thread for the hardware, one presence
poller beside it, and a `read()` that always ends in a completion.

A backend says how to connect (`_connect_hardware`, on the owner thread), how to let go
(`_release_hardware`), how long its connect and its poller may take, how it polls (`_poll_loop`,
which watches `self._stop`) and how it reads (`_read_body`, on the owner thread).
"""

from __future__ import annotations

import threading
from typing import Any

from kiosk.devices.base import Command, Completion, DeviceError, DeviceStatus, ResultCode
from kiosk.devices.idreader import IdentityRecord, IdReader, MrzKey
from kiosk.devices.worker import OwnerThread


class OwnedIdReader(IdReader):
    owner_label = "reader"

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self._owner: OwnerThread | None = None
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None

    # -- what a backend provides ----------------------------------------------------------------
    def _connect_hardware(self) -> None:
        raise NotImplementedError

    def _release_hardware(self) -> None:
        raise NotImplementedError

    def _connect_timeout(self) -> float:
        return 10.0

    def _poller_join_timeout(self) -> float:
        return 2.0

    def _poll_loop(self) -> None:
        raise NotImplementedError

    def _read_body(self, cmd: Command[Any], mrz: MrzKey | None, timeout: float) -> IdentityRecord:
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------------
    def open(self) -> None:
        if self._owner is not None:  # already open: a second owner and poller would leak
            return
        self._owner = OwnerThread(f"{self.name}-{self.owner_label}")
        self._stop.clear()
        try:
            self._owner.call(self._connect_hardware, timeout=self._connect_timeout())
        except DeviceError as exc:
            self.set_status(DeviceStatus.HARDWARE_ERROR, exc.detail, card="absent")
        except Exception as exc:  # open must never raise: the status says what is wrong
            self.set_status(DeviceStatus.HARDWARE_ERROR, f"{type(exc).__name__}: {exc}", card="absent")
        self._poller = threading.Thread(target=self._poll_loop, name=f"{self.name}-poll", daemon=True)
        self._poller.start()

    def close(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(self._poller_join_timeout())
        if self._owner is not None:
            try:
                self._owner.call(self._release_hardware, timeout=2)
            except Exception:
                pass
            self._owner.stop()
            self._owner = None
        self.set_status(DeviceStatus.OFFLINE, "closed")

    def read(self, mrz: MrzKey | None = None, timeout: float = 30.0) -> Command[IdentityRecord]:
        owner = self._owner
        if owner is None:  # a command always ends in a completion, never in an exception
            cmd: Command[IdentityRecord] = Command("read")
            cmd.complete(Completion(ResultCode.DEVICE_NOT_READY, "the reader is not open (call open() first)"))
            return cmd
        return owner.submit("read", lambda cmd: self._read_body(cmd, mrz, timeout), timeout=timeout)
