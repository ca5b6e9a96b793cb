"""The fleet side the composition root builds: without a broker (events wait in the outbox), with an
unusable `[fleet]` section, and the command target's own checks — on a station of instant devices
(no broker needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.assembly import fleet_health
from kiosk.services.fleet.health import clean
from kiosk.services.fleet import signing
from kiosk.services.fleet.commands import CommandFailed
from kiosk.services.station_commands import StationInMaintenance, check_patch
from tests.fleet_station.conftest import station_toml

pytestmark = pytest.mark.timeout(60)


def instant(root: Path, broker_url: str = "", **toml):
    from hw_sim.station.instant import start_instant_station

    root.mkdir(parents=True, exist_ok=True)
    (root / "station.toml").write_text(station_toml(broker_url, signing.public_hex(signing.generate()), **toml))
    station, controls, clock = start_instant_station(load_config(root / "station.toml"), root)
    return station, controls


def test_without_a_broker_events_wait_and_the_mode_still_holds(tmp_path):
    from hw_sim.backoffice import SimBackOffice

    station, controls = instant(tmp_path, mode="in-process")
    try:
        assert station.fleet_link is None and station.fleet_problem is None
        assert isinstance(station.services.backoffice, SimBackOffice)  # the in-process back office serves
        pending = station.cabinet_service.outbox.stats().pending
        with station.fleet_target.acting_as("tech:7"):
            out = station.fleet_target.open_compartment("A05", "door test")
        assert out["ok"] and out["compartment"] == "A05"
        assert station.cabinet_service.outbox.stats().pending > pending  # waits for a broker
        station.fleet_target.set_maintenance(True)
        with pytest.raises(StationInMaintenance):
            station.start_flow("collect")
        station.fleet_target.apply_config({"session": {"more_time_s": 120}})
    finally:
        station.close()
    # a restart keeps maintenance and the runtime overrides
    station, controls = instant(tmp_path, mode="in-process")
    try:
        assert station.mode.maintenance and station.available()["collect"] == "station in maintenance"
        assert station.config.session.more_time_s == 120 and station.ctx.more_time_s == 120
        with station.fleet_target.acting_as("tech:7"):
            station.fleet_target.set_maintenance(False)
        assert station.start_flow("collect").name == "collect"
        assert [r.actor for r in station.audit.records(limit=1000) if r.action == "station.maintenance.off"] == ["tech:7"]
    finally:
        station.close()


@pytest.mark.parametrize("problem, toml, says", [
    ("password file", {"password_file": "fleet/missing.pw"}, "missing.pw"),
    ("public key", {}, "command public key"),
])
def test_an_unusable_fleet_section_degrades_without_stopping_the_station(tmp_path, problem, toml, says):
    root = tmp_path / "st"
    root.mkdir()
    text = station_toml("mqtt://127.0.0.1:1", signing.public_hex(signing.generate()), **toml)
    if problem == "public key":
        (root / "fleet").mkdir()
        (root / "fleet" / "station.pw").write_text("pw\n")
        text = text.replace("command_public_key = \"", "command_public_key = \"zz")
    (root / "station.toml").write_text(text)
    from hw_sim.station.instant import start_instant_station

    station, _, _ = start_instant_station(load_config(root / "station.toml"), root)
    try:
        assert station.fleet_link is None
        assert says in station.fleet_problem
        health = fleet_health(station.devices, station.device_problems, station.mode, station.available)
        assert health["station"]["available"]["query"] is None and "cabinet" in health
        assert station.start_flow("query").name == "query"  # the station runs on
    finally:
        station.close()


def test_the_target_refuses_what_the_station_cannot_do(tmp_path):
    station, controls = instant(tmp_path, mode="in-process")
    try:
        t = station.fleet_target
        with pytest.raises(CommandFailed, match="no compartment 'Z99'"):
            t.open_compartment("Z99", "x")
        station.devices.cabinet.jammed.add((1, 6))  # A06 does not release
        with pytest.raises(CommandFailed, match=r"A06: the door did not open \(not_opened.*intent \d+\)"):
            t.open_compartment("A06", "x")
        assert station.cabinet_service.intents("A06")[-1].outcome == "not_opened"  # journaled all the same
        with pytest.raises(CommandFailed, match="an update notice needs a version"):
            t.notify_update({"version": " "})
        assert t.recalls is station.services.recalls is not None  # the staff retrieve task sees the recalls
        with pytest.raises(CommandFailed, match="not loaded in A01 .*no compartment"):
            t.recall_pickup("2026-000001", "A01", "overdue")
        t.cabinet = None
        with pytest.raises(CommandFailed, match="no working cabinet"):
            t.assign_deposit("2026-000001", "S")
    finally:
        station.close()


def test_config_patches_are_checked_against_the_models(tmp_path):
    cfg = load_config(Path(__file__).resolve().parents[2] / "config" / "sim.toml")
    with pytest.raises(CommandFailed, match=r"\[cabinet\] cannot be changed at run time"):
        check_patch(cfg, {"cabinet": {"url": "serial:///dev/evil"}})
    with pytest.raises(CommandFailed, match="warning_s .* must be shorter"):
        check_patch(cfg, {"session": {"warning_s": 60, "idle_timeout_s": 50}})
    with pytest.raises(CommandFailed, match="non-empty object"):
        check_patch(cfg, {})
    with pytest.raises(CommandFailed) as err:  # every problem at once, and no string for a number
        check_patch(cfg, {"session": {"idle_timeout_s": "90", "foo": 1}, "ui": {"language": "fr"}})
    detail = str(err.value)
    assert "session.foo cannot be changed" in detail and "session.idle_timeout_s: Input should be a valid number" \
        in detail and "ui.language: Input should be 'zh' or 'en' (got 'fr')" in detail, detail
    new = check_patch(cfg, {"ui": {"final_screen_s": 5}})
    assert new.ui.final_screen_s == 5 and cfg.ui.final_screen_s != 5  # the original is untouched


def test_health_values_carry_no_personal_looking_keys():
    snap = {"status": "online", "card": "present", "holder_name": "奥巴马", "id_number": "110101...",
            "counters": {"reads": 3, "last_pin": "1234"}, "detail": "x" * 500, "obj": object()}
    out = clean(snap)
    assert "holder_name" not in out and "id_number" not in out and "last_pin" not in out["counters"]
    assert out["counters"]["reads"] == 3 and len(out["detail"]) == 200 and isinstance(out["obj"], str)


def test_the_station_joins_at_start_and_leaves_at_close(tmp_path):
    from hw_sim.broker import LocalBroker
    from tests.fleet.conftest import PASSWORDS

    broker = LocalBroker(tmp_path / "broker", PASSWORDS)
    broker.start()
    try:
        (tmp_path / "st" / "fleet").mkdir(parents=True)
        (tmp_path / "st" / "fleet" / "station.pw").write_text(PASSWORDS["sh-test-001"] + "\n")
        station, _ = instant(tmp_path / "st", broker.url)
        try:
            link = station.fleet_link  # the composition root built it and the station started it
            assert link is not None and link.wait_connected(10) and station.mode is not None
        finally:
            station.close()
        assert not link.connected and not link._thread.is_alive() and station.fleet_link is None
    finally:
        broker.stop()
