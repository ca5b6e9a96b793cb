"""Labels and sizes in bus order, the TOML the plan becomes (checked by the `kiosk config check`
loader), atomic writes, device URLs, the key file and the report."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.provisioning import device_choice
from kiosk.provisioning.discovery import Discovery, FoundDevice
from kiosk.provisioning.errors import SetupError
from kiosk.provisioning.plan import BoardPlan, DevicePlan, PlanError, StationPlan, compartments_in_bus_order, parse_sizes
from kiosk.provisioning.report import Check
from kiosk.provisioning.runner import ensure_key, finish, preflight
from kiosk.provisioning.station_toml import StagedConfig, render

ROOT = Path(__file__).resolve().parents[2]

BOARDS = [BoardPlan(1, 24, "8a80", 9600, "last-byte-low", 1, 12.9), BoardPlan(2, 8, "8a80", 9600, None, 0, 13.1)]
DEVICES = {
    "id_reader": DevicePlan("id_reader", "sam:///dev/ttyUSB0?baud=115200", "option"),
    "camera": DevicePlan("camera", "v4l2:///dev/video0", "option"),
    "scanner": DevicePlan("scanner", "camera://document", "option", camera_url="v4l2:///dev/video2"),
    "printer": DevicePlan("printer", "tcp://10.0.0.9:9100", "option"),
}


def plan(sizes: str | None = None, station: str = "hall-3-east") -> StationPlan:
    return StationPlan(station, "/dev/serial/by-id/usb-FTDI-if00", BOARDS, compartments_in_bus_order(BOARDS, sizes),
                       dict(DEVICES))


def test_bus_order_labels_and_sizes() -> None:
    comps = compartments_in_bus_order(BOARDS, "M,A01-A06=S,A23-A24=L,B08=L")
    assert [c.id for c in comps[:2]] == ["A01", "A02"] and comps[24].id == "B01" and len(comps) == 32
    sizes = {c.id: c.size for c in comps}
    assert sizes["A01"] == sizes["A06"] == "S" and sizes["A07"] == "M" and sizes["A24"] == "L"
    assert sizes["B07"] == "M" and sizes["B08"] == "L"
    assert set(parse_sizes("L", ["A01", "B01"]).values()) == {"L"}
    assert parse_sizes(None, ["A01"]) == {"A01": "M"}


@pytest.mark.parametrize("spec, words", [
    ("A01-A06=X", "expected SIZE or LABEL=SIZE"),
    ("A30=S", "there is no compartment A30"),
    ("A06-A01=S", "low to high"),
    ("A01-B02=S", "within one letter"),
])
def test_bad_sizes_say_what_is_wrong(spec: str, words: str) -> None:
    with pytest.raises(PlanError, match=words):
        compartments_in_bus_order(BOARDS, spec)


def test_rendered_config_passes_the_config_check_command(tmp_path: Path) -> None:
    out = tmp_path / "station.toml"
    staged = StagedConfig(plan("M,A01-A06=S"), out)
    assert not out.exists() and staged.tmp.exists()  # nothing in place before commit
    cfg = staged.commit()
    assert not staged.tmp.exists()
    assert cfg.station.id == "hall-3-east" and len(cfg.cabinet.compartments) == 32
    assert cfg.cabinet.url == "serial:///dev/serial/by-id/usb-FTDI-if00?protocol=8a80&baud=9600"
    b1, b2 = cfg.cabinet.boards
    assert (b1.status_order, b1.open_bit, b2.status_order, b2.open_bit) == ("last-byte-low", 1, None, 0)
    assert cfg.devices.scanner.camera_url == "v4l2:///dev/video2"
    check = subprocess.run([sys.executable, "-m", "kiosk", "config", "check", str(out), "--json"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout.strip().splitlines()[-1]) == {"file": str(out), "ok": True,
                                                                  "station": "hall-3-east", "compartments": 32}


def test_an_invalid_plan_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    out = tmp_path / "station.toml"
    out.write_text("# the old config\n")
    bad = plan()
    bad.boards = [BoardPlan(40, 24, "8a80", 9600, None, 1, 1.0)]  # 8a80 addresses are 1-32
    with pytest.raises(SetupError) as err:
        finish(bad, [], {}, out, tmp_path)
    assert err.value.check == "config" and "does not pass `kiosk config check`" in err.value.message
    assert "40" in err.value.message
    assert out.read_text() == "# the old config\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["station.toml"]  # no temp, no key, no report


def test_finish_writes_config_key_and_report(tmp_path: Path) -> None:
    out = tmp_path / "station.toml"
    result = finish(plan(), [Check("bus.board", "board 1", "pass", "", 12.9)], {}, out, tmp_path)
    key = tmp_path / "var/hash.key"
    assert load_config(out).station.id == "hall-3-east"
    assert len(key.read_bytes()) == 32 and stat.S_IMODE(key.stat().st_mode) == 0o600
    report = json.loads((tmp_path / "var/commissioning/report.json").read_text())
    assert report["summary"] == {"pass": 3, "warn": 0, "fail": 0}
    assert report["round_trips_ms"] == [{"check": "bus.board", "target": "board 1", "ms": 12.9}]
    html = (tmp_path / "var/commissioning/report.html").read_text()
    assert "hall-3-east" in html and "A01" in html and "B08" in html and "调试报告" in html
    assert result.report_paths[0].name == "report.json"
    before = key.read_bytes()
    assert ensure_key(key).detail == "existing key kept" and key.read_bytes() == before  # never replaced


def test_a_damaged_existing_key_fails_and_the_config_is_not_written(tmp_path: Path) -> None:
    key = tmp_path / "var/hash.key"
    key.parent.mkdir()
    key.write_bytes(b"short")
    os.chmod(key, 0o600)
    out = tmp_path / "station.toml"
    with pytest.raises(SetupError) as err:
        finish(plan(), [], {}, out, tmp_path)
    assert err.value.check == "key_file" and "hash.key" in err.value.message
    assert not out.exists() and not (tmp_path / "var/commissioning").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_preflight(tmp_path: Path) -> None:
    with pytest.raises(SetupError, match="directory .*missing does not exist"):
        preflight("st-0001", tmp_path / "missing" / "x.toml")
    with pytest.raises(SetupError, match="is a directory"):
        preflight("st-0001", tmp_path)
    with pytest.raises(SetupError, match="3-40 characters"):
        preflight("Bad ID!", tmp_path / "x.toml")
    assert preflight("st-0001", tmp_path / "x.toml")[0].status == "pass"


def test_device_urls_are_checked_against_the_backend_registries() -> None:
    assert device_choice.plan_device("scanner", "v4l2:///dev/video2", "option") == DevicePlan(
        "scanner", "camera://document", "option", camera_url="v4l2:///dev/video2")
    assert device_choice.plan_device("scanner", "camera://document?camera=v4l2:///dev/video2", "option").camera_url is None
    with pytest.raises(SetupError, match=r"--printer 'lpt://x'.*known: cups://, file://, serial://, tcp://, usb://"):
        device_choice.plan_device("printer", "lpt://x", "option")
    with pytest.raises(SetupError, match="--camera '/dev/video0'.*no scheme"):
        device_choice.plan_device("camera", "/dev/video0", "option")


def test_reachability_is_pass_or_warn(tmp_path: Path) -> None:
    node = tmp_path / "ttyUSB0"
    node.touch()
    found = {"pcsc": Discovery((FoundDevice("pcsc", "pcsc://Virtual PCD 00 00", "Virtual PCD 00 00"),))}
    assert device_choice.reach(DevicePlan("id_reader", f"sam://{node}?baud=115200", "option"), found).status == "pass"
    assert device_choice.reach(DevicePlan("id_reader", "pcsc://virtual pcd 00 00", "option"), found).status == "pass"
    missing = device_choice.reach(DevicePlan("camera", f"v4l2://{tmp_path}/video9", "option"), found)
    assert missing.status == "warn" and "does not exist" in missing.detail and "plug it in" in missing.detail


def test_candidates_for_roles() -> None:
    found = {"serial": Discovery((FoundDevice("serial", "serial:///dev/ttyUSB0", "ttyUSB0", "/dev/ttyUSB0"),)),
             "pcsc": Discovery((FoundDevice("pcsc", "pcsc://R 00", "R 00"),))}
    assert [u for u, _ in device_choice.candidates("id_reader", found)] == ["pcsc://R 00",
                                                                           "sam:///dev/ttyUSB0?baud=115200"]
    assert render(plan()).count("[[cabinet.compartments]]") == 32
