"""The broker's ACL (config/mosquitto/acl) on a real mosquitto: a station can neither publish as
another station nor read another station's commands; client ids cannot be taken over; anonymous
and wrong-password clients are refused."""

from __future__ import annotations

import json
import threading
import time

import paho.mqtt.client as mqtt

from tests.fleet.conftest import PASSWORDS, STATIONS

A, B = STATIONS[0], STATIONS[1]


class Probe:
    """A raw MQTT 5 client logged in as some user, recording what it receives."""

    def __init__(self, broker, user, password, client_id=""):
        self.got: list[tuple[str, bytes]] = []
        self.connected = threading.Event()
        self.refused = None
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if user is not None:
            self.c.username_pw_set(user, password)
        self.c.on_message = lambda c, u, m: self.got.append((m.topic, m.payload))

        def on_connect(c, u, f, rc, p):
            if rc.is_failure:
                self.refused = rc
            else:
                self.connected.set()
        self.c.on_connect = on_connect
        self.c.connect("127.0.0.1", broker.port, 10)
        self.c.loop_start()

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def test_a_station_cannot_publish_as_or_read_for_another(broker, make_station, make_backoffice):
    bo = make_backoffice(broker)
    st_a = make_station(broker, A)
    assert st_a.link.wait_connected(5)
    evil = Probe(broker, B, PASSWORDS[B])
    assert evil.connected.wait(5)
    # B subscribes to A's commands and acks, and to everything
    evil.c.subscribe([(f"k/v1/{A}/cmd/#", 1), (f"k/v1/{A}/ack", 1), ("k/v1/#", 1), ("#", 1)])
    time.sleep(0.2)
    # B publishes an event, a status, a result and an ack in A's name
    fake_event = {"event_id": "0193a0b4-2c1e-7f00-9a1b-3c4d5e6f7a8b", "seq": 1, "type": "x", "boot_id": "b",
                  "ts": "2026-11-22T03:00:00Z", "data": {}}
    for topic, body in [(f"k/v1/{A}/evt/x", fake_event), (f"k/v1/{A}/status", {"state": "offline"}),
                        (f"k/v1/{A}/res", {"cmd_id": "x"}), (f"k/v1/{A}/ack", {"upto_seq": 10_000}),
                        (f"k/v1/{A}/cmd/open_compartment", {"cmd_id": "x"})]:
        evil.c.publish(topic, json.dumps(body), qos=1).wait_for_publish(2)
    # meanwhile the back office commands A and A produces events
    st_a.emit(5)
    cmd = bo.send_command(A, "notify_update", {"version": "0.2.0"})
    bo.wait_result(cmd["cmd_id"], "done")
    assert bo.wait_upto(A, 5, 10)
    time.sleep(0.3)
    # B saw none of A's traffic; the back office got nothing forged; A's outbox was not acked by B
    assert evil.got == []
    with bo.lock:
        stored = dict(bo.db.execute("SELECT event_id, type FROM events WHERE station = ?", (A,)).fetchall())
    assert set(st_a.produced) <= set(stored)
    assert {t for e, t in stored.items() if e not in st_a.produced} - {"audit.head"} == {"command.result"}
    assert fake_event["event_id"] not in bo.event_ids(A)
    assert bo.track(A).status["state"] == "online"
    assert bo.results.get("x") is None
    assert [c[0] for c in st_a.target.calls] == ["notify_update"]
    evil.close()


def test_client_id_takeover_is_impossible(broker, make_station):
    st_a = make_station(broker, A)
    assert st_a.link.wait_connected(5)
    connects = st_a.link.stats.connects
    evil = Probe(broker, B, PASSWORDS[B], client_id=A)  # tries to kick A off by reusing its client id
    assert evil.connected.wait(5)
    time.sleep(0.5)
    assert st_a.link.connected and st_a.link.stats.disconnects == 0 and st_a.link.stats.connects == connects
    evil.close()


def test_anonymous_and_wrong_password_refused(broker):
    anon = Probe(broker, None, None)
    wrong = Probe(broker, A, "not-the-password")
    time.sleep(0.5)
    assert not anon.connected.is_set() and not wrong.connected.is_set()
    assert wrong.refused is not None and wrong.refused.is_failure
    anon.close()
    wrong.close()
