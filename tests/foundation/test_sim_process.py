"""The simulated station's simulators run as their own process and never outlive whoever started
them: not on Ctrl-C, not on SIGTERM, not when the parent is killed outright (SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PARENT = """
import sys, time
from hw_sim.station.process import SimProcess
sims = SimProcess({cfg!r}, {root!r}).start()
print(sims.proc.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) counts as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_the_simulators_exit_when_their_parent_is_killed(tmp_path):
    code = PARENT.format(cfg=str(ROOT / "config" / "sim.toml"), root=str(tmp_path))
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
    sim_pid = int(parent.stdout.readline())
    try:
        assert _alive(sim_pid)
        assert (tmp_path / "var" / "sim" / "dev" / "cabinet").is_symlink()
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        assert _wait_gone(sim_pid, 15), "the simulators outlived their parent"
        assert not (tmp_path / "var" / "sim" / "dev" / "cabinet").exists()  # ptys and links released
        assert not (tmp_path / "var" / "sim" / "urls.json").exists()
    finally:
        if _alive(sim_pid):
            os.kill(sim_pid, signal.SIGKILL)
        parent.stdout.close()


def test_sigterm_on_kiosk_scenario_stops_the_simulators_too(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "scenario", "collect", "--root", str(tmp_path)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    urls = tmp_path / "var" / "sim" / "urls.json"
    deadline = time.monotonic() + 60
    while not urls.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    import json

    sim_pid = json.loads(urls.read_text())["pid"]
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
        assert _wait_gone(sim_pid, 15), "kiosk scenario left its simulators behind on SIGTERM"
        # and they stopped cleanly: once a thread reading stdin made every stop wait ~1 s and abort
        log = (tmp_path / "var" / "sim" / "simulators.log").read_text(errors="replace")
        assert "Fatal Python error" not in log, log[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
        if _alive(sim_pid):
            os.kill(sim_pid, signal.SIGKILL)
        proc.stdout.close()
