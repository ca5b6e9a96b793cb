"""The `DocumentPrinter` device class: an A4 printer for issued certificates (材料打印).

Backends, chosen by URL (see `kiosk.devices.registry`):
- `cups://QUEUE` — a queue of the local CUPS (or of `?server=/path/cups.sock|host:port`);
- `ipp://HOST[:PORT]/printers/QUEUE` — a CUPS/IPP server on the network;
- `file:///DIR` — a PDF sink: each job is written to DIR as a PDF (the simulated station's
  fallback when no CUPS can be started; never a real station's choice).

Status: `online | offline | busy | no_device | hardware_error`, class status
`paper` = ok | low | out | jammed | unknown and `toner` = ok | low | out | unknown, read from the
printer's IPP `printer-state-reasons` and `marker-levels` before and after every job.
Capabilities: `pdf`, `a4`, `page_count`, `paper_status`, `toner_status` (where the backend can
read them).

`print_pdf(pdf, title)` ends in one completion: `success` with a `PrintedJob` (pages counted by
the printer), `device_not_ready` (paper out, jam, toner out, queue stopped or not accepting; the
job is cancelled so it never prints later for someone else; data is a `PrintFailure` naming
the reason), `invalid_data` (not a PDF), `timeout`, `hardware_error`.
This module imports no device library: flows may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kiosk.devices.base import Command, Device

BACKENDS: dict[str, str] = {
    "cups": "kiosk.devices.docprinter.cups_ipp:open_cups",
    "ipp": "kiosk.devices.docprinter.cups_ipp:open_cups",
    "file": "kiosk.devices.docprinter.file_sink:open_file_sink",
}

PAPER_STATES = ("ok", "low", "out", "jammed", "unknown")
TONER_STATES = ("ok", "low", "out", "unknown")
FailureReason = Literal["paper_out", "jammed", "toner_out", "stopped", "offline", "dropped", "canceled"]


@dataclass(frozen=True)
class PrintedJob:
    job_id: str
    pages: int  # counted by the printer (IPP job-impressions-completed, or the sink's PDF)
    expected_pages: int  # pages of the PDF sent
    output: str | None = None  # where a sink wrote the result (file:// backend; None for a real printer)


@dataclass(frozen=True)
class PrintFailure:
    reason: FailureReason
    detail: str
    job_id: str | None = None


class DocumentPrinter(Device):
    device_class = "docprinter"

    def print_pdf(self, pdf: bytes, title: str, timeout: float = 120.0) -> Command[PrintedJob]:
        """Print one PDF document (A4). See the module docstring for the completions."""
        raise NotImplementedError

    def check_status(self) -> Command[dict]:
        """Read the printer's state now; data is the device snapshot."""
        raise NotImplementedError

    def ready(self) -> bool:
        """Whether a job would be accepted now, by the last known status."""
        cs = self.class_status
        return str(self.status) == "online" and cs.get("paper") not in ("out", "jammed") and cs.get("toner") != "out"
