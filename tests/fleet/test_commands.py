"""Every bad command is rejected with a `res` saying why, audited, and never reaches the station;
over a real broker and directly against the processor (hostile payloads)."""

from __future__ import annotations

import json
import time

import pytest

from kiosk.core.clock import FakeClock
from kiosk.services.audit import AuditLog
from kiosk.services.fleet import contract, signing
from kiosk.services.fleet.commands import CommandProcessor
from kiosk.services.store import Store
from tests.fleet.conftest import STATIONS, RecordingTarget


def _rejections(st):
    return [r for r in st.audit.records() if r.action == "fleet.command.rejected"]


def test_bad_commands_over_the_broker(broker, make_station, make_backoffice, command_key):
    bo = make_backoffice(broker)
    st = make_station(broker)
    assert st.link.wait_connected(5)
    kid = st.kiosk_id
    good = {"compartment": "A01", "reason": "x"}

    def expect(cmd_or_raw, reason, status="rejected", name="open_compartment", corr=None):
        if isinstance(cmd_or_raw, dict):
            payload, corr = json.dumps(cmd_or_raw).encode(), (corr or cmd_or_raw.get("cmd_id", "c").encode())
        else:
            payload = cmd_or_raw
        bo.send_raw(kid, name, payload, corr)
        r = bo.wait_result((corr or b"").decode() if not isinstance(cmd_or_raw, dict) or "cmd_id" not in cmd_or_raw
                           else cmd_or_raw["cmd_id"], status)
        assert r["reason"] == reason, r
        contract.validate("result", r)
        return r

    unsigned = bo.build_command(kid, "open_compartment", good)
    del unsigned["sig"]
    expect(unsigned, "unsigned")
    forged = bo.build_command(kid, "open_compartment", good, key=signing.generate())
    expect(forged, "bad_signature")
    tampered = bo.build_command(kid, "open_compartment", good)
    tampered["args"] = {**good, "compartment": "A02"}  # the signature was over A01
    expect(tampered, "bad_signature")
    expired = bo.build_command(kid, "open_compartment", good, issued_at=int(time.time()) - 600, ttl_s=60)
    expect(expired, "expired", status="expired")
    future = bo.build_command(kid, "open_compartment", good, issued_at=int(time.time()) + 3600)
    expect(future, "not_yet_valid")
    wrong = bo.build_command(STATIONS[1], "open_compartment", good)  # signed for another station
    expect(wrong, "wrong_station")
    too_long = bo.build_command(kid, "open_compartment", good, ttl_s=3 * 86400)
    expect(too_long, "malformed")
    bad_args = bo.build_command(kid, "open_compartment", {"compartment": "../etc", "reason": "x"})
    expect(bad_args, "bad_args")
    unknown = bo.build_command(kid, "self_destruct", {})
    expect(unknown, "unknown_command", name="self_destruct")
    mismatch = bo.build_command(kid, "set_maintenance", {"on": True})
    expect(mismatch, "malformed", name="open_compartment")
    expect(b"\xff\xfe not json", "malformed", corr=b"raw-1")
    expect(b"[1, 2, 3]", "malformed", corr=b"raw-2")
    expect(b"{" * 100_000, "malformed", corr=b"raw-3")
    # replayed: a good command executes; its cmd_id reused for different signed content is refused
    ok = bo.send_command(kid, "open_compartment", good)
    bo.wait_result(ok["cmd_id"], "done")
    replay = bo.build_command(kid, "open_compartment", {"compartment": "A03", "reason": "x"}, cmd_id=ok["cmd_id"])
    expect(replay, "replayed")
    # nothing bad reached the station; every refusal is in the audit log with its reason
    assert st.target.calls == [("open_compartment", ("A01", "x"))]
    reasons = sorted(r.detail["reason"] for r in _rejections(st))
    assert reasons == sorted(["unsigned", "bad_signature", "bad_signature", "expired", "not_yet_valid",
                              "wrong_station", "malformed", "bad_args", "unknown_command", "malformed",
                              "malformed", "malformed", "malformed", "replayed"])
    assert st.audit.verify()[0]
    assert st.link.connected and st.link.stats.handler_errors == 0


