"""`SerialLink`: the one owner of a serial port, and the exchange of one request and its reply.

- One owner per port: a second `SerialLink` on the same device in this process is refused, and
  the port is opened with an exclusive lock (pyserial `exclusive=True`, flock) so another process
  cannot share it either (field lesson: two owners -> stale connections after 20-30 minutes).
- A silent gap separates frames on the bus: at least 3.5 character times at the baud rate
  (`gap_s` can only raise it, e.g. the 5 ms one field report needed).
- A reply ends when the codec finds a valid frame (header + fields + checksum), or when the line
  stays quiet for `quiet_s` after the last byte (then: `BadReply`), never at an assumed length.
  Junk before the header is skipped. Nothing at all within `reply_timeout_s`: `NoReply`.
- `echo=True` for an RS485 adapter that hands the host its own bytes back (no echo
  suppression): the copy of the request is dropped before the reply is looked for. Without it an
  echoed 8a80 open (`8A 01 01 11 9B`) would read as the board's "not opened" reply, and an
  echoed status request as an all-closed 8-lock board. Bytes before the echo are a late reply
  to an earlier request and are skipped. If no echo comes at all (an adapter that does not echo
  after all), the bytes are searched for a reply once the line goes quiet.
- An unusable port (absent, unplugged, busy, no permission) gives `Unreachable` (kind by errno)
  and the link's `state` becomes "unreachable"; the next exchange after `reconnect_cooldown_s`
  tries to reopen it. Opening never raises for an absent port.

The link does no retries: the bus layer decides what may be retried (status) and what may not (opens).
"""

from __future__ import annotations

import errno
import logging
import os
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from locker_firmware_bridge.codec import Found
from locker_firmware_bridge.errors import BadReply, NoReply, Unreachable

log = logging.getLogger(__name__)

_OWNED: set[str] = set()
_OWNED_LOCK = threading.Lock()


def char_time(baud: int) -> float:
    """Seconds per character on an 8N1 line (10 bits)."""
    return 10.0 / baud


def min_gap(baud: int) -> float:
    return 3.5 * char_time(baud)


@dataclass(frozen=True)
class Exchange:
    frame: bytes
    junk: bytes
    elapsed_s: float  # from the request's first byte to the reply's last byte


