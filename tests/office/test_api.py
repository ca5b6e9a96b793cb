"""The JSON API and the pages over HTTP (Starlette TestClient) on SQLite and PostgreSQL:
login, lock-out, CSRF, roles, alarms, cases approve/reject (the station is told), escaping."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from office import accounts, alarms as alarm_ops
from office.schema import audit, station_messages
from office.station_calls import StationCalls
from office.web.app import Console, build_app
from tests.office.helpers import login, submission

PW = "correct-horse-battery"


@pytest.fixture
def app_env(engine):
    for name, role in (("alice", "operator"), ("bob", "approver"), ("carol", "auditor")):
        accounts.add_user(engine, name, role, PW)
    with TestClient(build_app(Console(engine))) as client:
        yield engine, client


def _audit(engine, action: str, ok: bool | None = None) -> int:
    q = select(func.count()).select_from(audit).where(audit.c.action == action)
    if ok is not None:
        q = q.where(audit.c.ok.is_(ok))
    with engine.connect() as conn:
        return conn.execute(q).scalar()


def test_login_and_session(app_env):
    engine, client = app_env
    assert client.get("/api/stations").status_code == 401
    login(client, "alice", PW)
    assert client.get("/api/stations").json() == {"stations": []}
    assert _audit(engine, "login", True) == 1


def test_password_rules_and_roles(engine):
    with pytest.raises(accounts.AccountError, match="at least 10"):
        accounts.add_user(engine, "dave", "operator", "short")
    with pytest.raises(accounts.AccountError, match="role"):
        accounts.add_user(engine, "dave", "root", PW)
    accounts.add_user(engine, "dave", "operator", PW)
    with pytest.raises(accounts.AccountError, match="exists"):
        accounts.add_user(engine, "dave", "operator", PW)


def test_wrong_password_ten_times_locks_the_account(app_env):
    engine, client = app_env
    codes = [client.post("/api/login", json={"user": "alice", "password": f"wrong-{i}-xxxxx"}).status_code
             for i in range(10)]
    assert codes[:4] == [401] * 4 and codes[4:] == [423] * 6
    # locked: even the right password is refused now
    r = client.post("/api/login", json={"user": "alice", "password": PW})
    assert r.status_code == 423 and r.json()["error"] == "locked"
    assert _audit(engine, "user.locked") >= 1
    assert _audit(engine, "login", False) == 11


def test_csrf_less_post_is_refused_and_audited(app_env):
    engine, client = app_env
    with engine.begin() as conn:
        alarm_ops.raise_alarm(conn, "sh-test-001", alarm_ops.AlarmSpec("forced_door", "A01"), "t:1")
    login(client, "alice", PW)
    r = client.post("/api/alarms/1/ack")
    assert r.status_code == 403 and r.json()["error"] == "csrf"
    r = client.post("/alarms/1/ack", data={"csrf_token": "forged"})
    assert r.status_code == 403
    assert _audit(engine, "csrf.refused") == 2
    assert client.get("/api/alarms?state=open").json()["alarms"][0]["state"] == "open"


def test_alarm_ack_via_api(app_env):
    engine, client = app_env
    with engine.begin() as conn:
        alarm_ops.raise_alarm(conn, "sh-test-001", alarm_ops.AlarmSpec("forced_door", "A01", "x"), "t:1")
    csrf = login(client, "alice", PW)
    [a] = client.get("/api/alarms?state=open").json()["alarms"]
    assert (a["station"], a["kind"], a["state"]) == ("sh-test-001", "forced_door", "open")
    r = client.post(f"/api/alarms/{a['id']}/ack", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["alarm"]["acked_by"] == "alice"
    assert client.get("/api/alarms?state=open").json()["alarms"] == []
    assert client.post(f"/api/alarms/{a['id']}/ack", headers={"X-CSRF-Token": csrf}).status_code == 409


def test_approve_tells_the_station(app_env):
    engine, client = app_env
    receipt = StationCalls(engine, "sh-test-001").submit_case(submission())
    assert receipt.status == "submitted" and receipt.accepted
    csrf = login(client, "alice", PW)
    # an operator may not decide cases
    assert client.post(f"/api/cases/{receipt.case_no}/approve", headers={"X-CSRF-Token": csrf}).status_code == 403
    csrf = login(client, "bob", PW)
    assert [c["case_no"] for c in client.get("/api/cases?state=submitted").json()["cases"]] == [receipt.case_no]
    r = client.post(f"/api/cases/{receipt.case_no}/approve", headers={"X-CSRF-Token": csrf})
    assert r.json() == {"case_no": receipt.case_no, "status": "result_ready"}
    events = StationCalls(engine, "sh-test-001").poll_events()
    assert [(e.kind, e.data.get("status")) for e in events] == [
        ("case_status", "approved"), ("case_status", "result_ready"), ("result_ready", None)]
    assert events[-1].data == {"result_size": "S", "matter_code": "SI-003"}
    assert StationCalls(engine, "sh-test-001").poll_events() == []  # delivered once
    assert StationCalls(engine, "sh-test-002").poll_events() == []  # not another station's
    assert client.post(f"/api/cases/{receipt.case_no}/approve", headers={"X-CSRF-Token": csrf}).status_code == 409


def test_reject_with_a_script_in_the_reason_is_escaped(app_env):
    engine, client = app_env
    case_no = StationCalls(engine, "sh-test-001").submit_case(submission()).case_no
    csrf = login(client, "bob", PW)
    evil = '<script>alert("x")</script> 材料不全'
    assert client.post(f"/api/cases/{case_no}/reject", json={"reason": ""},
                       headers={"X-CSRF-Token": csrf}).status_code == 409
    r = client.post(f"/api/cases/{case_no}/reject", json={"reason": evil}, headers={"X-CSRF-Token": csrf})
    assert r.json()["status"] == "rejected"
    page = client.get(f"/cases/{case_no}").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; 材料不全" in page
    [ev] = StationCalls(engine, "sh-test-001").poll_events()
    assert ev.data["note_zh"] == f"不予受理：{evil}"  # the station gets the text; it renders it as text


def test_pages_render_in_both_languages(app_env):
    engine, client = app_env
    r = client.post("/login", data={"user": "alice", "password": PW}, follow_redirects=False)
    assert r.status_code == 303
    assert "自助服务站" in client.get("/stations").text
    client.get("/lang?to=en")
    assert "Stations" in client.get("/stations").text


def test_auditor_reads_audit_but_cannot_act(app_env):
    engine, client = app_env
    csrf = login(client, "carol", PW)
    assert client.get("/api/audit").status_code == 200
    assert client.post("/api/alarms/1/ack", headers={"X-CSRF-Token": csrf}).status_code == 403


def test_bulk_acknowledge_and_clear(app_env):
    engine, client = app_env
    with engine.begin() as conn:
        for i in range(3):
            alarm_ops.raise_alarm(conn, "sh-test-001", alarm_ops.AlarmSpec("paper_out"), f"t:{i}")
    csrf = login(client, "alice", PW)
    h = {"X-CSRF-Token": csrf}
    assert client.post("/api/alarms/3/clear", headers=h).status_code == 409  # not acknowledged yet
    r = client.post("/api/alarms/ack", json={"ids": [1, 2, 99]}, headers=h)
    assert r.json() == {"acked": [1, 2], "skipped": [99]}
    assert client.post("/api/alarms/ack", json={"ids": "all"}, headers=h).status_code == 400
    assert client.post("/api/alarms/1/clear", headers=h).json()["alarm"]["state"] == "cleared"
    states = {a["id"]: a["state"] for a in client.get("/api/alarms").json()["alarms"]}
    assert states == {1: "cleared", 2: "acked", 3: "open"}
    assert _audit(engine, "alarm.ack") == 2 and _audit(engine, "alarm.clear") == 1


def test_remote_open_through_the_api_needs_a_second_person(engine):
    from kiosk.services.fleet import signing

    key = signing.generate()
    accounts.add_user(engine, "alice", "operator", PW)
    accounts.add_user(engine, "sam", "supervisor", PW)
    with TestClient(build_app(Console(engine, signing_key=key))) as a, TestClient(build_app(Console(engine, signing_key=key))) as b:
        ha = {"X-CSRF-Token": login(a, "alice", PW)}
        hb = {"X-CSRF-Token": login(b, "sam", PW)}
        r = a.post("/api/commands", json={"station": "sh-test-001", "name": "open_compartment",
                                          "args": {"compartment": "A01", "reason": "hotline"}}, headers=ha)
        assert r.status_code == 200 and r.json()["state"] == "pending_approval" and r.json()["command"] is None
        cmd_id = r.json()["cmd_id"]
        assert a.post(f"/api/commands/{cmd_id}/approve", headers=ha).status_code == 403  # operator role
        bad = a.post("/api/commands", json={"station": "sh-test-001", "name": "open_compartment",
                                            "args": {"compartment": "<b>", "reason": "x"}}, headers=ha)
        assert bad.status_code == 400 and "compartment" in bad.json()["message"]
        ok = b.post(f"/api/commands/{cmd_id}/approve", headers=hb)
        assert ok.status_code == 200
        cmd = ok.json()["command"]
        assert cmd["operator"] == "user:alice+sam" and signing.verify(cmd, key.public_key())
        assert b.post(f"/api/commands/{cmd_id}/approve", headers=hb).status_code == 409  # once


def test_submitted_material_is_viewable_and_pages_carry_security_headers(app_env):
    engine, client = app_env
    case_no = StationCalls(engine, "sh-test-001").submit_case(submission()).case_no
    assert client.get(f"/cases/{case_no}/files/1", follow_redirects=False).status_code == 303  # to the login
    login(client, "carol", PW)
    [f] = client.get(f"/api/cases/{case_no}").json()["case"]["files"]
    r = client.get(f"/cases/{case_no}/files/{f['id']}")
    assert r.status_code == 200 and r.content == b"%PDF-1.4 test"
    assert r.headers["content-type"] == "application/pdf" and r.headers["content-security-policy"] == "sandbox"
    assert client.get(f"/cases/{case_no}/files/999").status_code == 404
    page = client.get("/stations")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_unacknowledged_alarms_escalate_once(app_env):
    from datetime import datetime, timedelta, timezone

    engine, client = app_env
    with engine.begin() as conn:
        alarm_ops.raise_alarm(conn, "sh-test-001", alarm_ops.AlarmSpec("forced_door", "A01"), "t:1")
        alarm_ops.raise_alarm(conn, "sh-test-001", alarm_ops.AlarmSpec("paper_out"), "t:2")
        alarm_ops.acknowledge(conn, 2, "alice")
    later = datetime.now(timezone.utc) + timedelta(seconds=901)
    with engine.begin() as conn:
        assert alarm_ops.escalate_due(conn, 900) == []  # not yet
        assert alarm_ops.escalate_due(conn, 900, later) == [1]  # only the open one
        assert alarm_ops.escalate_due(conn, 900, later) == []  # once
    assert _audit(engine, "alarm.escalated") == 1
    login(client, "alice", PW)
    assert "已升级" in client.get("/alarms").text


def test_deadlines_and_the_daily_supervision_report(app_env):
    from datetime import date, datetime, timedelta, timezone

    from sqlalchemy import update

    from office import cases as case_ops
    from office.schema import cases as cases_t

    engine, client = app_env
    calls = StationCalls(engine, "sh-test-001")
    for i, m in enumerate(("SI-003", "SI-003", "RE-002")):
        calls.submit_case(submission(f"SH001-20261205-000{i + 1}-A", matter=m))
    today = datetime.now(timezone.utc).date()
    with engine.begin() as conn:  # one case overdue, one due tomorrow
        conn.execute(update(cases_t).where(cases_t.c.case_no == "SH001-20261205-0001-A")
                     .values(promised_date=(today - timedelta(days=1)).isoformat()))
        conn.execute(update(cases_t).where(cases_t.c.case_no == "SH001-20261205-0002-A")
                     .values(promised_date=(today + timedelta(days=1)).isoformat()))
        case_ops.approve(conn, "SH001-20261205-0003-A", "bob")
    assert case_ops.deadline_state("2026-01-01", "approved", date(2027, 1, 1)) == ""  # decided: no warning
    csrf = login(client, "bob", PW)
    listed = {c["case_no"]: c["deadline"] for c in client.get("/api/cases").json()["cases"]}
    assert listed == {"SH001-20261205-0001-A": "overdue", "SH001-20261205-0002-A": "due_soon",
                      "SH001-20261205-0003-A": ""}
    assert "已超期" in client.get("/cases?state=submitted").text
    rows = {(r["station"], r["matter"]): r for r in client.get("/api/report").json()["rows"]}
    assert rows[("sh-test-001", "SI-003")]["submitted"] == 2 and rows[("sh-test-001", "SI-003")]["overdue_open"] == 1
    assert rows[("sh-test-001", "RE-002")]["approved"] == 1 and rows[("sh-test-001", "RE-002")]["on_time_rate"] == 1.0
    csv_text = client.get("/report.csv").text
    assert csv_text.splitlines()[0].startswith("station,matter,submitted")
    assert len(csv_text.splitlines()) == 3
    assert client.get("/api/report?day=yesterday").status_code == 400
    login(client, "alice", PW)
    assert client.get("/api/report").status_code == 403  # an operator does not read supervision figures


def test_approving_a_cabinet_result_sends_a_signed_deposit_task(engine):
    import json as _json

    from kiosk.services.fleet import signing
    from office.schema import commands

    key = signing.generate()
    accounts.add_user(engine, "bob", "approver", PW)
    case_no = StationCalls(engine, "sh-test-001").submit_case(submission()).case_no
    printed = StationCalls(engine, "sh-test-001").submit_case(submission("SH001-20261205-0009-P", matter="SI-001"))
    assert printed.status == "approved"  # a print item needs no decision and no deposit
    with TestClient(build_app(Console(engine, signing_key=key))) as client:
        h = {"X-CSRF-Token": login(client, "bob", PW)}
        r = client.post(f"/api/cases/{case_no}/approve", headers=h).json()
    assert r["status"] == "result_ready" and r["deposit_task"]
    with engine.connect() as conn:
        row = conn.execute(select(commands).where(commands.c.cmd_id == r["deposit_task"])).first()
    cmd = _json.loads(row.document)
    assert (row.name, row.station, row.state) == ("assign_deposit", "sh-test-001", "sent")
    assert cmd["args"] == {"case": case_no, "size": "S"} and cmd["operator"] == "user:bob"
    assert signing.verify(cmd, key.public_key())


def test_station_detail_with_its_cabinet_grid(app_env):
    from office import cabinets

    engine, client = app_env
    ev = {"event_id": "0193a0b4-2c1e-7f00-9a1b-3c4d5e6f7a8b", "seq": 4, "type": "compartment.loaded",
          "boot_id": "b", "ts": "2026-11-01T01:00:00.000Z", "data": {"compartment": "A01", "case": "<i>x</i>"}}
    from office.ingest import Ingest

    Ingest(engine).store_status("sh-test-001", {"state": "online", "boot_id": "b", "sw": "0.1.0",
                                                 "ts": "2026-12-05T01:00:00.000Z"})
    with engine.begin() as conn:
        assert cabinets.apply(conn, "sh-test-001", ev)  # loaded on 1 November: an overdue pickup
    login(client, "alice", PW)
    detail = client.get("/api/stations/sh-test-001").json()
    assert detail["station"]["online"] is True
    assert [(c["id"], c["state"], c["overdue"]) for c in detail["compartments"]] == [("A01", "loaded", True)]
    page = client.get("/stations/sh-test-001").text
    assert 'data-compartment="A01"' in page and "&lt;i&gt;x&lt;/i&gt;" in page
    assert client.get("/api/stations/nope-001").status_code == 404
    assert [c["id"] for c in client.get("/api/pickups/overdue").json()["overdue"]] == ["A01"]
