"""The apply flow's payment step (缴费) and the refund of a paid case that could not be submitted.

`PaymentStep` is mixed into `kiosk.flows.apply.ApplyFlow`; the flow enters `pay` for a matter
with a fee, and calls `submit_failed(note)` when a submission fails and `release_payment()`
when the visit ends. States:

- `pay`: the order is opened with the provider (`kiosk.services.payments.BackofficePayments`);
  the screen shows the station's QR code for the order (the citizen scans it with the phone) AND
  the document camera watches for a payment code (付款码) the citizen holds up. Whichever comes
  first pays. The order is polled every `PAY_POLL_S`; after `PAY_DEADLINE_S` without payment the
  order is canceled and the case withdrawn (polling answers keep the visit alive, so the idle
  timeout alone would never end a forgotten payment screen). "Cancel payment" does the same at once.
- `pay_charging`: a payment code is being charged. A code this visit has charged or tried before is
  refused at once (`code_used`) without asking the provider; the provider refuses a code charged
  anywhere before (a screenshot shown twice).
- `pay_refused`: the code was refused; the screen says why and what to do (`retry`: back to
  `pay`, the camera watches again; `cancel_payment`). The payment deadline still runs.
- `refund`: the case was paid but its submission failed: the payment is refunded, a refund note
  printed (when the printer can), the screen says what happened; `ok` ends `submit_failed`.

The payment code's digits live in memory only for the charge call; the session keeps the
fingerprints of codes already shown (so a repeat is refused at once) and the visit's wipe drops them.
"""

from __future__ import annotations

from typing import Any

from kiosk.devices.base import Completion, ResultCode
from kiosk.flows import matters as mx
from kiosk.flows.texts import t
from kiosk.flows.viewmodel import Action, ViewModel
from kiosk.services.payments import BackofficePayments, code_fingerprint, parse_payment_code

PAY_POLL_S = 2.0
PAY_DEADLINE_S = 180.0
CODE_REFUSALS = ("code_used", "code_invalid", "declined")


