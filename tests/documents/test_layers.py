"""The scanner interface and the payload formats import no image or device library (flows use them)."""

from __future__ import annotations

import subprocess


def test_interface_and_payloads_import_no_device_library(python):
    code = ("import sys, kiosk.devices.scanner, kiosk.devices.scanner.payloads, kiosk.devices.scanner.feedback; "
            "bad = [m for m in ('cv2', 'pyzbar', 'zxingcpp', 'numpy', 'img2pdf', 'hw_sim') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    p = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_kiosk_scanner_code_does_not_import_hw_sim():
    from pathlib import Path
    root = Path(__file__).resolve().parents[2] / "kiosk" / "devices" / "scanner"
    for f in root.glob("*.py"):
        assert "hw_sim" not in f.read_text(), f
