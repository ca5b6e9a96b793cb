"""Station events through a real mosquitto into the office database (SQLite and PostgreSQL):
stored once, acknowledged so the station's outbox empties, alarms from door events, status and
last will, refusal of malformed and mis-addressed messages."""

from __future__ import annotations

import json

import paho.mqtt.client as mqtt
from sqlalchemy import func, select

from office import alarms as alarm_ops
from office.schema import alarms, audit, events, stations
from tests.office.conftest import PASSWORDS, STATIONS
from tests.office.waits import wait_for


def _count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def _client(broker, user: str) -> mqtt.Client:
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=user, protocol=mqtt.MQTTv5)
    c.username_pw_set(user, PASSWORDS[user])
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    return c


def test_events_stored_once_and_acknowledged(broker, engine, make_station, office_mqtt):
    om = office_mqtt(broker, engine)
    st = make_station(broker, STATIONS[0])
    st.emit(300)
    wait_for(lambda: st.outbox.stats().pending == 0, 20, "the station's outbox to be acknowledged empty")
    assert _count(engine, events, events.c.station == STATIONS[0]) == 300
    with engine.connect() as conn:
        ids = {r[0] for r in conn.execute(select(events.c.event_id).where(events.c.station == STATIONS[0]))}
        assert ids == set(st.produced)
        assert conn.execute(select(stations.c.acked_upto).where(stations.c.id == STATIONS[0])).scalar() == 300
    assert om.ingest.stats.stored == 300


def test_replayed_events_change_nothing(broker, engine, make_station, office_mqtt):
    om = office_mqtt(broker, engine)
    st = make_station(broker, STATIONS[0])
    st.outbox.add_now("cabinet.door", {"compartment": "A01", "event": "uncommanded_open", "board": 1, "lock": 1})
    wait_for(lambda: st.outbox.stats().pending == 0, 15, "ack")
    with engine.connect() as conn:
        row = conn.execute(select(events)).first()
    replay = {"event_id": row.event_id, "seq": row.seq, "type": row.type, "boot_id": row.boot_id, "ts": row.ts,
              "data": json.loads(row.data)}
    st.link.stop()
    c = _client(broker, STATIONS[0])  # the station (or someone with its credentials) replays the event
    for _ in range(3):
        c.publish(f"k/v1/{STATIONS[0]}/evt/cabinet.door", json.dumps(replay), qos=1).wait_for_publish(5)
    wait_for(lambda: om.ingest.stats.duplicates >= 3, 10, "the replays to be seen")
    c.disconnect()
    c.loop_stop()
    assert _count(engine, events) == 1
    assert _count(engine, alarms) == 1  # one forced-door alarm, not four


def test_forced_door_raises_alarm_and_ack(broker, engine, make_station, office_mqtt):
    office_mqtt(broker, engine)
    st = make_station(broker, STATIONS[1])
    st.outbox.add_now("cabinet.door", {"compartment": "B02", "event": "uncommanded_open", "board": 2, "lock": 2})
    st.outbox.add_now("cabinet.door", {"compartment": "B02", "event": "door_closed", "board": 2, "lock": 2})
    wait_for(lambda: _count(engine, events) == 2, 15, "2 events")
    with engine.begin() as conn:
        opened = alarm_ops.list_alarms(conn, "open")
        assert [(a["station"], a["kind"], a["compartment"]) for a in opened] == [(STATIONS[1], "forced_door", "B02")]
        alarm_ops.acknowledge(conn, opened[0]["id"], "wang")
        assert alarm_ops.list_alarms(conn, "open") == []
    assert _count(engine, audit, audit.c.action == "alarm.ack") == 1


