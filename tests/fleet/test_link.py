"""The station link against a real mosquitto: events delivered in order and deleted only on the
back office's ack; retained status/health; last will; commands answered on `res`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.fleet.conftest import PASSWORDS, STATIONS

ROOT = Path(__file__).resolve().parents[2]


def wait(pred, timeout=10.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def test_events_reach_backoffice_and_leave_outbox_only_on_ack(broker, make_station, make_backoffice):
    st = make_station(broker)
    assert st.link.wait_connected(5)
    st.emit(50)
    # no back office yet: the broker PUBACKs, yet nothing leaves the outbox
    assert wait(lambda: st.link.stats.events_published >= 50, 5)
    time.sleep(0.3)
    assert st.outbox.stats().pending == 50
    bo = make_backoffice(broker)
    st.emit(30)
    assert bo.wait_upto(st.kiosk_id, 80, 15)
    assert bo.event_ids(st.kiosk_id) == set(st.produced)
    assert bo.seqs(st.kiosk_id) == list(range(1, 81))
    assert wait(lambda: st.outbox.stats().pending == 0, 5)
    assert not bo.contract_violations
    # retained status and health, valid against the contract
    assert wait(lambda: bo.track(st.kiosk_id).status is not None and bo.track(st.kiosk_id).health is not None, 5)
    assert bo.track(st.kiosk_id).status["state"] == "online"
    assert bo.track(st.kiosk_id).health["devices"]["printer"]["paper"] == "ok"


def test_last_will_says_offline_after_the_will_delay(broker, make_station, make_backoffice):
    bo = make_backoffice(broker)
    st = make_station(broker, will_delay_s=1)
    assert st.link.wait_connected(5)
    assert wait(lambda: (bo.track(st.kiosk_id).status or {}).get("state") == "online", 5)
    # drop the TCP connection without DISCONNECT: the broker publishes the will after its delay
    st.link.abort()
    assert wait(lambda: (bo.track(st.kiosk_id).status or {}).get("state") == "offline", 10)
    assert bo.track(st.kiosk_id).status["reason"] == "will"


def test_clean_stop_publishes_offline_shutdown(broker, make_station, make_backoffice):
    bo = make_backoffice(broker)
    st = make_station(broker)
    assert st.link.wait_connected(5)
    st.link.stop()
    assert wait(lambda: (bo.track(st.kiosk_id).status or {}).get("reason") == "shutdown", 5)


def test_signed_command_runs_once_and_repeat_gets_stored_result(broker, make_station, make_backoffice):
    bo = make_backoffice(broker)
    st = make_station(broker)
    assert st.link.wait_connected(5)
    cmd = bo.send_command(st.kiosk_id, "open_compartment", {"compartment": "A01", "reason": "hotline"})
    done = bo.wait_result(cmd["cmd_id"], "done")
    assert done["result"]["args"] == ["A01", "hotline"]
    assert st.target.calls == [("open_compartment", ("A01", "hotline"))]
    # the same command again (e.g. the back office missed the answer): stored result, no second open
    bo.send_raw(st.kiosk_id, "open_compartment", json.dumps(cmd).encode(), cmd["cmd_id"].encode())
    dup = bo.wait_result(cmd["cmd_id"], "duplicate")
    assert dup["original_status"] == "done" and dup["result"] == done["result"]
    assert len(st.target.calls) == 1
    actions = [r.action for r in st.audit.records()]
    assert "fleet.command.accepted" in actions and "fleet.command.done" in actions
    assert "fleet.command.duplicate" in actions
    # the result is also an outbox event, delivered and acked
    assert wait(lambda: any(e.type == "command.result" for e in st.outbox.pending(0, 100)) or
                "command.result" in {r for r in _types(bo, st.kiosk_id)}, 5)


def _types(bo, station):
    with bo.lock:
        return [r[0] for r in bo.db.execute("SELECT type FROM events WHERE station=?", (station,))]


def test_every_command_kind_reaches_the_target(broker, make_station, make_backoffice):
    bo = make_backoffice(broker)
    st = make_station(broker)
    assert st.link.wait_connected(5)
    cases = [("open_compartment", {"compartment": "B02", "reason": "stuck"}),
             ("assign_deposit", {"case": "SH-20261122-0001-X", "size": "M"}),
             ("set_maintenance", {"on": True}),
             ("apply_config", {"patch": {"session": {"idle_timeout_s": 90}}}),
             ("notify_update", {"version": "0.2.0", "sha256": "a" * 64})]
    for name, args in cases:
        cmd = bo.send_command(st.kiosk_id, name, args)
        assert bo.wait_result(cmd["cmd_id"], "done")["status"] == "done"
    assert [c[0] for c in st.target.calls] == [n for n, _ in cases]
    # a handler that fails answers `failed`, and the link lives on
    cmd = bo.send_command(st.kiosk_id, "open_compartment", {"compartment": "Z99", "reason": "x"})
    assert bo.wait_result(cmd["cmd_id"], "failed")["detail"] == "no compartment Z99"
    st.target.fail_with = RuntimeError("driver bug")
    cmd = bo.send_command(st.kiosk_id, "set_maintenance", {"on": False})
    r = bo.wait_result(cmd["cmd_id"], "failed")
    assert r["reason"] == "handler_error" and "driver bug" in r["detail"]
    cmd = bo.send_command(st.kiosk_id, "set_maintenance", {"on": False})
    assert bo.wait_result(cmd["cmd_id"], "done")
    assert st.link.connected


def test_signed_desired_settings_are_applied_and_reported(broker, make_station, make_backoffice, command_key):
    from kiosk.services.fleet import signing
    bo = make_backoffice(broker)
    st = make_station(broker)
    assert st.link.wait_connected(5)
    bo.set_desired(st.kiosk_id, 3, {"maintenance": True})
    assert wait(lambda: (bo.track(st.kiosk_id).reported or {}).get("version") == 3, 5)
    assert bo.track(st.kiosk_id).reported["settings"] == {"maintenance": True}
    forged = signing.generate()
    bo.set_desired(st.kiosk_id, 4, {"maintenance": False}, key=forged)
    assert wait(lambda: (bo.track(st.kiosk_id).reported or {}).get("version") == 4, 5)
    assert bo.track(st.kiosk_id).reported["errors"] == ["desired settings not applied: missing or bad signature"]
    assert bo.track(st.kiosk_id).reported["settings"] == {}


def test_maintenance_command_changes_the_retained_status(broker, make_station, make_backoffice):
    bo = make_backoffice(broker)
    st = make_station(broker)
    assert st.link.wait_connected(5)
    cmd = bo.send_command(st.kiosk_id, "set_maintenance", {"on": True})
    bo.wait_result(cmd["cmd_id"], "done")
    assert wait(lambda: (bo.track(st.kiosk_id).status or {}).get("state") == "maintenance", 5)
    cmd = bo.send_command(st.kiosk_id, "set_maintenance", {"on": False})
    bo.wait_result(cmd["cmd_id"], "done")
    assert wait(lambda: (bo.track(st.kiosk_id).status or {}).get("state") == "online", 5)


def test_health_says_at_once_when_the_outbox_starts_dropping(broker, make_station, make_backoffice):
    bo = make_backoffice(broker)
    bo.stop()  # no acks: the outbox fills
    st = make_station(broker, max_events=100, heartbeat_s=3600)
    assert st.link.wait_connected(5)
    bo.start()
    assert wait(lambda: bo.track(st.kiosk_id).health is not None, 5)
    assert bo.track(st.kiosk_id).health["outbox"]["dropping"] is False
    bo.stop()
    st.emit(150)
    bo.start()
    assert wait(lambda: (bo.track(st.kiosk_id).health or {}).get("outbox", {}).get("dropping") is True, 5)
    assert bo.track(st.kiosk_id).health["outbox"]["dropped_total"] > 0


def test_a_failing_health_source_or_handler_never_kills_the_link(broker, make_station, make_backoffice):
    bo = make_backoffice(broker)
    st = make_station(broker, heartbeat_s=0.2)
    st.link.health_source = lambda: 1 / 0
    st.link.desired_handler = lambda s: (_ for _ in ()).throw(RuntimeError("bad patch"))
    assert st.link.wait_connected(5)
    assert wait(lambda: "health_source" in ((bo.track(st.kiosk_id).health or {}).get("devices") or {}), 5)
    bo.set_desired(st.kiosk_id, 9, {"config": {"ui": {"language": "en"}}})
    assert wait(lambda: (bo.track(st.kiosk_id).reported or {}).get("version") == 9, 5)
    assert "RuntimeError: bad patch" in bo.track(st.kiosk_id).reported["errors"][0]
    # garbage on the station's own topics (as the back office could send): logged, link lives
    for topic, body in [("ack", b"not json"), ("ack", b'{"upto_seq": "x"}'), ("desired", b"[]"),
                        ("rpc/res", b"\xff"), ("cmd/open_compartment", b"")]:
        bo._outq.put((f"k/v1/{st.kiosk_id}/{topic}", body, 1, False, None))
    st.emit(5)
    assert bo.wait_upto(st.kiosk_id, 5, 5)
    assert st.link.connected and st.link.stats.handler_errors == 0
    assert not bo.contract_violations


def test_desired_via_target_applies_through_the_command_target():
    from kiosk.services.fleet.setup import desired_via_target
    from tests.fleet.conftest import RecordingTarget
    t = RecordingTarget()
    applied = desired_via_target(t)({"maintenance": True, "config": {"session": {"idle_timeout_s": 90}},
                                     "update": {"version": "0.2.0"}})
    assert [c[0] for c in t.calls] == ["set_maintenance", "apply_config", "notify_update"]
    assert applied["maintenance"] is True and applied["update"] == {"version": "0.2.0"}


def test_build_link_from_config_and_choose_backoffice(tmp_path, command_key, broker):
    import tomllib

    from kiosk.config import ConfigError, parse_config
    from kiosk.core.clock import FakeClock
    from kiosk.services.audit import AuditLog
    from kiosk.services.fleet import signing
    from kiosk.services.fleet.backoffice_mqtt import MqttBackOffice
    from kiosk.services.fleet.setup import build_link, choose_backoffice
    from kiosk.services.outbox import Outbox
    from kiosk.services.store import Store
    from tests.fleet.conftest import RecordingTarget

    data = tomllib.loads((ROOT / "config" / "sim.toml").read_text())
    store = Store(tmp_path / "s.db")
    clock = FakeClock()
    outbox, audit = Outbox(store, clock), AuditLog(store, clock)
    in_process = object()
    cfg = parse_config(data)
    assert build_link(cfg, store, outbox, audit, RecordingTarget(), clock) is None  # make run: no broker
    assert choose_backoffice(cfg, None, outbox, in_process) is in_process
    pw = tmp_path / "pw"
    pw.write_text(PASSWORDS[STATIONS[0]] + "\n")
    data["station"]["id"] = STATIONS[0]
    data["fleet"] = {"broker": broker.url, "password_file": str(pw), "reconnect_spread_s": 0.5, "allow_insecure": True,
                     "command_public_key": signing.public_hex(command_key), "outbox_max_events": 1000}
    data["backoffice"] = {"mode": "mqtt"}
    cfg = parse_config(data)
    link = build_link(cfg, store, outbox, audit, RecordingTarget(), clock)
    assert link.s.username == STATIONS[0] and link.s.password == PASSWORDS[STATIONS[0]]
    assert isinstance(choose_backoffice(cfg, link, outbox, in_process), MqttBackOffice)
    link.start()
    try:
        assert link.wait_connected(5)
    finally:
        link.stop()
    data["fleet"] = {"broker": broker.url, "reconect_spread_s": 1}  # typo: a clear error, not ignored
    with pytest.raises(ConfigError, match="reconect_spread_s: unknown key"):
        parse_config(data)


def test_only_the_link_thread_publishes(broker, make_station, make_backoffice):
    import threading
    bo = make_backoffice(broker)
    st = make_station(broker, start=False)
    seen: list[str] = []
    real = st.link.client.publish

    def spy(*a, **kw):
        seen.append(threading.current_thread().name)
        return real(*a, **kw)
    st.link.client.publish = spy
    st.link.start()
    assert st.link.wait_connected(5)
    st.emit(20)
    cmd = bo.send_command(st.kiosk_id, "set_maintenance", {"on": True})  # its answer comes from the worker
    bo.wait_result(cmd["cmd_id"], "done")
    assert bo.wait_upto(st.kiosk_id, st.outbox.stats().last_seq, 5)
    assert seen and set(seen) == {f"fleet-link-{st.kiosk_id}"}


def test_session_persists_a_command_sent_while_the_station_is_away(broker, make_station, make_backoffice, tmp_path):
    bo = make_backoffice(broker)
    db = tmp_path / "away.db"
    st = make_station(broker, db=db)
    assert st.link.wait_connected(5)
    st.link.abort()  # gone (power cut); its MQTT 5 session (SessionExpiryInterval set) stays
    cmd = bo.send_command(st.kiosk_id, "notify_update", {"version": "0.3.0"})
    time.sleep(0.3)
    assert not bo.results.get(cmd["cmd_id"])
    st.store.close()
    back = make_station(broker, db=db)  # the station restarts on the same database
    assert bo.wait_result(cmd["cmd_id"], "done", timeout=10)
    assert back.target.calls == [("notify_update", ({"version": "0.3.0"},))]


def test_an_ack_beyond_what_was_sent_releases_only_what_was_sent(broker, make_station):
    """A back office remembering a higher mark from another store under this station id (the
    station reinstalled, restored, or a fresh simulated root) acks past what this store sent: the
    events produced but not yet sent stay in the outbox and are sent, never deleted unsent."""
    import paho.mqtt.client as mqtt

    from kiosk.services.fleet import topics
    from tests.fleet.conftest import PASSWORDS

    st = make_station(broker, drain_batch=5, ack_timeout_s=30.0)  # 5 in flight, then wait for an ack
    assert st.link.wait_connected(5)
    st.emit(20)
    assert wait(lambda: st.link.stats.events_published >= 5, 5)
    assert st.link.stats.events_published == 5  # the rest waits for an ack
    office = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="backoffice", protocol=mqtt.MQTTv5)
    office.username_pw_set("backoffice", PASSWORDS["backoffice"])
    office.connect("127.0.0.1", broker.port)
    office.loop_start()
    try:
        office.publish(topics.ack(st.kiosk_id), json.dumps({"upto_seq": 116}).encode(), qos=1).wait_for_publish(5)
        # seqs 1-5 (sent) are released and the window moves on to 6-10; 6-20, never acknowledged, stay
        assert wait(lambda: st.link.stats.events_published >= 10, 10)
        assert st.outbox.stats().pending == 15 and st.outbox.stats().first_seq == 6
    finally:
        office.disconnect()
        office.loop_stop()
