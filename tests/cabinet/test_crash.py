"""Kill the station mid-release (SIGKILL), restart it, and show what reconciliation does: the
pickup is closed as interrupted, never re-sent, the compartment flagged for staff and audited."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hw_sim.control import ControlClient

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_sigkill_mid_pickup_release_then_reconcile(tmp_path: Path) -> None:
    link, sock, db = tmp_path / "ttyLOCK", tmp_path / "sim.sock", tmp_path / "station.db"
    sim = subprocess.Popen([sys.executable, "-m", "hw_sim.locker_board", "--boards", "1:8,2:8", "--link", str(link),
                            "--control", str(sock)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    child: subprocess.Popen | None = None
    try:
        assert sim.stdout is not None and sim.stdout.readline().strip() == str(link)
        ctl = ControlClient(sock)
        child = subprocess.Popen([sys.executable, "-m", "tests.cabinet.crash_child", "pickup", str(link), str(db),
                                  str(sock)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdout.readline().strip() == "RELEASING"

        def releases() -> int:
            return ctl.call("cabinet", "status")["boards"][0]["releases"].get("2", 0)

        deadline = time.monotonic() + 10
        while releases() < 2 and time.monotonic() < deadline:  # the pickup pulse reached the board
            time.sleep(0.005)
        assert releases() == 2
        os.kill(child.pid, signal.SIGKILL)  # ... and the station dies before the reply
        child.wait(10)
        ctl.call("cabinet", "set_slow", ms=0)
        time.sleep(0.1)

        out = subprocess.run([sys.executable, "-m", "tests.cabinet.crash_child", "restart", str(link), str(db),
                              str(sock)], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout.strip().splitlines()[-1])
        pickup = [i for i in result["intents"] if i["purpose"] == "pickup"]
        assert len(pickup) == 1 and pickup[0]["outcome"] == "interrupted"  # journaled before the kill
        entry = result["report"]["intents"][0]
        assert entry == {"intent": pickup[0]["id"], "compartment": "A02", "purpose": "pickup", "door": "open",
                         "flagged": True}
        assert "NOT repeated" in result["compartment"]["attention"]
        assert result["compartment"]["state"] == "loaded"  # staff decide; nothing assumed
        assert releases() == 2  # the restart did not pulse the lock again
        print("reconciliation after SIGKILL:", json.dumps(result["report"], indent=1))
    finally:
        if child is not None and child.poll() is None:  # a failed assertion must not leave it running
            child.kill()
            child.wait(10)
        sim.terminate()
        sim.wait(10)
