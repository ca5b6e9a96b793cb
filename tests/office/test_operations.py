"""Station operations in the console (SQLite and PostgreSQL): alarm assignment, clearing and bulk
acknowledgement from the page, the audit-gap alarm, overdue pickups (period, reminder SMS with
the pickup code, signed recall), the last 24 hours' pickups, and the live-update stream."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from kiosk.services.backoffice import Notification
from kiosk.services.fleet import contract, signing
from office import accounts, alarm_texts, pickups
from office import alarms as alarm_ops
from office import commands as cmd_ops
from office.ingest import Ingest
from office.schema import audit, commands, notifications
from office.station_calls import StationCalls
from office.web import live
from office.web.app import Console, build_app
from tests.office.conftest import STATIONS
from tests.office.helpers import login, submission
from tests.office.waits import wait_for

PW = "correct-horse-battery"
ST = "sh-test-001"


@pytest.fixture
def ops(engine):
    """A console with an operator (alice) and a supervisor (sam); `_add` adds more (~1 s each: scrypt)."""
    for name, role in (("alice", "operator"), ("sam", "supervisor")):
        accounts.add_user(engine, name, role, PW)
    key = signing.generate()
    with TestClient(build_app(Console(engine, signing_key=key))) as client:
        yield engine, client, key


def _audit(engine, action: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(audit).where(audit.c.action == action)).scalar()


def _ev(seq: int, type_: str, data: dict, ts: str | None = None) -> dict:
    return {"event_id": str(uuid.uuid4()), "seq": seq, "type": type_, "boot_id": "b", "data": data,
            "ts": ts or datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def test_alarm_assignment_clear_and_bulk_ack_from_the_page(ops):
    engine, client, _key = ops
    accounts.add_user(engine, "carol", "auditor", PW)
    with engine.begin() as conn:
        for i in range(3):
            alarm_ops.raise_alarm(conn, ST, alarm_ops.AlarmSpec("door_left_open", "A02", "door_left_open board 1 lock 2"),
                                  f"t:{i}")
    csrf = login(client, "alice", PW)
    h = {"X-CSRF-Token": csrf}
    assert client.post("/api/alarms/1/assign", json={"to": "alice"}).status_code == 403  # no CSRF token
    r = client.post("/api/alarms/1/assign", json={"to": "alice"}, headers=h)
    assert r.status_code == 200 and r.json()["alarm"]["assigned_to"] == "alice"
    refused = client.post("/api/alarms/1/assign", json={"to": "carol"}, headers=h)
    assert refused.status_code == 409 and "cannot handle alarms" in refused.json()["message"]
    assert "no operator account" in client.post("/api/alarms/1/assign", json={"to": "eve"}, headers=h).json()["message"]
    assert client.post("/api/alarms/1/assign", json={}, headers=h).status_code == 400
    r = client.post("/api/alarms/2/assign", json={"to": ""}, headers=h)  # nobody
    assert r.status_code == 200 and r.json()["alarm"]["assigned_to"] is None
    Ingest(engine).store_health(ST, {"ts": "2026-12-05T01:00:00.000Z", "boot_id": "b",
                                     "outbox": {"last_seq": 0, "first_seq": None},
                                     "devices": {"id_reader": {"status": "offline"}, "camera": {"status": "online"},
                                                 "printer": {"status": "online", "paper": "low"}}})
    (row,) = client.get("/api/stations").json()["stations"]
    assert (row["reader"], row["camera"], row["paper"]) == ("offline", "online", "low")
    assert "<td>离线</td><td>正常</td>" in client.get("/stations").text  # reader, camera columns
    page = client.get("/alarms").text
    assert '<option value="alice" selected>' in page and "柜门未关（锁控板 1，锁 2）" in page
    assert "door_left_open board" not in page  # the English detail is translated on the zh page
    # page forms: "nobody" takes the assignment away, reassign, bulk acknowledge two, clear one
    r = client.post("/alarms/1/assign", data={"csrf_token": csrf, "to": ""}, follow_redirects=False)
    assert r.status_code == 303 and "error" not in r.headers["location"]
    assert {a["id"]: a["assigned_to"] for a in client.get("/api/alarms").json()["alarms"]}[1] is None
    assert _audit(engine, "alarm.unassign") == 2
    r = client.post("/alarms/1/assign", data={"csrf_token": csrf, "to": "sam"}, follow_redirects=False)
    assert r.status_code == 303
    client.post("/alarms/ack", data={"csrf_token": csrf, "ids": ["1", "2"]})
    client.post("/alarms/1/clear", data={"csrf_token": csrf})
    rows = {a["id"]: (a["state"], a["assigned_to"]) for a in client.get("/api/alarms").json()["alarms"]}
    assert rows == {1: ("cleared", "sam"), 2: ("acked", None), 3: ("open", None)}
    assert _audit(engine, "alarm.assign") == 2 and _audit(engine, "alarm.ack") == 2
    client.cookies.clear()
    h2 = {"X-CSRF-Token": login(client, "carol", PW)}
    assert client.post("/api/alarms/3/assign", json={"to": "alice"}, headers=h2).status_code == 403


def test_audit_head_going_back_or_rewritten_raises_an_audit_gap_alarm(engine):
    ing = Ingest(engine)

    def gaps() -> list[str]:
        with engine.connect() as conn:
            return [a["detail"] for a in alarm_ops.list_alarms(conn) if a["kind"] == "audit_gap"]

    head = lambda seq, s, h: _ev(seq, "audit.head", {"seq": s, "hash": h})  # noqa: E731
    ing.store_events([(ST, head(1, 10, "a")), (ST, head(2, 12, "b"))])
    assert gaps() == []
    back = head(3, 8, "c")
    ing.store_events([(ST, back)])
    ing.store_events([(ST, back)])  # a replay raises nothing new
    assert len(gaps()) == 1 and "went back from record 12 to 8" in gaps()[0]
    ing.store_events([(ST, head(4, 8, "d"))])  # same record, another hash
    assert any("record 8 changed its hash" in g for g in gaps())
    # stored out of order (several office processes): the later event arrives first
    ing.store_events([(ST, head(7, 100, "e"))])
    ing.store_events([(ST, head(6, 200, "f"))])
    assert len(gaps()) == 3
    zh = alarm_texts.detail("zh", gaps()[0])
    assert zh.startswith("审计") and alarm_texts.detail("en", gaps()[0]) == gaps()[0]
    ing.store_events([(ST, _ev(8, "audit.head", {"seq": "x"}))])  # malformed: ignored, nothing raised
    assert len(gaps()) == 3


def test_overdue_pickup_reminder_keeps_the_code_recall_is_signed_and_period_is_set(ops):
    engine, client, key = ops
    calls = StationCalls(engine, ST)
    a, b = "SH001-20261205-0001-A", "SH001-20261205-0002-B"
    calls.submit_case(submission(a))
    calls.submit_case(submission(b))
    calls.notify(Notification(a, "pickup_code", params={"code": "483920", "compartment": "A01"}))
    old = "2026-11-01T01:00:00.000Z"
    ing = Ingest(engine)
    ing.store_events([(ST, _ev(1, "compartment.loaded", {"compartment": "A01", "case": a}, old)),
                      (ST, _ev(2, "compartment.loaded", {"compartment": "A02", "case": b}, old)),
                      (ST, _ev(3, "compartment.emptied", {"compartment": "A05", "case": "SH001-X-5", "why": "collected"})),
                      (ST, _ev(4, "compartment.emptied", {"compartment": "A06", "why": "reservation cancelled"}))])
    h = {"X-CSRF-Token": login(client, "alice", PW)}
    data = client.get("/api/pickups").json()
    assert data["pickup_days"] == 7 and [o["compartment"] for o in data["overdue"]] == ["A01", "A02"]
    assert [(p["compartment"], p["case_no"]) for p in data["recent"]] == [("A05", "SH001-X-5")]
    r = client.post("/api/pickups/remind", json={"station": ST, "compartment": "A01", "case_no": a}, headers=h)
    assert r.status_code == 200
    with engine.connect() as conn:
        sms = conn.execute(select(notifications).where(notifications.c.id == r.json()["notification"])).one()
    assert sms.kind == "pickup_reminder" and sms.status == "queued" and "483920" in sms.text_zh
    no_code = client.post("/api/pickups/remind", json={"station": ST, "compartment": "A02", "case_no": b}, headers=h)
    assert no_code.status_code == 409 and "recall" in no_code.json()["message"]
    wrong = client.post("/api/pickups/remind", json={"station": ST, "compartment": "A02", "case_no": a}, headers=h)
    assert wrong.status_code == 409 and "does not hold" in wrong.json()["message"]
    r = client.post("/api/pickups/recall", json={"station": ST, "compartment": "A02", "case_no": b}, headers=h)
    with engine.connect() as conn:
        row = conn.execute(select(commands).where(commands.c.cmd_id == r.json()["cmd_id"])).one()
    cmd = json.loads(row.document)
    assert row.name == "recall_pickup" and cmd["args"]["compartment"] == "A02" and cmd["operator"] == "user:alice"
    assert signing.verify(cmd, key.public_key()) and contract.check("command", cmd) is None
    listed = {o["compartment"]: o for o in client.get("/api/pickups").json()["overdue"]}
    assert listed["A01"]["reminder_at"] and listed["A02"]["recall_ref"] == row.cmd_id
    page = client.get("/pickups").text
    assert "已提醒" in page and "已通知取回" in page and "A05" in page
    assert client.post("/api/pickups/explode", json={}, headers=h).status_code == 404
    # the automatic reminders: A01 is reminded already, A02 has no code on record
    with engine.begin() as conn:
        assert pickups.remind_due(conn, 7) == []
    # the period: supervisors only, whole days 1-90
    assert client.post("/api/pickups/period", json={"days": 30}, headers=h).status_code == 403
    client.cookies.clear()
    hs = {"X-CSRF-Token": login(client, "sam", PW)}
    bad = client.post("/api/pickups/period", json={"days": "abc"}, headers=hs)
    assert bad.status_code == 409 and "1 to 90" in bad.json()["message"]
    now = datetime.now(timezone.utc)
    period = (now - datetime(2026, 11, 1, 1, tzinfo=timezone.utc)).days + 2
    assert client.post("/api/pickups/period", json={"days": min(period, 90)}, headers=hs).status_code == 200
    if period <= 90:
        assert client.get("/api/pickups").json()["overdue"] == []
        assert client.get("/api/pickups/overdue").json()["overdue"] == []
        assert not any(c["overdue"] for c in client.get(f"/api/stations/{ST}").json()["compartments"])
    assert _audit(engine, "setting.pickup_days") == 1 and _audit(engine, "pickup.remind") == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # aggregate queries only; SQLite is enough
def test_live_stream_names_the_topic_that_changed(engine):
    async def run() -> list[str]:
        topics = live.parse_topics(f"alarms,grid:{ST}")
        gen = live.stream(engine, topics, every_s=0.05, max_s=10)
        assert (await gen.__anext__()).startswith("retry:")
        with engine.begin() as conn:
            alarm_ops.raise_alarm(conn, ST, alarm_ops.AlarmSpec("paper_out"), "live:1")
        seen = []
        deadline = asyncio.get_running_loop().time() + 10
        while "alarms" not in seen and asyncio.get_running_loop().time() < deadline:
            chunk = await gen.__anext__()
            if chunk.startswith("event: change"):
                seen.append(chunk.split("data: ")[1].strip())
        await gen.aclose()
        return seen

    assert "alarms" in asyncio.run(run())
    with pytest.raises(ValueError, match="one of alarms"):
        live.parse_topics("secrets")
    with pytest.raises(ValueError):
        live.parse_topics("")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_live_stream_ends_when_the_session_is_no_longer_allowed(engine):
    """A stream opened before a logout or a lock-out does not keep running: it asks again."""
    signed_in = {"yes": True}

    async def run() -> list[str]:
        gen = live.stream(engine, live.parse_topics("alarms"), every_s=0.01, max_s=10,
                          allowed=lambda: signed_in["yes"], recheck_every=2)
        chunks = [await gen.__anext__()]
        signed_in["yes"] = False  # the operator logs out in another tab
        async for chunk in gen:
            chunks.append(chunk)
        return chunks

    chunks = asyncio.run(run())
    assert chunks[-1].startswith("event: logout") and len(chunks) <= 3


def test_recall_reaches_the_station_over_the_broker(broker, engine, make_station, office_mqtt, command_key):
    om = office_mqtt(broker, engine)
    st = make_station(broker, STATIONS[2])
    assert st.link.wait_connected(10)
    case_no = "SH003-20261101-0007-C"
    Ingest(engine).store_events([(STATIONS[2], _ev(1, "compartment.loaded", {"compartment": "A07", "case": case_no},
                                                   "2026-11-01T01:00:00.000Z"))])
    with engine.begin() as conn:
        res = pickups.recall(conn, STATIONS[2], "A07", case_no, "alice", command_key)
        with pytest.raises(pickups.PickupError, match="signing key"):
            pickups.recall(conn, STATIONS[2], "A07", case_no, "alice", None)
    cmd_ops.publish(om, res["command"])
    wait_for(lambda: st.target.calls == [("recall_pickup", (case_no, "A07", "overdue pickup"))], 15,
             "the recall at the station")

    def state() -> str:
        with engine.connect() as conn:
            return conn.execute(select(commands.c.state).where(commands.c.cmd_id == res["cmd_id"])).scalar()

    wait_for(lambda: state() == "done", 15, "the station's result stored by the office")
