"""`kiosk run --also-shoot`: the looks a headless run captures besides the visit's own are
checked before anything starts (the captures themselves: tests/ui/test_parts.py's make-run test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_an_unknown_look_is_a_usage_error_naming_the_known_ones(tmp_path):
    r = subprocess.run([sys.executable, "-m", "kiosk", "run", "--headless", "--also-shoot", "en,fr",
                        "--root", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "unknown look fr (known: en, elder)" in r.stderr
    assert not any(tmp_path.iterdir())  # nothing was started or written
