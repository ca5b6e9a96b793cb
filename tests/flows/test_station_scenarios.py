"""The station and the scripted visits: every scenario on instant devices (fast) and on the
simulated station with real drivers over ptys, TCP and MJPEG (slow); the CLI; a station whose
devices are missing degrades instead of failing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hw_sim.identities import get_identity
from kiosk.config import load_config, parse_config
from kiosk.scenarios.library import INSTANT_ONLY, SCENARIOS
from kiosk.scenarios.runner import ScenarioRunner

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = ("obama", "biden", "rose_leslie", "mongol", "jino", "kit_harington", "alex_lacamoire",
          "foreign_origin", "tibetan_long_term")


def _no_personal_data_on_disk(root: Path) -> None:
    blob = b""
    for p in root.rglob("*"):
        if p.is_file() and p.suffix in (".db", ".db-wal", ".json", "") and p.stat().st_size < 50_000_000:
            blob += p.read_bytes()
    for key in PEOPLE:
        ident = get_identity(key)
        for secret in (ident.id_number, ident.name_zh, ident.address):
            assert secret.encode() not in blob, f"{key}: personal data found on disk"


def test_every_scenario_on_instant_devices(tmp_path):
    from hw_sim.station.instant import start_instant_station

    config = load_config(ROOT / "config" / "sim.toml")
    results = {}
    for name, sc in SCENARIOS.items():
        station, controls, clock = start_instant_station(config, root=tmp_path / name)
        try:
            res = ScenarioRunner(station, controls, clock).run(sc)
            station.store.conn.execute("PRAGMA wal_checkpoint(FULL)")
            assert station.audit.verify()[0]
        finally:
            station.close()
        results[name] = [s.state for s in res["states"]]
        assert res["ok"], (name, res["outcome"], res["transcript"][-6:])
        assert results[name][-1] == "ended"
    assert len(results) >= 14
    assert {"ecert_consent", "scan", "submit", "receipt", "done"} <= set(results["apply"])
    assert {"form", "form_edit", "form_render", "rating"} <= set(results["apply"])  # 智能填表, 好差评
    assert all("rating" in results[n] for n in ("apply", "print-certificate", "query", "collect"))
    assert "missing" in results["apply-missing-material"]
    assert "receipt_on_screen" in results["printer-out-of-paper"]
    assert "dropoff_close" in results["drop-off"]
    _no_personal_data_on_disk(tmp_path)


@pytest.fixture(scope="module")
def sim_station(tmp_path_factory):
    from kiosk.scenarios.clock import OffsetClock
    from hw_sim.station.controls import SimControls
    from hw_sim.station.simulated import start_sim_station, stop_sim_station

    root = tmp_path_factory.mktemp("simstation")
    clock = OffsetClock()
    station, hub = start_sim_station(load_config(ROOT / "config" / "sim.toml"), root=root, clock=clock)
    yield station, hub, clock, root
    stop_sim_station(station, hub)


@pytest.mark.slow
@pytest.mark.timeout(400)  # every scenario with its voice heard out; measured in the suite
def test_every_scenario_on_the_simulated_station(sim_station):
    from hw_sim.station.controls import SimControls

    station, hub, clock, root = sim_station
    assert all(v is None for v in station.available().values()), station.health()
    runner = ScenarioRunner(station, SimControls(hub, station), clock)
    failed = {}
    for name, sc in SCENARIOS.items():
        if name in INSTANT_ONLY or name in PASSPORT_VISITS:  # the passport visits: their own test below
            continue
        res = runner.run(sc)
        if not res["ok"]:
            failed[name] = (res["outcome"], res["transcript"][-8:])
    assert not failed, failed
    from datetime import datetime, timezone

    drift = station.clock.now() - datetime.now(timezone.utc)
    assert abs(drift.total_seconds()) < 600, f"the visits moved the station's date by {drift} (later cases misnumbered)"
    camera = station.health()["devices"]["camera"]
    assert (camera["status"], camera["stream"]) == ("online", "standby"), "a working camera between visits"
    stats = station.cabinet_service.outbox.stats()
    assert stats.dropped_total == 0 and stats.last_seq > 0, stats  # no scripted visit loses an event
    # side effects seen on the far side of the real drivers
    receipts = hub.call("printer", "receipts")
    assert len(receipts) >= 3
    sms = hub.call("backoffice", "sms")
    assert any(m["kind"] == "pickup_code" for m in sms)
    assert station.audit.verify()[0]
    actions = {r.action for r in station.audit.records(limit=10_000)}
    assert {"identify.fraud_attempt", "collect.door_not_opened", "cabinet.release.pickup"} <= actions
    station.store.conn.execute("PRAGMA wal_checkpoint(FULL)")
    _no_personal_data_on_disk(root)


PASSPORT_VISITS = ("passport", "passport-damaged-mrz")


@pytest.mark.slow
def test_passport_visits_on_the_simulated_station(pcsc_env, sim_station):
    """The passport visits through the real pcsc:// driver: the station's pcscd is the test
    process's own (the session's `pcsc_env` holds its other reader at the same time)."""
    from hw_sim.station.controls import SimControls

    station, hub, clock, root = sim_station
    assert station.devices.passport_reader is not None, hub.unavailable
    assert station.devices.passport_reader.reader_name != pcsc_env.reader
    assert (root / "var" / "sim" / "csca" / "sim-csca.pem").is_file()  # the simulators' CSCA, the station's trust store
    runner = ScenarioRunner(station, SimControls(hub, station), clock)
    apdus = {}
    for name in PASSPORT_VISITS:
        res = runner.run(SCENARIOS[name])
        assert res["ok"], (name, res["outcome"], res["transcript"][-8:])
        apdus[name] = hub.call("passport_reader", "state")["apdus"]
        runner.controls.reset()
    assert apdus["passport"] > 10  # BAC and the files under secure messaging, from the chip on vpcd
    assert apdus["passport-damaged-mrz"] == 0  # the MRZ never checked out: the chip was never read
    assert hub.call("passport_reader", "state")["identity"] is None  # the passport goes with its holder


@pytest.mark.slow
def test_control_socket_drives_the_simulators(sim_station):
    from hw_sim.control import ControlClient

    station, hub, clock, root = sim_station
    client = ControlClient(root / "var" / "sim" / "sim.sock")
    # the device simulators run in their own process; the back-office double is in the station's
    described = set(client.call("hub", "describe"))  # + the A4 printer's private CUPS where it can run (root)
    assert described - {"docprinter"} == {"id_reader", "camera", "document_camera", "printer", "cabinet",
                                          "passport_reader"}
    assert hub.sims.proc.pid != os.getpid() and isinstance(hub.call("backoffice", "sms"), list)
    assert client.call("printer", "status")["paper"] == "ok"


def test_cli_lists_and_refuses_unknown():
    out = subprocess.run([sys.executable, "-m", "kiosk", "scenario", "--list", "--json"], capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0
    names = [r["name"] for r in json.loads(out.stdout)]
    assert len(names) >= 14 and "collect-photo-attack" in names
    bad = subprocess.run([sys.executable, "-m", "kiosk", "scenario", "no-such", "--json"], capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert bad.returncode == 1 and "no scenario" in bad.stderr
    assert json.loads(bad.stdout.strip().splitlines()[-1])["error"]


def test_cli_runs_a_scenario_as_json(tmp_path):
    out = subprocess.run([sys.executable, "-m", "kiosk", "scenario", "collect-by-code", "--instant", "--json",
                          "--root", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc["scenario"] == "collect-by-code" and doc["outcome"] == "completed"
    states = [s["state"] for s in doc["states"]]
    assert states[0] == "method" and states[-1] == "ended" and doc["ms"] > 0
    assert all(set(s) == {"state", "spoken"} and isinstance(s["spoken"], str) for s in doc["states"])
    assert any(s["spoken"] for s in doc["states"])  # --instant keeps the configured speaker


def test_scenario_scripts_are_plain_data():
    for sc in SCENARIOS.values():
        doc = json.loads(json.dumps(sc.to_json()))
        assert doc["steps"] and doc["expect"]
        for step in doc["steps"]:
            assert len({"act", "sim", "wait", "page", "door", "advance", "tick", "scan", "wait_idle"} & set(step)) == 1


def test_station_with_missing_devices_degrades(tmp_path):
    from kiosk.assembly import build_station

    raw = {
        "station": {"id": "test-0001", "name_zh": "测试", "name_en": "Test"},
        "storage": {"database": str(tmp_path / "s.db"), "hash_key_file": str(tmp_path / "k.key")},
        "devices": {"id_reader": {"url": "sam:///dev/does-not-exist?baud=115200"},
                    "camera": {"url": "nonsense://x"},
                    "scanner": {"url": "camera://document"},
                    "printer": {"url": "tcp://127.0.0.1:1"}},
        "cabinet": {"url": "serial:///dev/does-not-exist?protocol=8a80", "boards": [{"address": 1, "locks": 4}],
                    "compartments": [{"id": "A01", "board": 1, "lock": 1, "size": "S"}]},
    }
    from hw_sim.backoffice import SimBackOffice

    from kiosk.services.keyed_hash import create_key

    create_key(tmp_path / "k.key")  # a first install's key (the station never makes one itself)
    station = build_station(parse_config(raw), backoffice=SimBackOffice(), root=tmp_path)
    try:
        health = station.health()
        assert health["devices"]["camera"]["status"] == "no_device"
        assert "nonsense" in health["devices"]["camera"]["detail"]
        avail = station.available()
        assert avail["apply"] and avail["collect"]  # each says why it cannot run
        flow = station.start_flow("collect")
        flow.act("identify")
        assert flow.outcome == "device_unavailable"
        assert flow.view().final
    finally:
        station.close()


def test_station_takes_in_back_office_news(tmp_path):
    from hw_sim.station.instant import start_instant_station
    from hw_sim.station.setups import submitted_case

    station, controls, clock = start_instant_station(load_config(ROOT / "config" / "sim.toml"), root=tmp_path)
    try:
        ctx = submitted_case(station, controls, "PS-001", "obama")
        assert station.services.cases.get(ctx["case_no"]).status == "accepted"
        controls.call("backoffice", "ready", case_no=ctx["case_no"], size="S")
        station.tick()  # the first tick polls the back office
        case = station.services.cases.get(ctx["case_no"])
        assert case.status == "result_ready", [e.status for e in case.timeline]
        # a deposit can now take it; a second flow start cancels a flow in progress
        first = station.start_flow("collect")
        second = station.start_flow("deposit")
        assert first.outcome == "canceled" and station.flow is second
        with pytest.raises(ValueError):
            station.start_flow("no-such-flow")
    finally:
        station.close()


def test_a_visit_names_the_devices_it_needs():
    """`kiosk run` plays only the visits the station can play (a station without a passport
    reader skips the passport visits) and refuses one asked for by name with the missing device."""
    from kiosk.flows.base import Devices

    assert SCENARIOS["passport"].missing(Devices()) == ["passport_reader"]
    assert SCENARIOS["passport"].missing(Devices(passport_reader=object())) == []
    assert SCENARIOS["collect"].missing(Devices()) == []


@pytest.mark.slow
def test_kiosk_run_refuses_a_visit_the_station_cannot_play(tmp_path):
    """No pcscd for the simulated passport reader (a [simulator] pcscd that does not exist): the
    station starts all the same, without it, and the passport visit is refused with the reason."""
    text = (ROOT / "config" / "sim.toml").read_text(encoding="utf-8")
    missing = tmp_path / "no-such-pcscd"
    cfg = tmp_path / "station.toml"
    cfg.write_text(text.replace("[simulator]\n", f'[simulator]\npcscd = "{missing}"\n', 1), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "kiosk", "run", "--config", str(cfg),
                          "--headless", "--free-ports", "--root", str(tmp_path / "root"), "--scenario", "passport"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    said = out.stdout + out.stderr
    assert "kiosk run: station sim-0001 up in" in out.stdout, said[-2000:]
    assert out.returncode != 0 and "scenario passport needs what this station does not have: passport_reader" in said
    assert f"no pcscd at {missing}" in said and "apt-get install pcscd vsmartcard-vpcd" in said
