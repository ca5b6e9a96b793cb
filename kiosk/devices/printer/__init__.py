"""The `ReceiptPrinter` device class: ESC/POS receipts (python-escpos backends).

Class status: `paper` = ok | low | out | jammed. Capabilities: `cut`, `paper_status`, `qr`.
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


class ReceiptPrinter(Device):
    device_class = "printer"

    def print_document(self, kind: str, data: dict[str, Any], lang: str = "zh") -> Command[None]:
        """Print a template (`application`, `pickup`, `deposit_slip`, `test_page`) with `data`.
        Codes: success, device_not_ready (paper out / offline / jammed), hardware_error."""
        raise NotImplementedError
