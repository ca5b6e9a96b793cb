"""Payments: a provider interface (order, paid, refund), the built-in simulated provider, and the
office's payment ledger on the `payments` table.

A station opens an order for a fee (`create`), shows `pay_url` as a QR code and polls
(`refresh`); the provider says when it is paid, and the station is told (`payment_paid`). A paid
order whose case never reaches the office within `refund_after_s` (the citizen gave up, the
station lost power), or whose case the station reports `withdrawn`, is refunded
(`refund_unsubmitted`, run by `Refunder` in `kiosk-office run`); a supervisor may refund any paid
order with a reason. A refund asks the provider first with the order id as its request id (the
provider treats a repeat as the same refund), then marks the order `refunded` in the same
transaction that audits it: a crash between the two leaves the order `paid`, and the next sweep
asks again and gets the same refund back, never a second one.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from kiosk.services.backoffice import PaymentOrder
from office.periodic import Periodic
from office import auditlog
from office.schema import cases, payments
from office.util import now_iso

log = logging.getLogger(__name__)
MAX_FEN = 10_000_000
REFUND_AFTER_S = 1800.0  # a paid order with no case after this long is refunded
MAX_REASON = 200


CodeOutcome = Literal["paid", "code_used", "code_invalid", "declined"]


class PaymentError(ValueError):
    pass


@dataclass(frozen=True)
class ProviderOrder:
    provider_ref: str
    pay_url: str


@dataclass(frozen=True)
class RefundResult:
    ok: bool
    refund_ref: str = ""
    error: str = ""


class PaymentProvider(ABC):
    """What the office needs from a payment provider (a bank, a payment platform)."""

    name: str = "provider"

    @abstractmethod
    def order(self, order_id: str, amount_fen: int, description: str) -> ProviderOrder:
        """Open an order; `pay_url` is what the station's QR code encodes."""

    @abstractmethod
    def paid(self, order_id: str, provider_ref: str, created_epoch: float) -> bool:
        """Whether the citizen has paid."""

    @abstractmethod
    def charge_code(self, order_id: str, provider_ref: str, code: str, amount_fen: int) -> CodeOutcome:
        """Charge an open order with a payment code (付款码, the digits the citizen's wallet shows):
        "paid", or why not: "code_used" (charged before, for any order), "code_invalid" (the
        provider does not know it), "declined" (the wallet refused: funds, limits)."""

    @abstractmethod
    def refund(self, order_id: str, provider_ref: str, amount_fen: int, reason: str) -> RefundResult:
        """Pay the amount back. Idempotent on `order_id`: a repeat returns the first refund."""


@dataclass
class SimulatedProvider(PaymentProvider):
    """Pays every order `pay_after_s` after it was opened; charges a well-formed payment code once
    (it remembers the fingerprints of the codes it charged, never the digits, and refuses a code
    charged before); refunds at once. `refuse_refunds` makes every refund fail and
    `decline_codes` makes that many code charges fail (the provider's refusals, for tests and
    drills). One instance serves the whole office: what it remembers is shared by every station."""

    pay_after_s: float = 5.0
    refuse_refunds: bool = False
    decline_codes: int = 0
    name: str = "simulated"
    refunds: dict[str, RefundResult] = field(default_factory=dict)
    charged_codes: dict[str, str] = field(default_factory=dict)  # code fingerprint -> order id
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def order(self, order_id: str, amount_fen: int, description: str) -> ProviderOrder:
        return ProviderOrder("SIM" + uuid.uuid4().hex[:12].upper(), f"https://pay.example.gov.cn/o/{order_id}")

    def paid(self, order_id: str, provider_ref: str, created_epoch: float) -> bool:
        with self._lock:
            if order_id in self.charged_codes.values():
                return True
        return time.time() - created_epoch >= self.pay_after_s

    def charge_code(self, order_id: str, provider_ref: str, code: str, amount_fen: int) -> CodeOutcome:
        from kiosk.services.payments import code_fingerprint, parse_payment_code

        parsed = parse_payment_code(code)
        if parsed is None:
            return "code_invalid"
        fp = code_fingerprint(parsed)
        with self._lock:
            if fp in self.charged_codes:
                return "paid" if self.charged_codes[fp] == order_id else "code_used"
            if self.decline_codes > 0:
                self.decline_codes -= 1
                return "declined"
            self.charged_codes[fp] = order_id
            return "paid"

    def refund(self, order_id: str, provider_ref: str, amount_fen: int, reason: str) -> RefundResult:
        if self.refuse_refunds:
            return RefundResult(False, error="the provider refused the refund")
        with self._lock:
            return self.refunds.setdefault(order_id, RefundResult(True, "RF" + uuid.uuid4().hex[:12].upper()))


