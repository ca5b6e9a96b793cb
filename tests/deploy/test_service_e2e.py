"""The station as systemd would run it, with the test as the service manager: `kiosk run` on the
simulated config in a real window (Xvfb), NOTIFY_SOCKET + WATCHDOG_USEC set -> READY=1, WATCHDOG=1
pings, SIGTERM -> STOPPING=1 and exit 0 within 10 s (TimeoutStopSec), no door command on the way
out. And the point of pinging from the main loop: when the UI thread hangs, the pings stop.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.deploy.notify_listener import NotifyListener

ROOT = Path(__file__).resolve().parents[2]
STOP_BOUND_S = 10.0  # TimeoutStopSec= of kiosk-station.service


def _kivy_env(tmp: Path, notify: str, watchdog_usec: int) -> dict[str, str]:
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_USE_DEFAULTCONFIG": "1", "KIVY_NO_CONSOLELOG": "1",
           "KIVY_HOME": str(tmp / "kivy-home"), "SDL_AUDIODRIVER": "dummy", "PYTHONPATH": str(ROOT),
           "NOTIFY_SOCKET": notify, "WATCHDOG_USEC": str(watchdog_usec)}
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("WATCHDOG_PID", None)
    return env


@pytest.fixture
def xvfb():
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (scripts/bootstrap.sh installs package xvfb)")
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        display = f.readline().strip()  # Xvfb writes the display number once it accepts clients
    if not display:
        proc.kill()
        pytest.fail("Xvfb did not report a display number")
    yield f":{display}"
    proc.terminate()
    proc.wait(10)


def _stop_child(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def _intents(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT COUNT(*) FROM intents").fetchone()[0]
    finally:
        con.close()


@pytest.mark.ui
@pytest.mark.slow
def test_kiosk_run_speaks_sd_notify_and_stops_cleanly_on_sigterm(tmp_path, xvfb):
    listener = NotifyListener(tmp_path / "notify.sock")
    env = _kivy_env(tmp_path, listener.env_value, 1_000_000)  # pings every 0.5 s
    env["DISPLAY"] = xvfb
    root = tmp_path / "station"
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--config", str(ROOT / "config" / "sim.toml"),
                             "--no-panel", "--free-ports", "--root", str(root)], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        ready = listener.wait_for(lambda f: f.get("READY") == "1", 90, "READY=1")
        assert ready.fields.get("STATUS") == "station sim-0001 up"
        pings = listener.wait_count("WATCHDOG", 3, 10)
        assert all(p.at >= ready.at for p in pings), "WATCHDOG=1 before READY=1"
        doors_before = _intents(root / "var" / "sim" / "station.db")
        proc.send_signal(signal.SIGTERM)
        t_term = time.monotonic()
        listener.wait_for(lambda f: f.get("STOPPING") == "1", STOP_BOUND_S, "STOPPING=1")
        rc = proc.wait(STOP_BOUND_S)
        took = time.monotonic() - t_term
        assert rc == 0, (tmp_path / "run.log").read_text()[-3000:]
        assert took < STOP_BOUND_S
        assert _intents(root / "var" / "sim" / "station.db") == doors_before, "a door command was sent on shutdown"
    finally:
        _stop_child(proc)
        log.close()
        listener.close()


@pytest.mark.ui
def test_a_hung_main_loop_stops_the_watchdog_pings(tmp_path):
    listener = NotifyListener(tmp_path / "notify.sock")
    env = _kivy_env(tmp_path, listener.env_value, 400_000)  # pings every 0.2 s
    env["SDL_VIDEODRIVER"] = "offscreen"
    env.pop("DISPLAY", None)
    block_s = 2.0
    proc = subprocess.Popen([sys.executable, "-m", "tests.deploy.blocking_app", str(block_s)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        listener.wait_for(lambda f: f.get("READY") == "1", 60, "READY=1")
        listener.wait_count("WATCHDOG", 3, 10)
        proc.send_signal(signal.SIGUSR1)
        blocked = listener.wait_for(lambda f: f.get("STATUS") == "blocked", 10, "STATUS=blocked")
        unblocked = listener.wait_for(lambda f: f.get("STATUS") == "unblocked", 10, "STATUS=unblocked")
        during = [m for m in listener.with_key("WATCHDOG") if blocked.at < m.at < unblocked.at]
        assert during == [], "WATCHDOG=1 arrived while the UI main loop was blocked"
        # a silence of 2 s with WatchdogSec=0.4 s: systemd would have killed it
        assert unblocked.at - blocked.at > 0.4
        n = len(listener.with_key("WATCHDOG"))
        listener.wait_count("WATCHDOG", n + 2, 10)  # the loop runs again: pings resume
        proc.send_signal(signal.SIGTERM)
        listener.wait_for(lambda f: f.get("STOPPING") == "1", STOP_BOUND_S, "STOPPING=1")
        assert proc.wait(STOP_BOUND_S) == 0, proc.stderr.read()[-3000:]
    finally:
        _stop_child(proc)
        listener.close()
