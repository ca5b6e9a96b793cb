"""The apply flow's payment step: a payment code (付款码) shown to the document camera, the
station's own QR with polling and a deadline, a reused code, and the refund of a paid case whose
submission fails. Real services, the back-office double in process, fake devices."""

from __future__ import annotations

import pytest

from kiosk.flows.payment import PAY_DEADLINE_S
from kiosk.flows.texts import render
from kiosk.services.payments import PaymentCode, code_fingerprint, parse_payment_code


def _to_pay(world, key: str = "obama"):
    world.backoffice.cmd_set_auto_pay(on=False)
    f = world.start("apply")
    f.act("category", code="real_estate")
    f.act("select", code="RE-003")
    f.act("start")
    world.identify(f, key)
    f.act("consent")
    world.wait_services(f)
    world.scanner.page()
    world.pump(f)
    world.wait_services(f)
    assert f.state == "pay", f.history
    assert f.pending("paycode"), "the document camera watches for a payment code"
    return f


def _show(world, f, text: str) -> None:
    world.scanner.code(text)
    world.pump(f)
    world.wait_services(f)
    world.pump(f)


def _audit(world, action: str) -> list:
    return [r for r in world.store.query("SELECT action, detail FROM audit") if r["action"] == action]


def test_payment_code_charges_the_order_and_the_case_is_submitted(world):
    f = _to_pay(world)
    code = world.backoffice.cmd_payment_code()
    _show(world, f, code[:6] + " " + code[6:])  # wallets group the digits
    world.wait_services(f)
    assert "pay_charging" in f.history
    assert f.state in ("receipt", "dropoff_offer", "done"), (f.state, f.history)
    (oid,) = world.backoffice.orders
    assert world.backoffice.payment_status(oid).status == "paid"
    assert world.backoffice.cases, "the case reached the back office"
    (row,) = _audit(world, "apply.paid")
    assert '"how": "code"' in row["detail"] and code not in row["detail"]
    # the digits are nowhere in the station's file
    assert code.encode() not in world.db_path.read_bytes()


def test_station_qr_is_polled_until_paid(world):
    f = _to_pay(world)
    view = f.view()
    assert view.data["qr"].startswith("https://pay.example.gov.cn/o/")
    assert view.data["seconds_left"] == int(PAY_DEADLINE_S)
    world.clock.advance(2.5)
    f.tick()
    world.wait_services(f)
    assert f.state == "pay"  # not paid yet
    world.backoffice.cmd_pay()
    world.clock.advance(2.5)
    f.tick()
    world.wait_services(f)
    world.wait_services(f)
    assert f.state in ("receipt", "dropoff_offer", "done"), f.history
    assert not f.pending("paycode"), "the camera stops watching once paid"