def _to_order(row: Any) -> PaymentOrder:
    status = row.status if row.status in ("pending", "paid", "canceled", "expired", "refunded") else "paid"
    # the station tells the citizen whether the money went back (a paid case it could not submit);
    # an order being refunded is still paid to the station, and its refunded_at is only when that began
    return PaymentOrder(row.order_id, row.case_no, row.amount_fen, row.description, status, row.pay_url,
                        row.created_at, row.paid_at, row.refunded_at if status == "refunded" else None)


def create(engine: Engine, provider: PaymentProvider, station: str, case_no: str, amount_fen: int,
           description: str) -> PaymentOrder:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 < amount_fen <= MAX_FEN:
        raise PaymentError(f"bad amount {amount_fen!r} (fen, 1..{MAX_FEN})")
    oid = "PO" + uuid.uuid4().hex[:16].upper()
    desc = str(description)[:100]
    po = provider.order(oid, amount_fen, desc)
    with engine.begin() as conn:
        conn.execute(payments.insert().values(order_id=oid, case_no=case_no, amount_fen=amount_fen, description=desc,
                                              status="pending", pay_url=po.pay_url, created_at=now_iso(),
                                              created_mono=time.time(), paid_at=None, station=station,
                                              provider_ref=po.provider_ref))
        row = conn.execute(select(payments).where(payments.c.order_id == oid)).one()
    return _to_order(row)


def refresh(engine: Engine, provider: PaymentProvider, order_id: str, on_paid: Any = None) -> PaymentOrder:
    """The order as it stands; a pending order the provider reports paid becomes `paid` (and
    `on_paid(conn, row)` runs in the same transaction: the station is told)."""
    with engine.begin() as conn:
        row = conn.execute(select(payments).where(payments.c.order_id == order_id).with_for_update()).first()
        if row is None:
            raise PaymentError(f"no payment order {order_id!r}")
        if row.status == "pending" and provider.paid(order_id, row.provider_ref or "", row.created_mono):
            conn.execute(update(payments).where(payments.c.order_id == order_id).values(status="paid",
                                                                                       paid_at=now_iso()))
            row = conn.execute(select(payments).where(payments.c.order_id == order_id)).one()
            if on_paid is not None:
                on_paid(conn, row)
    return _to_order(row)


def cancel(engine: Engine, provider: PaymentProvider, order_id: str) -> PaymentOrder:
    order = refresh(engine, provider, order_id)
    if order.status != "pending":
        return order
    with engine.begin() as conn:
        conn.execute(update(payments).where(payments.c.order_id == order_id, payments.c.status == "pending")
                     .values(status="canceled"))
    return refresh(engine, provider, order_id)


