"""`file:///DIR` backend of the `DocumentPrinter`: a PDF sink for the simulated station.

Each job is written to `DIR/<title>-job_<n>.pdf` (a temp name renamed into place), its pages
counted back from the written file. Status comes from an optional `DIR/.status` file holding one
of `ok`, `paper_out`, `jam`, `toner_out` (a simulator writes it), so the failure path can be shown
without CUPS. Used only where the station cannot start a private CUPS; a real station uses
`cups://` or `ipp://`.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

from kiosk.devices.base import Command, DeviceError, DeviceStatus, ResultCode
from kiosk.devices.docprinter import DocumentPrinter, PrintedJob, PrintFailure
from kiosk.devices.registry import DeviceUrl
from kiosk.devices.worker import OwnerThread

_FAULTS = {"paper_out": ("out", "ok"), "jam": ("jammed", "ok"), "toner_out": ("ok", "out")}
_SAFE = re.compile(r"[^0-9A-Za-z_.\u4e00-\u9fff-]+")


class FileSinkPrinter(DocumentPrinter):
    def __init__(self, url: DeviceUrl, name: str | None = None) -> None:
        super().__init__(name)
        if not url.path:
            raise ValueError(f"{url.raw}: expected file:///DIRECTORY")
        self.dir = Path(url.path)
        self.capabilities = frozenset({"pdf", "a4", "page_count", "paper_status", "toner_status"})
        self._owner = OwnerThread(f"docprinter-{self.name}")
        self._seq = itertools.count(1)

    def _fault(self) -> str:
        p = self.dir / ".status"
        return p.read_text().strip() if p.exists() else "ok"

    def _refresh(self) -> str:
        if not self.dir.is_dir():
            self.set_status(DeviceStatus.NO_DEVICE, f"no directory {self.dir}", paper="unknown", toner="unknown")
            return "offline"
        fault = self._fault()
        paper, toner = _FAULTS.get(fault, ("ok", "ok"))
        status = DeviceStatus.ONLINE if fault not in _FAULTS else DeviceStatus.HARDWARE_ERROR
        self.set_status(status, fault if fault in _FAULTS else "ready", paper=paper, toner=toner)
        return fault

    def open(self) -> None:
        self._refresh()

    def close(self) -> None:
        self._owner.stop()
        self.set_status(DeviceStatus.OFFLINE, "closed")

    def check_status(self) -> Command[dict]:
        def body(_cmd: Command[dict]) -> dict:
            self._refresh()
            return self.snapshot()

        return self._owner.submit("check_status", body, timeout=5)

    def print_pdf(self, pdf: bytes, title: str, timeout: float = 120.0) -> Command[PrintedJob]:
        return self._owner.submit("print_pdf", lambda _cmd: self._print(pdf, title), timeout=timeout)

    def _print(self, pdf: bytes, title: str) -> PrintedJob:
        from kiosk.services.material_pdf import MaterialPdfError, inspect_pdf

        try:
            expected = inspect_pdf(pdf).pages
        except MaterialPdfError as exc:
            raise DeviceError(ResultCode.INVALID_DATA, f"not printable: {exc}") from None
        fault = self._refresh()
        if fault == "offline":
            raise DeviceError(ResultCode.DEVICE_NOT_READY, f"no directory {self.dir}", PrintFailure("offline", "no sink"))
        if fault in _FAULTS:
            reason = {"paper_out": "paper_out", "jam": "jammed", "toner_out": "toner_out"}[fault]
            raise DeviceError(ResultCode.DEVICE_NOT_READY, f"printer not ready: {fault}", PrintFailure(reason, fault))  # type: ignore[arg-type]
        job = next(self._seq)
        name = (_SAFE.sub("_", title)[:60].strip("._") or "document") + f"-job_{job}.pdf"
        path = self.dir / name
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(pdf)
        tmp.replace(path)
        pages = inspect_pdf(path.read_bytes()).pages
        self.count("jobs")
        self.count("pages", pages)
        return PrintedJob(str(job), pages, expected, str(path))


def open_file_sink(url: DeviceUrl, name: str | None = None, **_: Any) -> FileSinkPrinter:
    return FileSinkPrinter(url, name=name)
