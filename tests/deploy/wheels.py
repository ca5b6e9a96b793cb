"""Tiny wheels for the update tests, made by hand (a zip with dist-info), in milliseconds.

`make_wheel(dir, "2.0.0", selftest_ok=False)` -> kiosk_probe-2.0.0-py3-none-any.whl whose console
script `kiosk` answers `kiosk version` (prints the version) and `kiosk selftest` (exit 0 or 1).
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

MODULE = '''"""A probe package standing in for kiosk-station in update tests."""
import sys

VERSION = {version!r}
SELFTEST_OK = {ok!r}


def main():
    cmd = sys.argv[1:2]
    if cmd == ["version"]:
        print(VERSION)
        return 0
    if cmd == ["selftest"]:
        print("selftest", VERSION, "passed" if SELFTEST_OK else "FAILED")
        return 0 if SELFTEST_OK else 1
    print("usage: kiosk version|selftest", file=sys.stderr)
    return 2
'''


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(directory: Path, version: str, selftest_ok: bool = True, padding: int = 0) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    dist = f"kiosk_probe-{version}.dist-info"
    files = {
        "kiosk_probe/__init__.py": MODULE.format(version=version, ok=selftest_ok).encode(),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: kiosk-probe\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests.deploy.wheels\nRoot-Is-Purelib: true\n"
                         b"Tag: py3-none-any\n",
        f"{dist}/entry_points.txt": b"[console_scripts]\nkiosk = kiosk_probe:main\n",
    }
    if padding:
        files["kiosk_probe/padding.bin"] = bytes(padding)
    record = "\n".join([_record_line(n, d) for n, d in files.items()] + [f"{dist}/RECORD,,"]) + "\n"
    files[f"{dist}/RECORD"] = record.encode()
    path = directory / f"kiosk_probe-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path
