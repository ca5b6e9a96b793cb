"""A simulated ESC/POS network receipt printer (TCP, default 127.0.0.1:9100).

It parses what python-escpos (or anything else) sends (`hw_sim.escpos.parser`), answers DLE EOT
status requests from its injectable state (paper ok/low/out, a cutter jam, offline = cover open),
keeps every receipt as data for tests (`.receipts`) and renders each one to a PNG that looks like
the printed slip (`hw_sim.escpos.render`). While it is not ready (paper out, jam, offline) it
prints nothing, as a real printer would, and the receipt records what was lost and why.

    python -m hw_sim.escpos_printer --port 9100 --out out/receipts [--control var/sim/printer.sock]

Control commands (`hw_sim.control`): set_paper(state, after_lines), jam(on), offline(on),
status(), receipts(), last_receipt(), clear(), render_dir(path).
"""

from __future__ import annotations

import argparse
import logging
import queue
import socket
import socketserver
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hw_sim.control import ControlError, ControlHub, SimDevice, serve_until_stopped
from hw_sim.escpos.model import Receipt
from hw_sim.escpos.parser import KEEP_RECEIPTS, EscposParser
from hw_sim.escpos.render import save_png

log = logging.getLogger(__name__)
PAPER_STATES = ("ok", "low", "out")


