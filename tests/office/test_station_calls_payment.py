"""The office's payments as a station calls them (office/station_calls.py, office/payments.py) and
cross-station case lookup: code reuse across orders, codes charged through the provider, two
stations racing one code and two refunds racing one order (SQLite and PostgreSQL), orders kept
per station, refunds, cases of one person."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from sqlalchemy import create_engine, event, select

from kiosk.services.backoffice import Applicant, BackofficeError, CaseSubmission
from kiosk.services.cases import format_case_number
from office import payments
from office.schema import audit, metadata
from office.schema import payments as payment_rows
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
    there.report_status(no, "withdrawn")  # a station refunds only a case it could not submit
    assert there.refund_payment(first.order_id, "submission failed").status == "refunded"
    assert there.refund_payment(first.order_id, "again").status == "refunded"
    assert here.refund_payment(again.order_id, "visit ended").status == "canceled"


def test_a_rating_keeps_the_service_rated_and_refuses_an_unknown_one(tmp_path):
    """好差评 after every service: the office stores which service was rated (report per service)."""
    from sqlalchemy import select

    from kiosk.services.backoffice import BackofficeError, Rating
    from office.db import create_engine as office_engine
    from office.db import migrate
    from office.schema import ratings

    engine = office_engine(f"sqlite:///{tmp_path / 'o.db'}")
    migrate(engine)  # through the migrations: the column comes from 0009
    calls = StationCalls(engine, "sim-0001")
    calls.submit_rating(Rating("", 5, service="query"))
    with pytest.raises(BackofficeError, match="unknown service"):
        calls.submit_rating(Rating("", 4, service="lottery"))
    with engine.connect() as conn:
        assert [(r.score, r.service) for r in conn.execute(select(ratings.c.score, ratings.c.service))] == [(5, "query")]


CODE = "134567890123456789"


class Wallet(payments.SimulatedProvider):
    """The simulated provider, answering code charges from a script once it runs out of its own
    (a wallet that declines, a code the provider does not know); every charge is counted."""

    def __init__(self, *answers: str) -> None:
        super().__init__(pay_after_s=999)
        self.answers, self.charges = list(answers), 0

    def charge_code(self, order_id, provider_ref, code, amount_fen):
        self.charges += 1
        return self.answers.pop(0) if self.answers else super().charge_code(order_id, provider_ref, code, amount_fen)


def _station_with_case(engine, station: str, n: int, provider) -> tuple[StationCalls, str]:
    calls = StationCalls(engine, station, provider=provider)
    no = format_case_number(station, date(2026, 1, 2), n)
    calls.submit_case(CaseSubmission(no, "SI-003", station, ME))
    return calls, no


def test_a_payment_code_is_paid_only_when_the_provider_charges_it():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    wallet = Wallet("declined", "code_invalid")
    calls, no = _station_with_case(engine, "sim-0001", 1, wallet)
    order = calls.create_payment(no, 2000, "fee")
    first = calls.pay_with_code(order.order_id, CODE)
    assert (first.outcome, first.order.status) == ("declined", "pending")
    assert calls.pay_with_code(order.order_id, CODE).outcome == "code_invalid"  # well-formed, unknown to it
    assert wallet.charges == 2
    paid = calls.pay_with_code(order.order_id, CODE)  # a refusal kept no claim on the code
    assert (paid.outcome, paid.order.status, wallet.charges) == ("paid", "paid", 3)
    with engine.connect() as conn:
        assert conn.execute(select(payment_rows.c.paycode_fp)).scalar() is not None
    assert [e.kind for e in calls.poll_events()] == ["payment_paid"]


def test_every_station_charges_through_the_one_provider_of_the_office():
    from office.mqtt_service import OfficeMqtt

    provider = payments.SimulatedProvider(pay_after_s=999)
    om = OfficeMqtt(create_engine("sqlite://"), "mqtt://127.0.0.1:1", "office-1", "pw", provider=provider)
    assert om.calls_for("sim-0001").provider is provider and om.calls_for("sim-0002").provider is provider
    default = OfficeMqtt(create_engine("sqlite://"), "mqtt://127.0.0.1:1", "office-1", "pw")
    assert default.calls_for("sim-0001").provider is default.calls_for("sim-0002").provider


def test_a_station_sees_pays_and_refunds_only_its_own_orders_and_only_unsubmitted_cases():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    provider = payments.SimulatedProvider(pay_after_s=999)
    mine, no = _station_with_case(engine, "sim-0001", 1, provider)
    other = StationCalls(engine, "sim-0002", provider=provider)
    order = mine.create_payment(no, 2000, "fee")
    for call in (lambda: other.payment_status(order.order_id), lambda: other.pay_with_code(order.order_id, CODE),
                 lambda: other.refund_payment(order.order_id, "x"), lambda: other.cancel_payment(order.order_id)):
        with pytest.raises(BackofficeError) as err:
            call()
        assert err.value.code == "not_found"
    assert mine.pay_with_code(order.order_id, CODE).outcome == "paid"
    with pytest.raises(BackofficeError, match="supervisor refunds") as err:
        mine.refund_payment(order.order_id, "submission failed")  # the office has the case: not the station's call
    assert err.value.code == "rejected"
    assert mine.payment_status(order.order_id).status == "paid" and provider.refunds == {}
    mine.report_status(no, "withdrawn")
    assert mine.refund_payment(order.order_id, "submission failed").status == "refunded"
    # an order for a case that never reached the office is the station's to refund
    lost = mine.create_payment(format_case_number("sim-0001", date(2026, 1, 2), 2), 500, "fee")
    assert mine.pay_with_code(lost.order_id, "134567890123456780").outcome == "paid"
    assert mine.refund_payment(lost.order_id, "visit ended").status == "refunded"


def test_two_stations_racing_one_code_charge_it_once(engine):
    """Both stations have looked the code up (not charged yet) before either charges it."""
    provider = Wallet()
    orders = []
    for i, station in enumerate(("sim-0001", "sim-0002")):
        calls, no = _station_with_case(engine, station, i + 1, provider)
        orders.append((calls, calls.create_payment(no, 2000, "fee").order_id))
    both_looked = threading.Barrier(2, timeout=5)
    held: set[int] = set()

    @event.listens_for(engine, "after_cursor_execute")
    def hold(conn, cursor, statement, params, context, many):  # after each station's reuse lookup
        where = statement.split("WHERE", 1)[-1]
        if statement.lstrip().startswith("SELECT") and ("paycode_fp" in where or "pay_url" in where) \
                and threading.get_ident() not in held:
            held.add(threading.get_ident())
            both_looked.wait()

    outcomes: list[str] = []
    threads = [threading.Thread(target=lambda c=c, o=o: outcomes.append(c.pay_with_code(o, CODE).outcome))
               for c, o in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    event.remove(engine, "after_cursor_execute", hold)
    assert sorted(outcomes) == ["code_used", "paid"]
    with engine.connect() as conn:
        assert sorted(conn.execute(select(payment_rows.c.status)).scalars()) == ["paid", "pending"]
        assert conn.execute(select(audit.c.id).where(audit.c.action == "payment.code_reused")).first() is not None
    assert provider.charges == 1 and len(provider.charged_codes) == 1


class SlowRefunds(payments.SimulatedProvider):
    """Holds a refund until told to go on; counts the refunds asked for."""

    def __init__(self) -> None:
        super().__init__(pay_after_s=0)
        self.asked, self.inside, self.go_on = 0, threading.Event(), threading.Event()

    def refund(self, order_id, provider_ref, amount_fen, reason):
        self.asked += 1
        self.inside.set()
        self.go_on.wait(5)
        return super().refund(order_id, provider_ref, amount_fen, reason)


def test_two_refunds_racing_one_order_ask_the_provider_once(engine):
    provider = SlowRefunds()
    calls = StationCalls(engine, "sim-0001", provider=provider)
    oid = calls.create_payment(format_case_number("sim-0001", date(2026, 1, 2), 1), 2000, "fee").order_id
    assert calls.payment_status(oid).status == "paid"
    results: list[str] = []

    def refund(actor: str) -> None:
        try:
            with engine.begin() as conn:
                results.append(payments.refund(conn, provider, oid, "twice", actor)["status"])
        except payments.PaymentError as exc:
            results.append(str(exc))
        finally:
            provider.go_on.set()

    first = threading.Thread(target=refund, args=("user:a",))
    first.start()
    assert provider.inside.wait(10)
    with engine.connect() as conn:  # claimed before the provider was asked
        assert conn.execute(select(payment_rows.c.status)).scalar() == "refunding"
    assert calls.payment_status(oid).status == "paid"  # still paid to the station until the money is back
    refund("user:b")
    first.join(10)
    assert provider.asked == 1
    assert sorted(results) == [f"order {oid} is refunding; only a paid order can be refunded", "refunded"]
    assert calls.payment_status(oid).status == "refunded"


def test_a_refused_refund_leaves_the_order_paid_and_a_crashed_one_is_taken_up_again(engine):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    calls = StationCalls(engine, "sim-0001", provider=payments.SimulatedProvider(pay_after_s=0))
    oid = calls.create_payment(format_case_number("sim-0001", date(2026, 1, 2), 1), 2000, "fee").order_id
    assert calls.payment_status(oid).status == "paid"
    with pytest.raises(payments.PaymentError, match="refused"):
        with engine.begin() as conn:
            payments.refund(conn, payments.SimulatedProvider(refuse_refunds=True), oid, "no", "user:a")
    with engine.connect() as conn:
        assert tuple(conn.execute(select(payment_rows.c.status, payment_rows.c.refunded_at))) == (("paid", None),)
    with engine.begin() as conn:  # a crash after the provider was asked: the claim stays
        conn.execute(update(payment_rows).values(status="refunding", refunded_at="2026-01-02T00:00:00.000Z"))
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    assert payments.refund_unsubmitted(engine, payments.SimulatedProvider(), 1800, later) == [oid]
    assert calls.payment_status(oid).status == "refunded"
