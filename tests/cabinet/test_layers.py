"""The cabinet code keeps the layer rules: the interface and the service import no device library
(so flows can use them), and only the simulated-station wiring imports hw_sim."""

from __future__ import annotations

import ast
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


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_bridge_does_not_depend_on_the_station() -> None:
    # a protocol's emulator profile NAMES its hw_sim firmware (data for the emulator); the bridge
    # never imports hw_sim or kiosk, at any depth, nor does loading every protocol pull them in
    for path in (ROOT / "locker_firmware_bridge").rglob("*.py"):
        assert not _imports(path) & {"kiosk", "hw_sim"}, path
    code = ("import sys; from locker_firmware_bridge.protocols import protocols; protocols(); "
            "import locker_firmware_bridge.probe; "
            "bad = [m for m in ('hw_sim', 'kiosk') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr


def test_emulator_firmware_is_written_independently_of_the_codecs() -> None:
    # the device side may look a protocol's profile up in the registry, never use a codec
    for path in (ROOT / "hw_sim/locker").glob("firmware*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("locker_firmware_bridge"):
                assert node.module == "locker_firmware_bridge.protocols" and \
                    [a.name for a in node.names] == ["get_protocol"], (path, node.module)
