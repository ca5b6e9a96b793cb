"""Payments at the station: the payment-provider interface the apply flow uses, and payment codes.

`PaymentProvider` is what a flow needs from a provider: open an order, charge a payment code
(付款码) the citizen shows, read an order's status, cancel it, refund it. The station has no
provider of its own: `BackofficePayments` answers through the back office (`BackOffice.create_payment`,
`pay_with_code`, `payment_status`, `cancel_payment`, `refund_payment`), whose simulated provider
lives in the test double (hw_sim.backoffice) and in the real office (office/station_calls.py).

A payment code is untrusted text read off a phone screen by the document camera:
`parse_payment_code` accepts only the wallet format (18 digits, starting 10-15, the
WeChat-Pay/Alipay-like ranges) and never logs or keeps the digits; `code_fingerprint` is the
only form a code takes once it has been read (in the session, to say "shown again" at once).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

from kiosk.services.backoffice import BackOffice, CodePayment, PaymentOrder

PAYMENT_CODE_RE = re.compile(r"^1[0-5]\d{16}$")


@dataclass(frozen=True)
class PaymentCode:
    """A payment code read from the phone; `repr()` shows only its last 4 digits."""

    digits: str

    def __repr__(self) -> str:
        return f"PaymentCode(**{self.digits[-4:]})"

    @property
    def masked(self) -> str:
        return "*" * 14 + self.digits[-4:]


def parse_payment_code(text: object) -> PaymentCode | None:
    """The payment code in a decoded barcode/QR text, or None (a receipt QR, a URL, garbage).
    Spaces a wallet puts between digit groups are ignored."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    digits = re.sub(r"[ \u00a0-]", "", text.strip())
    return PaymentCode(digits) if PAYMENT_CODE_RE.fullmatch(digits) else None


def code_fingerprint(code: PaymentCode) -> str:
    """A one-way name for a code (SHA-256). A code is single-use and short-lived: the
    fingerprint lets the station and the provider say "this one was used" without keeping it."""
    return hashlib.sha256(("paycode:" + code.digits).encode()).hexdigest()


class PaymentProvider(Protocol):
    def order(self, case_no: str, amount_fen: int, description_zh: str) -> PaymentOrder: ...

    def pay_with_code(self, order_id: str, code: PaymentCode) -> CodePayment: ...

    def status(self, order_id: str) -> PaymentOrder: ...

    def cancel(self, order_id: str) -> PaymentOrder: ...

    def refund(self, order_id: str, reason: str) -> PaymentOrder: ...


class BackofficePayments:
    """`PaymentProvider` through the back office (which talks to the real provider)."""

    def __init__(self, backoffice: BackOffice) -> None:
        self.bo = backoffice

    def order(self, case_no: str, amount_fen: int, description_zh: str) -> PaymentOrder:
        return self.bo.create_payment(case_no, amount_fen, description_zh)

    def pay_with_code(self, order_id: str, code: PaymentCode) -> CodePayment:
        return self.bo.pay_with_code(order_id, code.digits)

    def status(self, order_id: str) -> PaymentOrder:
        return self.bo.payment_status(order_id)

    def cancel(self, order_id: str) -> PaymentOrder:
        return self.bo.cancel_payment(order_id)

    def refund(self, order_id: str, reason: str) -> PaymentOrder:
        return self.bo.refund_payment(order_id, reason[:200])
