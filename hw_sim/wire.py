"""Serial wire emulation on a pseudo-terminal.

A pty delivers bytes instantly; a real RS485/RS232 line does not. `PtyPort` gives a simulator
the master side of a pty (the driver opens `port.path` like any /dev/ttyUSB*) and writes replies
at the configured baud rate, so timings measured against a simulator mean something.
"""

from __future__ import annotations

import os
import termios
import time
import tty


def byte_time(baud: int, bits_per_byte: int = 10) -> float:
    """Seconds one byte takes on the wire (8N1 = 10 bits: start + 8 data + stop)."""
    return bits_per_byte / baud


class PtyPort:
    def __init__(self, baud: int = 9600, link: str | None = None) -> None:
        self.baud = baud
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        attrs = termios.tcgetattr(self.slave)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(self.slave, termios.TCSANOW, attrs)
        self.path = os.ttyname(self.slave)
        self.link = link
        if link:
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(self.path, link)
        self.closed = False

    def write_paced(self, data: bytes) -> None:
        """Write `data` as the line would deliver it: byte k is available at start + (k+1)·byte time."""
        bt = byte_time(self.baud)
        start = time.perf_counter()
        sent = 0
        while sent < len(data):
            due = int((time.perf_counter() - start) / bt)  # bytes whose time has come
            if due > sent:
                n = min(due, len(data)) - sent
                os.write(self.master, data[sent:sent + n])
                sent += n
            else:
                _sleep_until(start + (sent + 1) * bt)

    def wire_delay(self, nbytes: int) -> None:
        """Wait as long as `nbytes` take on the wire (e.g. the host's request arriving)."""
        _sleep_until(time.perf_counter() + nbytes * byte_time(self.baud))

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.link and os.path.islink(self.link):
            os.unlink(self.link)


def _sleep_until(deadline: float) -> None:
    # time.sleep overshoots by ~50-100 µs on Linux; spin the last 200 µs for ms-accurate pacing.
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return
        if left > 0.0003:
            time.sleep(left - 0.0002)
