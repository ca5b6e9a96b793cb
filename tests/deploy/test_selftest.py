"""`kiosk selftest`, the check an update runs after its restart: passes on this checkout with a
good config, fails (exit 1, the check named) on a bad config and on a unit that is not running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def selftest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", "selftest", "--json", *args], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


def test_selftest_passes_on_a_complete_install_with_a_good_config():
    proc = selftest("--config", str(ROOT / "config" / "sim.toml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["ok"] and any(c["check"].startswith("config ") for c in result["checks"])


def test_selftest_fails_on_a_bad_config_and_on_a_unit_that_is_not_up(tmp_path):
    bad = tmp_path / "station.toml"
    bad.write_text((ROOT / "config" / "sim.toml").read_text() + "\n[update]\nroot = 5\n")
    proc = selftest("--config", str(bad))
    assert proc.returncode == 1
    failed = [c for c in json.loads(proc.stdout.splitlines()[-1])["checks"] if not c["ok"]]
    assert len(failed) == 1 and "update.root" in failed[0]["detail"]
    # this machine has no running systemd (a container): the unit cannot be active
    proc = selftest("--unit", "kiosk-station-that-does-not-exist.service", "--settle", "0")
    assert proc.returncode == 1
    failed = [c for c in json.loads(proc.stdout.splitlines()[-1])["checks"] if not c["ok"]]
    assert [c["check"] for c in failed] == ["unit kiosk-station-that-does-not-exist.service stays up 0 s"]