class PaymentStep:
    """Mixin for `ApplyFlow` (uses its session, services, clock, `_withdraw`)."""

    _pay_next_poll = 0.0
    _pay_deadline = 0.0

    def _payments(self) -> BackofficePayments:
        return BackofficePayments(self.ctx.services.backoffice)

    # -- pay ------------------------------------------------------------------------------------
    def enter_pay(self) -> None:
        order = self.session.visit.payment.order
        if order is None:
            pay, m, case_no = self._payments(), self.matter, self.session.visit.case_no
            fee = mx.fee_fen(m)
            self.start("order", self.ctx.services.run("order", lambda: pay.order(case_no, fee, m.name_zh)))
            return
        self._watch_for_code()

    def _watch_for_code(self) -> None:
        scanner = self.ctx.devices.scanner
        if scanner is not None and not self.pending("paycode"):
            self.start("paycode", scanner.scan_code(timeout=PAY_DEADLINE_S))

    def view_pay(self) -> ViewModel:
        order = self.session.visit.payment.order
        fee = mx.fee_fen(self.matter)
        left = max(0, int(self._pay_deadline - self.clock.monotonic())) if order is not None else None
        body = [t("apply.pay.amount", yuan=mx.yuan(fee)), t("apply.pay.scan_qr")]
        if self.ctx.devices.scanner is not None:
            body.append(t("pay.show_code"))
        if left is not None:
            body.append(t("pay.time_left", seconds=left))
        return ViewModel(self.name, self.state, t("apply.pay.title"), body=tuple(body),
                         actions=(Action("check", t("apply.pay.check")),
                                  Action("cancel_payment", t("pay.cancel"), "secondary")),
                         screen="pay", illustration="show_payment_code",
                         data={"qr": order.pay_url if order else None, "amount_fen": fee,
                               "amount_yuan": mx.yuan(fee), "basis_zh": self.matter.fee.basis_zh,
                               "code_camera": self.ctx.devices.scanner is not None, "seconds_left": left})

    def done_order(self, c: Completion[Any]) -> None:
        if c.ok:
            self.session.visit.payment.order = c.data
            self.ctx.services.cases.set_payment_order(self.session.visit.case_no, c.data.order_id)
            now = self.clock.monotonic()
            self._pay_next_poll = now + PAY_POLL_S
            self._pay_deadline = now + PAY_DEADLINE_S
            self._watch_for_code()
        else:
            self._withdraw("payment unavailable")
            self.end("submit_failed", t("apply.pay.unavailable"))

    def act_pay(self, action_id: str, **_: Any) -> bool:
        if action_id == "check":
            self._poll_payment()
            return True
        if action_id == "cancel_payment":
            self._give_up_payment("payment canceled by the citizen", t("apply.pay.canceled"))
            return True
        return False

    def tick_pay(self) -> None:
        now = self.clock.monotonic()
        if self.session.visit.payment.order is not None and now >= self._pay_deadline:
            self._give_up_payment("payment time ran out", t("pay.timed_out"))
        elif now >= self._pay_next_poll:
            self._poll_payment()

    def _give_up_payment(self, note: str, text: Any) -> None:
        self.ctx.services.audit.append("station", "apply.payment_abandoned", self.session.visit.case_no or "",
                                       reason=note)
        self.end("payment_canceled", text)  # release_payment() cancels the order and withdraws the case

    def _poll_payment(self) -> None:
        order = self.session.visit.payment.order
        if order is None or self.pending("paid"):
            return
        pay = self._payments()
        self._pay_next_poll = self.clock.monotonic() + PAY_POLL_S
        self.start("paid", self.ctx.services.run("paid", lambda: pay.status(order.order_id)))

    def done_paid(self, c: Completion[Any]) -> None:
        if self.state != "pay":
            return  # a code is being charged meanwhile: its answer decides
        if c.ok and c.data.status == "paid":
            self._paid(c.data, "station_qr")
        elif c.ok and c.data.status in ("canceled", "expired"):
            self._withdraw("payment " + c.data.status)
            self.end("payment_canceled", t("apply.pay.canceled"))

    def _paid(self, order: Any, how: str) -> None:
        self.session.visit.payment.order = order
        self.cancel_command("paycode")
        self.cancel_command("paid")
        self.error = None
        self.ctx.services.audit.append("station", "apply.paid", self.session.visit.case_no, order=order.order_id,
                                       how=how, amount_fen=order.amount_fen)
        self.go("submit")

    # -- a payment code held up to the document camera -----------------------------------------
    def done_paycode(self, c: Completion[Any]) -> None:
        if c.code is ResultCode.CANCELED or self.state != "pay":
            return
        codes = [parse_payment_code(x.text) for x in (c.data.codes if c.ok and c.data is not None else [])]
        code = next((x for x in codes if x is not None), None)
        if code is None:
            if c.ok:
                self.error = t("pay.code.not_payment_code")
            self._watch_for_code()
            return
        seen = self.session.visit.payment.payment_codes_seen
        fingerprint = code_fingerprint(code)
        if fingerprint in seen:
            self._code_refused("code_used")
            return
        seen.add(fingerprint)
        order, pay = self.session.visit.payment.order, self._payments()
        self.go("pay_charging")
        self.start("charge", self.ctx.services.run("charge", lambda: pay.pay_with_code(order.order_id, code)))

    def view_pay_charging(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("apply.pay.title"), body=(t("pay.code.charging"),), busy=True,
                         screen="message")

    def done_charge(self, c: Completion[Any]) -> None:
        case_no = self.session.visit.case_no
        if not c.ok:
            self.ctx.services.audit.append("station", "apply.payment_code_failed", case_no, detail=str(c.detail)[:80])
            self.error = t("pay.code.unavailable")
            self.go("pay")
            return
        result = c.data
        if result.outcome == "paid" and result.order.status == "paid":
            self._paid(result.order, "code")
            return
        self._code_refused(result.outcome if result.outcome in CODE_REFUSALS else "declined")

    def _code_refused(self, outcome: str) -> None:
        self.ctx.services.audit.append("station", "apply.payment_code_refused", self.session.visit.case_no,
                                       outcome=outcome)
        self.session.visit.payment.code_refusals += 1
        self.cancel_command("paycode")
        self.session.visit.payment.code_refusal = outcome
        self.error = None
        self.go("pay_refused")

    def view_pay_refused(self) -> ViewModel:
        refusal = self.session.visit.payment.code_refusal
        outcome = refusal if refusal is not None else "declined"
        return ViewModel(self.name, self.state, t("apply.pay.title"), body=(t(f"pay.code.{outcome}"),),
                         actions=(Action("retry", t("common.retry")),
                                  Action("cancel_payment", t("pay.cancel"), "secondary")),
                         screen="message", illustration="show_payment_code", data={"refusal": outcome})

    def act_pay_refused(self, action_id: str, **_: Any) -> bool:
        if action_id == "retry":
            self.go("pay")
            return True
        if action_id == "cancel_payment":
            self._give_up_payment("payment canceled by the citizen", t("apply.pay.canceled"))
            return True
        return False

    def tick_pay_refused(self) -> None:
        if self.clock.monotonic() >= self._pay_deadline:
            self._give_up_payment("payment time ran out", t("pay.timed_out"))

    # -- visit end and failed submissions -------------------------------------------------------
    def release_payment(self) -> None:
        """The visit ends before the case was submitted: an open order is closed with the
        provider. `refund_payment` cancels it if still pending and refunds it if a code or the
        phone paid in the last moment, so no money stays with a withdrawn case."""
        order = self.session.visit.payment.order
        if order is None or self.state not in ("pay", "pay_charging", "pay_refused") or order.status != "pending":
            return
        pay = self._payments()
        self.ctx.services.run("cancel_payment", lambda: pay.refund(order.order_id, "visit ended before submission"))
        self._withdraw("payment abandoned")

    def submit_failed(self, note: str) -> None:
        """Submission failed (the case is withdrawn already): refund a paid order, else end."""
        order = self.session.visit.payment.order
        if order is not None and order.status == "paid":
            self.session.visit.payment.refund_note = note[:80]
            self.go("refund")
            return
        self.end("submit_failed", t("apply.submit.failed"))

    def enter_refund(self) -> None:
        order, pay = self.session.visit.payment.order, self._payments()
        note = self.session.visit.payment.refund_note
        note = note if note is not None else "submission failed"
        self.start("refund", self.ctx.services.run("refund", lambda: pay.refund(order.order_id, note)))

    def done_refund(self, c: Completion[Any]) -> None:
        order = self.session.visit.payment.order
        refunded = c.ok and c.data.status == "refunded"
        self.session.visit.payment.refunded = refunded
        case_no = self.session.visit.case_no
        self.ctx.services.audit.append("station", "apply.refunded" if refunded else "apply.refund_failed", case_no,
                                       order=order.order_id, amount_fen=order.amount_fen,
                                       detail=("" if c.ok else str(c.detail))[:80])
        self.go("refund_done")

    def enter_refund_done(self) -> None:
        printer = self.ctx.devices.printer
        if printer is None or str(printer.status) in ("no_device", "hardware_error", "offline") or \
                printer.class_status.get("paper") in ("out", "jammed"):
            return
        self.start("refund_note", printer.print_document("payment_refund", self._refund_data(), self.ctx.lang))

    def _refund_data(self) -> dict[str, Any]:
        v = self.session.visit
        order = v.payment.order
        return {"case_number": v.case_no, "order_id": order.order_id, "amount_yuan": mx.yuan(order.amount_fen),
                "refunded": bool(v.payment.refunded), "enquiry_phone": self.matter.enquiry_phone or None,
                "at": self.clock.now().replace(tzinfo=None).isoformat(timespec="seconds")}

    def done_refund_note(self, c: Completion[Any]) -> None:
        self.session.visit.payment.refund_note_printed = c.ok

    def view_refund(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("pay.refund.title"), body=(t("pay.refund.running"),), busy=True,
                         screen="message")

    def view_refund_done(self) -> ViewModel:
        p = self.session.visit.payment
        order = p.order
        yuan = mx.yuan(order.amount_fen)
        body = [t("apply.submit.failed")]
        if p.refunded:
            body.append(t("pay.refund.done", yuan=yuan, order=order.order_id))
        else:
            body.append(t("pay.refund.failed", yuan=yuan, order=order.order_id, phone=self.matter.enquiry_phone))
        if p.refund_note_printed:
            body.append(t("pay.refund.printed"))
        return ViewModel(self.name, self.state, t("pay.refund.title"), body=tuple(body),
                         actions=(Action("ok", t("common.ok")),), screen="message",
                         illustration="take_receipt" if p.refund_note_printed else None,
                         data={"refunded": bool(p.refunded), "order_id": order.order_id, "amount_yuan": yuan})

    def act_refund_done(self, action_id: str, **_: Any) -> bool:
        if action_id != "ok":
            return False
        text = t("pay.refund.outcome_done") if self.session.visit.payment.refunded else t("pay.refund.outcome_failed")
        self.end("submit_failed", text)
        return True
