"""The `ReceiptPrinter` device class: ESC/POS receipts (python-escpos backends).

Class status: `paper` = ok | low | out | jammed | unknown (unknown: the backend has no read
channel, e.g. file:// or cups://). Capabilities: `cut`, `qr`, `raster`, `chinese`, and
`paper_status` where the backend can read the printer's status (tcp, serial, usb).

Commands end in one completion: `success` (data: kind, lang, bytes, paper, qr, replaced,
detail), `invalid_data` (the receipt data failed validation; nothing was sent),
`device_not_ready` (paper out, jam, cover open, offline, unreachable; data["fallback"] holds the
receipt's text lines and QR payload so the screen can show it instead), `hardware_error`.
This module imports no device library; the templates and data models it names are pure Python.
"""

from __future__ import annotations

from typing import Any

from kiosk.devices.base import Command, Device

BACKENDS: dict[str, str] = {
    "tcp": "kiosk.devices.printer.escpos_printer:open_printer",
    "serial": "kiosk.devices.printer.escpos_printer:open_printer",
    "usb": "kiosk.devices.printer.escpos_printer:open_printer",
    "file": "kiosk.devices.printer.escpos_printer:open_printer",
    "cups": "kiosk.devices.printer.escpos_printer:open_printer",
}

KINDS = ("application", "pickup", "deposit_slip", "test_page")
PAPER_STATES = ("ok", "low", "out", "jammed", "unknown")


class ReceiptPrinter(Device):
    device_class = "printer"

    def print_document(self, kind: str, data: dict[str, Any], lang: str = "zh") -> Command[dict[str, Any]]:
        """Print a template (`application`, `pickup`, `deposit_slip`, `test_page`) with `data`
        (see `kiosk.devices.printer.receipts` for each kind's fields) in `lang` (zh | en).
        Codes: success, invalid_data, device_not_ready (with data["fallback"]), hardware_error."""
        raise NotImplementedError

    def check_status(self) -> Command[dict[str, Any]]:
        """Read the printer's status now; data is the device snapshot (status, paper, ...)."""
        raise NotImplementedError