def test_station_without_key_accepts_nothing(broker, make_station, make_backoffice):
    bo = make_backoffice(broker)
    st = make_station(broker, public_key=None)
    assert st.link.wait_connected(5)
    cmd = bo.send_command(st.kiosk_id, "set_maintenance", {"on": True})
    assert bo.wait_result(cmd["cmd_id"], "rejected")["reason"] == "no_key"
    assert st.target.calls == []


@pytest.fixture
def proc(tmp_path, command_key):
    store = Store(tmp_path / "p.db")
    clock = FakeClock()
    target = RecordingTarget()
    p = CommandProcessor(store, STATIONS[0], command_key.public_key(), target, AuditLog(store, clock), clock)
    p.fake_clock, p.rec = clock, target
    return p


def _cmd(p, key, **over):
    now = int(p.fake_clock.now().timestamp())
    c = {"cmd_id": "0193a0b4-2c1e-7f00-9a1b-3c4d5e6f7a8b", "kiosk_id": STATIONS[0], "name": "set_maintenance",
         "operator": "ops:t", "issued_at": now, "expires_at": now + 60, "args": {"on": True}}
    c.update(over)
    c["sig"] = signing.sign(c, key)
    return c


@pytest.mark.parametrize("payload", [
    b"", b"null", b"1e999", b'"x"', b'{"cmd_id": 5}', b'{"name": "set_maintenance", "sig": "x"}',
    json.dumps({"name": "set_maintenance", "sig": "A" * 86, "args": {"on": "yes"}}).encode(),
    "{\"name\": \"set_maintenance\", \"sig\": \"\u0000\"}".encode(),
])
def test_hostile_payloads_are_rejected_not_raised(proc, payload):
    d = proc.receive("set_maintenance", payload, b"corr")
    assert d.job is None and d.response["status"] == "rejected"
    contract.validate("result", d.response)


def test_expiry_follows_the_injected_clock_and_restart_never_reruns(proc, command_key, tmp_path):
    cmd = _cmd(proc, command_key)
    proc.fake_clock.advance(61)
    d = proc.receive("set_maintenance", json.dumps(cmd).encode())
    assert d.response["status"] == "expired" and d.job is None
    cmd2 = _cmd(proc, command_key, cmd_id="0193a0b4-2c1e-7f00-9a1b-3c4d5e6f7a8c")
    d = proc.receive("set_maintenance", json.dumps(cmd2).encode())
    assert d.response["status"] == "accepted" and d.job is not None
    # the station restarts before running it: it is marked failed, not re-run
    proc2 = CommandProcessor(proc.store, STATIONS[0], command_key.public_key(), proc.rec, proc.audit, proc.fake_clock)
    out = proc2.recover()
    assert [r["status"] for r in out] == ["failed"] and "not re-run" in out[0]["detail"]
    assert proc.rec.calls == []
    again = proc2.receive("set_maintenance", json.dumps(cmd2).encode())
    assert again.response["status"] == "duplicate" and again.response["original_status"] == "failed"


def test_a_command_that_cannot_be_stored_is_not_acknowledged_and_comes_back(broker, make_station,
                                                                            make_backoffice):
    bo = make_backoffice(broker)
    st = make_station(broker, ack_timeout_s=1.0)
    assert st.link.wait_connected(5)
    with st.store.transaction() as conn:  # the command table becomes unusable (disk trouble)
        conn.execute("ALTER TABLE fleet_commands RENAME TO fleet_commands_broken")
    cmd = bo.send_command(st.kiosk_id, "open_compartment", {"compartment": "A05", "reason": "x"})
    deadline = time.monotonic() + 5
    while st.link.stats.unstored_commands == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert st.link.stats.unstored_commands == 1 and st.target.calls == []
    assert not bo.results.get(cmd["cmd_id"])  # no answer: it was neither stored nor acknowledged
    with st.store.transaction() as conn:
        conn.execute("ALTER TABLE fleet_commands_broken RENAME TO fleet_commands")
    # the link starts a new session; the broker redelivers the unacknowledged command; it runs once
    assert bo.wait_result(cmd["cmd_id"], "done", timeout=10)["status"] == "done"
    assert st.target.calls == [("open_compartment", ("A05", "x"))]
