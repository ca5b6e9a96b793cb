"""A simulated station on a real mosquitto: its events reach the simulated back office through the
outbox, and signed back-office commands act on its real services (cabinet on the board simulator,
maintenance, config, update notices); bad ones act on nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest

from kiosk.services.fleet import signing
from kiosk.services.station_commands import StationInMaintenance
from tests.fleet.conftest import PASSWORDS
from tests.fleet_station.conftest import KIOSK_ID, ROOT

pytestmark = pytest.mark.timeout(120)


def wait_for(pred: Any, timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def bo_events(bo: Any, type_: str) -> list[dict[str, Any]]:
    with bo.lock:
        rows = bo.db.execute("SELECT seq, data FROM events WHERE station = ? AND type = ? ORDER BY seq",
                             (KIOSK_ID, type_)).fetchall()
    return [{"seq": seq, **json.loads(data)} for seq, data in rows]


def command(j: Any, name: str, args: dict[str, Any], status: str | None = None, **kw: Any) -> dict[str, Any]:
    cmd = j.bo.send_command(KIOSK_ID, name, args, **kw)
    res = j.bo.wait_result(cmd["cmd_id"], status, timeout=15)
    if status is None and res["status"] == "accepted":
        res = wait_for(lambda: next((r for r in j.bo.results.get(cmd["cmd_id"], []) if r["status"] != "accepted"),
                                    None), 15, f"final res of {name}")
    return res


def audits(station: Any, action: str) -> list[Any]:
    return [r for r in station.audit.records(limit=100_000) if r.action == action]


def test_a_door_event_reaches_the_back_office_through_the_outbox(joined):
    j = joined
    j.hub.call("cabinet", "open_door_by_hand", board=2, lock=8)  # B08, forced: an alarm
    try:
        ev = wait_for(lambda: [e for e in bo_events(j.bo, "cabinet.door") if e["compartment"] == "B08"], 10,
                      "the door event at the back office")
        assert ev[0]["event"] == "uncommanded_open" and ev[0]["board"] == 2 and ev[0]["lock"] == 8
        # acknowledged by the back office -> gone from the station's outbox; no seq missing
        wait_for(lambda: j.link.outbox.stats().pending == 0, 10, "the outbox to drain")
        seqs = j.bo.seqs(KIOSK_ID)
        assert seqs == list(range(1, len(seqs) + 1))
    finally:
        j.hub.call("cabinet", "close_door", board=2, lock=8)
        wait_for(lambda: j.station.cabinet_service.door("B08") == "closed", 10, "B08 closed")
        j.station.cabinet_service.clear_attention("B08", actor="tech:test", note="test door")


def test_a_signed_open_compartment_from_the_cli_opens_the_simulated_door(joined):
    j = joined
    before = j.hub.call("cabinet", "door", board=1, lock=3)["releases"]
    j.bo.stop()  # the CLI logs in as the back office user too (one client id per user)
    try:
        r = subprocess.run(
            [sys.executable, "-m", "kiosk", "fleet", "command", KIOSK_ID, "open_compartment", "--args",
             json.dumps({"compartment": "A03", "reason": "hotline: door did not open"}), "--key", str(j.key_file),
             "--broker", j.broker.url, "--password", PASSWORDS["backoffice"], "--operator", "ops:wang", "--json"],
            capture_output=True, text=True, cwd=ROOT, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        j.bo.start()
    assert r.returncode == 0, (r.stdout, r.stderr)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert [a["status"] for a in out["answers"]] == ["accepted", "done"]
    assert out["answers"][-1]["result"]["compartment"] == "A03" and out["answers"][-1]["result"]["ok"]
    # the board simulator saw the pulse; the door is open
    assert j.hub.call("cabinet", "door", board=1, lock=3) == {"open": True, "releases": before + 1}
    # journaled before, closed with its outcome, by the command's operator
    intent = j.station.cabinet_service.intents("A03")[-1]
    assert (intent.purpose, intent.actor, intent.reason, intent.outcome) == (
        "technician", "backoffice:ops:wang", "hotline: door did not open", "opened")
    rec = audits(j.station, "cabinet.release.technician")[-1]
    assert rec.actor == "backoffice:ops:wang" and rec.subject == "A03" and rec.detail["result"] == "opened"
    assert audits(j.station, "fleet.command.done")[-1].subject == out["cmd_id"]
    # the release and the command's result reach the back office as events
    wait_for(lambda: [e for e in bo_events(j.bo, "cabinet.release") if e["compartment"] == "A03"
                      and e["purpose"] == "technician"], 10, "cabinet.release event")
    wait_for(lambda: [e for e in bo_events(j.bo, "command.result") if e["cmd_id"] == out["cmd_id"]], 10,
             "command.result event")
    j.hub.call("cabinet", "close_door", board=1, lock=3)


def test_expired_unsigned_and_foreign_signed_commands_open_nothing(joined):
    j = joined
    before, intents_before = (j.hub.call("cabinet", "door", board=1, lock=4)["releases"],
                              len(j.station.cabinet_service.intents("A04")))
    args = {"compartment": "A04", "reason": "should not open"}
    old = j.bo.build_command(KIOSK_ID, "open_compartment", args, issued_at=int(time.time()) - 1000, ttl_s=300)
    unsigned = j.bo.build_command(KIOSK_ID, "open_compartment", args)
    del unsigned["sig"]
    foreign = j.bo.build_command(KIOSK_ID, "open_compartment", args, key=signing.generate())
    expected = {}
    for cmd, reason in ((old, "expired"), (unsigned, "unsigned"), (foreign, "bad_signature")):
        j.bo.send_raw(KIOSK_ID, "open_compartment", json.dumps(cmd).encode(), cmd["cmd_id"].encode(), ttl_s=60)
        expected[cmd["cmd_id"]] = reason
    for cmd_id, reason in expected.items():
        res = j.bo.wait_result(cmd_id, timeout=15)
        assert res["status"] in ("rejected", "expired") and res["reason"] == reason, res
    time.sleep(0.3)
    assert j.hub.call("cabinet", "door", board=1, lock=4) == {"open": False, "releases": before}
    assert len(j.station.cabinet_service.intents("A04")) == intents_before
    rejected = {r.subject: r.detail["reason"] for r in audits(j.station, "fleet.command.rejected")}
    assert all(rejected.get(cid) == reason for cid, reason in expected.items()), rejected


def test_maintenance_refuses_citizen_flows_and_shows_in_status(joined):
    j = joined
    res = command(j, "set_maintenance", {"on": True})
    assert res["status"] == "done" and res["result"]["maintenance"] is True
    try:
        with pytest.raises(StationInMaintenance, match="maintenance"):
            j.station.start_flow("apply")
        assert j.station.flow is None or j.station.flow.name != "apply"
        avail = j.station.available()
        assert avail["apply"] == avail["query"] == avail["collect"] == "station in maintenance"
        assert avail["commission"] is None  # a technician still works
        flow = j.station.start_flow("commission")
        flow.end("canceled")
        wait_for(lambda: (j.bo.track(KIOSK_ID).status or {}).get("state") == "maintenance", 10,
                 "retained status 'maintenance'")
        assert audits(j.station, "station.maintenance.on")[-1].actor == "backoffice:ops:sim"
        wait_for(lambda: [e for e in bo_events(j.bo, "station.maintenance") if e["on"] is True], 10,
                 "station.maintenance event")
    finally:
        res = command(j, "set_maintenance", {"on": False})
    assert res["status"] == "done"
    flow = j.station.start_flow("query")
    assert flow.name == "query"
    flow.end("canceled")
    wait_for(lambda: (j.bo.track(KIOSK_ID).status or {}).get("state") == "online", 10, "status back online")


def test_a_bad_config_patch_is_rejected_with_a_clear_res(joined):
    j = joined
    res = command(j, "apply_config", {"patch": {"fleet": {"broker": "mqtt://evil.example:1883"}}})
    assert res["status"] == "failed" and "[fleet] cannot be changed at run time" in res["detail"], res
    res = command(j, "apply_config", {"patch": {"session": {"idle_timeout_s": 5, "warning_s": 20}}})
    assert res["status"] == "failed" and "session.idle_timeout_s" in res["detail"] \
        and "greater than or equal to 10" in res["detail"], res
    res = command(j, "apply_config", {"patch": {"ui": {"language": "fr"}}})
    assert res["status"] == "failed" and "ui.language" in res["detail"] and "'fr'" in res["detail"], res
    res = command(j, "apply_config", {"patch": {"ui": {"fullscreen": True}}})
    assert res["status"] == "failed" and "ui.fullscreen cannot be changed" in res["detail"], res
    res = command(j, "apply_config", {"patch": {"session": 5}})  # not an object: the contract says no
    assert res["status"] == "rejected" and res["reason"] == "bad_args", res
    assert j.station.config.session.idle_timeout_s == 60 and j.station.config.ui.language == "zh"
    res = command(j, "apply_config", {"patch": {"session": {"idle_timeout_s": 90}, "ui": {"language": "en"}}})
    try:
        assert res["status"] == "done", res
        assert j.station.config.session.idle_timeout_s == 90 and j.station.ctx.lang == "en"
        flow = j.station.start_flow("query")
        assert flow.session.idle_timeout_s == 90  # the next visit runs with the new timeout
        flow.end("canceled")
        assert j.station.mode.config_overrides == {"session": {"idle_timeout_s": 90}, "ui": {"language": "en"}}
        assert audits(j.station, "station.config_applied")[-1].actor == "backoffice:ops:sim"
    finally:
        command(j, "apply_config", {"patch": {"session": {"idle_timeout_s": 60}, "ui": {"language": "zh"}}}, "done")
    assert j.station.ctx.idle_timeout_s == 60 and j.station.ctx.lang == "zh"


def test_assign_deposit_reserves_a_compartment_for_a_known_case_once(joined):
    from hw_sim.identities import get_identity

    j = joined
    res = command(j, "assign_deposit", {"case": "NOSUCH-0001", "size": "M"})
    assert res["status"] == "failed" and res["detail"] == "no case NOSUCH-0001 at this station"
    case = j.station.services.cases.open("ME-001", get_identity("obama").id_number, promised_days=3)
    res = command(j, "assign_deposit", {"case": case.case_no, "size": "M"})
    assert res["status"] == "done" and res["result"]["new"] is True, res
    cid = res["result"]["compartment"]
    comp = j.station.cabinet_service.get(cid)
    assert comp.state == "reserved" and comp.case_id == case.case_no and comp.size in ("M", "L")
    again = command(j, "assign_deposit", {"case": case.case_no, "size": "M"})  # a new command, same case
    assert again["status"] == "done" and again["result"] == {**again["result"], "compartment": cid, "new": False}
    assert audits(j.station, "cabinet.reserve")[-1].actor == "backoffice:ops:sim"
    wait_for(lambda: [e for e in bo_events(j.bo, "compartment.reserved") if e["compartment"] == cid], 10,
             "compartment.reserved event")
    j.station.cabinet_service.cancel_reservation(cid, actor="tech:test")


def test_an_update_notice_is_recorded_and_shown_in_health(joined):
    j = joined
    res = command(j, "notify_update", {"version": "1.4.2", "notes": "printer driver fix"})
    assert res["status"] == "done" and "1.4.2" in res["detail"]
    assert j.station.mode.update["version"] == "1.4.2"
    assert audits(j.station, "station.update_notified")[-1].detail["version"] == "1.4.2"

    def shown() -> bool:
        h = j.bo.track(KIOSK_ID).health or {}
        return ((h.get("devices", {}).get("station") or {}).get("update") or {}).get("version") == "1.4.2"

    wait_for(shown, 10, "the update in the retained health")
    health = j.bo.track(KIOSK_ID).health
    assert {"cabinet", "printer", "id_reader", "station"} <= set(health["devices"])
    assert health["devices"]["cabinet"]["status"] == "online"
    assert j.bo.contract_violations == []


def test_signed_desired_settings_go_through_the_same_target(joined):
    j = joined
    assert j.station.fleet_link is j.link  # one link, built once
    j.bo.set_desired(KIOSK_ID, 1, {"maintenance": True})
    wait_for(lambda: j.station.mode.maintenance, 10, "maintenance from desired settings")
    try:
        assert audits(j.station, "station.maintenance.on")[-1].actor == "backoffice:desired"
        wait_for(lambda: (j.bo.track(KIOSK_ID).reported or {}).get("version") == 1, 10, "reported v1")
        assert j.bo.track(KIOSK_ID).reported["settings"] == {"maintenance": True}
        # a desired document signed by another key changes nothing and says so
        j.bo.set_desired(KIOSK_ID, 2, {"maintenance": False}, key=signing.generate())
        wait_for(lambda: (j.bo.track(KIOSK_ID).reported or {}).get("version") == 2, 10, "reported v2")
        assert "bad signature" in j.bo.track(KIOSK_ID).reported["errors"][0]
        assert j.station.mode.maintenance
    finally:
        j.bo.set_desired(KIOSK_ID, 3, {"maintenance": False})
        wait_for(lambda: not j.station.mode.maintenance, 10, "maintenance off from desired settings")
