"""Fixtures of the setup tests: emulated lock boards on a real pty, empty device trees, and
`kiosk setup` run as a technician runs it (a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hw_sim.locker_board import LockerBoardSim

ROOT = Path(__file__).resolve().parents[2]

REPLY_TIMEOUT_MS = 60
DEVICE_ARGS = ("--id-reader", "sam:///dev/ttyUSB0?baud=115200", "--camera", "v4l2:///dev/video0",
               "--scanner", "v4l2:///dev/video2", "--printer", "tcp://127.0.0.1:9100")


@pytest.fixture
def sim() -> Iterator[LockerBoardSim]:
    s = LockerBoardSim("8a80", "1:24,2:8", baud=9600)
    s.start()
    yield s
    s.close()


@pytest.fixture
def station(tmp_path: Path) -> Path:
    """A station root with empty /dev and /sys trees (discovery finds nothing; devices come from options)."""
    (tmp_path / "dev").mkdir()
    (tmp_path / "sys").mkdir()
    (tmp_path / "etc").mkdir()
    return tmp_path


def written(root: Path) -> list[str]:
    """Every file under the station root except the fake device trees."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and p.parts[len(root.parts)] not in ("dev", "sys"))


def setup_cmd(root: Path, *args: str, stdin: str | None = None, timeout: float = 120,
              devices: bool = True) -> tuple[int, dict, str, str]:
    # The emulated boards answer on a pty in ~13 ms a round trip (wire time at 9600 baud included);
    # most of a bus scan is the silence waited out at each of the 31+ empty addresses, so the wait
    # for a first reply byte is 60 ms (4x the round trip), not 150: ~2.6 s less per scan.
    argv = [sys.executable, "-m", "kiosk", "setup", *args, "--root", str(root), "--dev", str(root / "dev"),
            "--sys", str(root / "sys"), "--reply-timeout-ms", str(REPLY_TIMEOUT_MS), *(DEVICE_ARGS if devices else ())]
    out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout, input=stdin)
    lines = out.stdout.strip().splitlines()
    doc = json.loads(lines[-1]) if lines and "--json" in args and lines[-1].startswith("{") else {}
    return out.returncode, doc, out.stdout, out.stderr