def test_status_online_and_last_will_offline(broker, engine, make_station, office_mqtt):
    office_mqtt(broker, engine)
    st = make_station(broker, STATIONS[2])

    def online():
        with engine.connect() as conn:
            return conn.execute(select(stations.c.online).where(stations.c.id == STATIONS[2])).scalar()

    wait_for(lambda: online() is True, 10, "station online")
    st.link.abort()  # like a crash: the broker publishes the last will after will_delay_s (1 s)
    wait_for(lambda: online() is False, 15, "station offline by last will")
    with engine.connect() as conn:
        kinds = [r.kind for r in conn.execute(select(alarms).where(alarms.c.station == STATIONS[2]))]
    assert kinds == ["station_offline"]


def test_malformed_and_misaddressed_messages_are_refused(broker, engine, office_mqtt):
    om = office_mqtt(broker, engine)
    st1 = _client(broker, STATIONS[0])
    good = {"event_id": "0193a0b4-2c1e-7f00-9a1b-3c4d5e6f7a8b", "seq": 1, "type": "x.y", "boot_id": "b",
            "ts": "2026-11-22T03:00:00.000Z", "data": {}}
    st1.publish(f"k/v1/{STATIONS[0]}/evt/x", b"{not json", qos=1).wait_for_publish(5)
    st1.publish(f"k/v1/{STATIONS[0]}/evt/x", json.dumps({**good, "seq": -1}), qos=1).wait_for_publish(5)
    st1.publish(f"k/v1/{STATIONS[0]}/status", json.dumps({"state": "online"}), qos=1).wait_for_publish(5)
    # a station publishing as another: the broker's ACL drops it (the topic proves the sender)
    st1.publish(f"k/v1/{STATIONS[1]}/evt/x", json.dumps(good), qos=1).wait_for_publish(5)
    wait_for(lambda: om.stats.rejected >= 3, 10, "3 refusals")
    st1.publish(f"k/v1/{STATIONS[0]}/evt/x", json.dumps(good), qos=1).wait_for_publish(5)
    wait_for(lambda: _count(engine, events) == 1, 10, "the one good event")
    st1.disconnect()
    st1.loop_stop()
    with engine.connect() as conn:
        assert conn.execute(select(events.c.station)).scalars().all() == [STATIONS[0]]
        refused = conn.execute(select(audit.c.detail).where(audit.c.action == "ingest.refused")).scalars().all()
    assert any("not JSON" in d for d in refused)
    assert any("seq" in d for d in refused)
    assert om.stats.rejected == 3


def test_health_turning_bad_raises_paper_out_and_board_unreachable_once(broker, engine, office_mqtt):
    office_mqtt(broker, engine)
    c = _client(broker, STATIONS[2])
    outbox = {"pending": 0, "last_seq": 0, "acked_upto": 0, "dropped_total": 0, "dropping": False, "first_seq": None}

    def health(ts: str, paper: str, bus: str) -> None:
        body = {"ts": ts, "boot_id": "b1", "outbox": outbox,
                "devices": {"printer": {"status": "online", "paper": paper},
                            "cabinet": {"status": "online", "bus": bus}}}
        c.publish(f"k/v1/{STATIONS[2]}/health", json.dumps(body), qos=1, retain=True).wait_for_publish(5)

    health("2026-12-05T01:00:00.000Z", "ok", "ok")
    health("2026-12-05T01:01:00.000Z", "out", "unreachable")
    health("2026-12-05T01:02:00.000Z", "out", "unreachable")  # still so: no second alarm
    wait_for(lambda: _count(engine, alarms) == 2, 10, "two alarms")
    health("2026-12-05T01:03:00.000Z", "ok", "ok")
    wait_for(lambda: _row_paper(engine) == "ok", 10, "paper ok again")
    with engine.connect() as conn:  # each heartbeat is a sign of life
        assert conn.execute(select(stations.c.last_seen).where(stations.c.id == STATIONS[2])).scalar() \
            == "2026-12-05T01:03:00.000Z"
    health("2026-12-05T00:59:00.000Z", "low", "ok")  # an older message delivered late
    wait_for(lambda: _row_paper(engine) == "low", 10, "the late health stored")
    with engine.connect() as conn:
        assert conn.execute(select(stations.c.last_seen).where(stations.c.id == STATIONS[2])).scalar() \
            == "2026-12-05T01:03:00.000Z", "last seen never moves back"
    c.disconnect()
    c.loop_stop()
    with engine.connect() as conn:
        kinds = sorted(r.kind for r in conn.execute(select(alarms)))
    assert kinds == ["board_unreachable", "paper_out"]


