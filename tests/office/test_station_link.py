"""The office against the real station side over a real mosquitto: back-office calls from
`MqttBackOffice` (cases, poll_events after approval), a station claiming another's id, signed
commands with the operator inside the signed fields and a second operator for door opens, and
results the office never asked for. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import select

from kiosk.services.backoffice import BackofficeError
from kiosk.services.fleet import signing
from kiosk.services.fleet.backoffice_mqtt import MqttBackOffice
from office import cases as case_ops
from office import commands as cmd_ops
from office.schema import audit, commands
from tests.office.conftest import PASSWORDS, STATIONS
from tests.office.helpers import submission
from tests.office.waits import wait_for


def _bo(station) -> MqttBackOffice:
    bo = MqttBackOffice(station.link, station.outbox, timeout_s=10)
    assert station.link.wait_connected(10)
    return bo


def test_station_calls_reach_the_office_and_learn_the_decision(broker, engine, make_station, office_mqtt):
    office_mqtt(broker, engine)
    st = make_station(broker, STATIONS[0])
    bo = _bo(st)
    assert bo.ping().online
    receipt = bo.submit_case(submission(station=STATIONS[0]))
    assert (receipt.accepted, receipt.status) == (True, "submitted")
    assert bo.submit_case(submission(station=STATIONS[0])).backoffice_ref == receipt.backoffice_ref  # idempotent
    with engine.begin() as conn:
        assert case_ops.approve(conn, receipt.case_no, "bob") == "result_ready"
    kinds = [e.kind for e in bo.poll_events()]
    assert kinds == ["case_status", "case_status", "result_ready"]
    assert bo.case_status(receipt.case_no).status == "result_ready"
    # the station reports the deposit as an outbox event: applied once, on the timeline
    bo.report_status(receipt.case_no, "deposited", "已投柜", "Deposited")
    wait_for(lambda: bo.case_status(receipt.case_no).status == "deposited", 10, "deposited on the office's timeline")
    # a print item is completed at once and its document comes back
    printed = bo.submit_case(submission("SH001-20261205-0002-B", STATIONS[0], matter="SI-001"))
    assert printed.status == "approved" and printed.document is not None
    assert printed.document.media_type == "application/pdf" and printed.document.content.startswith(b"%PDF")


def test_a_station_claiming_another_id_is_refused(broker, engine, make_station, office_mqtt):
    office_mqtt(broker, engine)
    st = make_station(broker, STATIONS[0])
    bo = _bo(st)
    with pytest.raises(BackofficeError) as err:
        bo.submit_case(submission(station=STATIONS[1]))
    assert err.value.code == "rejected" and STATIONS[1] in err.value.detail
    with engine.connect() as conn:
        refused = conn.execute(select(audit).where(audit.c.action == "case.submit", audit.c.ok.is_(False))).all()
    assert len(refused) == 1 and refused[0].actor == f"station:{STATIONS[0]}"


def test_remote_open_needs_a_second_operator_and_is_signed_with_both(broker, engine, make_station, office_mqtt,
                                                                     command_key):
    om = office_mqtt(broker, engine)
    st = make_station(broker, STATIONS[0])
    assert st.link.wait_connected(10)
    with engine.begin() as conn:
        req = cmd_ops.request(conn, STATIONS[0], "open_compartment", {"compartment": "A01", "reason": "hotline"},
                              "alice", "operator", command_key)
    assert req["state"] == "pending_approval" and "command" not in req
    with engine.begin() as conn, pytest.raises(cmd_ops.CommandError, match="second operator"):
        cmd_ops.approve(conn, req["cmd_id"], "alice", "supervisor", command_key)
    with engine.begin() as conn:
        sent = cmd_ops.approve(conn, req["cmd_id"], "bob", "approver", command_key)
    cmd = sent["command"]
    assert cmd["operator"] == "user:alice+bob"
    assert signing.verify(cmd, command_key.public_key())
    assert not signing.verify({**cmd, "operator": "user:mallory+bob"}, command_key.public_key())
    cmd_ops.publish(om, cmd)

    def state():
        with engine.connect() as conn:
            return conn.execute(select(commands.c.state).where(commands.c.cmd_id == cmd["cmd_id"])).scalar()

    wait_for(lambda: state() == "done", 15, "the station to run the command and answer done")
    assert st.target.calls == [("open_compartment", ("A01", "hotline"))]
    assert any("user:alice+bob" in r.actor for r in st.audit.records()), "the station's audit names both operators"


def test_maintenance_command_is_sent_at_once(broker, engine, make_station, office_mqtt, command_key):
    om = office_mqtt(broker, engine)
    st = make_station(broker, STATIONS[1])
    assert st.link.wait_connected(10)
    with engine.begin() as conn:
        res = cmd_ops.request(conn, STATIONS[1], "set_maintenance", {"on": True}, "alice", "operator", command_key)
    cmd_ops.publish(om, res["command"])
    wait_for(lambda: st.target.calls == [("set_maintenance", (True,))], 15, "maintenance on at the station")
    with engine.begin() as conn, pytest.raises(cmd_ops.CommandError):
        cmd_ops.request(conn, STATIONS[1], "apply_config", {"patch": {}}, "alice", "operator", command_key)


def test_results_for_unknown_commands_are_refused(broker, engine, office_mqtt):
    om = office_mqtt(broker, engine)
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=STATIONS[2], protocol=mqtt.MQTTv5)
    c.username_pw_set(STATIONS[2], PASSWORDS[STATIONS[2]])
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    body = {"cmd_id": "0193a0b4-2c1e-7f00-9a1b-3c4d5e6f7a8b", "status": "done", "detail": "opened",
            "ts": "2026-12-05T03:00:00.000Z"}
    c.publish(f"k/v1/{STATIONS[2]}/res", json.dumps(body), qos=1).wait_for_publish(5)
    wait_for(lambda: om.stats.rejected >= 1, 10, "the refusal")
    c.disconnect()
    c.loop_stop()
    assert any("never sent" in r for r in om.refusals)
