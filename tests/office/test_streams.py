"""Acknowledgement per event stream: a station whose store starts over (reinstalled, restored, a fresh
simulated root) names a new stream, and the office acknowledges it from that stream's own mark —
the old store's mark never releases the new store's events. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

import paho.mqtt.client as mqtt
from sqlalchemy import select

from kiosk.services.outbox import uuid7
from office.ingest import Ingest
from office.schema import event_streams, events
from tests.office.conftest import PASSWORDS, STATIONS
from tests.office.waits import wait_for


def _ev(seq: int, stream: str) -> dict:
    return {"event_id": uuid7(), "seq": seq, "type": "test.burst", "boot_id": "b", "ts": "2026-12-05T03:00:00.000Z",
            "data": {"n": seq}, "stream": stream}


def test_a_new_stream_is_acknowledged_from_its_own_mark(engine):
    ing = Ingest(engine)
    old, new = uuid.uuid4().hex, uuid.uuid4().hex
    acks = ing.store_events([(STATIONS[0], _ev(s, old)) for s in range(1, 6)])
    assert acks[(STATIONS[0], old)] == {"upto_seq": 5, "stream": old}
    # the new store's seq 2 is lost on the way: the old mark (5) must not cover it
    acks = ing.store_events([(STATIONS[0], _ev(1, new)), (STATIONS[0], _ev(3, new))])
    assert acks[(STATIONS[0], new)] == {"upto_seq": 1, "missing": [2], "stream": new}
    # a second office process (a fresh Ingest) reads both marks back from the database
    other = Ingest(engine)
    acks = other.store_events([(STATIONS[0], _ev(2, new))])
    assert acks[(STATIONS[0], new)] == {"upto_seq": 3, "stream": new}
    with engine.connect() as conn:
        marks = dict(conn.execute(select(event_streams.c.stream, event_streams.c.acked_upto)
                                  .where(event_streams.c.station == STATIONS[0])).all())
    assert marks == {old: 5, new: 3}


def test_a_station_restarted_with_a_fresh_store_gets_its_events_stored(broker, engine, make_station, office_mqtt,
                                                                        tmp_path):
    om = office_mqtt(broker, engine)
    first = make_station(broker, STATIONS[0], db=tmp_path / "first.db")
    first.emit(20)
    wait_for(lambda: first.outbox.stats().pending == 0, 15, "the first store's events acknowledged")
    first.close()
    om.stop()  # the office is away while the fresh store starts sending
    fresh = make_station(broker, STATIONS[0], db=tmp_path / "fresh.db")
    assert fresh.outbox.stream and fresh.outbox.stream != first.outbox.stream
    fresh.emit(5)  # seqs 1..5 again, all below the first store's mark of 20
    assert fresh.link.wait_connected(10)
    # an ack naming the old stream (the office's memory of the first store) releases nothing
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="office-2", protocol=mqtt.MQTTv5)
    c.username_pw_set("office-2", PASSWORDS["office-2"])
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    c.publish(f"k/v1/{STATIONS[0]}/ack", json.dumps({"upto_seq": 20, "stream": first.outbox.stream}),
              qos=1).wait_for_publish(5)
    wait_for(lambda: fresh.link.stats.foreign_acks >= 1, 10, "the old stream's ack to reach the station")
    c.disconnect()
    c.loop_stop()
    assert fresh.outbox.stats().pending == 5
    office_mqtt(broker, engine)  # the office is back: the station resends, the new stream is acknowledged
    wait_for(lambda: fresh.outbox.stats().pending == 0, 15, "the fresh store's events acknowledged")
    with engine.connect() as conn:
        stored = {r.event_id: r.stream for r in conn.execute(select(events.c.event_id, events.c.stream)
                                                             .where(events.c.station == STATIONS[0]))}
        mark = conn.execute(select(event_streams.c.acked_upto).where(
            event_streams.c.station == STATIONS[0], event_streams.c.stream == fresh.outbox.stream)).scalar()
    assert all(stored.get(e) == fresh.outbox.stream for e in fresh.produced), "every new event stored, in its stream"
    assert len(stored) == 25 and mark == 5