class SerialLink:
    def __init__(
        self,
        port: str,
        baud: int,
        *,
        gap_s: float | None = None,
        reply_timeout_s: float = 0.1,
        quiet_s: float | None = None,
        reconnect_cooldown_s: float = 1.0,
        echo: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if baud <= 0:
            raise ValueError(f"baud {baud} must be positive")
        self.port = port
        self.baud = baud
        self.gap_s = max(min_gap(baud), gap_s or 0.0)
        self.reply_timeout_s = reply_timeout_s
        # a pause of this long inside a reply means the reply is over. Generous on purpose: USB
        # serial adapters deliver bytes in bursts (FTDI latency timer: 16 ms), and a valid frame
        # ends the wait at once anyway, so only garbage pays for it.
        self.quiet_s = quiet_s if quiet_s is not None else max(20 * char_time(baud), 0.05)
        self.reconnect_cooldown_s = reconnect_cooldown_s
        self.echo = echo
        self._monotonic = monotonic
        self._serial = None
        self._fd: int | None = None
        self._key: str | None = None
        self._last_activity = 0.0
        self._next_attempt = 0.0
        self.state = "closed"  # closed | connected | unreachable
        self.last_error: Unreachable | None = None
        self.counters = {"exchanges": 0, "no_reply": 0, "bad_reply": 0, "junk_bytes": 0, "reconnects": 0,
                         "echo_bytes": 0, "echo_missing": 0}

    # -- ownership and connection -------------------------------------------------------------
    def open(self) -> bool:
        """Claim and open the port. Returns False (state "unreachable") if it cannot be used."""
        key = os.path.realpath(self.port)
        with _OWNED_LOCK:
            if self._key is None:
                if key in _OWNED:
                    self._fail(Unreachable(f"{self.port}: already owned by another link in this process",
                                           "one owner per port: use the existing link", errno=errno.EBUSY))
                    return False
                _OWNED.add(key)
                self._key = key
        return self._connect()

    def _connect(self) -> bool:
        import serial  # pyserial; imported here so the codecs stay importable without it

        self._disconnect()
        try:
            ser = serial.Serial(self.port, self.baud, timeout=0, write_timeout=1.0, exclusive=True)
        except serial.SerialException as exc:
            self._fail(self._classify(exc))
            return False
        except OSError as exc:
            self._fail(Unreachable.from_oserror(self.port, exc))
            return False
        self._serial = ser
        self._fd = ser.fileno()
        if self.state == "unreachable":
            self.counters["reconnects"] += 1
            log.warning("%s: reconnected", self.port)
        self.state = "connected"
        self.last_error = None
        return True

    def _classify(self, exc: Exception) -> Unreachable:
        err = getattr(exc, "errno", None)
        ctx = exc.__context__
        if err is None and isinstance(ctx, OSError):
            err = ctx.errno
        elif err is None and ctx is not None and ctx.args and isinstance(ctx.args[0], int):
            err = ctx.args[0]  # termios.error(errno, text) is not an OSError
        if err is None and "exclusively lock" in str(exc):
            err = errno.EBUSY  # pyserial's flock failure keeps no errno
        return Unreachable.from_oserror(self.port, OSError(err, os.strerror(err) if err else str(exc)))

    def _fail(self, error: Unreachable) -> None:
        if self.state != "unreachable":
            log.warning("%s", error)
        self.state = "unreachable"
        self.last_error = error
        self._next_attempt = self._monotonic() + self.reconnect_cooldown_s
        self._disconnect()

    def _disconnect(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except OSError:
                pass
        self._serial = None
        self._fd = None

    def close(self) -> None:
        self._disconnect()
        self.state = "closed"
        with _OWNED_LOCK:
            if self._key is not None:
                _OWNED.discard(self._key)
                self._key = None

    def ensure_open(self) -> None:
        """Raise `Unreachable` unless the port is usable; reopen after the cooldown."""
        if self.state == "connected":
            return
        if self._key is None:
            if not self.open():
                raise self.last_error  # type: ignore[misc]
            return
        if self._monotonic() < self._next_attempt:
            assert self.last_error is not None
            raise self.last_error
        if not self._connect():
            raise self.last_error  # type: ignore[misc]

    # -- one exchange -------------------------------------------------------------------------
    def exchange(
        self,
        request: bytes,
        find: Callable[[bytes], Found | None],
        reply_timeout_s: float | None = None,
    ) -> Exchange:
        """Send `request` after the bus gap and return the first valid reply `find` recognises."""
        self.ensure_open()
        assert self._fd is not None
        fd = self._fd
        timeout = self.reply_timeout_s if reply_timeout_s is None else reply_timeout_s
        self.counters["exchanges"] += 1
        try:
            self._wait_gap()
            self._drain(fd)
            start = time.perf_counter()
            _write_all(fd, request)
            wire = len(request) * char_time(self.baud)
            buf = bytearray()
            echo_pending = self.echo  # our own request is still to come back first
            first_deadline = start + wire + timeout
            last_byte = 0.0
            while True:
                now = time.perf_counter()
                deadline = first_deadline if not buf else last_byte + self.quiet_s
                left = deadline - now
                if left <= 0:
                    break
                ready, _, _ = select.select([fd], [], [], left)
                if not ready:
                    continue
                chunk = os.read(fd, 512)
                if not chunk:
                    raise OSError(errno.EIO, "end of file on the port")
                buf += chunk
                last_byte = time.perf_counter()
                if echo_pending:
                    # the reply can only follow our echo; bytes before it are a late reply to an
                    # earlier request (still on the wire when we drained): stale, never this reply
                    at = bytes(buf).find(request)
                    if at < 0:
                        continue  # the echo is not (all) here yet
                    self.counters["junk_bytes"] += at
                    self.counters["echo_bytes"] += len(request)
                    del buf[:at + len(request)]
                    echo_pending = False
                    if not buf:
                        continue  # the reply's own timeout still runs from the request
                found = find(bytes(buf))
                if found is not None:
                    self._last_activity = time.perf_counter()
                    if found.start:
                        self.counters["junk_bytes"] += found.start
                    return Exchange(found.frame, bytes(buf[: found.start]), last_byte - start)
        except OSError as exc:
            if exc.errno == errno.EINTR:  # pragma: no cover - Python retries EINTR itself
                raise
            error = Unreachable.from_oserror(self.port, exc)
            self._fail(error)
            raise error from None
        self._last_activity = time.perf_counter()
        if echo_pending and buf:  # no echo came: an adapter that does not echo after all
            self.counters["echo_missing"] += 1
            found = find(bytes(buf))
            if found is not None:
                self.counters["junk_bytes"] += found.start
                return Exchange(found.frame, bytes(buf[: found.start]), last_byte - start)
        if not buf:
            self.counters["no_reply"] += 1
            raise NoReply(f"no reply within {timeout * 1000:.0f} ms to {request.hex(' ').upper()}")
        self.counters["bad_reply"] += 1
        raise BadReply(f"{len(buf)} byte(s) but no valid frame (bad checksum or garbled): {bytes(buf[:32]).hex(' ').upper()}")

    def send_only(self, request: bytes) -> None:
        """Write a frame that gets no reply (e.g. a broadcast), keeping the bus gap."""
        self.ensure_open()
        assert self._fd is not None
        try:
            self._wait_gap()
            _write_all(self._fd, request)
            self._last_activity = time.perf_counter() + len(request) * char_time(self.baud)
        except OSError as exc:
            error = Unreachable.from_oserror(self.port, exc)
            self._fail(error)
            raise error from None

    def _wait_gap(self) -> None:
        due = self._last_activity + self.gap_s
        while True:
            left = due - time.perf_counter()
            if left <= 0:
                return
            time.sleep(left if left > 0.0005 else 0)

    @staticmethod
    def _drain(fd: int) -> None:
        """Drop stale bytes (a late reply to an earlier request must not answer this one)."""
        while select.select([fd], [], [], 0)[0]:
            if not os.read(fd, 4096):
                raise OSError(errno.EIO, "end of file on the port")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
