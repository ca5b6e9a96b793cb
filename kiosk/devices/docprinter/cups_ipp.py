"""CUPS / IPP backend of the `DocumentPrinter` (pycups, the PyPI binding of libcups).

`cups://QUEUE[?server=/run/cups/cups.sock|HOST:PORT]` or `ipp://HOST[:PORT]/printers/QUEUE`.
All CUPS calls run on the device's owner thread with a fresh connection each (pycups
connections are not shared across threads). A job goes:
1. status read (printer-state, -reasons, marker-levels): a printer that cannot print now ends
   the command `device_not_ready` before anything is sent;
2. the PDF is written to a private temp file and sent (`printFile`, format application/pdf);
3. the job is watched until completed (pages = `job-impressions-completed`), or until the
   printer stops it (paper out, jam: the job is cancelled, so it never prints later for someone
   else), or the command is cancelled / times out (job cancelled too).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from typing import Any

from kiosk.devices.base import Command, DeviceError, DeviceStatus, ResultCode
from kiosk.devices.docprinter import DocumentPrinter, PrintedJob, PrintFailure
from kiosk.devices.docprinter.ipp_status import IPP_JOB_STATES, PrinterState, printer_state
from kiosk.devices.registry import DeviceUrl
from kiosk.devices.worker import OwnerThread

PRINTER_ATTRS = ["printer-state", "printer-state-reasons", "printer-state-message", "printer-is-accepting-jobs",
                 "marker-levels", "marker-names"]
JOB_POLL_S = 0.1
_server_lock = threading.Lock()  # pycups keeps the server in process-global state


class CupsDocumentPrinter(DocumentPrinter):
    def __init__(self, url: DeviceUrl, name: str | None = None, poll_s: float = JOB_POLL_S) -> None:
        super().__init__(name)
        self.url = url
        self.poll_s = poll_s
        if url.scheme == "ipp":
            parts = [p for p in url.path.split("/") if p]
            if len(parts) != 2 or parts[0] != "printers" or not url.host:
                raise ValueError(f"{url.raw}: expected ipp://HOST[:PORT]/printers/QUEUE")
            self.queue = parts[1]
            self.server = url.host
            self.port = url.port or 631
        else:
            self.queue = (url.host + url.path).strip("/")
            if not self.queue:
                raise ValueError(f"{url.raw}: expected cups://QUEUE")
            server = url.param("server", "")
            host, _, port = server.rpartition(":") if server and not server.startswith("/") else (server, "", "")
            self.server = host or None
            self.port = int(port) if port else 631
        self.capabilities = frozenset({"pdf", "a4", "page_count", "paper_status", "toner_status"})
        self._owner: OwnerThread | None = None

    # -- connection ---------------------------------------------------------------------------
    def _connect(self) -> Any:
        try:
            import cups
        except ImportError:
            raise DeviceError(ResultCode.DEVICE_NOT_READY, "pycups is not installed (pip install pycups; needs libcups2-dev)") from None
        with _server_lock:
            try:
                if self.server:
                    cups.setServer(self.server)
                    cups.setPort(self.port)
                return cups.Connection()
            except (RuntimeError, cups.IPPError) as exc:
                self.set_status(DeviceStatus.OFFLINE, f"CUPS at {self.server or 'default'} unreachable: {exc}",
                                paper="unknown", toner="unknown")
                raise DeviceError(ResultCode.DEVICE_NOT_READY, f"CUPS unreachable: {exc}",
                                  PrintFailure("offline", str(exc))) from None

    def _read_state(self, conn: Any) -> PrinterState:
        import cups

        try:
            attrs = conn.getPrinterAttributes(self.queue, requested_attributes=PRINTER_ATTRS)
        except cups.IPPError as exc:
            status = DeviceStatus.NO_DEVICE
            self.set_status(status, f"no CUPS queue {self.queue!r}: {exc}", paper="unknown", toner="unknown")
            raise DeviceError(ResultCode.DEVICE_NOT_READY, f"no CUPS queue {self.queue!r}",
                              PrintFailure("offline", str(exc))) from None
        st = printer_state(attrs)
        self.set_status(DeviceStatus(st.status), st.detail, paper=st.paper, toner=st.toner)
        return st

    # -- lifecycle ----------------------------------------------------------------------------
    def open(self) -> None:
        self._owner = OwnerThread(f"docprinter-{self.name}")
        try:
            self._owner.call(lambda: self._read_state(self._connect()), timeout=10)
        except DeviceError:
            pass  # status already says why; the station degrades the print tasks
        except TimeoutError:
            self.set_status(DeviceStatus.OFFLINE, "CUPS did not answer within 10 s", paper="unknown", toner="unknown")

    def close(self) -> None:
        if self._owner is not None:
            self._owner.stop()
            self._owner = None
        self.set_status(DeviceStatus.OFFLINE, "closed")

    def _runner(self) -> OwnerThread:
        if self._owner is None:
            self._owner = OwnerThread(f"docprinter-{self.name}")
        return self._owner

    # -- commands -----------------------------------------------------------------------------
    def check_status(self) -> Command[dict]:
        def body(_cmd: Command[dict]) -> dict:
            self._read_state(self._connect())
            return self.snapshot()

        return self._runner().submit("check_status", body, timeout=15)

    def print_pdf(self, pdf: bytes, title: str, timeout: float = 120.0) -> Command[PrintedJob]:
        return self._runner().submit("print_pdf", lambda cmd: self._print(cmd, pdf, title, timeout))

    def _print(self, cmd: Command[Any], pdf: bytes, title: str, timeout: float) -> PrintedJob:
        from kiosk.services.material_pdf import MaterialPdfError, inspect_pdf

        try:
            expected = inspect_pdf(pdf).pages
        except MaterialPdfError as exc:
            raise DeviceError(ResultCode.INVALID_DATA, f"not printable: {exc}") from None
        conn = self._connect()
        st = self._read_state(conn)
        if st.blocked:
            raise DeviceError(ResultCode.DEVICE_NOT_READY, f"printer not ready: {st.detail}",
                              PrintFailure(st.blocked, st.detail))  # type: ignore[arg-type]
        fd, path = tempfile.mkstemp(prefix="kiosk-print-", suffix=".pdf")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pdf)
            job_id = conn.printFile(self.queue, path, title[:120] or "document",
                                    {"document-format": "application/pdf", "media": "iso_a4_210x297mm"})
        finally:
            os.unlink(path)
        self.count("jobs")
        self.set_status(DeviceStatus.BUSY, f"printing job {job_id}")
        return self._watch(cmd, conn, int(job_id), expected, timeout)

    def _watch(self, cmd: Command[Any], conn: Any, job_id: int, expected: int, timeout: float) -> PrintedJob:
        deadline = time.monotonic() + timeout
        while True:
            attrs = conn.getJobAttributes(job_id, requested_attributes=[
                "job-state", "job-state-reasons", "job-impressions-completed", "job-media-sheets-completed",
                "job-printer-state-message"])
            state = IPP_JOB_STATES.get(int(attrs.get("job-state", 3)), "pending")
            if state == "completed":
                pages = int(attrs.get("job-impressions-completed") or attrs.get("job-media-sheets-completed") or 0)
                self._read_state(conn)
                if pages < expected:
                    self.count("dropped_pages", expected - pages)
                    raise DeviceError(ResultCode.HARDWARE_ERROR,
                                      f"job {job_id}: the printer reports {pages} of {expected} page(s)",
                                      PrintFailure("dropped", f"{pages} of {expected} pages", str(job_id)))
                self.count("pages", pages)
                return PrintedJob(str(job_id), pages, expected)
            if state in ("canceled", "aborted"):
                self._read_state(conn)
                raise DeviceError(ResultCode.HARDWARE_ERROR, f"job {job_id} {state} by the printer",
                                  PrintFailure("dropped", f"job {state}", str(job_id)))
            printer = self._read_state(conn)
            if printer.blocked and state in ("pending", "held", "stopped", "processing"):
                self._cancel(conn, job_id)  # never print it later for whoever stands there then
                raise DeviceError(ResultCode.DEVICE_NOT_READY, f"job {job_id}: {printer.detail}",
                                  PrintFailure(printer.blocked, printer.detail, str(job_id)))  # type: ignore[arg-type]
            if cmd.cancel_requested.is_set():
                self._cancel(conn, job_id)
                raise DeviceError(ResultCode.CANCELED, f"job {job_id} cancelled",
                                  PrintFailure("canceled", "cancelled", str(job_id)))
            if time.monotonic() > deadline:
                self._cancel(conn, job_id)
                raise DeviceError(ResultCode.TIMEOUT, f"job {job_id} not printed within {timeout:g} s",
                                  PrintFailure("stopped", "timeout", str(job_id)))
            time.sleep(self.poll_s)

    def _cancel(self, conn: Any, job_id: int) -> None:
        import cups

        try:
            conn.cancelJob(job_id, purge_job=False)
            self.count("jobs_cancelled")
        except cups.IPPError:
            pass  # already finished or gone


def open_cups(url: DeviceUrl, name: str | None = None, **_: Any) -> CupsDocumentPrinter:
    return CupsDocumentPrinter(url, name=name)
