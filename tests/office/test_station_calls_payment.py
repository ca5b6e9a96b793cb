"""The office's simulated payment provider and cross-station case lookup (office/station_calls.py)
on an in-memory SQLite office database: code reuse across orders, refunds, cases of one person."""

from __future__ import annotations

from datetime import date

from sqlalchemy import create_engine

from kiosk.services.backoffice import Applicant, CaseSubmission
from kiosk.services.cases import format_case_number
from office.schema import metadata
from office.station_calls import StationCalls

ME = Applicant("110101199001011234", "x", "110101********1234")
NAMESAKE = Applicant("110101199001021234", "y", "110101********1234")  # same mask, another person


def test_code_reuse_refund_and_cases_of_one_person():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    here, there = StationCalls(engine, "sim-0001", pay_after_s=999), StationCalls(engine, "sim-0002", pay_after_s=999)
    no = format_case_number("sim-0002", date(2026, 1, 2), 1)
    there.submit_case(CaseSubmission(no, "SI-003", "sim-0002", ME))
    assert [r.case_no for r in here.cases_for_applicant(ME)] == [no]
    assert here.cases_for_applicant(ME)[0].station_id == "sim-0002"
    assert here.cases_for_applicant(NAMESAKE) == []

    first = there.create_payment(no, 2000, "fee")
    assert there.pay_with_code(first.order_id, "134567890123456789").outcome == "paid"
    again = here.create_payment(no, 2000, "fee")
    assert here.pay_with_code(again.order_id, "134567890123456789").outcome == "code_used"
    assert here.pay_with_code(again.order_id, "99").outcome == "code_invalid"
    assert here.payment_status(again.order_id).status == "pending"
    assert there.refund_payment(first.order_id, "submission failed").status == "refunded"
    assert there.refund_payment(first.order_id, "again").status == "refunded"
    assert here.refund_payment(again.order_id, "visit ended").status == "canceled"
