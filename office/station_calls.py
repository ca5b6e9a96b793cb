"""The office's answers to a station's back-office calls (`rpc/req`), on the office database.

`StationCalls(engine, station_id)` implements `kiosk.services.backoffice.BackOffice` for ONE
station: the station is the one whose topic the request came on (the broker's ACL makes the
topic prove the sender), so a submission naming another station is refused.

What is real here: cases and their files (promised and statutory dates on the working-day
calendar, `office.deadlines`), status reports, timelines, result documents of print items,
notifications (stored, then sent by `office.sms.Sender`), ratings, e-certificates from the
office's store (`office.ecerts`, with the citizen's consent), payments through a provider
(`office.payments`; the built-in simulated one pays an order `pay_after_s` after creation; a
payment code (付款码) is charged by the provider, and a code charged once is refused for every
later order at any station, by the provider and by the unique `payments.paycode_fp`; a station
sees, pays and refunds only its own orders, and refunds only while its case is absent or
withdrawn), cases of an applicant at any station (`cases_for_applicant`) and
`poll_events` from `station_messages`. Each `case_status` call is counted (`case_queries`) for
the supervision figures; `cases_for_applicant` (a query's or a collect visit's lookup of the
person's cases) is not: the query visit then asks `case_status` for each case it shows. Reference photos come from a register directory
when one is connected (`office.reference_photos`), else None.

A code-paid order keeps the fingerprint of its code in `payments.paycode_fp` (unique: a code is
charged once, docs/adr/0256). A case's applicant is kept as `cases.applicant_fp`, the office's keyed
fingerprint of the ID number (`office.applicant_key`; the same as consents and e-certificates use),
never in the form JSON.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from kiosk.services.backoffice import (
    Applicant,
    BackOffice,
    BackofficeError,
    BackofficeEvent,
    CaseStatusName,
    CaseStatusReport,
    CaseSubmission,
    CodePayment,
    Consent,
    ECertificate,
    LinkStatus,
    Notification,
    NotificationReceipt,
    PaymentOrder,
    Rating,
    ResultDocument,
    SubmitReceipt,
    TimelineEntry,
)
from kiosk.services.keyed_hash import KeyedHasher
from office import auditlog
from office import cases as case_ops
from office import ecerts, payments, rating_store
from office.deadlines import limits_for
from office.schema import case_files, case_queries, case_timeline, cases, consents, notifications
from office.schema import payments as payment_rows
from office.schema import station_messages
from office.reference_photos import PhotoGuard, PhotoRegister
from office.sms import pickup_text
from office.util import dumps, now_iso

log = logging.getLogger(__name__)
MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
CASE_NO_RE = re.compile(r"^[A-Z0-9]{1,40}-\d{8}-\d{4}-[0-9A-Z]$")
CONSENT_TTL_S = 600
STATION_REPORTABLE = ("deposited", "collected", "expired", "withdrawn")
SYNC_WINDOW_S = 120  # a status query this soon after the station was sent news of the case is its own refresh

_catalog: Any = None


def catalog() -> Any:
    global _catalog
    if _catalog is None:
        from kiosk.services.catalog import load_catalog

        _catalog = load_catalog()
    return _catalog


class StationCalls(BackOffice):
    def __init__(self, engine: Engine, station: str, pay_after_s: float = 5.0,
                 provider: payments.PaymentProvider | None = None, photos: PhotoRegister | None = None,
                 photo_guard: PhotoGuard | None = None, applicant_key: KeyedHasher | None = None) -> None:
        self.engine = engine
        self.applicant_key = applicant_key  # None: this process's random key (office.applicant_key)
        self.station = station
        self.pay_after_s = pay_after_s
        self.provider = provider or payments.SimulatedProvider(pay_after_s)
        self.photos = photos
        self.photo_guard = photo_guard

    # ---- cases ------------------------------------------------------------------------------------
    def submit_case(self, submission: CaseSubmission) -> SubmitReceipt:
        case_no = submission.case_no
        if not isinstance(case_no, str) or not CASE_NO_RE.match(case_no):
            raise BackofficeError("invalid", f"bad case number {str(case_no)[:60]!r}")
        if submission.station_id != self.station:
            auditlog.record_now(self.engine, f"station:{self.station}", "case.submit", case_no, ok=False,
                                reason="station id in the submission is not the sender",
                                claimed=str(submission.station_id)[:40])
            raise BackofficeError("rejected", f"submission names station {str(submission.station_id)[:40]!r} "
                                              f"but came from {self.station!r}")
        total = sum(len(f.content) for f in submission.files)
        if total > MAX_SUBMISSION_BYTES:
            raise BackofficeError("invalid", f"files total {total} bytes > {MAX_SUBMISSION_BYTES}")
        matter = catalog().find(submission.matter_code)
        if matter is None:
            raise BackofficeError("rejected", f"unknown matter {submission.matter_code!r}")
        with self.engine.begin() as conn:
            old = conn.execute(select(cases).where(cases.c.case_no == case_no)).first()
            if old is not None:
                if old.station != self.station:
                    raise BackofficeError("rejected", f"case {case_no} belongs to another station")
                return self._receipt(old)  # an idempotent repeat
        st = matter.station
        prints = bool(st and st.action == "print")
        now = now_iso()
        limits = limits_for(matter)
        row = dict(case_no=case_no, station=self.station, matter_code=matter.code,
                   applicant_masked=submission.applicant.id_masked[:40],
                   phone_masked=_phone_masked(submission.applicant.id_number), status="submitted",
                   ref="BO" + uuid.uuid4().hex[:12].upper(), via_cabinet=bool(st and st.result_via_cabinet),
                   result_size=st.result_size if st else None, prints=prints, promised_date=limits.promised,
                   statutory_date=limits.statutory, reason="",
                   form=dumps(dict(submission.form)), applicant_fp=self._fp(submission.applicant.id_number),
                   document=None, submitted_at=now, updated_at=now)
        try:
            with self.engine.begin() as conn:
                conn.execute(cases.insert().values(**row))
                conn.execute(case_timeline.insert().values(case_no=case_no, at=now, status="submitted",
                                                           note_zh="自助终端提交", note_en="Submitted at the station",
                                                           actor=f"station:{self.station}"))
                for f in submission.files:
                    conn.execute(case_files.insert().values(
                        case_no=case_no, name=f.name[:200], kind=f.kind, media_type=f.media_type[:80],
                        sha256=hashlib.sha256(f.content).hexdigest(), pages=f.pages, content=f.content))
                if prints:
                    doc = _document(case_no, row["ref"], matter, row["applicant_masked"], submission.applicant.name)
                    conn.execute(update(cases).where(cases.c.case_no == case_no).values(document=dumps(doc)))
                    case_ops.move(conn, case_no, self.station, "approved", "即时办结，自助打印",
                                  "Completed at once; printed at the station", "office", tell=False)
                auditlog.record(conn, f"station:{self.station}", "case.submit", case_no, matter=matter.code,
                                files=len(submission.files))
                final = conn.execute(select(cases).where(cases.c.case_no == case_no)).first()
        except IntegrityError:  # the same case submitted twice at once (another office process)
            with self.engine.connect() as conn:
                final = conn.execute(select(cases).where(cases.c.case_no == case_no)).first()
        return self._receipt(final)

    def _receipt(self, row: Any) -> SubmitReceipt:
        doc = _result_document(row)
        if row.status == "approved" and doc is not None:
            msg = ("已出具，请取走打印件", "Issued; please take your printout")
        else:
            msg = ("已提交，等待审核", "Submitted; waiting for review")
        return SubmitReceipt(row.case_no, True, row.ref, row.status, msg[0], msg[1], doc)

    def case_status(self, case_no: str) -> CaseStatusReport:
        """A case's status; counted as a query served (`_count_query`)."""
        report = self._report(case_no)
        self._count_query(case_no)
        return report

    def _report(self, case_no: str) -> CaseStatusReport:
        with self.engine.connect() as conn:
            row = conn.execute(select(cases).where(cases.c.case_no == case_no)).first()
            if row is None:
                raise BackofficeError("not_found", f"no case {case_no!r}")
            tl = tuple(TimelineEntry(r.at, r.status, r.note_zh, r.note_en, r.actor) for r in conn.execute(
                select(case_timeline).where(case_timeline.c.case_no == case_no).order_by(case_timeline.c.id)))
        return CaseStatusReport(case_no, row.matter_code, row.status, tl, row.promised_date, row.result_size,
                                row.applicant_masked, row.station)

    def cases_for_applicant(self, applicant: Applicant, session: str = "") -> list[CaseStatusReport]:
        self._bound("cases_for_applicant", applicant, session)
        with self.engine.connect() as conn:
            mine = conn.execute(select(cases.c.case_no).where(
                cases.c.applicant_fp == self._fp(applicant.id_number),
                cases.c.status.notin_(("collected", "withdrawn"))).order_by(cases.c.submitted_at.desc())
                .limit(50)).scalars().all()
        # not counted: the lookup serves a collect visit as well as a query, and a query visit
        # asks `case_status` for each case it shows, which is where a query is counted
        return [self._report(no) for no in mine]

    def _fp(self, id_number: str) -> str:
        return ecerts.fingerprint(id_number, self.applicant_key)

    def _bound(self, what: str, applicant: Applicant, session: str) -> None:
        """A call about a person only for the applicant whose card was read in this visit at this
        station, and a bounded number of visits per station (`PhotoGuard`, security finding 17);
        a refusal is audited."""
        if self.photo_guard is None:
            return
        try:
            self.photo_guard.check(self.station, applicant.id_number.strip().upper(), str(session or "")[:80], what)
        except BackofficeError as exc:
            auditlog.record_now(self.engine, f"station:{self.station}", f"refused.{what}", str(session or "")[:80],
                                ok=False, reason=exc.detail[:200], applicant=applicant.id_masked[:40])
            raise

    def _count_query(self, case_no: str) -> None:
        """Count a status query for the supervision figures: "sync" when the station was just sent
        news of this case (its own refresh, `Station.sync_backoffice`), else "query" (a citizen)."""
        since = (datetime.now(timezone.utc) - timedelta(seconds=SYNC_WINDOW_S)).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")
        with self.engine.begin() as conn:
            news = conn.execute(select(station_messages.c.id).where(
                station_messages.c.station == self.station, station_messages.c.case_no == case_no,
                station_messages.c.delivered.is_(True), station_messages.c.at >= since).limit(1)).first()
            conn.execute(case_queries.insert().values(station=self.station, case_no=case_no, at=now_iso(),
                                                      kind="sync" if news else "query"))

    def get_result_document(self, case_no: str) -> ResultDocument:
        with self.engine.connect() as conn:
            row = conn.execute(select(cases).where(cases.c.case_no == case_no)).first()
        doc = _result_document(row) if row is not None else None
        if doc is None:
            raise BackofficeError("not_found", f"no printable result for {case_no!r}")
        return doc

    def report_status(self, case_no: str, status: CaseStatusName, note_zh: str = "", note_en: str = "") -> None:
        if status not in STATION_REPORTABLE:
            raise BackofficeError("invalid", f"the station cannot report {status!r}")
        with self.engine.begin() as conn:
            row = conn.execute(select(cases).where(cases.c.case_no == case_no)).first()
            if row is None:
                raise BackofficeError("not_found", f"no case {case_no!r}")
            case_ops.move(conn, case_no, row.station, status, note_zh[:500], note_en[:500],
                          f"station:{self.station}", tell=False)

    # ---- e-certificates -----------------------------------------------------------------------------
    def request_consent(self, applicant: Applicant, ecert_types: tuple[str, ...], session: str = "") -> Consent:
        self._bound("request_consent", applicant, session)
        types = tuple(t for t in ecert_types if isinstance(t, str))
        if not types or len(types) != len(ecert_types) or len(types) > 20:
            raise BackofficeError("invalid", "consent needs 1-20 e-certificate type names")
        now = datetime.now(timezone.utc)
        c = Consent(secrets.token_hex(16), self._fp(applicant.id_number), types,
                    now.isoformat(timespec="seconds"), (now + timedelta(seconds=CONSENT_TTL_S)).isoformat(timespec="seconds"))
        with self.engine.begin() as conn:
            conn.execute(consents.insert().values(token=c.token, id_hash=c.id_hash, ecert_types=dumps(list(types)),
                                                  given_at=c.given_at, expires_at=c.expires_at))
        return c

    def fetch_ecertificates(self, applicant: Applicant, consent: Consent, session: str = "") -> list[ECertificate]:
        self._bound("fetch_ecertificates", applicant, session)
        with self.engine.connect() as conn:
            row = conn.execute(select(consents).where(consents.c.token == consent.token)).first()
        if row is None or row.id_hash != self._fp(applicant.id_number):
            raise BackofficeError("consent_required", "no consent for this person")
        if row.expires_at <= datetime.now(timezone.utc).isoformat(timespec="seconds"):
            raise BackofficeError("consent_required", "consent expired")
        asked = tuple(t for t in consent.ecert_types if t in json.loads(row.ecert_types))  # only what was consented
        with self.engine.connect() as conn:
            return ecerts.held(conn, row.id_hash, asked)

    # ---- payments (office.payments; the built-in provider is simulated) ------------------------------
    def create_payment(self, case_no: str, amount_fen: int, description_zh: str) -> PaymentOrder:
        if not isinstance(case_no, str) or not CASE_NO_RE.match(case_no):
            raise BackofficeError("invalid", f"bad case number {str(case_no)[:60]!r}")
        try:
            return payments.create(self.engine, self.provider, self.station, case_no, amount_fen, description_zh)
        except payments.PaymentError as exc:
            raise BackofficeError("invalid", str(exc)) from None

    def _order(self, order_id: str) -> PaymentOrder:
        """This station's order as it stands (refreshed from the provider); another station's
        order is answered as if it did not exist."""
        with self.engine.connect() as conn:
            owner = conn.execute(select(payment_rows.c.station).where(payment_rows.c.order_id == order_id)).first()
        if owner is None or owner.station != self.station:
            raise BackofficeError("not_found", f"no payment order {str(order_id)[:60]!r} at this station")

        def told(conn: Any, row: Any) -> None:
            case_ops.tell_station(conn, self.station, "payment_paid", row.case_no, order_id=order_id,
                                  amount_fen=row.amount_fen)

        try:
            return payments.refresh(self.engine, self.provider, order_id, told)
        except payments.PaymentError as exc:
            raise BackofficeError("not_found", str(exc)) from None

    def payment_status(self, order_id: str) -> PaymentOrder:
        return self._order(order_id)

    def pay_with_code(self, order_id: str, code: str) -> CodePayment:
        """A payment code (付款码) shown to the station's camera is charged by the provider; the
        order is paid only on the provider's "paid". A code charged before (a screenshot shown
        again, here or at another station) is refused: the fingerprint is claimed on the order
        (unique) in the transaction that charges it, so two orders never both take one code."""
        from kiosk.services.payments import code_fingerprint, parse_payment_code

        order = self._order(order_id)
        parsed = parse_payment_code(code)
        if parsed is None:
            return CodePayment(order, "code_invalid", "not a payment code")
        if order.status != "pending":
            return CodePayment(order, "paid" if order.status == "paid" else "declined", f"order is {order.status}")
        fp = code_fingerprint(parsed)
        with self.engine.connect() as conn:  # the common case, answered without asking the provider
            seen = conn.execute(select(payment_rows.c.order_id).where(payment_rows.c.paycode_fp == fp)).first()
        if seen is not None:
            return self._code_used(order_id)
        try:
            with self.engine.begin() as conn:
                claimed = conn.execute(update(payment_rows).where(
                    payment_rows.c.order_id == order_id, payment_rows.c.status == "pending",
                    payment_rows.c.paycode_fp.is_(None)).values(paycode_fp=fp)).rowcount
                if not claimed:
                    raise _NotCharged("declined", "the order is no longer open or is being charged")
                row = conn.execute(select(payment_rows).where(payment_rows.c.order_id == order_id)).one()
                outcome = self.provider.charge_code(order_id, row.provider_ref or "", parsed.digits, row.amount_fen)
                if outcome != "paid":  # the claim is rolled back: the code is not this order's
                    raise _NotCharged(outcome if outcome in ("code_used", "code_invalid") else "declined",
                                      f"the payment provider answered {str(outcome)[:40]}")
                conn.execute(update(payment_rows).where(payment_rows.c.order_id == order_id)
                             .values(status="paid", paid_at=now_iso()))
                case_ops.tell_station(conn, self.station, "payment_paid", row.case_no, order_id=order_id,
                                      amount_fen=row.amount_fen)
        except IntegrityError:  # another order claimed this code's fingerprint first
            return self._code_used(order_id)
        except _NotCharged as no:
            if no.outcome == "code_used":
                return self._code_used(order_id)
            return CodePayment(self._order(order_id), no.outcome, no.detail)  # type: ignore[arg-type]
        return CodePayment(self._order(order_id), "paid")

    def _code_used(self, order_id: str) -> CodePayment:
        auditlog.record_now(self.engine, f"station:{self.station}", "payment.code_reused", order_id)
        return CodePayment(self._order(order_id), "code_used", "this payment code was charged before")

    def refund_payment(self, order_id: str, reason: str) -> PaymentOrder:
        """The station's own refund of a case it could not submit: a pending order is canceled, a
        paid one refunded through the provider (`office.payments.refund`: once only, audited, the
        citizen told) while its case is absent or withdrawn; a case the office has taken is
        refunded by a supervisor in the console, never by a station. Anything else is returned as
        it stands."""
        order = self._order(order_id)
        if order.status == "pending":
            return self.cancel_payment(order_id)
        if order.status != "paid":
            return order
        with self.engine.connect() as conn:
            case = conn.execute(select(cases.c.status).where(cases.c.case_no == order.case_no)).first()
        if case is not None and case.status != "withdrawn":
            auditlog.record_now(self.engine, f"station:{self.station}", "payment.refund", order_id, ok=False,
                                error=f"case {order.case_no} is {case.status}")
            raise BackofficeError("rejected", f"case {order.case_no} is {case.status}: a station refunds only a "
                                              f"case it could not submit; a supervisor refunds in the office console")
        try:
            with self.engine.begin() as conn:
                payments.refund(conn, self.provider, order_id, str(reason or "submission failed")[:200],
                                f"station:{self.station}")
        except payments.PaymentError as exc:
            log.warning("refund of %s not done: %s", order_id, exc)
        return self._order(order_id)

    def cancel_payment(self, order_id: str) -> PaymentOrder:
        self._order(order_id)  # this station's, else not_found
        try:
            return payments.cancel(self.engine, self.provider, order_id)
        except payments.PaymentError as exc:
            raise BackofficeError("not_found", str(exc)) from None

    # ---- notifications, ratings, photos -------------------------------------------------------------
    def notify(self, notification: Notification) -> NotificationReceipt:
        params = notification.params
        if (not isinstance(params, dict) or len(params) > 20
                or any(not isinstance(k, str) or not isinstance(v, str) or len(v) > 200 for k, v in params.items())):
            raise BackofficeError("invalid", "params: at most 20 text values of at most 200 characters")
        if len(notification.text_zh) > 500 or len(notification.text_en) > 1000:
            raise BackofficeError("invalid", "notification text too long for an SMS")
        with self.engine.begin() as conn:
            row = conn.execute(select(cases.c.phone_masked).where(cases.c.case_no == notification.case_no)).first()
            if row is None:
                raise BackofficeError("not_found", f"no case {notification.case_no!r}: no phone number known")
            nid = "SMS" + uuid.uuid4().hex[:12].upper()
            if notification.kind == "pickup_code":
                zh, en = pickup_text(notification.case_no, params)
            else:
                zh = f"【政务服务】您的办件{notification.case_no}有新的进展。"
                en = f"[Gov Services] There is news about case {notification.case_no}."
            # stored before the answer: the sender delivers it, a failure stays visible and resendable
            conn.execute(notifications.insert().values(
                id=nid, case_no=notification.case_no, kind=notification.kind, to_masked=row.phone_masked,
                text_zh=notification.text_zh or zh, text_en=notification.text_en or en,
                params=dumps(dict(params)), at=now_iso(), status="queued", attempts=0))
        return NotificationReceipt(nid, True, row.phone_masked)

    def submit_rating(self, rating: Rating) -> None:
        with self.engine.begin() as conn:
            rating_store.store(conn, self.station, rating)

    def reference_photo(self, applicant: Applicant, session: str = "") -> bytes | None:
        if self.photos is None:
            return None  # no register connected to this office
        if self.photo_guard is not None:
            self.photo_guard.check(self.station, applicant.id_number.strip().upper(), session)
        return self.photos.photo(applicant.id_number)

    # ---- what the station learns --------------------------------------------------------------------
    def poll_events(self) -> list[BackofficeEvent]:
        with self.engine.begin() as conn:
            rows = conn.execute(select(station_messages).where(
                station_messages.c.station == self.station, station_messages.c.delivered.is_(False))
                .order_by(station_messages.c.id).limit(100).with_for_update()).all()
            if rows:
                conn.execute(update(station_messages).where(station_messages.c.id.in_([r.id for r in rows]))
                             .values(delivered=True))
        return [BackofficeEvent(r.event_id, r.kind, r.case_no, r.at, json.loads(r.data)) for r in rows]

    def ping(self) -> LinkStatus:
        return LinkStatus(True, 0.0, "office")


