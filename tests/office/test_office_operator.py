"""The scripted visits' back-office actions against a real office process (`make run`): an operator
with the approver role on the JSON API makes a submitted case's result ready; what the office cannot
do is refused with a clear message (paying is the office provider's own doing); a wrong password says so; offline/online pull and plug back the
station's network cable (its fleet link stays down, then comes back)."""

from __future__ import annotations

import pytest

from hw_sim.control import ControlError
from hw_sim.office_operator import OfficeApiError, OfficeOperator, OfficeSide
from office.accounts import add_user
from office.db import create_engine, migrate
from office.station_calls import StationCalls
from tests.office.conftest import STATIONS
from tests.office.helpers import submission
from tests.office.office_proc import OfficeProc

PW = "scripted-visits-pw"


def test_the_scripted_operator_decides_cases_on_the_office_api(tmp_path, broker, make_station):
    db = f"sqlite:///{tmp_path}/office.db"
    engine = create_engine(db)
    migrate(engine)
    add_user(engine, "visits", "approver", PW)
    (tmp_path / "visits.pw").write_text(PW + "\n")
    (tmp_path / "wrong.pw").write_text("not-the-password\n")
    calls = StationCalls(engine, STATIONS[0])
    cabinet_case = calls.submit_case(submission("SH001-20261205-0001-A", STATIONS[0], matter="PS-001")).case_no
    printed = calls.submit_case(submission("SH001-20261205-0002-B", STATIONS[0], matter="SI-001")).case_no
    office = OfficeProc(tmp_path / "office", db, broker.url).wait_ready()
    st = make_station(broker, STATIONS[0])
    try:
        side = OfficeSide(OfficeOperator(office.url, "visits", tmp_path / "visits.pw"), st.link, wait_s=10)
        assert side.handle("ready", {"case_no": cabinet_case, "size": "S"}) == "result_ready"
        assert calls.case_status(cabinet_case).status == "result_ready"
        with pytest.raises(ControlError, match="approved after approval, not result_ready"):
            side.handle("ready", {"case_no": printed})
        with pytest.raises(ControlError, match="in-process test double only"):
            side.handle("fail_next", {})
        assert "pays every order by itself" in side.handle("pay", {"wait_s": 10})
        with pytest.raises(OfficeApiError, match="HTTP 401"):
            OfficeSide(OfficeOperator(office.url, "visits", tmp_path / "wrong.pw"), None).handle("cases", {})
        assert st.link.wait_connected(10)
        side.handle("offline", {})
        assert not st.link.connected and st.link.held
        side.handle("online", {})
        assert st.link.connected and not st.link.held
    finally:
        office.stop()
        engine.dispose()
