"""Emulated lock-control boards on a pseudo-terminal, with fault injection.

    python -m hw_sim.locker_board --protocol 8a80|kerong-cu|modbus-rtu --boards 1:24,2:8 [--baud 9600]
        [--link PATH] [--control SOCKET] [--status-order first-byte-low] [--open-bit 0]

Every protocol of the registry (`locker_firmware_bridge.protocols`) can be played: its entry's
emulator profile names the firmware (`hw_sim.locker.firmware*`) and the default boards; a
board's status order and polarity default to the protocol's.

prints the port path (a stable symlink to the pty, so unplug/replug keeps the path, as udev's
/dev/serial/by-id names do) and serves until interrupted.

In-process: `sim = LockerBoardSim("8a80", boards=["1:24", "2:8"], baud=9600); port = sim.start()`
... `sim.close()`; or `LockerBoardSim.from_config(cabinet_config)`.

Wire time is reproduced: a reply starts no earlier than the request's own bytes would have taken
to arrive at the baud rate, and its bytes leave at the baud rate (`hw_sim.wire.PtyPort`).
Like a real UART, the boards only understand the host at their own baud rate: bytes sent while
the host's port is set to another rate are dropped (a bus probe must find the right rate).

Control commands (`hub.call("cabinet", CMD, ...)` or `python -m hw_sim.ctl SOCKET cabinet CMD k=v`):
close_door, close_all, open_door_by_hand, jam_lock, stick_door, break_sensor, set_item,
set_junk, set_corrupt_rate, set_slow, set_board_offline, unplug, replug, set_board_format,
set_auto_close, set_echo, hold_output, set_twin, reset_faults, status.
`set_twin board=N` puts a second board at address N (a DIP-switch mistake): both answer, and
their replies collide on the wire (garbled bytes, no valid frame).
`set_echo on=true` (or `echo=1` in a `{sim}` URL, `--echo` here) makes the emulated adapter hand
the host its own request bytes back, as an RS485 adapter without echo suppression does; like the
board format it is hardware, so `reset_faults` keeps it.
"""

from __future__ import annotations

import argparse
import os
import random
import select
import shutil
import sys
import tempfile
import termios
import threading
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hw_sim.control import ControlError, ControlHub, SimDevice, serve_until_stopped
from hw_sim.locker.boards import SimBoard
from hw_sim.locker.firmware import firmware_for
from hw_sim.wire import PtyPort, byte_time
from locker_firmware_bridge.protocols import DEFAULT_PROTOCOL, get_protocol, protocol_names


