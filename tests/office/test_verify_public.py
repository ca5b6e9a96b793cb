"""Review finding: the public /verify/{code} scanned the timeline with LIKE per unauthenticated
request. The code is stored on the case when the electronic result is issued and found by
equality; a case no longer approved does not verify; each client is rate limited."""

from __future__ import annotations

from sqlalchemy import select, update
from starlette.testclient import TestClient

from office import cases
from office.db import create_engine, migrate
from office.schema import cases as cases_t
from office.station_calls import StationCalls
from office.web import routes_cases
from office.web.app import Console, build_app
from tests.office.helpers import submission


def test_verify_by_stored_code_checks_status_and_limits_each_client(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/office.db")
    migrate(engine)
    case_no = StationCalls(engine, "sh-test-001").submit_case(submission(matter="SI-004")).case_no
    with engine.begin() as conn:
        cases.approve(conn, case_no, "bob")
        row = conn.execute(select(cases_t).where(cases_t.c.case_no == case_no)).one()
    code = cases.verify_code(case_no, row.ref)
    assert row.verify_code == code and row.approved_at
    with TestClient(build_app(Console(engine))) as anyone:
        got = anyone.get(f"/api/verify/{code}").json()
        assert got["valid"] and got["issued"] == row.approved_at[:10]
        with engine.begin() as conn:  # withdrawn after issue: the code no longer verifies
            conn.execute(update(cases_t).where(cases_t.c.case_no == case_no).values(status="withdrawn"))
        assert anyone.get(f"/api/verify/{code}").status_code == 404
        codes = [anyone.get("/api/verify/0123456789AB").status_code for _ in range(routes_cases.VERIFY_PER_MINUTE - 2)]
        assert set(codes) == {404}  # with the two above: the whole minute's allowance
        r = anyone.get(f"/verify/{code}")
        assert r.status_code == 429 and r.headers["retry-after"] == "60"
    engine.dispose()
