"""The service-level soak (tests/crash/soak.py): a short run with every fault keeps every invariant
at zero; bad input is a clear error with exit status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _soak(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.crash.soak", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_short_soak_with_faults_keeps_every_invariant(tmp_path: Path) -> None:
    r = _soak("--visits", "1500", "--seed", "7", "--faults", "--json", "--dir", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    doc = json.loads(r.stdout.strip().splitlines()[-1])
    assert doc["visits"] >= 1500
    assert {k: doc[k] for k in ("wrong_door_opens", "double_releases", "lost_events", "lost_items",
                                 "unflagged_stuck")} == dict.fromkeys(("wrong_door_opens", "double_releases",
                                                                       "lost_events", "lost_items",
                                                                       "unflagged_stuck"), 0)


def test_bad_input_is_a_clear_error() -> None:
    r = _soak("--visits", "-5", "--json")
    assert r.returncode == 2 and "--visits -5" in r.stderr
    r = _soak("--visits", "10", "--fault", "moon")
    assert r.returncode == 2 and "unrecognized arguments" in r.stderr