def _row_paper(engine):
    with engine.connect() as conn:
        return conn.execute(select(stations.c.paper).where(stations.c.id == STATIONS[2])).scalar()


def test_cabinet_grid_follows_compartment_events_in_seq_order(broker, engine, make_station, office_mqtt):
    from datetime import datetime, timedelta, timezone

    from office import cabinets

    office_mqtt(broker, engine)
    st = make_station(broker, STATIONS[0])
    st.outbox.add_now("compartment.reserved", {"compartment": "A01", "size": "S", "case": "SH001-20261205-0001-A"})
    st.outbox.add_now("compartment.loaded", {"compartment": "A01", "case": "SH001-20261205-0001-A"})
    st.outbox.add_now("compartment.reserved", {"compartment": "A02", "size": "M", "case": "C-2"})
    st.outbox.add_now("compartment.out_of_service", {"compartment": "B01", "reason": "lock broken"})
    st.outbox.add_now("cabinet.door", {"compartment": "A02", "event": "door_opened", "board": 1, "lock": 2})
    wait_for(lambda: st.outbox.stats().pending == 0, 15, "acknowledged")
    with engine.begin() as conn:
        grid = {c["id"]: c for c in cabinets.grid(conn, STATIONS[0])}
        assert (grid["A01"]["state"], grid["A01"]["case_no"]) == ("loaded", "SH001-20261205-0001-A")
        assert (grid["A02"]["state"], grid["A02"]["size"], grid["A02"]["door"]) == ("reserved", "M", "open")
        assert (grid["B01"]["state"], grid["B01"]["attention"]) == ("out_of_service", "lock broken")
        # an older event arriving late (another office process) does not undo a newer one
        old = {"event_id": "0193a0b4-2c1e-7f00-9a1b-3c4d5e6f7a8b", "seq": 1, "type": "compartment.emptied",
               "boot_id": "b", "ts": "2026-01-01T00:00:00.000Z", "data": {"compartment": "A01"}}
        assert cabinets.apply(conn, STATIONS[0], old) is False
        later = datetime.now(timezone.utc) + timedelta(days=8)
        assert [c["id"] for c in cabinets.overdue_pickups(conn, 7, later)] == ["A01"]


def test_a_rating_sent_as_an_event_keeps_its_service_and_an_unknown_one_is_refused(engine):
    """What `MqttBackOffice.submit_rating` puts in the station's outbox is stored like the RPC's."""
    import uuid

    from kiosk.services.backoffice import Rating, to_dict
    from office.ingest import Ingest
    from office.schema import ratings

    def rating(seq: int, r: Rating) -> tuple[str, dict]:
        return STATIONS[0], {"event_id": str(uuid.uuid4()), "seq": seq, "type": "backoffice.rating",
                             "ts": "2026-12-05T10:00:00.000Z", "boot_id": "b", "data": to_dict(r)}

    ingest = Ingest(engine)
    ingest.store_events([rating(1, Rating("", 5, service="query")), rating(2, Rating("", 1, service="lottery"))])
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(select(ratings.c.score, ratings.c.service))] == [(5, "query")]
        refused = conn.execute(select(audit.c.detail).where(audit.c.action == "backoffice.rating",
                                                            audit.c.ok.is_(False))).scalars().all()
    assert len(refused) == 1 and "unknown service 'lottery'" in refused[0]
    assert ingest.stats.facts_failed == 1
