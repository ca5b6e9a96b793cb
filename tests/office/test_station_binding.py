"""Review finding: a station credential could ask for any person's cases and e-certificates. Now
`cases_for_applicant`, `request_consent` and `fetch_ecertificates` are bound, like reference
photos (security finding 17), to the applicant whose card was read in that visit at that station;
visits per station are bounded and refusals audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.services.backoffice import Applicant, BackofficeError
from kiosk.services.fleet import rpc
from office.schema import audit
from office.db import create_engine, migrate
from office.reference_photos import PhotoGuard
from office.station_calls import StationCalls
from tests.office.helpers import submission

A = submission().applicant
B = Applicant("110101199001011234", "李四", "1101**********1234")


@pytest.fixture
def calls(tmp_path):
    e = create_engine(f"sqlite:///{tmp_path}/office.db")
    migrate(e)
    guard = PhotoGuard(per_hour=3)
    StationCalls(e, "sh-test-001", photo_guard=guard).submit_case(submission())
    yield StationCalls(e, "sh-test-002", photo_guard=guard)
    e.dispose()


def _refused(fn, *args, **kw) -> str:
    with pytest.raises(BackofficeError) as exc:
        fn(*args, **kw)
    assert exc.value.code == "rejected"
    return exc.value.detail


def test_calls_about_a_person_need_the_visit_of_the_card_read(calls):
    assert "names no visit" in _refused(calls.cases_for_applicant, A)
    assert "names no visit" in _refused(calls.request_consent, A, ("household_register",))
    [case] = calls.cases_for_applicant(A, session="visit-1")  # the card read in visit-1 is A's
    assert case.case_no == submission().case_no
    assert "another applicant" in _refused(calls.cases_for_applicant, B, session="visit-1")
    assert "another applicant" in _refused(calls.request_consent, B, ("household_register",), session="visit-1")
    consent = calls.request_consent(A, ("household_register",), session="visit-1")
    assert calls.fetch_ecertificates(A, consent, session="visit-1") == []
    assert "another applicant" in _refused(calls.fetch_ecertificates, B, consent, session="visit-1")
    with calls.engine.connect() as conn:
        refused = conn.execute(select(audit.c.action, audit.c.actor).where(audit.c.ok.is_(False))).all()
    assert ("refused.cases_for_applicant", "station:sh-test-002") in refused
    assert ("refused.request_consent", "station:sh-test-002") in refused
    assert ("refused.fetch_ecertificates", "station:sh-test-002") in refused


def test_visits_per_station_are_bounded(calls):
    for n in range(3):
        calls.cases_for_applicant(B, session=f"v{n}")
    assert "per hour" in _refused(calls.cases_for_applicant, A, session="v-next")
    calls.cases_for_applicant(B, session="v0")  # a visit already bound is still answered


def test_the_station_sends_its_visit_over_the_wire():
    args = rpc.encode_args("cases_for_applicant", (A, "visit-7"), {})
    assert rpc.decode_args("cases_for_applicant", args)["session"] == "visit-7"
