"""The board emulator as its own process, driven through the one control API (JSON lines on a
Unix socket), and its in-process construction from the station config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hw_sim.control import ControlClient, ControlError, ControlHub
from hw_sim.locker_board import LockerBoardSim, parse_boards
from kiosk.config import load_config
from locker_firmware_bridge import BoardSettings

from tests.cabinet.conftest import make_bus

ROOT = Path(__file__).resolve().parents[2]


def test_process_with_control_socket(tmp_path: Path) -> None:
    sock = tmp_path / "sim.sock"
    proc = subprocess.Popen([sys.executable, "-m", "hw_sim.locker_board", "--protocol", "8a80", "--boards", "1:24,2:8",
                             "--control", str(sock)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        path = proc.stdout.readline().strip()
        assert Path(path).exists()
        ctl = ControlClient(sock)
        described = ctl.call("hub", "describe")["cabinet"]
        for cmd in ("close_door", "open_door_by_hand", "jam_lock", "stick_door", "break_sensor", "set_junk",
                    "set_corrupt_rate", "set_slow", "set_board_offline", "unplug", "replug", "set_board_format"):
            assert cmd in described and described[cmd]
        bus = make_bus(path)
        try:
            assert bus.open_lock(1, 12).result == "opened"
            assert ctl.call("cabinet", "status")["boards"][0]["doors"]["12"] == "open"
            assert ctl.call("cabinet", "close_door", board=1, lock=12) == "closed"
            assert bus.read_status(1).locks[12] is False
        finally:
            bus.close()
        with pytest.raises(ControlError, match="no board 9"):
            ctl.call("cabinet", "close_door", board=9, lock=1)
        with pytest.raises(ControlError, match="unknown command"):
            ctl.call("cabinet", "explode")
    finally:
        proc.terminate()
        proc.wait(10)


def test_from_config_uses_the_station_map(sim_config_path: Path) -> None:
    cfg = load_config(sim_config_path).cabinet
    sim = LockerBoardSim.from_config(cfg)
    hub = ControlHub()
    hub.add(sim)
    try:
        port = sim.start()
        assert sim.baud == 9600 and sorted(sim.boards) == [1, 2] and sim.boards[2].locks == 8
        bus = make_bus(port, boards=[BoardSettings(1, 24), BoardSettings(2, 8)])
        try:
            assert bus.scan(range(1, 4), 0.3) == [1, 2]
        finally:
            bus.close()
        assert hub.call("cabinet", "set_board_offline", board=2) is True
    finally:
        hub.close()


def test_board_spec_errors() -> None:
    with pytest.raises(ValueError, match="ADDRESS:LOCKS"):
        parse_boards("1-24")
    with pytest.raises(ValueError, match="unique"):
        parse_boards("1:8,1:24")
    out = subprocess.run([sys.executable, "-m", "hw_sim.locker_board", "--boards", "x"], cwd=ROOT,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "ADDRESS:LOCKS" in out.stderr
