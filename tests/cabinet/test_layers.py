"""The cabinet code keeps the layer rules: the interface and the service import no device library
(so flows can use them), and only the simulated-station wiring imports hw_sim."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_interface_and_service_import_no_serial_or_simulator() -> None:
    code = ("import sys, kiosk.devices.cabinet, kiosk.services.cabinet, kiosk.services.compartments; "
            "bad = [m for m in ('serial', 'hw_sim', 'locker_firmware_bridge', 'kivy') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr


def test_bridge_does_not_depend_on_the_station() -> None:
    for path in (ROOT / "locker_firmware_bridge").glob("*.py"):
        text = path.read_text()
        assert "import kiosk" not in text and "from kiosk" not in text, path
        assert "hw_sim" not in text, path


def test_only_sim_wiring_imports_hw_sim() -> None:
    mine = [*(ROOT / "kiosk/devices/cabinet").glob("*.py"), ROOT / "kiosk/services/cabinet.py",
            ROOT / "kiosk/services/compartments.py", ROOT / "kiosk/cli/locker.py", ROOT / "kiosk/cli/cabinet.py"]
    for path in mine:
        if "from hw_sim" in path.read_text() or "import hw_sim" in path.read_text():
            assert "sim" in path.stem or "wiring" in path.stem, path

