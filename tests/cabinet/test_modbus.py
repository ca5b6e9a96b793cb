"""Modbus-RTU lock boards end to end: the bridge over a real pty against the emulator, the
technician CLI (`kiosk locker ... --protocol modbus-rtu`), the station's own cabinet stack
(`kiosk cabinet status|open` with `[cabinet] url = "serial://...?protocol=modbus-rtu&baud=9600"`,
which goes through CabinetService), and the config's checks."""

from __future__ import annotations

import sqlite3
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from hw_sim.locker_board import LockerBoardSim
from kiosk.config import ConfigError, parse_config
from locker_firmware_bridge import BoardSettings, Refused
from locker_firmware_bridge.protocols.modbus_rtu import with_crc
from locker_firmware_bridge.transport import min_gap

from tests.cabinet.conftest import make_bus
from tests.cabinet.test_cli import kiosk

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def msim() -> Iterator[LockerBoardSim]:
    s = LockerBoardSim("modbus-rtu", "1:24,247:8", baud=9600)
    s.start()
    yield s
    s.close()


def test_status_open_and_refusals_over_the_wire(msim: LockerBoardSim) -> None:
    bus = make_bus(msim.path, "modbus-rtu", [BoardSettings(1, 24), BoardSettings(247, 8), BoardSettings(9, 8)])
    try:
        assert bus.read_status(247).locks == {n: False for n in range(1, 9)}
        result = bus.open_lock(1, 24)
        assert result.result == "opened" and msim.door_open(1, 24) and msim.releases(1, 24) == 1
        assert [n for n, o in bus.read_status(1).locks.items() if o] == [24]
        msim.cmd_close_door(1, 24)
        assert bus.read_status(1).locks[24] is False
        # the config says 16 locks on a board of 8: the board refuses, and the error says what to check
        bus.boards[247] = BoardSettings(247, 16)
        with pytest.raises(Refused, match="exception 02, illegal data address") as info:
            bus.read_status(247)
        assert "lock count" in info.value.hint
        refused = bus.open_lock(247, 12)
        assert refused.result == "not_opened" and "illegal data address" in refused.detail
        assert bus.scan(range(1, 4)) == [1]
        assert bus.read_status(1).attempts == 1
        # start-up: every output switched off with 05 .. 00 00, acknowledged by the echo
        msim.cmd_hold_output(1, 3)
        assert bus.outputs_off(1) == 24 and not msim.boards[1].door(3).held
        # silent gap: 3.5 characters at 9600
        assert min(msim.gaps) >= min_gap(9600) * 0.9
    finally:
        bus.close()


def test_emulator_answers_unknown_functions_with_exception_01_and_ignores_broadcast_replies() -> None:
    from hw_sim.locker.firmware import firmware_for
    from hw_sim.locker.boards import SimBoard

    fw = firmware_for("modbus-rtu")
    boards = {1: SimBoard(1, 8, "first-byte-low", 1), 2: SimBoard(2, 8, "first-byte-low", 1)}
    _, reply = fw.handle(with_crc(bytes.fromhex("01 03 00 00 00 01")), boards)  # read holding registers
    assert reply == with_crc(bytes.fromhex("01 83 01"))
    address, reply = fw.handle(with_crc(bytes.fromhex("00 05 00 01 FF 00")), boards)  # broadcast open of lock 2
    assert reply is None and all(b.door(2).releases == 1 for b in boards.values())


def test_locker_cli_speaks_modbus(msim: LockerBoardSim, tmp_path: Path) -> None:
    rc, doc, err = kiosk("locker", "scan", "--port", msim.path, "--protocol", "modbus-rtu", "--addresses", "1-3,247",
                         "--json")
    assert rc == 0 and doc == {"boards": [{"board": 1}, {"board": 247}]}, err
    rc, doc, err = kiosk("locker", "open", "--port", msim.path, "--protocol", "modbus-rtu", "--board", "247",
                         "--lock", "8", "--locks", "8", "--json", "--reason", "test", "--root", str(tmp_path))
    assert rc == 0 and doc["result"] == "opened", err
    rc, doc, _ = kiosk("locker", "status", "--port", msim.path, "--protocol", "modbus-rtu", "--board", "247",
                       "--locks", "8", "--json")
    assert rc == 0 and doc["locks"]["8"] == "open" and doc["locks"]["1"] == "closed"
    rc, doc, err = kiosk("locker", "status", "--port", msim.path, "--protocol", "modbus-rtu", "--board", "247",
                         "--json")  # the protocol's default 16 locks: the board of 8 refuses
    assert rc == 1 and doc["result"] == "refused" and "illegal data address" in err and "lock count" in err
    rc, _, err = kiosk("locker", "scan", "--port", msim.path, "--protocol", "modbus-rtu", "--addresses", "248")
    assert rc == 2 and "outside 1-247" in err


@pytest.fixture
def modbus_config(tmp_path: Path) -> Path:
    text = (ROOT / "config" / "sim.toml").read_text()
    text = text.replace('"var/sim/station.db"', f'"{tmp_path / "station.db"}"')
    text = text.replace("protocol=8a80&baud=9600", "protocol=modbus-rtu&baud=9600")
    # `{sim}`: the CLI starts the board emulator in its own process (a developer's shortcut)
    text = text.replace('"serial://{root}/var/sim/dev/cabinet?', '"serial://{sim}?')
    assert '"serial://{sim}?protocol=modbus-rtu&baud=9600"' in text
    path = tmp_path / "modbus.toml"
    path.write_text(text)
    return path


def test_station_cabinet_over_modbus(modbus_config: Path) -> None:
    rc, doc, err = kiosk("cabinet", "open", "A03", "--reason", "door test", "--config", str(modbus_config), "--json")
    assert rc == 0, err
    assert doc == {"compartment": "A03", "board": 1, "lock": 3, "result": "opened", "intent": 1}
    rc, doc, err = kiosk("cabinet", "status", "--config", str(modbus_config), "--json")
    assert rc == 0 and doc["status"] == "online" and doc["bus"] == "ok", err
    assert [b["state"] for b in doc["boards"]] == ["ok", "ok"]
    db = sqlite3.connect(modbus_config.parent / "station.db")
    assert db.execute("SELECT purpose, outcome FROM intents").fetchall() == [("technician", "opened")]


def test_config_checks_modbus_boards(modbus_config: Path) -> None:
    data = tomllib.loads(modbus_config.read_text())
    data["cabinet"]["boards"][1]["address"] = 247
    for c in data["cabinet"]["compartments"]:
        if c["board"] == 2:
            c["board"] = 247
    parse_config(data, "k.toml")  # the highest Modbus address is a board address
    data["cabinet"]["boards"][1]["address"] = 248
    with pytest.raises(ConfigError, match="modbus-rtu board addresses are 1-247"):
        parse_config(data, "k.toml")
    data["cabinet"]["boards"][1]["address"] = 247
    data["cabinet"]["boards"][0]["status_order"] = "last-byte-low"
    with pytest.raises(ConfigError, match="first-byte-low only"):
        parse_config(data, "k.toml")
