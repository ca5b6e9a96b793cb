"""Nothing personal on disk or in output; the import rules of the identity modules."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from hw_sim.identities import get_identity

ROOT = Path(__file__).resolve().parents[2]
DEVICE_LIBS = {"serial", "smartcard", "cv2", "kivy", "escpos", "paho", "pyzbar"}


def test_a_read_leaves_no_personal_data_on_disk(tmp_path):
    ident = get_identity("longest_fields")
    env = {**os.environ, "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "kiosk", "-v", "id", "read", "--url", "sim",
                          "--sim-identity", ident.key, "--json"],
                         cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "read IdentityRecord(" in out.stderr  # the reader did log the record (masked)
    assert ident.id_number not in out.stdout + out.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert ident.id_number.encode() not in data and ident.id_number.encode("utf-16-le") not in data, path


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_interface_and_pure_modules_import_no_device_library():
    idreader = ROOT / "kiosk" / "devices" / "idreader"
    pure = [idreader / n for n in ("__init__.py", "cn_id.py", "nations.py", "sam_frames.py", "wlt.py")]
    pure += sorted((idreader / "emrtd").glob("*.py"))
    for path in pure:
        assert not (_imports(path) & DEVICE_LIBS), path


def test_kiosk_identity_code_never_imports_hw_sim_outside_sim_modules():
    for path in list((ROOT / "kiosk" / "devices" / "idreader").rglob("*.py")) + [ROOT / "kiosk/cli/id_cmd.py"]:
        assert "hw_sim" not in _imports(path), path
