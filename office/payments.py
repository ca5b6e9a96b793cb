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
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from kiosk.services.backoffice import PaymentOrder
from office import auditlog
from office.schema import cases, payments
from office.util import now_iso

log = logging.getLogger(__name__)
MAX_FEN = 10_000_000
REFUND_AFTER_S = 1800.0  # a paid order with no case after this long is refunded
MAX_REASON = 200


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
    def refund(self, order_id: str, provider_ref: str, amount_fen: int, reason: str) -> RefundResult:
        """Pay the amount back. Idempotent on `order_id`: a repeat returns the first refund."""


@dataclass
class SimulatedProvider(PaymentProvider):
    """Pays every order `pay_after_s` after it was opened; refunds at once. `refuse_refunds` makes
    every refund fail (the provider's refusal, for tests and drills)."""

    pay_after_s: float = 5.0
    refuse_refunds: bool = False
    name: str = "simulated"
    refunds: dict[str, RefundResult] = field(default_factory=dict)

    def order(self, order_id: str, amount_fen: int, description: str) -> ProviderOrder:
        return ProviderOrder("SIM" + uuid.uuid4().hex[:12].upper(), f"https://pay.example.gov.cn/o/{order_id}")

    def paid(self, order_id: str, provider_ref: str, created_epoch: float) -> bool:
        return time.time() - created_epoch >= self.pay_after_s

    def refund(self, order_id: str, provider_ref: str, amount_fen: int, reason: str) -> RefundResult:
        if self.refuse_refunds:
            return RefundResult(False, error="the provider refused the refund")
        return self.refunds.setdefault(order_id, RefundResult(True, "RF" + uuid.uuid4().hex[:12].upper()))


def _to_order(row: Any) -> PaymentOrder:
    status = row.status if row.status in ("pending", "paid", "canceled", "expired", "refunded") else "paid"
    # the station tells the citizen whether the money went back (a paid case it could not submit)
    return PaymentOrder(row.order_id, row.case_no, row.amount_fen, row.description, status, row.pay_url,
                        row.created_at, row.paid_at, getattr(row, "refunded_at", None))


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


def refund(conn: Connection, provider: PaymentProvider, order_id: str, reason: str, actor: str) -> dict[str, Any]:
    """Refund a paid order (in the caller's transaction, which also holds the audit record)."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise PaymentError("a refund needs a reason")
    if len(reason) > MAX_REASON:
        raise PaymentError(f"reason longer than {MAX_REASON} characters")
    row = conn.execute(select(payments).where(payments.c.order_id == order_id).with_for_update()).first()
    if row is None:
        raise PaymentError(f"no payment order {order_id!r}")
    if row.status != "paid":
        raise PaymentError(f"order {order_id} is {row.status}; only a paid order can be refunded")
    result = provider.refund(order_id, row.provider_ref or "", row.amount_fen, reason)
    if not result.ok:
        # in its own transaction: the caller's is rolled back by the error, the refusal must stay on record
        auditlog.record_now(conn.engine, actor, "payment.refund", order_id, ok=False, error=result.error[:200])
        raise PaymentError(f"order {order_id}: {result.error or 'the provider refused the refund'}")
    at = now_iso()
    conn.execute(update(payments).where(payments.c.order_id == order_id).values(
        status="refunded", refunded_at=at, refund_reason=reason))
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
    done = []
    for oid, why in due:
        try:
            with engine.begin() as conn:
                refund(conn, provider, oid, f"{why} within {after_s:.0f} s of payment" if why != "case withdrawn"
                       else why, "system:refund")
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


class Refunder:
    """A thread that runs `refund_unsubmitted` every `every_s` seconds (idempotent: several office
    processes may run it; the row lock makes one of them refund)."""

    def __init__(self, engine: Engine, provider: PaymentProvider, after_s: float = REFUND_AFTER_S,
                 every_s: float = 60.0) -> None:
        self.engine, self.provider, self.after_s, self.every_s = engine, provider, after_s, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="office-refund", daemon=True)

    def start(self) -> Refunder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                refund_unsubmitted(self.engine, self.provider, self.after_s)
            except Exception:  # a database outage must not end the thread
                log.exception("refund sweep failed; retrying")
