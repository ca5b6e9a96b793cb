"""The database going away mid-request (a private PostgreSQL cluster stopped with
`pg_ctl -m immediate`): the console answers 503 with a clear message and changes nothing; station
events are not acknowledged while it is away, so the station keeps them and nothing is lost."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from office import accounts
from office import alarms as alarm_ops
from office.db import create_engine, migrate
from office.pgcluster import PgCluster
from office.schema import events
from office.web.app import Console, build_app
from tests.office.conftest import STATIONS
from tests.office.helpers import login
from tests.office.waits import wait_for

PW = "correct-horse-battery"


@pytest.fixture
def pg():
    cluster = PgCluster().start()
    yield cluster
    cluster.cleanup()


def test_console_answers_503_while_the_database_is_away(pg):
    engine = create_engine(pg.url)
    migrate(engine)
    accounts.add_user(engine, "alice", "operator", PW)
    with engine.begin() as conn:
        alarm_ops.raise_alarm(conn, "sh-test-001", alarm_ops.AlarmSpec("forced_door", "A01"), "t:1")
    with TestClient(build_app(Console(engine)), raise_server_exceptions=False) as client:
        csrf = login(client, "alice", PW)
        pg.stop("immediate")
        r = client.post("/api/alarms/1/ack", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 503
        assert r.json()["error"] == "database_unavailable" and "nothing was changed" in r.json()["message"]
        page = client.get("/stations")
        assert page.status_code == 503 and "数据库暂不可用" in page.text
        pg.restart()
        wait_for(lambda: client.get("/api/alarms?state=open").status_code == 200, 15, "the database back")
        assert client.get("/api/alarms?state=open").json()["alarms"][0]["state"] == "open"  # not half-acked
        assert client.post("/api/alarms/1/ack", headers={"X-CSRF-Token": csrf}).status_code == 200
    engine.dispose()


def test_events_wait_at_the_station_while_the_database_is_away(pg, broker, make_station, office_mqtt):
    engine = create_engine(pg.url)
    migrate(engine)
    om = office_mqtt(broker, engine)
    st = make_station(broker, STATIONS[0])
    st.emit(20)
    wait_for(lambda: st.outbox.stats().pending == 0, 15, "first events acknowledged")
    pg.stop("immediate")
    st.emit(30)
    wait_for(lambda: om.stats.db_errors >= 1, 15, "the office to notice the database is away")
    assert st.outbox.stats().pending == 30  # not acknowledged: the station keeps them
    pg.restart()
    wait_for(lambda: st.outbox.stats().pending == 0, 30, "the station's resend to be stored and acknowledged")
    with engine.connect() as conn:
        ids = set(conn.execute(select(events.c.event_id)).scalars())
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 50
    assert ids == set(st.produced)
    engine.dispose()