def test_payment_deadline_cancels_the_order_and_withdraws(world):
    f = _to_pay(world)
    for _ in range(int(PAY_DEADLINE_S // 30) + 1):  # polls keep the visit alive; the deadline ends it
        world.clock.advance(30)
        f.tick()
        world.wait_services(f)
    assert f.outcome == "payment_canceled"
    assert "time ran out" in render(f.outcome_text, "en")
    world.services.runner.call(lambda: None)
    (oid,) = world.backoffice.orders
    assert world.backoffice.payment_status(oid).status == "canceled"
    (row,) = world.store.query("SELECT status FROM cases")
    assert row["status"] == "withdrawn"


def test_citizen_cancels_payment(world):
    f = _to_pay(world)
    assert f.act("cancel_payment")
    assert f.outcome == "payment_canceled"
    world.services.runner.call(lambda: None)
    assert [o.order.status for o in world.backoffice.orders.values()] == ["canceled"]
    assert f.session.visit.is_blank()


def test_reused_payment_code_is_refused_with_its_own_message(world):
    code = world.backoffice.cmd_payment_code()
    first = _to_pay(world)
    _show(world, first, code)
    world.wait_services(first)
    assert "pay_charging" in first.history and first.state != "pay"
    first.end("canceled")

    # the next visit shows a screenshot of the same code
    f = _to_pay(world, "biden")
    _show(world, f, code)
    assert f.state == "pay_refused", f.history
    (said,) = f.view().body
    assert said.key == "pay.code.code_used"
    assert "screenshot" in render(said, "en") and "截图" in render(said, "zh")
    assert f.act("retry") and f.state == "pay"
    assert f.pending("paycode"), "the camera watches again for a live code"
    calls = world.backoffice.calls.count("pay_with_code")
    _show(world, f, code)  # shown once more in the same visit: refused without asking the provider
    assert f.view().body[0].key == "pay.code.code_used" and world.backoffice.calls.count("pay_with_code") == calls
    assert len(_audit(world, "apply.payment_code_refused")) == 2
    orders = [o.order for o in world.backoffice.orders.values()]
    assert sum(o.status == "paid" for o in orders) == 1, "the screenshot paid nothing"
    f.act("cancel_payment")
    assert f.outcome == "payment_canceled"
    assert f.session.visit.is_blank(), "nothing personal stays behind"


def test_declined_and_foreign_codes(world):
    f = _to_pay(world)
    _show(world, f, "https://zwfw.example.gov.cn/q/SIM0001-20261122-0042-K")
    assert f.state == "pay" and f.error.key == "pay.code.not_payment_code"
    world.backoffice.cmd_decline_next_code()
    _show(world, f, world.backoffice.cmd_payment_code())
    assert f.state == "pay_refused" and f.view().body[0].key == "pay.code.declined"
    f.act("retry")
    world.backoffice.cmd_fail_next(call="pay_with_code", code="timeout")
    _show(world, f, world.backoffice.cmd_payment_code())
    assert f.state == "pay" and f.error.key == "pay.code.unavailable"
    _show(world, f, world.backoffice.cmd_payment_code())
    world.wait_services(f)
    assert f.state != "pay", f.history


def test_paid_case_whose_submission_fails_is_refunded_and_the_citizen_told(world):
    f = _to_pay(world)
    world.backoffice.cmd_fail_next(call="submit_case", code="offline")
    _show(world, f, world.backoffice.cmd_payment_code())
    world.wait_services(f)
    world.wait_services(f)
    assert f.state == "refund_done", f.history
    (o,) = [x.order for x in world.backoffice.orders.values()]
    assert o.status == "refunded" and world.backoffice.refunds
    text = " ".join(render(b, "en") for b in f.view().body)
    assert "refunded" in text and o.order_id in text
    kinds = [k for k, _ in world.printer.printed]
    assert "payment_refund" in kinds
    slip = dict(world.printer.printed)["payment_refund"]
    assert slip["refunded"] is True and slip["amount_yuan"] == "20.00"
    assert f.act("ok")
    assert f.outcome == "submit_failed" and "refunded" in render(f.outcome_text, "en")
    (row,) = world.store.query("SELECT status FROM cases")
    assert row["status"] == "withdrawn"


def test_refund_that_fails_says_so_and_names_the_phone(world):
    f = _to_pay(world)
    world.backoffice.cmd_fail_next(call="submit_case", code="offline")
    world.backoffice.cmd_fail_next(call="refund_payment", code="timeout")
    _show(world, f, world.backoffice.cmd_payment_code())
    world.wait_services(f)
    world.wait_services(f)
    assert f.state == "refund_done"
    text = " ".join(render(b, "en") for b in f.view().body)
    assert "could not be refunded" in text and "0571-87654321" in text
    assert _audit(world, "apply.refund_failed")


@pytest.mark.parametrize("text,ok", [
    ("134567890123456789", True), ("10 2345 6789 0123 4567", True), ("154567890123456789", True),
    ("164567890123456789", False), ("09456789012345678", False), ("1345678901234567890", False),
    ("13456789012345678X", False), ("", False), (None, False), ("1" * 200, False),
])
def test_payment_code_format(text, ok):
    code = parse_payment_code(text)
    assert (code is not None) is ok
    if code is not None:
        assert code.digits not in repr(code) and code.digits[-4:] in repr(code)


def test_fingerprint_is_stable_and_one_way():
    a, b = PaymentCode("134567890123456789"), PaymentCode("134567890123456780")
    assert code_fingerprint(a) == code_fingerprint(PaymentCode(a.digits)) != code_fingerprint(b)
    assert a.digits not in code_fingerprint(a)