class _NotCharged(Exception):
    """A code charge that did not happen: its transaction (and the fingerprint's claim) is undone."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(detail)
        self.outcome, self.detail = outcome, detail


def _phone_masked(id_number: str) -> str:
    digits = hashlib.sha256(id_number.encode()).hexdigest()
    return "138****" + "".join(str(int(c, 16) % 10) for c in digits[:4])


def _result_document(row: Any) -> ResultDocument | None:
    if row is None or not row.document:
        return None
    d = json.loads(row.document)
    import base64

    if "png" in d:  # issued before certificates were PDFs
        return ResultDocument(row.case_no, d["title_zh"], d["title_en"], "image/png", base64.b64decode(d["png"]),
                              d["verify"])
    return ResultDocument(row.case_no, d["title_zh"], d["title_en"], d["media_type"], base64.b64decode(d["content"]),
                          d["verify"])


def _document(case_no: str, ref: str, matter: Any, holder_id_masked: str, holder_name: str) -> dict[str, str]:
    """The issued certificate: an A4 PDF with a verification QR, as the station prints it on its A4 printer."""
    import base64

    from kiosk.services.certificate_pdf import CertificateData, mask_name, render_certificate

    verify = hashlib.sha256((case_no + ref).encode()).hexdigest()[:12].upper()
    data = CertificateData(
        title_zh=matter.name_zh, title_en=matter.name_en, case_no=case_no, holder_name_masked=mask_name(holder_name),
        holder_id_masked=holder_id_masked, issuer_zh=matter.authority_zh or "政务服务中心",
        issued_on=datetime.now(timezone.utc).date().isoformat(), verify_code=verify,
        lines_zh=(f"兹证明上述人员的{matter.name_zh}信息以本证明所载为准。",
                  "本证明自出具之日起三个月内有效，可通过二维码或验证码核验真伪。"))
    return {"title_zh": matter.name_zh, "title_en": matter.name_en, "verify": verify, "media_type": "application/pdf",
            "content": base64.b64encode(render_certificate(data)).decode()}