class PrinterSim(SimDevice):
    sim_name = "printer"

    def __init__(self, host: str = "127.0.0.1", port: int = 9100, out_dir: str | Path | None = None,
                 render: bool = True, four_byte_gb18030: bool = False) -> None:
        self.host, self.port = host, port
        self.out_dir = Path(out_dir) if out_dir else None
        self.render = render
        self.four_byte = four_byte_gb18030
        self.paper = "ok"
        self.jammed = False
        self.offline = False
        self._lines_until_out: int | None = None
        self.receipts: list[Receipt] = []
        self.connections = 0
        self.status_requests = 0
        self._lock = threading.RLock()
        self._server: socketserver.ThreadingTCPServer | None = None
        self._live: set[socket.socket] = set()
        self._changed = threading.Condition(self._lock)
        self._ptys: list[Any] = []
        self._numbered = 0
        self._render_queue: queue.Queue[tuple[Receipt, Path | None] | None] = queue.Queue()
        self._render_thread: threading.Thread | None = None
        self._render_pending = 0
        self.published = 0  # receipts ever listed (the list itself is cleared and trimmed)

    # -- printer state ------------------------------------------------------------------------
    def status_byte(self, n: int) -> int:
        """The reply to DLE EOT n (fixed bits 1 and 4 set)."""
        with self._lock:
            out, low = self.paper == "out", self.paper == "low"
            s = 0x12
            if n == 1 and (self.offline or out or self.jammed):
                s |= 0x08
            elif n == 2:
                s |= (0x04 if self.offline else 0) | (0x20 if out else 0) | (0x40 if self.jammed else 0)
            elif n == 3 and self.jammed:
                s |= 0x08
            elif n == 4:
                s |= 0x6C if out else (0x0C if low else 0)
            return s

    def not_ready(self) -> str | None:
        with self._lock:
            if self.paper == "out":
                return "paper out"
            if self.jammed:
                return "paper jam"
            if self.offline:
                return "offline (cover open)"
            return None

    def _printed_line(self) -> None:
        with self._lock:
            if self._lines_until_out is not None:
                self._lines_until_out -= 1
                if self._lines_until_out <= 0:
                    self.paper, self._lines_until_out = "out", None

    def _got_receipt(self, receipt: Receipt) -> None:
        """Called by the parser on the connection's thread. Rendering the PNG takes tens of
        milliseconds (more on a loaded machine), and a real printer answers DLE EOT in real time
        while it prints, so the PNG is drawn on a render thread and the connection goes on
        parsing; the receipt is listed once its PNG exists (in order)."""
        with self._lock:
            self._numbered += 1
            index = self._numbered
            out_dir = self.out_dir if self.render else None
            if out_dir is None and not self._render_pending:
                self._publish(receipt)
                return
            self._render_pending += 1
            if self._render_thread is None or not self._render_thread.is_alive():
                self._render_thread = threading.Thread(target=self._render_loop, name="printer-sim-render",
                                                       daemon=True)
                self._render_thread.start()
        self._render_queue.put((receipt, out_dir / f"receipt-{index:04d}.png" if out_dir else None))

    def _render_loop(self) -> None:
        while True:
            item = self._render_queue.get()
            if item is None:
                return
            receipt, png = item
            if png is not None:
                try:
                    save_png(receipt, png)
                except Exception as exc:  # a rendering problem must not stop the printer
                    receipt.errors.append(f"render failed: {type(exc).__name__}: {exc}")
            with self._lock:
                self._render_pending -= 1
                self._publish(receipt)

    def _publish(self, receipt: Receipt) -> None:
        with self._lock:
            self.published += 1
            self.receipts.append(receipt)
            if len(self.receipts) > KEEP_RECEIPTS:  # a long-running simulator keeps the newest
                del self.receipts[0]
            self._changed.notify_all()

    def parser(self, reply=None) -> EscposParser:  # type: ignore[no-untyped-def]
        """A parser wired to this printer's state (used per connection, and for files)."""
        return EscposParser(reply=reply, status=self._count_status, not_ready=self.not_ready,
                            on_receipt=self._got_receipt, on_line=self._printed_line,
                            four_byte_gb18030=self.four_byte)

    def _count_status(self, n: int) -> int:
        with self._lock:
            self.status_requests += 1
        return self.status_byte(n)

    def wait_receipts(self, count: int, timeout: float = 5.0) -> list[Receipt]:
        """Block until at least `count` receipts exist (tests); raises TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.receipts) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.receipts)} receipt(s) after {timeout} s, expected {count}")
                self._changed.wait(left)
            return list(self.receipts)

    # -- TCP ----------------------------------------------------------------------------------
    def start(self) -> str:
        sim = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one-byte status replies go out at once
                with sim._lock:
                    sim.connections += 1
                    sim._live.add(conn)
                p = sim.parser(reply=conn.sendall)
                try:
                    while True:
                        data = conn.recv(65536)
                        if not data:
                            break
                        p.feed(data)
                except OSError:
                    pass
                finally:
                    p.close()
                    with sim._lock:
                        sim._live.discard(conn)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="printer-sim", daemon=True).start()
        return f"{self.host}:{self.port}"

    def start_serial(self, baud: int = 115200) -> str:
        """Also listen on a pseudo-terminal (a serial printer); returns the pty path for
        `serial://PATH?baud=...`. Replies are paced at `baud`."""
        import os
        import select

        from hw_sim.wire import PtyPort

        port = PtyPort(baud=baud)
        self._ptys.append(port)
        p = self.parser(reply=port.write_paced)

        def run() -> None:
            while not port.closed:
                try:
                    ready, _, _ = select.select([port.master], [], [], 0.2)
                    if ready:
                        data = os.read(port.master, 4096)
                        if data:
                            port.wire_delay(len(data))  # the line delivers the host's bytes at `baud`
                            p.feed(data)
                except OSError:
                    if port.closed:
                        break
                    time.sleep(0.05)  # the host closed its side (EIO): wait for it to reopen
            p.close()

        threading.Thread(target=run, name="printer-sim-pty", daemon=True).start()
        return port.path

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def drop_connections(self) -> None:
        """Close every open client connection (a printer power cycle, a pulled cable)."""
        with self._lock:
            live = list(self._live)
        for conn in live:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.drop_connections()
        for port in self._ptys:
            port.close()
        self._ptys.clear()
        thread = self._render_thread
        if thread is not None:  # finish the PNGs of what was printed, then stop
            self._render_queue.put(None)
            thread.join(10)
            self._render_thread = None

    # -- control commands ---------------------------------------------------------------------
    def cmd_set_paper(self, state: str, after_lines: int | None = None) -> dict[str, Any]:
        """Paper sensor: ok | low | out; with after_lines, paper runs out after that many printed lines."""
        if state not in PAPER_STATES:
            raise ControlError(f"paper state must be one of {', '.join(PAPER_STATES)}, not {state!r}")
        with self._lock:
            if after_lines is not None and state == "out":
                if not isinstance(after_lines, int) or after_lines < 1:
                    raise ControlError("after_lines must be a positive integer")
                self._lines_until_out = after_lines
            else:
                self.paper, self._lines_until_out = state, None
        return self.cmd_status()

    def cmd_jam(self, on: bool = True) -> dict[str, Any]:
        """Paper jam at the cutter (error status, nothing prints) until cleared with on=false."""
        with self._lock:
            self.jammed = bool(on)
        return self.cmd_status()

    def cmd_offline(self, on: bool = True) -> dict[str, Any]:
        """Offline (cover open): status says offline, nothing prints."""
        with self._lock:
            self.offline = bool(on)
        return self.cmd_status()

    def cmd_status(self) -> dict[str, Any]:
        """Paper, jam, offline, address, counters."""
        with self._lock:
            return {"address": self.address, "paper": self.paper, "jammed": self.jammed, "offline": self.offline,
                    "paper_out_after_lines": self._lines_until_out, "receipts": len(self.receipts),
                    "connections": self.connections, "status_requests": self.status_requests,
                    "render_dir": str(self.out_dir) if self.out_dir else None}

    def cmd_receipts(self) -> list[dict[str, Any]]:
        """Every receipt printed so far (lines, QR payloads, cut, errors, PNG path)."""
        with self._lock:
            return [r.summary() for r in self.receipts]

    def cmd_last_receipt(self) -> dict[str, Any] | None:
        """The most recent receipt, or null."""
        with self._lock:
            return self.receipts[-1].summary() if self.receipts else None

    def cmd_clear(self) -> dict[str, Any]:
        """Forget printed receipts."""
        with self._lock:
            self.receipts.clear()
        return self.cmd_status()

    def cmd_render_dir(self, path: str | None = None) -> dict[str, Any]:
        """Write a PNG per receipt into this directory (null: stop writing PNGs)."""
        with self._lock:
            self.out_dir = Path(path) if path else None
        return self.cmd_status()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hw_sim.escpos_printer", description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9100)
    ap.add_argument("--out", default="out/receipts", help="directory for receipt PNGs")
    ap.add_argument("--control", help="serve the simulator control API on this Unix socket")
    ap.add_argument("--gb18030", action="store_true", help="the font has four-byte GB18030 characters")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    sim = PrinterSim(args.host, args.port, out_dir=args.out, four_byte_gb18030=args.gb18030)
    try:
        address = sim.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    hub = ControlHub()
    hub.add(sim)
    if args.control:
        hub.serve(args.control)
    print(f"ESC/POS printer simulator on tcp://{address}, receipts -> {args.out}"
          + (f", control {args.control}" if args.control else ""), flush=True)
    seen = 0

    def report_new_receipts() -> None:
        nonlocal seen
        # count what was published, not list positions: `clear` and the KEEP_RECEIPTS trim
        # shorten the list
        with sim._lock:
            total, kept = sim.published, list(sim.receipts)
        fresh = kept[len(kept) - min(total - seen, len(kept)):] if total > seen else []
        for n, r in enumerate(fresh, total - len(fresh) + 1):
            print(f"receipt {n}: {len(r.lines)} lines, qr={r.qr}, cut={r.cut}, png={r.png}"
                  + (f", errors={r.errors}" if r.errors else "") + (f", lost: {r.lost}" if r.lost else ""),
                  flush=True)
        seen = total

    return serve_until_stopped(hub, tick=0.2, on_tick=report_new_receipts)


if __name__ == "__main__":
    sys.exit(main())
