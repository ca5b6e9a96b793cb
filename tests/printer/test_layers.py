"""The printer interface, templates and data models import no device library, so flows can use
them (e.g. to show a receipt on screen) without python-escpos."""

from __future__ import annotations

import subprocess
import sys


def test_interface_and_templates_import_no_device_library():
    code = (
        "import sys\n"
        "import kiosk.devices.printer, kiosk.devices.printer.templates, kiosk.devices.printer.receipts\n"
        "from kiosk.devices.printer.samples import sample\n"
        "r = kiosk.devices.printer.templates.build_receipt('application', sample('application'))\n"
        "assert r.screen_fallback()['qr']\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('escpos', 'serial', 'usb', 'cups', 'hw_sim', 'kivy', 'cv2')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