def parse_boards(spec: str | list[Any]) -> list[SimBoard]:
    """"1:24,2:8" (address:locks) or a list of such strings / (address, locks) / dicts / SimBoards."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    boards: list[SimBoard] = []
    for item in items:
        if isinstance(item, SimBoard):
            boards.append(item)
        elif isinstance(item, dict):
            boards.append(SimBoard(**item))
        elif isinstance(item, tuple):
            boards.append(SimBoard(int(item[0]), int(item[1])))
        else:
            address, sep, locks = str(item).strip().partition(":")
            if not sep or not address.isdigit() or not locks.isdigit():
                raise ValueError(f"board spec {item!r}: expected ADDRESS:LOCKS, e.g. 1:24")
            boards.append(SimBoard(int(address), int(locks)))
    if len({b.address for b in boards}) != len(boards):
        raise ValueError("board addresses must be unique")
    return boards


class LockerBoardSim(SimDevice):
    sim_name = "cabinet"

    def __init__(self, protocol: str = DEFAULT_PROTOCOL, boards: str | list[Any] | None = None,
                 baud: int | None = None, link: str | None = None, seed: int = 0, turnaround_ms: float = 0.0) -> None:
        self.protocol = protocol
        self.spec = get_protocol(protocol)
        self.firmware = firmware_for(protocol)
        self.baud = baud or self.spec.default_baud
        self.boards = {b.address: b for b in parse_boards(self.spec.emulator.boards if boards is None else boards)}
        for b in self.boards.values():  # the protocol's defaults, so the firmware never guesses
            b.status_order = b.status_order or self.spec.status.status_order
            b.open_bit = self.spec.status.open_bit if b.open_bit is None else b.open_bit
        self.twins: set[int] = set()  # addresses where a second board answers too
        self.wrong_baud_bytes = 0  # bytes the host sent at another baud rate (not understood)
        self._tmpdir: str | None = None
        self.link = link
        self.turnaround_s = turnaround_ms / 1000
        self.rng = random.Random(seed)
        self.junk = b""
        self.junk_rate = 0.0
        self.corrupt_rate = 0.0
        self.slow_s = 0.0
        self.slow_only: str | None = None  # "open" | "status": slow down only those replies
        self.auto_close_s: float | None = None
        self.echo = False  # the adapter hands the host's own bytes back
        self.port: PtyPort | None = None
        self.plugged = False
        self.requests = 0
        self.replies = 0
        self.gaps: list[float] = []  # silence on the line before each request (s), for tests
        self._line_free_at = 0.0
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_config(cls, cabinet: Any, **kw: Any) -> "LockerBoardSim":
        """From a `kiosk.config.cabinet.CabinetConfig` (or anything shaped like it)."""
        params = dict(parse_qsl(urlsplit(cabinet.url).query))
        protocol = params.get("protocol", DEFAULT_PROTOCOL)
        baud = int(params["baud"]) if "baud" in params else None
        boards = [SimBoard(b.address, b.locks, getattr(b, "status_order", None), getattr(b, "open_bit", None),
                           getattr(b, "feedback", "closing")) for b in cabinet.boards]
        sim = cls(protocol, boards, baud, **kw)
        sim.echo = params.get("echo", "0").lower() in ("1", "true", "yes", "on")
        return sim

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> str:
        """Create the pty and serve; returns the port path the driver opens."""
        if self.link is None:
            self._tmpdir = tempfile.mkdtemp(prefix="locker-sim-")
            self.link = os.path.join(self._tmpdir, "ttyLOCK0")
        self._plug()
        self._thread = threading.Thread(target=self._serve, name="locker-sim", daemon=True)
        self._thread.start()
        return self.link

    @property
    def path(self) -> str:
        assert self.link is not None, "call start() first"
        return self.link

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None
        with self._lock:
            if self.port is not None:
                self.port.close()
                self.port = None
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def _plug(self) -> None:
        with self._lock:
            self.port = PtyPort(self.baud, link=self.link)
            self.plugged = True

    # -- serving ------------------------------------------------------------------------------
    def _serve(self) -> None:
        buf = bytearray()
        first_at = 0.0
        while not self._stop.is_set():
            self._auto_close()
            with self._lock:
                port = self.port if self.plugged else None
            if port is None:
                buf.clear()
                time.sleep(0.01)
                continue
            try:
                ready, _, _ = select.select([port.master], [], [], 0.02)
                if not ready:
                    continue
                data = os.read(port.master, 4096)
            except OSError:
                time.sleep(0.01)  # unplugged under us
                continue
            if not self._host_speaks_our_baud(port):
                self.wrong_baud_bytes += len(data)  # framing errors on a real UART: nothing understood
                buf.clear()
                continue
            if self.echo:  # the adapter repeats the host's bytes as they pass
                try:
                    os.write(port.master, data)
                except OSError:
                    pass
            if not buf:
                first_at = time.perf_counter()
            buf += data
            while True:
                request, used = self.firmware.take_request(bytes(buf))
                frame_start = first_at
                del buf[:used]
                if request is None:
                    break
                # the next frame's bytes (if any) arrived with this read
                first_at = frame_start + len(request) * byte_time(self.baud)
                self._answer(port, request, frame_start)

    def _host_speaks_our_baud(self, port: PtyPort) -> bool:
        want = getattr(termios, f"B{self.baud}", None)
        if want is None:
            return True
        try:
            return termios.tcgetattr(port.slave)[5] == want
        except termios.error:
            return True

    def _answer(self, port: PtyPort, request: bytes, arrived: float) -> None:
        self.requests += 1
        if self._line_free_at:
            self.gaps.append(arrived - self._line_free_at)
        self._line_free_at = arrived + len(request) * byte_time(self.baud)
        with self._lock:
            address, reply = self.firmware.handle(request, self.boards)
            board = self.boards.get(address) if address is not None else None
            if reply is None or board is None or board.offline:
                return
            junk = self.junk if self.junk and self.rng.random() < self.junk_rate else b""
            if self.corrupt_rate and self.rng.random() < self.corrupt_rate:
                reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
            if address in self.twins:
                reply = _collide(reply)
        # the request's bytes take their wire time to arrive; then the board turns around
        # (re-read each time: `set_slow(0)` ends a slow reply that is already waiting)
        wire = arrived + len(request) * byte_time(self.baud)
        is_open = self.firmware.is_open(request)

        def slow() -> float:
            if self.slow_only is None or (self.slow_only == "open") == is_open:
                return self.slow_s
            return 0.0

        while (left := wire + slow() + self.turnaround_s - time.perf_counter()) > 0 and not self._stop.is_set():
            time.sleep(min(left, 0.01) if left > 0.0003 else 0)
        try:
            started = time.perf_counter()
            port.write_paced(junk + reply)
            self.replies += 1
            # the line is free once the last byte's wire time has passed (the schedule, not the
            # moment this thread got to note it, which can be late on a loaded machine)
            self._line_free_at = started + len(junk + reply) * byte_time(self.baud)
        except OSError:
            pass

    def _auto_close(self) -> None:
        if self.auto_close_s is None:
            return
        now = time.monotonic()
        with self._lock:
            for board in self.boards.values():
                for door in board.doors.values():
                    if door.open and now - door.opened_at >= self.auto_close_s:
                        door.open = False

    # -- control commands ---------------------------------------------------------------------
    def _board(self, board: int) -> SimBoard:
        if board not in self.boards:
            raise ControlError(f"cabinet: no board {board} (have {sorted(self.boards)})")
        return self.boards[board]

    def _door(self, board: int, lock: int):  # noqa: ANN202
        try:
            return self._board(board).door(lock)
        except ValueError as exc:
            raise ControlError(f"cabinet: {exc}") from None

    def cmd_close_door(self, board: int, lock: int) -> str:
        """Push a door shut (a person closing it)."""
        with self._lock:
            self._door(board, lock).open = False
        return "closed"

    def cmd_close_all(self) -> int:
        """Close every open door; returns how many were open."""
        n = 0
        with self._lock:
            for b in self.boards.values():
                for d in b.doors.values():
                    n += d.open
                    d.open = False
        return n

    def cmd_open_door_by_hand(self, board: int, lock: int) -> str:
        """Force a door open without a release (uncommanded open)."""
        with self._lock:
            d = self._door(board, lock)
            d.open, d.opened_at = True, time.monotonic()
        return "open"

    def cmd_jam_lock(self, board: int, lock: int, on: bool = True) -> bool:
        """The latch does not release: the board answers "not opened"."""
        with self._lock:
            self._door(board, lock).jammed = bool(on)
        return bool(on)

    def cmd_stick_door(self, board: int, lock: int, on: bool = True) -> bool:
        """The latch releases but the door will not open (stays shut)."""
        with self._lock:
            self._door(board, lock).stuck = bool(on)
        return bool(on)

    def cmd_break_sensor(self, board: int, lock: int, reads: str | None = "open") -> str | None:
        """Broken door-sensor wire that always reads `reads` ("open"/"closed"); null repairs it."""
        if reads not in (None, "open", "closed"):
            raise ControlError('cabinet.break_sensor: reads must be "open", "closed" or null')
        with self._lock:
            self._door(board, lock).sensor = reads
        return reads

    def cmd_set_item(self, board: int, lock: int, present: bool = True) -> bool:
        """Put/remove an item (kerong infrared presence bit)."""
        with self._lock:
            self._door(board, lock).item = bool(present)
        return bool(present)

    def cmd_set_junk(self, hex: str = "FA FD 99 99", rate: float = 1.0) -> str:  # noqa: A002
        """Send these junk bytes before a reply, with probability `rate` ("" = off)."""
        try:
            junk = bytes.fromhex(hex)
        except ValueError:
            raise ControlError(f"cabinet.set_junk: {hex!r} is not hex bytes") from None
        with self._lock:
            self.junk, self.junk_rate = junk, float(rate)
        return junk.hex(" ").upper()

    def cmd_set_corrupt_rate(self, rate: float, seed: int | None = None) -> float:
        """Corrupt the checksum of this fraction of replies (0-1)."""
        if not 0 <= rate <= 1:
            raise ControlError("cabinet.set_corrupt_rate: rate must be within 0-1")
        with self._lock:
            self.corrupt_rate = float(rate)
            if seed is not None:
                self.rng.seed(seed)
        return self.corrupt_rate

    def cmd_set_slow(self, ms: float, only: str | None = None) -> float:
        """Delay replies by `ms` milliseconds (slow firmware); `only`: "open" or "status" replies."""
        if only not in (None, "open", "status"):
            raise ControlError('cabinet.set_slow: only must be "open", "status" or null')
        with self._lock:
            self.slow_s = max(0.0, float(ms)) / 1000
            self.slow_only = only
        return self.slow_s * 1000

    def cmd_set_board_offline(self, board: int, offline: bool = True) -> bool:
        """A board that does not answer at all (power lost, wrong DIP address)."""
        with self._lock:
            self._board(board).offline = bool(offline)
        return bool(offline)

    def cmd_unplug(self) -> str:
        """Pull the USB-serial adapter: the port disappears (the driver sees EIO, then ENOENT)."""
        with self._lock:
            if self.port is not None:
                self.port.close()
                self.port = None
            self.plugged = False
        return "unplugged"

    def cmd_replug(self) -> str:
        """Plug the adapter back in: the same path appears again."""
        with self._lock:
            if not self.plugged:
                self._plug()
        return self.path

    def cmd_set_board_format(self, board: int, status_order: str | None = None, open_bit: int | None = None,
                             feedback: str | None = None) -> dict[str, Any]:
        """Firmware variant: status byte order, bit value for open, closing/opening feedback."""
        with self._lock:
            b = self._board(board)
            if status_order is not None:
                if status_order not in ("last-byte-low", "first-byte-low"):
                    raise ControlError("status_order must be last-byte-low or first-byte-low")
                b.status_order = status_order
            if open_bit is not None:
                if open_bit not in (0, 1):
                    raise ControlError("open_bit must be 0 or 1")
                b.open_bit = int(open_bit)
            if feedback is not None:
                if feedback not in ("closing", "opening"):
                    raise ControlError("feedback must be closing or opening")
                b.feedback = feedback
            return {"status_order": b.status_order, "open_bit": b.open_bit, "feedback": b.feedback}

    def cmd_set_auto_close(self, seconds: float | None = None) -> float | None:
        """Doors close by themselves this long after opening (a simulated user); null = never."""
        with self._lock:
            self.auto_close_s = None if seconds is None else max(0.0, float(seconds))
        return self.auto_close_s

    def cmd_hold_output(self, board: int, lock: int, on: bool = True) -> bool:
        """An output left switched on ("keep powered", e.g. by a host that crashed)."""
        with self._lock:
            self._door(board, lock).held = bool(on)
        return bool(on)

    def cmd_set_twin(self, board: int, on: bool = True) -> bool:
        """A second board at the same address (two DIP switches set alike): both answer at once."""
        with self._lock:
            self._board(board)
            if on:
                self.twins.add(board)
            else:
                self.twins.discard(board)
        return bool(on)

    def cmd_set_echo(self, on: bool = True) -> bool:
        """The USB-RS485 adapter echoes the host's own bytes back (no echo suppression)."""
        with self._lock:
            self.echo = bool(on)
        return self.echo

    def cmd_reset_faults(self) -> str:
        """Clear every injected fault (doors keep their position)."""
        with self._lock:
            self.junk, self.junk_rate, self.corrupt_rate, self.slow_s = b"", 0.0, 0.0, 0.0
            self.slow_only = None
            for b in self.boards.values():
                b.offline = False
                for d in b.doors.values():
                    d.jammed = d.stuck = False
                    d.sensor = None
        if not self.plugged:
            self.cmd_replug()
        return "ok"

    def cmd_status(self) -> dict[str, Any]:
        """Doors, faults and counters of every board."""
        with self._lock:
            return {
                "protocol": self.protocol, "baud": self.baud, "port": self.link, "plugged": self.plugged,
                "requests": self.requests, "replies": self.replies,
                "junk": self.junk.hex(" ").upper(), "junk_rate": self.junk_rate,
                "corrupt_rate": self.corrupt_rate, "slow_ms": self.slow_s * 1000, "echo": self.echo,
                "twins": sorted(self.twins), "wrong_baud_bytes": self.wrong_baud_bytes,
                "boards": [b.snapshot() for b in self.boards.values()],
            }

    def cmd_door(self, board: int, lock: int) -> dict[str, Any]:
        """One door: whether it is open and how many release pulses it has had."""
        with self._lock:
            door = self._door(board, lock)
            return {"open": door.open, "releases": door.releases}

    # direct helpers for tests in the same process
    def door_open(self, board: int, lock: int) -> bool:
        return self._door(board, lock).open

    def releases(self, board: int, lock: int) -> int:
        return self._door(board, lock).releases


