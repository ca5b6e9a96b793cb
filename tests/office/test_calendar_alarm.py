"""A station without next year's holiday notice reports it every day from 1 December; the office
raises ONE alarm per station and year (not one a day), in Chinese and English on the console."""

from __future__ import annotations

from sqlalchemy import func, select

from office import alarms as alarm_ops
from office.schema import alarms, events
from office.web.i18n import TEXTS
from tests.office.conftest import STATIONS
from tests.office.waits import wait_for


def test_daily_reports_of_a_missing_notice_raise_one_alarm(broker, engine, make_station, office_mqtt):
    office_mqtt(broker, engine)
    st = make_station(broker, STATIONS[1])
    for _ in range(3):  # three days of reports
        st.outbox.add_now("station.calendar_notice_missing", {"year": 2027})
    with engine.connect() as conn:
        wait_for(lambda: conn.execute(select(func.count()).select_from(events)).scalar() == 3, 15, "3 events")
    with engine.begin() as conn:
        opened = alarm_ops.list_alarms(conn, "open")
    assert [(a["station"], a["kind"]) for a in opened] == [(STATIONS[1], "calendar_notice_missing")]
    assert "2027" in opened[0]["detail"]
    assert TEXTS["kind.calendar_notice_missing"][0].startswith("缺少")
