"""`kiosk setup --non-interactive` against emulated boards on a pty: the exact JSON contract, a
config that passes `kiosk config check` and reads the doors right, and every bad input with its
message, a non-zero exit and nothing written."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from hw_sim.locker_board import LockerBoardSim
from kiosk.config import load_config
from locker_firmware_bridge import BoardSettings, LockerBus
from tests.setup.conftest import ROOT, setup_cmd, written


def run(sim: LockerBoardSim, station: Path, *extra: str, out: str | None = None) -> tuple[int, dict, str, str]:
    return setup_cmd(station, "--non-interactive", "--cabinet-port", sim.path, "--station-id", "hall-3-east",
                     "--out", out or str(station / "etc" / "station.toml"), "--json", "--lang", "en", *extra)


def test_two_boards_json_contract_config_key_and_report(sim: LockerBoardSim, station: Path) -> None:
    rc, doc, _, err = run(sim, station, "--sizes", "M,A01-A06=S,A23-A24=L")
    assert rc == 0, err
    assert list(doc) == ["boards", "compartments", "devices", "config", "checks"]
    assert [(b["board"], b["protocol"], b["baud"]) for b in doc["boards"]] == [(1, "8a80", 9600), (2, "8a80", 9600)]
    for b in doc["boards"]:
        assert set(b) == {"board", "protocol", "baud", "locks", "status_order", "open_bit"} and b["open_bit"] in (0, 1)
    out = station / "etc" / "station.toml"
    assert doc["config"] == str(out)
    assert doc["compartments"] == sum(b["locks"] for b in doc["boards"])
    assert doc["devices"]["scanner"] == {"url": "camera://document", "camera_url": "v4l2:///dev/video2",
                                         "source": "option"}
    statuses = {c["check"]: c["status"] for c in doc["checks"]}
    assert statuses["bus.scan"] == statuses["config"] == statuses["key_file"] == "pass"
    assert statuses["device.camera"] == "warn"  # /dev/video0 is not on this machine: a warning, not a stop
    assert all(c["ms"] > 0 for c in doc["checks"] if c["check"] in ("bus.board", "bus.polarity"))
    check = subprocess.run([sys.executable, "-m", "kiosk", "config", "check", str(out), "--json"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and json.loads(check.stdout.splitlines()[-1])["compartments"] == doc["compartments"]
    cfg = load_config(out)
    assert {c.id: c.size for c in cfg.cabinet.compartments}["A03"] == "S"
    assert cfg.cabinet.url == f"serial://{sim.path}?protocol=8a80&baud=9600"
    key = station / "var" / "hash.key"
    assert len(key.read_bytes()) == 32 and stat.S_IMODE(key.stat().st_mode) == 0o600
    report = json.loads((station / "var/commissioning/report.json").read_text())
    assert report["summary"]["fail"] == 0 and len(report["round_trips_ms"]) >= 4
    assert (station / "var/commissioning/report.html").read_text().count("<tr>") > 32
    assert written(station) == ["etc/station.toml", "var/commissioning/report.html",
                                "var/commissioning/report.json", "var/hash.key"]


def test_detected_polarity_reads_the_doors_right(sim: LockerBoardSim, station: Path) -> None:
    """A board whose firmware counts status bytes the other way and reports open as 0: setup finds
    both, and a bus built from the written config sees exactly the door that is open."""
    sim.cmd_set_board_format(1, status_order="first-byte-low", open_bit=0)
    rc, doc, _, err = run(sim, station)  # all closed reads like all open: only a person can tell
    assert rc == 1 and doc["check"] == "bus.polarity" and "--doors-shut" in err and written(station) == []
    sim.cmd_close_all()  # the polarity test left lock 1 open
    rc, doc, _, err = run(sim, station, "--doors-shut", "--locks", "2:8")
    assert rc == 0, err
    assert doc["compartments"] == 24 + 8 and doc["boards"][1]["locks"] == 8
    b1 = doc["boards"][0]
    assert (b1["status_order"], b1["open_bit"]) == ("first-byte-low", 0)
    cfg = load_config(station / "etc" / "station.toml")
    sim.cmd_close_all()
    sim.cmd_open_door_by_hand(1, 20)
    bus = LockerBus.create(sim.path, "8a80", [BoardSettings.from_config(b) for b in cfg.cabinet.boards],
                           reply_timeout_s=0.3)
    bus.link.open()
    try:
        status = bus.read_status(1)
    finally:
        bus.close()
    assert [lock for lock, is_open in status.locks.items() if is_open] == [20]


def test_missing_port(station: Path) -> None:
    rc, doc, _, err = setup_cmd(station, "--non-interactive", "--cabinet-port", str(station / "dev/ttyUSB9"),
                                "--station-id", "hall-3-east", "--out", str(station / "etc/station.toml"), "--json",
                                "--lang", "en")
    assert rc == 1 and doc["ok"] is False and doc["check"].startswith("bus")
    assert "ttyUSB9" in err and "plugged in" in err
    assert written(station) == []


def test_nothing_answers(sim: LockerBoardSim, station: Path) -> None:
    sim.cmd_set_board_offline(1)
    sim.cmd_set_board_offline(2)
    rc, doc, _, err = run(sim, station, "--protocol", "8a80", "--baud", "9600")
    assert rc == 1 and doc["check"] == "bus.scan"
    assert "no lock board answered" in err and "DIP address" in err and "A/B wiring" in err
    assert written(station) == []


def test_two_boards_at_one_address(sim: LockerBoardSim, station: Path) -> None:
    sim.cmd_set_twin(2)
    rc, doc, _, err = run(sim, station, "--protocol", "8a80", "--baud", "9600")
    assert rc == 1 and doc["check"] == "bus.conflict"
    assert "two boards answer at one address" in err and "DIP address" in err
    assert written(station) == []


def test_every_lock_reads_open_before_any_command(sim: LockerBoardSim, station: Path) -> None:
    for lock in range(1, 25):
        sim.cmd_open_door_by_hand(1, lock)
    rc, doc, _, err = run(sim, station, "--protocol", "8a80", "--baud", "9600")
    assert rc == 1 and doc["check"] == "bus.polarity"
    assert "board 1" in err and "every door is shut" in err and "no status bit changed" in err
    assert written(station) == []
    rc, doc, _, err = run(sim, station, "--protocol", "8a80", "--baud", "9600", "--doors-shut")
    assert rc == 1 and doc["check"] == "bus.polarity" and written(station) == []  # the pulse moved nothing


def test_out_in_a_missing_directory_touches_nothing(sim: LockerBoardSim, station: Path) -> None:
    rc, doc, _, err = run(sim, station, out=str(station / "nope" / "station.toml"))
    assert rc == 1 and doc["check"] == "out" and "nope does not exist" in err and "mkdir -p" in err
    assert sim.requests == 0  # failed before the bus was touched
    assert written(station) == []


def test_bad_usage_and_bad_urls_fail_before_the_bus(sim: LockerBoardSim, station: Path) -> None:
    rc, _, _, err = setup_cmd(station, "--non-interactive", "--cabinet-port", sim.path, "--json")
    assert rc == 2 and "--station-id" in err and "--out" in err
    rc, _, _, err = run(sim, station, "--baud", "fast")
    assert rc == 2 and "--baud 'fast'" in err
    rc, doc, _, err = setup_cmd(station, "--non-interactive", "--cabinet-port", sim.path, "--station-id",
                                "hall-3-east", "--out", str(station / "etc/s.toml"), "--json", "--lang", "en",
                                "--printer", "lpt://x", devices=False)
    assert rc == 1 and "--printer 'lpt://x'" in err and "tcp://" in err
    assert sim.requests == 0 and written(station) == []


def test_a_missing_device_names_its_option(sim: LockerBoardSim, station: Path) -> None:
    rc, doc, _, err = setup_cmd(station, "--non-interactive", "--cabinet-port", sim.path, "--station-id",
                                "hall-3-east", "--out", str(station / "etc/s.toml"), "--json", "--lang", "en",
                                devices=False)
    # the first device neither given nor discovered (a PC/SC reader left by another test may be discovered)
    option = {"device.id_reader": "--id-reader URL", "device.camera": "--camera URL",
              "device.scanner": "--scanner URL", "device.printer": "--printer URL"}
    assert rc == 1 and doc["check"] in option and option[doc["check"]] in err, (doc, err)
    assert written(station) == []


def test_messages_in_chinese_by_default(station: Path) -> None:
    rc, _, _, err = setup_cmd(station, "--non-interactive", "--cabinet-port", "/dev/null", "--station-id", "BAD!",
                              "--out", str(station / "etc/s.toml"))
    assert rc == 1 and "站点编号不可用" in err and "3-40 characters" in err


def test_kerong_bus_found_on_auto(station: Path) -> None:
    """Protocol and baud on auto: a Kerong CU bus at 19200 is found after the 8A/80 attempts fail."""
    sim = LockerBoardSim("kerong-cu", "0:16,3:12", baud=19200)
    sim.start()
    try:
        rc, doc, _, err = run(sim, station, "--locks", "3:12")
    finally:
        sim.close()
    assert rc == 0, err
    assert [(b["board"], b["protocol"], b["baud"], b["locks"]) for b in doc["boards"]] == [
        (0, "kerong-cu", 19200, 16), (3, "kerong-cu", 19200, 12)]
    cfg = load_config(station / "etc" / "station.toml")
    assert cfg.cabinet.url.endswith("?protocol=kerong-cu&baud=19200")
    ids = [c.id for c in cfg.cabinet.compartments]
    assert ids[0] == "A01" and ids[15] == "A16" and ids[16] == "B01" and ids[-1] == "B12"