def refund(conn: Connection, provider: PaymentProvider, order_id: str, reason: str, actor: str,
           resume_started: str | None = None) -> dict[str, Any]:
    """Refund a paid order (the caller's transaction, on which nothing is written yet, ends up
    holding the audit record). The order is first claimed (`paid` -> `refunding`) in a
    transaction of its own: of two concurrent refunds only one asks the provider.
    `resume_started`: take up an order left `refunding` (since that time) by a crash instead."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise PaymentError("a refund needs a reason")
    if len(reason) > MAX_REASON:
        raise PaymentError(f"reason longer than {MAX_REASON} characters")
    started = now_iso()
    claim = update(payments).where(payments.c.order_id == order_id).values(status="refunding", refunded_at=started)
    if resume_started is None:
        claim = claim.where(payments.c.status == "paid")
    else:
        claim = claim.where(payments.c.status == "refunding", payments.c.refunded_at == resume_started)
    with conn.engine.begin() as own:
        claimed = own.execute(claim).rowcount
        row = own.execute(select(payments).where(payments.c.order_id == order_id)).first()
    if row is None:
        raise PaymentError(f"no payment order {order_id!r}")
    if not claimed:
        raise PaymentError(f"order {order_id} is {row.status}; only a paid order can be refunded")
    result = provider.refund(order_id, row.provider_ref or "", row.amount_fen, reason)
    if not result.ok:
        with conn.engine.begin() as own:  # the refusal stays on record although the caller's work is undone
            own.execute(update(payments).where(payments.c.order_id == order_id, payments.c.status == "refunding",
                                               payments.c.refunded_at == started)
                        .values(status="paid", refunded_at=None))
            auditlog.record(own, actor, "payment.refund", order_id, ok=False, error=result.error[:200])
        raise PaymentError(f"order {order_id}: {result.error or 'the provider refused the refund'}")
    at = now_iso()
    done = conn.execute(update(payments).where(payments.c.order_id == order_id, payments.c.status == "refunding",
                                               payments.c.refunded_at == started)
                        .values(status="refunded", refunded_at=at, refund_reason=reason))
    if not done.rowcount:  # a sweep took up this claim as stale meanwhile: the same refund, recorded by it
        raise PaymentError(f"order {order_id}: its refund was taken up by another process")
    auditlog.record(conn, actor, "payment.refund", order_id, case=row.case_no, amount_fen=row.amount_fen,
                    reason=reason, refund_ref=result.refund_ref)
    from office.cases import queue_sms  # a case the office knows: its citizen is told

    if conn.execute(select(cases.c.case_no).where(cases.c.case_no == row.case_no)).first() is not None:
        yuan = f"{row.amount_fen / 100:.2f}"
        queue_sms(conn, row.case_no, "refund", f"【政务服务】办件{row.case_no}的缴费{yuan}元已原路退回。",
                  f"[Gov Services] The payment of {yuan} yuan for case {row.case_no} has been refunded.",
                  amount=yuan)
    return {"order_id": order_id, "status": "refunded", "refunded_at": at, "refund_ref": result.refund_ref}


def refund_unsubmitted(engine: Engine, provider: PaymentProvider, after_s: float = REFUND_AFTER_S,
                       now: datetime | None = None) -> list[str]:
    """Refund every paid order whose case was not submitted within `after_s` of payment, or whose
    case was withdrawn; a pending order past that time is first asked about (paid while nobody
    polled). One transaction per order: one refusal does not stop the others."""
    cutoff = ((now or datetime.now(timezone.utc)) - timedelta(seconds=after_s)).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")
    with engine.connect() as conn:
        pending = conn.execute(select(payments.c.order_id).where(payments.c.status == "pending",
                                                                 payments.c.created_at <= cutoff)).scalars().all()
    for oid in pending:
        refresh(engine, provider, oid)
    with engine.connect() as conn:
        rows = conn.execute(select(payments.c.order_id, payments.c.paid_at, cases.c.status)
                            .select_from(payments.outerjoin(cases, cases.c.case_no == payments.c.case_no))
                            .where(payments.c.status == "paid")).all()
    due = [(r.order_id, "case withdrawn" if r.status == "withdrawn" else "no case submitted")
           for r in rows if r.status == "withdrawn" or (r.status is None and (r.paid_at or "") <= cutoff)]
    with engine.connect() as conn:  # a refund started before a crash (its provider call may have been made)
        stale = conn.execute(select(payments.c.order_id, payments.c.refunded_at).where(
            payments.c.status == "refunding", payments.c.refunded_at <= cutoff)).all()
    done = []
    for oid, why, resume in [(o, w, None) for o, w in due] + [(r.order_id, "refund resumed", r.refunded_at)
                                                                for r in stale]:
        try:
            with engine.begin() as conn:
                refund(conn, provider, oid, why if why != "no case submitted"
                       else f"{why} within {after_s:.0f} s of payment", "system:refund", resume_started=resume)
            done.append(oid)
        except PaymentError as exc:
            log.warning("refund of %s not done: %s", oid, exc)
    return done


def list_payments(conn: Connection, status: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    q = select(payments.c.order_id, payments.c.case_no, payments.c.station, payments.c.amount_fen,
               payments.c.description, payments.c.status, payments.c.created_at, payments.c.paid_at,
               payments.c.refunded_at, payments.c.refund_reason).order_by(payments.c.created_at.desc()).limit(limit)
    if status:
        q = q.where(payments.c.status == status)
    return [dict(r._mapping) for r in conn.execute(q)]


class Refunder(Periodic):
    """A thread that runs `refund_unsubmitted` every `every_s` seconds (idempotent: several office
    processes may run it; the row lock makes one of them refund)."""

    thread_name = "office-refund"

    def __init__(self, engine: Engine, provider: PaymentProvider, after_s: float = REFUND_AFTER_S,
                 every_s: float = 60.0) -> None:
        super().__init__(every_s)
        self.engine, self.provider, self.after_s = engine, provider, after_s

    def tick(self) -> None:
        refund_unsubmitted(self.engine, self.provider, self.after_s)
