"""ESC/POS receipt printer over python-escpos backends, on one owner thread.

URLs: `tcp://host:9100` (Network) · `serial:///dev/ttyS0?baud=9600` (Serial) · `usb://04b8:0202`
(Usb, needs pyusb) · `file:///dev/usb/lp0` (File) · `cups://QUEUE` (CupsPrinter with pycups, else
the `lp` command). Common parameters: `charset=gbk|gb18030`, `status_timeout=1.0`,
`require_status=1|0`, `timeout=3` (connect/write seconds), `poll=5` (background status
re-read interval in seconds, 0 = off; readable backends only).

Before each job the printer's real-time status (DLE EOT 1..4) is read where the backend has a
read channel (tcp, serial, usb); paper out, a jam, an open cover or an offline printer end the job
with `device_not_ready` before anything prints, and the completion carries the receipt as
`data["fallback"]` (text + QR payload) for the screen. After the job the status is read again to
catch paper running out mid-receipt. `open()` never raises: an absent printer is `no_device` (or
`offline` for an unreachable network printer).
"""

from __future__ import annotations

import logging
import shutil
import socket
import threading
import time
from typing import Any

from escpos.escpos import Escpos

from kiosk.devices.base import Command, DeviceError, DeviceStatus, ResultCode
from kiosk.devices.printer import ReceiptPrinter
from kiosk.devices.printer.escpos_job import build_job
from kiosk.devices.printer.layout import Receipt
from kiosk.devices.printer.logo import default_logo, load_logo
from kiosk.devices.printer.receipts import ReceiptDataError
from kiosk.devices.printer.status import DLE_EOT, QUERIES, PrinterState, StatusByteError, decode
from kiosk.devices.printer.templates import build_receipt
from kiosk.devices.registry import DeviceUrl, parse_url
from kiosk.devices.worker import OwnerThread

log = logging.getLogger(__name__)

READABLE = ("tcp", "serial", "usb")


