"""Configuration: the shipped files load; every kind of mistake gets an error naming file, key, value."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from kiosk.config import ConfigError, load_config, parse_config


def _sim(sim_config_path):
    return tomllib.loads(sim_config_path.read_text("utf-8"))


def test_sim_config_loads(sim_config_path):
    cfg = load_config(sim_config_path)
    assert cfg.station.id == "sim-0001"
    assert cfg.cabinet.compartments[0].id == "A01"
    assert {c.size for c in cfg.cabinet.compartments} == {"S", "M", "L"}


def test_unknown_key_is_an_error_naming_it(sim_config_path):
    data = _sim(sim_config_path)
    data["cabinet"]["pol_interval_s"] = 1
    with pytest.raises(ConfigError) as exc:
        parse_config(data, "x.toml")
    msg = str(exc.value)
    assert "x.toml" in msg and "cabinet.pol_interval_s" in msg and "unknown key" in msg


def test_bad_value_names_key_value_and_rule(sim_config_path):
    data = _sim(sim_config_path)
    data["cabinet"]["boards"][0]["locks"] = 99
    with pytest.raises(ConfigError) as exc:
        parse_config(data, "x.toml")
    msg = str(exc.value)
    assert "cabinet.boards[0].locks" in msg and "99" in msg and "50" in msg


def test_compartment_on_missing_lock_is_rejected(sim_config_path):
    data = _sim(sim_config_path)
    data["cabinet"]["compartments"][0]["lock"] = 30
    with pytest.raises(ConfigError, match="lock 30"):
        parse_config(data, "x.toml")


def test_duplicate_compartment_rejected(sim_config_path):
    data = _sim(sim_config_path)
    data["cabinet"]["compartments"][1]["id"] = "A01"
    with pytest.raises(ConfigError, match="A01 is listed twice"):
        parse_config(data)


def test_corrupt_toml_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"[station\nid = 1")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        load_config(bad)
    bad.write_bytes(b"\xff\xfe garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(bad)
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "missing.toml")


def test_cli_config_check_exit_status(sim_config_path, tmp_path):
    ok = subprocess.run([sys.executable, "-m", "kiosk", "config", "check", str(sim_config_path), "--json"],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert '"ok": true' in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(sim_config_path.read_text("utf-8").replace('id = "sim-0001"', 'id = "Bad Id!"'), "utf-8")
    res = subprocess.run([sys.executable, "-m", "kiosk", "config", "check", str(bad)], capture_output=True, text=True)
    assert res.returncode == 1
    assert "station.id" in res.stderr and "Bad Id!" in res.stderr
