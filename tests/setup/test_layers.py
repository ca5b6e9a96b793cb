"""The provisioning package keeps the layer rules: no Kivy, no simulator, and no serial/pyscard
library at import time (a screen can import the state machine on any machine)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_machine_and_runner_import_no_device_library_or_simulator() -> None:
    code = ("import sys, kiosk.provisioning.machine, kiosk.provisioning.runner, kiosk.cli.setup_cmd; "
            "bad = [m for m in ('serial', 'smartcard', 'hw_sim', 'kivy', 'cv2') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_no_simulator_in_the_provisioning_code() -> None:
    for path in [*(ROOT / "kiosk/provisioning").glob("*.py"), ROOT / "kiosk/cli/setup_cmd.py"]:
        text = path.read_text()
        assert "hw_sim" not in text and "kivy" not in text, path