class PrinterUnavailable(Exception):
    """The printer cannot be reached; `status` says how the device should look."""

    def __init__(self, status: DeviceStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _reason(exc: BaseException) -> str:
    """The underlying cause of an open failure, without python-escpos's wrapping."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    if cause is not None and str(cause):
        return str(cause).replace("\n", " ").strip()
    return str(exc).replace("\n", " ").strip()


def _usb_ids(url: DeviceUrl) -> tuple[int, int]:
    ident = url.raw.split("://", 1)[1].split("?", 1)[0].strip("/")
    vid, sep, pid = ident.partition(":")
    try:
        if not sep:
            raise ValueError
        return int(vid, 16), int(pid, 16)
    except ValueError:
        raise ValueError(f"{url.raw}: expected usb://VID:PID in hex, e.g. usb://04b8:0202") from None


def make_escpos(url: DeviceUrl, connect_timeout: float) -> Escpos:
    """Build (not open) the python-escpos printer object the URL names."""
    if url.scheme == "tcp":
        from escpos.printer import Network

        if not url.host:
            raise ValueError(f"{url.raw}: expected tcp://HOST:PORT")
        return Network(url.host, url.port or 9100, timeout=connect_timeout)
    if url.scheme == "serial":
        from escpos.printer import Serial

        return Serial(devfile=url.target, baudrate=url.param("baud", 9600, int), timeout=0.2,
                      dsrdtr=bool(url.param("dsrdtr", 0, int)))
    if url.scheme == "usb":
        vid, pid = _usb_ids(url)
        try:
            import usb.core  # noqa: F401
        except ImportError:
            raise PrinterUnavailable(DeviceStatus.NO_DEVICE, "usb:// needs pyusb (pip install pyusb)") from None
        from escpos.printer import Usb

        kw: dict[str, Any] = {}
        for ep in ("in_ep", "out_ep"):
            if ep in url.params:
                kw[ep] = int(url.params[ep], 16)
        return Usb(vid, pid, timeout=int(connect_timeout * 1000), **kw)
    if url.scheme == "file":
        from escpos.printer import File

        return File(devfile=url.target)
    if url.scheme == "cups":
        queue = url.target.strip("/")
        try:
            import cups  # noqa: F401
        except ImportError:
            if shutil.which("lp") is None:
                raise PrinterUnavailable(DeviceStatus.NO_DEVICE,
                                         "cups:// needs pycups or the lp command; neither is installed") from None
            from escpos.printer import LP

            return LP(queue)
        from escpos.printer import CupsPrinter

        return CupsPrinter(queue)
    raise ValueError(f"no ESC/POS backend for {url.scheme}://")


class EscposReceiptPrinter(ReceiptPrinter):
    def __init__(
        self,
        url: DeviceUrl,
        *,
        name: str | None = None,
        charset: str | None = None,
        status_timeout_s: float | None = None,
        require_status: bool | None = None,
        connect_timeout_s: float | None = None,
        station_name: dict[str, str] | None = None,
        logo_path: str | None = None,
        poll_interval_s: float | None = None,
    ) -> None:
        super().__init__(name)
        self.url = url
        self.charset = charset or url.param("charset", "gbk")
        if self.charset not in ("gbk", "gb18030"):
            raise ValueError(f"{url.raw}: charset must be gbk or gb18030, not {self.charset!r}")
        self.status_timeout = status_timeout_s or url.param("status_timeout", 1.0, float)
        self.connect_timeout = connect_timeout_s or url.param("timeout", 3.0, float)
        if url.scheme == "usb":
            _usb_ids(url)
        if url.scheme == "tcp" and not url.host:
            raise ValueError(f"{url.raw}: expected tcp://HOST:PORT")
        if url.scheme in ("serial", "file") and not url.target:
            raise ValueError(f"{url.raw}: expected a device path, e.g. {url.scheme}:///dev/ttyS0")
        self.readable = url.scheme in READABLE
        self.require_status = (bool(url.param("require_status", 1, int)) if require_status is None
                               else require_status) and self.readable
        self.station_name = station_name
        self.logo = load_logo(logo_path) if logo_path else default_logo()
        self.capabilities = frozenset({"cut", "qr", "raster", "chinese"} | ({"paper_status"} if self.readable else set()))
        self._p: Escpos | None = None
        self._owner: OwnerThread | None = None
        self._class_status = {"paper": "unknown"}
        self.last_state: PrinterState | None = None
        # re-read the status in the background so a reloaded roll or a printer switched back on
        # shows up without a print attempt (only where status can be read)
        self.poll_interval = (poll_interval_s if poll_interval_s is not None
                              else url.param("poll", 5.0, float)) if self.readable else 0.0
        self._poll_stop = threading.Event()
        self._poll_thread: threading.Thread | None = None
        self._poll_pending: Command[Any] | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def open(self) -> None:
        if self._owner is None:
            self._owner = OwnerThread(self.name)
        try:
            self._owner.call(self._probe, timeout=self.connect_timeout + 4 * self.status_timeout + 2)
        except Exception as exc:  # open never raises: the status says what is wrong
            self.set_status(DeviceStatus.HARDWARE_ERROR, f"{type(exc).__name__}: {exc}")
        if self.poll_interval > 0 and self._poll_thread is None:
            self._poll_stop.clear()
            self._poll_thread = threading.Thread(target=self._poll_loop, name=f"poll-{self.name}", daemon=True)
            self._poll_thread.start()

    def _poll_loop(self) -> None:
        while not self._poll_stop.wait(self.poll_interval):
            owner = self._owner
            if owner is None:
                return
            if self._poll_pending is not None and not self._poll_pending.done():
                continue  # the previous probe is still queued behind a print
            self._poll_pending = owner.submit("poll", lambda _c: self._probe())

    def close(self) -> None:
        self._poll_stop.set()
        if self._poll_thread is not None:
            self._poll_thread.join(2.0)
            self._poll_thread = None
        if self._owner is not None:
            try:
                self._owner.call(self._drop, timeout=self.connect_timeout + 1)
            except Exception:  # closing must not fail the caller
                log.debug("%s: close failed", self.name, exc_info=True)
            self._owner.stop()
            self._owner = None
        self.set_status(DeviceStatus.OFFLINE, "closed")

    # -- commands -----------------------------------------------------------------------------
    def print_document(self, kind: str, data: dict[str, Any] | Any, lang: str = "zh") -> Command[dict[str, Any]]:
        owner = self._require_owner()
        failure: Exception | None = None
        try:
            receipt: Receipt | None = build_receipt(kind, data, lang, station_name=self.station_name, logo=self.logo)
        except ReceiptDataError as exc:
            receipt, failure = None, DeviceError(ResultCode.INVALID_DATA, str(exc))
        except Exception as exc:  # the caller gets a completion, never an exception
            receipt, failure = None, exc

        def body(cmd: Command[Any]) -> dict[str, Any]:
            if receipt is None:
                raise failure  # type: ignore[misc]
            return self._print(receipt, cmd)

        return owner.submit(f"print {kind}", body, timeout=self.connect_timeout + 30)

    def check_status(self) -> Command[dict[str, Any]]:
        """Read the printer's status now (connects if needed). Data: the device snapshot."""
        owner = self._require_owner()

        def body(_cmd: Command[Any]) -> dict[str, Any]:
            self._probe()
            return self.snapshot()

        return owner.submit("status", body, timeout=self.connect_timeout + 4 * self.status_timeout + 2)

    # -- on the owner thread ------------------------------------------------------------------
    def _require_owner(self) -> OwnerThread:
        if self._owner is None:
            self.open()
        assert self._owner is not None
        return self._owner

    def _connect(self) -> Escpos:
        if self._p is not None:
            return self._p
        try:
            p = make_escpos(self.url, self.connect_timeout)
            p.open()
        except PrinterUnavailable:
            raise
        except Exception as exc:
            status = DeviceStatus.OFFLINE if self.url.scheme == "tcp" else DeviceStatus.NO_DEVICE
            raise PrinterUnavailable(status, f"cannot open printer {self.url.raw}: {_reason(exc)}") from None
        if isinstance(p.device, socket.socket):
            # small writes (a status query after a job) must not wait for the previous ACK (Nagle)
            p.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._p = p
        return p

    def _drop(self) -> None:
        p, self._p = self._p, None
        if p is not None:
            try:
                p.close()
            except Exception:
                log.debug("%s: closing the connection failed", self.name, exc_info=True)

    def _probe(self) -> PrinterState | None:
        try:
            state = self._read_state(retry=True)
        except PrinterUnavailable as exc:
            self.set_status(exc.status, exc.detail, paper="unknown")
            return None
        self._apply(state)
        return state

    def _apply(self, state: PrinterState | None) -> None:
        if state is None:
            self.set_status(DeviceStatus.ONLINE, "status not readable on this backend", paper="unknown")
            return
        self.last_state = state
        if state.ready:
            detail = "paper low: replace the roll soon" if state.paper == "low" else "ready"
            self.set_status(DeviceStatus.ONLINE, detail, paper=state.paper)
        elif state.jammed or state.error:
            self.set_status(DeviceStatus.HARDWARE_ERROR, state.problem(), paper=state.paper)
        else:
            self.set_status(DeviceStatus.OFFLINE, state.problem(), paper=state.paper)

    def _read_state(self, retry: bool, timeout: float | None = None) -> PrinterState | None:
        """Connect and read DLE EOT 1..4. None when the backend cannot read or the printer does
        not answer and answers are not required."""
        if self.url.scheme == "cups" and self._p is None:
            self._check_cups_queue()
            return None
        p = self._connect()
        if not self.readable:
            return None
        try:
            self._drain(p)
            p._raw(b"".join(DLE_EOT + bytes([n]) for n in QUERIES))
            reply = self._read_bytes(p, len(QUERIES), timeout or self.status_timeout)
        except (OSError, ConnectionError) as exc:
            self._drop()
            if retry:  # a stale connection (printer restarted): reconnect once
                return self._read_state(retry=False, timeout=timeout)
            status = DeviceStatus.OFFLINE if self.url.scheme == "tcp" else DeviceStatus.NO_DEVICE
            raise PrinterUnavailable(status, f"printer {self.url.raw} stopped answering: {exc}") from None
        if len(reply) < len(QUERIES):
            if self.require_status:
                self._drop()
                raise PrinterUnavailable(
                    DeviceStatus.OFFLINE,
                    f"printer did not answer the status request within {timeout or self.status_timeout:g} s "
                    f"({len(reply)} of {len(QUERIES)} bytes)")
            return None
        try:
            return decode(dict(zip(QUERIES, reply)))
        except StatusByteError as exc:
            self._drop()
            raise PrinterUnavailable(DeviceStatus.HARDWARE_ERROR, f"garbled status reply: {exc}") from None

    def _check_cups_queue(self) -> None:
        """Is the queue there? Through the `lp` command this must not start an `lp` (each one
        is a print job: closed unused it submits a blank one), so the queue is looked up in
        `lpstat`'s list instead; with pycups the connection is opened (it prints nothing)."""
        try:
            p = make_escpos(self.url, self.connect_timeout)
        except PrinterUnavailable:
            raise
        except Exception as exc:
            raise PrinterUnavailable(DeviceStatus.NO_DEVICE, f"cannot open printer {self.url.raw}: {_reason(exc)}") from None
        if type(p).__name__ != "LP":
            self._connect()
            return
        queue = self.url.target.strip("/")
        try:
            known = p.printers
        except OSError as exc:
            raise PrinterUnavailable(DeviceStatus.NO_DEVICE, f"cannot list CUPS queues: {exc}") from None
        if queue not in known:
            raise PrinterUnavailable(DeviceStatus.NO_DEVICE, f"no CUPS queue {queue!r} "
                                     f"(lpstat lists: {', '.join(sorted(known)) or 'none'})")

    def _set_read_timeout(self, p: Escpos, seconds: float) -> None:
        dev = p.device
        if isinstance(dev, socket.socket):
            dev.settimeout(seconds)
        elif hasattr(dev, "timeout"):
            dev.timeout = seconds

    def _read_bytes(self, p: Escpos, n: int, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        buf = b""
        try:
            while len(buf) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._set_read_timeout(p, left)
                try:
                    dev = p.device
                    # pyserial's read(16) (python-escpos's _read) waits for all 16 bytes: ask for what is missing
                    chunk = dev.read(n - len(buf)) if hasattr(dev, "in_waiting") else p._read()
                except (socket.timeout, TimeoutError):
                    break
                except Exception as exc:  # pyusb raises its own timeout error
                    if "timeout" in type(exc).__name__.lower():
                        break
                    raise
                if not chunk:
                    if self.url.scheme == "tcp":
                        raise ConnectionError("the printer closed the connection")
                    continue
                buf += bytes(chunk)
        finally:
            self._set_read_timeout(p, self.connect_timeout)
        return buf

    def _drain(self, p: Escpos) -> None:
        """Drop bytes nobody asked for (automatic status back, late replies) before a query."""
        dev = p.device
        if isinstance(dev, socket.socket):
            dev.setblocking(False)
            try:
                while dev.recv(256):
                    pass
            except (BlockingIOError, InterruptedError):
                pass
            finally:
                dev.settimeout(self.connect_timeout)
        elif hasattr(dev, "reset_input_buffer"):
            dev.reset_input_buffer()

    def _not_ready(self, receipt: Receipt, detail: str, **extra: Any) -> DeviceError:
        self.count("not_ready")
        return DeviceError(ResultCode.DEVICE_NOT_READY, detail,
                           {"fallback": receipt.screen_fallback(), "paper": self._class_status.get("paper"), **extra})

    def _print(self, receipt: Receipt, cmd: Command[Any]) -> dict[str, Any]:
        try:
            state = self._read_state(retry=True)
        except PrinterUnavailable as exc:
            self.set_status(exc.status, exc.detail, paper="unknown")
            raise self._not_ready(receipt, exc.detail) from None
        self._apply(state)
        if state is not None and not state.ready:
            raise self._not_ready(receipt, f"printer not ready: {state.problem()}")
        if cmd.cancel_requested.is_set():
            raise DeviceError(ResultCode.CANCELED, "canceled before printing")
        job = build_job(receipt, self.charset)
        self.set_status(DeviceStatus.BUSY, f"printing {receipt.kind}")
        try:
            p = self._connect()
            p._raw(job.data)
            if self.url.scheme in ("file",):
                p.flush()
            elif self.url.scheme == "cups":
                self._drop()  # CUPS/lp submit the job on close
        except PrinterUnavailable as exc:
            self.set_status(exc.status, exc.detail)
            raise self._not_ready(receipt, exc.detail) from None
        except OSError as exc:
            self._drop()
            status = DeviceStatus.OFFLINE if self.url.scheme == "tcp" else DeviceStatus.NO_DEVICE
            self.set_status(status, f"connection lost while printing: {exc}")
            raise self._not_ready(receipt, f"connection lost while printing; the receipt may be incomplete ({exc})") from None
        self.count("printed")
        self.count("bytes", len(job.data))
        # the status query queues behind the job: on a serial line allow for its transmission time
        wait = self.status_timeout + 1.0
        if self.url.scheme == "serial":
            wait = self.status_timeout + len(job.data) * 10 / self.url.param("baud", 9600, int)
        after: PrinterState | None = None
        try:
            # (only where status can be read: reconnecting a cups:// queue would leave an `lp`
            # waiting whose close submits a blank job)
            after = self._read_state(retry=False, timeout=wait) if self.readable else None
        except PrinterUnavailable as exc:
            self.set_status(exc.status, exc.detail, paper="unknown")
            raise self._not_ready(receipt, f"printer stopped answering after the job: {exc.detail}") from None
        self._apply(after)
        if after is not None and not after.ready:
            raise self._not_ready(receipt, f"{after.problem()} while printing; the receipt may be incomplete",
                                  printed_bytes=len(job.data))
        detail = "printed"
        if after is not None and after.paper == "low":
            detail = "printed; paper low: replace the roll soon"
        if job.replaced:
            detail += f"; {len(job.replaced)} character(s) the printer cannot print shown as □"
        return {"kind": receipt.kind, "lang": receipt.lang, "bytes": len(job.data),
                "paper": self._class_status.get("paper", "unknown"), "qr": receipt.qr_payloads(),
                "replaced": job.replaced, "detail": detail}


def open_printer(url: DeviceUrl | str, **kwargs: Any) -> EscposReceiptPrinter:
    """Registry factory: build the printer for `url` (not yet opened; call `.open()`)."""
    parsed = parse_url(url) if isinstance(url, str) else url
    return EscposReceiptPrinter(parsed, **kwargs)
