"""The systemd notify protocol (sd_notify) without a dependency: one AF_UNIX datagram per message.

    notifier = Notifier.from_env()          # reads $NOTIFY_SOCKET, $WATCHDOG_USEC, $WATCHDOG_PID
    notifier.ready("station sim-0001 up")  # READY=1 + STATUS=...
    notifier.watchdog()                     # WATCHDOG=1, every `notifier.watchdog_interval_s` seconds
    notifier.status("fleet link offline")  # STATUS=...
    notifier.stopping()                     # STOPPING=1

`$NOTIFY_SOCKET` is a filesystem path or, starting with '@', an abstract socket name ('@' becomes a
NUL byte). Without it every call is a no-op that returns False, so the same code runs from a
terminal, in tests and under systemd. Sending never raises: a service must not die because its
service manager went away; a failed send is logged once.

`watchdog_interval_s` is half of $WATCHDOG_USEC (what sd_watchdog_enabled(3) recommends), or None
when no watchdog is asked for or $WATCHDOG_PID names another process. Who calls `watchdog()`
matters: the UI's main loop does (a Kivy Clock callback in kiosk/app.py), so a hung main loop stops
the pings and systemd restarts the station (ADR 0140).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


def socket_address(spec: str) -> str | bytes:
    """The address to sendto() for a $NOTIFY_SOCKET value ('@name' -> b'\\0name')."""
    if spec.startswith("@"):
        return b"\0" + spec[1:].encode()
    return spec


def watchdog_interval(env: Mapping[str, str], pid: int | None = None) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of $WATCHDOG_USEC), or None when no watchdog applies."""
    usec = env.get("WATCHDOG_USEC", "").strip()
    if not usec:
        return None
    try:
        value = int(usec)
    except ValueError:
        log.warning("WATCHDOG_USEC=%r is not a number of microseconds: no watchdog pings", usec)
        return None
    if value <= 0:
        return None
    wpid = env.get("WATCHDOG_PID", "").strip()
    if wpid and wpid != str(pid if pid is not None else os.getpid()):
        return None  # the watchdog is meant for another process (e.g. our parent)
    return value / 2_000_000


class Notifier:
    """Sends sd_notify messages to one socket (or nowhere)."""

    def __init__(self, address: str | bytes | None, watchdog_interval_s: float | None = None) -> None:
        self.address = address
        self.watchdog_interval_s = watchdog_interval_s if address is not None else None
        self._sock: socket.socket | None = None
        self._warned = False
        self.sent = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Notifier:
        env = os.environ if env is None else env
        spec = env.get("NOTIFY_SOCKET", "")
        if not spec:
            return cls(None)
        return cls(socket_address(spec), watchdog_interval(env))

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *lines: str) -> bool:
        """Send `KEY=VALUE` lines as one datagram. True when it was sent."""
        if self.address is None or not lines:
            return False
        payload = "\n".join(lines).encode("utf-8")
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(payload, self.address)
        except OSError as exc:
            if not self._warned:
                log.warning("sd_notify to %r failed (%s); the service manager may not see this service's state",
                            self.address, exc)
                self._warned = True
            return False
        self.sent += 1
        return True

    @staticmethod
    def _status_line(text: str) -> str:
        return "STATUS=" + " ".join(text.split())[:200]  # one line: a newline would start a new key

    def ready(self, status: str | None = None) -> bool:
        return self.send("READY=1", *([self._status_line(status)] if status else []))

    def status(self, text: str) -> bool:
        return self.send(self._status_line(text))

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        return self.send("STOPPING=1", *([self._status_line(status)] if status else []))

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
