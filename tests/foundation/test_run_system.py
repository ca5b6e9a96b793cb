"""`make run`'s launcher joins config/sim.toml to the private broker and the office's command key;
the result is a valid station config (and a config without a [fleet] section is a clear error)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from kiosk.config import load_config

ROOT = Path(__file__).resolve().parents[2]


def _launcher():
    spec = importlib.util.spec_from_file_location("run_system", ROOT / "scripts" / "run_system.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_simulated_station_is_joined_to_the_broker_and_the_office_key(tmp_path):
    mod = _launcher()
    out = mod.station_config(ROOT / "config" / "sim.toml", "mqtt://127.0.0.1:18830", tmp_path / "pw", "ab" * 32,
                             tmp_path / "station.toml")
    cfg = load_config(out)
    assert cfg.fleet.broker == "mqtt://127.0.0.1:18830" and cfg.fleet.username == "sim-0001"
    assert cfg.fleet.command_public_key == "ab" * 32 and cfg.fleet.password_file == str(tmp_path / "pw")
    assert cfg.simulator.enabled and len(cfg.cabinet.compartments) == 32  # the rest of sim.toml is intact


def test_a_config_without_a_fleet_section_is_refused(tmp_path):
    mod = _launcher()
    base = tmp_path / "nofleet.toml"
    base.write_text((ROOT / "config" / "sim.toml").read_text().replace("[fleet]", "[fleetx]"))
    with pytest.raises(RuntimeError, match="no \\[fleet\\] section"):
        mod.station_config(base, "mqtt://127.0.0.1:1", tmp_path / "pw", "ab" * 32, tmp_path / "s.toml")


def test_make_run_puts_the_station_on_the_office_and_names_the_scripted_operator(tmp_path):
    mod = _launcher()
    out = mod.station_config(ROOT / "config" / "sim.toml", "mqtt://127.0.0.1:18830", tmp_path / "pw", "ab" * 32,
                             tmp_path / "station.toml", console="127.0.0.1:8080",
                             operator_password_file=tmp_path / "op.pw")
    cfg = load_config(out)
    assert cfg.backoffice.mode == "mqtt"
    assert (cfg.simulator.office_console, cfg.simulator.office_user) == ("http://127.0.0.1:8080", "visits")
    assert cfg.simulator.office_password_file == str(tmp_path / "op.pw") and cfg.simulator.enabled
    assert not list(tmp_path.glob("*.tmp"))  # written under a temporary name and moved into place