def _collide(reply: bytes) -> bytes:
    """Two boards driving the line at once: the twin starts one bit later and a driven 0 wins
    (wired-AND), so the host receives garbled bytes, as on a real bus."""
    out = bytearray()
    prev = 0xFF
    for byte in reply:
        late = ((byte << 1) | (prev >> 7)) & 0xFF
        out.append(byte & late)
        prev = byte
    return bytes(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hw_sim.locker_board", description=__doc__.split("\n")[0])
    p.add_argument("--protocol", choices=protocol_names(), default=DEFAULT_PROTOCOL)
    p.add_argument("--boards", help="ADDRESS:LOCKS,... e.g. 1:24,2:8 (default: the protocol's emulator profile)")
    p.add_argument("--baud", type=int)
    p.add_argument("--link", help="stable path for the port (a symlink to the pty)")
    p.add_argument("--control", help="serve the control API on this Unix socket")
    p.add_argument("--status-order", choices=["last-byte-low", "first-byte-low"])
    p.add_argument("--open-bit", type=int, choices=[0, 1])
    p.add_argument("--feedback", choices=["closing", "opening"])
    p.add_argument("--auto-close", type=float, help="doors close by themselves after this many seconds")
    p.add_argument("--echo", action="store_true", help="the adapter echoes the host's bytes back")
    args = p.parse_args(argv)
    try:
        sim = LockerBoardSim(args.protocol, args.boards, args.baud, link=args.link)
    except ValueError as exc:
        print(f"locker_board: {exc}", file=sys.stderr)
        return 2
    for b in sim.boards.values():
        sim.cmd_set_board_format(b.address, args.status_order, args.open_bit, args.feedback)
    if args.auto_close is not None:
        sim.cmd_set_auto_close(args.auto_close)
    sim.cmd_set_echo(args.echo)
    hub = ControlHub()
    hub.add(sim)
    path = sim.start()
    if args.control:
        hub.serve(args.control)
    print(path, flush=True)
    return serve_until_stopped(hub)


if __name__ == "__main__":
    sys.exit(main())
