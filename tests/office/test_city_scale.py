"""City scale: two `kiosk-office run` processes (real subprocesses) behind one mosquitto, sharing the
fleet's traffic through the MQTT 5 shared subscription, on one PostgreSQL database. One is killed
with SIGKILL in the middle of a burst: every event ends up stored exactly once (idempotent by
event id) and none is lost — what the killed process had taken but not stored was never
acknowledged (the office acks by seq only after its transaction commits), so the stations send it
again and the surviving process stores it."""

from __future__ import annotations

from sqlalchemy import func, select

from office.db import create_engine
from office.schema import events
from tests.office.conftest import STATIONS, new_pg_database
from tests.office.office_proc import OfficeProc
from tests.office.waits import wait_for

BEFORE_KILL, AFTER_KILL = 500, 200


def test_two_office_processes_lose_nothing_when_one_is_killed_mid_burst(tmp_path, broker, make_station, pg_cluster):
    db = new_pg_database(pg_cluster)
    key = tmp_path / "cmd.key"
    # both start at once (each imports the office, migrates, connects): the test waits on both together
    o1 = OfficeProc(tmp_path / "o1", db, broker.url, "office-1", key)
    o2 = OfficeProc(tmp_path / "o2", db, broker.url, "office-2", key)
    engine = create_engine(db)

    def stored() -> int:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(events)).scalar()

    try:
        o1.wait_ready()
        o2.wait_ready()
        stations = [make_station(broker, s) for s in STATIONS]
        for st in stations:
            st.emit(BEFORE_KILL)
        wait_for(lambda: stored() >= 300, 15, "the burst under way")
        o1.kill9()  # mid-burst: whatever it had taken but not yet stored was never acknowledged
        at_kill = stored()
        for st in stations:
            st.emit(AFTER_KILL)
        total = len(STATIONS) * (BEFORE_KILL + AFTER_KILL)
        wait_for(lambda: all(st.outbox.stats().pending == 0 for st in stations), 20,
                 "every station's outbox acknowledged empty by the surviving office")
        assert at_kill < len(STATIONS) * BEFORE_KILL, "the kill came after the burst was stored: not mid-burst"
        with engine.connect() as conn:
            rows = conn.execute(select(events.c.station, events.c.event_id)).all()
        assert len(rows) == total, f"{len(rows)} rows for {total} events (exactly once)"
        for st in stations:
            ids = [r.event_id for r in rows if r.station == st.kiosk_id]
            assert len(ids) == len(set(ids)) == BEFORE_KILL + AFTER_KILL
            assert set(ids) == set(st.produced), f"{st.kiosk_id}: events lost or foreign"
        assert o2.proc.poll() is None, "the surviving office process kept running"
    finally:
        o2.stop()
        o1.stop()
        engine.dispose()
