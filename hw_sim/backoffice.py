"""The simulated back office, in process: implements `kiosk.services.backoffice.BackOffice`.

It behaves like the authorities' systems from the station's point of view:
- a submission whose scanned materials or forms are not parseable A4 PDFs with the declared page
  count is refused (`invalid`), as a real office refuses it;
- a submitted case is accepted at once; after `approve_after_s` (injected clock) it is approved,
  and an item whose result goes through the cabinet then becomes `result_ready` (staff deposit
  it); print items are approved on submission and come back with their document;
- e-certificates are answered for the sample identities (`hw_sim.identities`), given a valid
  consent token; an unknown person simply has none;
- payment orders are "paid" `pay_after_s` after creation (or on the `pay` control command);
  a payment code (付款码) charges a pending order at once; a code charged once is refused for
  every later order (`code_used`: a screenshot shown again); `decline_next_code` makes the next
  code bounce; `payment_code` hands out a fresh valid code; paid orders can be refunded;
- cases made elsewhere: `add_case` creates one as if another station had submitted it (for
  query, deposit and `cases_for_applicant`, which matches people by a keyed fingerprint);
- notifications are recorded (the SMS with the pickup code is readable through `last_sms`);
- reference photos come from the shared test faces (`face_files[0]` of the identity).

Time only moves with the clock: every call (and `poll_events`) first brings the simulation up to
`clock.now()`. Control commands (`SimDevice`): approve, reject, ready, pay, last_sms, sms,
fail_next, offline, online, set_approve_after, set_auto_pay, payment_code, decline_next_code,
add_case, cases, ratings, state.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from hw_sim.control import ControlError, SimDevice
from kiosk.core.clock import Clock, SystemClock
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
    SubmittedFile,
    TimelineEntry,
)
from kiosk.services.certificate_pdf import mask_name
from kiosk.services.material_pdf import PDF_MEDIA_TYPE, MaterialPdfError, inspect_pdf

MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
CONSENT_TTL_S = 600.0
CASE_NO_RE = re.compile(r"^[A-Z0-9]{1,40}-\d{8}-\d{4}-[0-9A-Z]$")

# e-certificate types the sample people hold (by identity key; "*" = everyone)
ECERT_NAMES: dict[str, tuple[str, str, str]] = {
    "resident_id": ("居民身份证电子证照", "Resident ID card (e-certificate)", "公安机关"),
    "household_register": ("居民户口簿", "Household register", "公安机关户政管理部门"),
    "marriage_certificate": ("结婚证", "Marriage certificate", "民政局婚姻登记处"),
    "social_security_card": ("社会保障卡", "Social security card", "人力资源和社会保障局"),
    "real_estate_certificate": ("不动产权证书", "Real estate title certificate", "不动产登记中心"),
    "business_license": ("营业执照", "Business licence", "市场监督管理局"),
    "degree_certificate": ("学位证书", "Degree certificate", "教育部学位中心"),
    "birth_certificate": ("出生医学证明", "Medical birth certificate", "卫生健康委员会"),
    "residence_permit": ("居住证", "Residence permit", "公安机关"),
    "driving_license": ("机动车驾驶证", "Driving licence", "公安交通管理部门"),
}
HOLDINGS: dict[str, tuple[str, ...]] = {
    "*": ("resident_id", "household_register", "social_security_card"),
    "obama": ("marriage_certificate", "real_estate_certificate", "driving_license"),
    "biden": ("marriage_certificate", "real_estate_certificate", "business_license"),
    "kit_harington": ("degree_certificate", "residence_permit"),
    "rose_leslie": ("marriage_certificate", "birth_certificate", "business_license"),
    "alex_lacamoire": ("driving_license",),
}


@dataclass
class _SimCase:
    submission_case_no: str
    matter_code: str
    applicant_key: str | None
    applicant_masked: str
    phone_masked: str
    status: CaseStatusName
    submitted_mono: float
    timeline: list[TimelineEntry] = field(default_factory=list)
    via_cabinet: bool = False
    result_size: str | None = None
    prints: bool = False
    promised_days: int | None = None
    ref: str = ""
    receipt: SubmitReceipt | None = None
    document: ResultDocument | None = None
    files: tuple[SubmittedFile, ...] = ()  # what was handed over (checked by `_check_files`)
    name_masked: str = ""  # printed on a certificate ('奥*马')
    applicant_fp: str = ""  # keyed fingerprint of the ID number (cases_for_applicant)
    station_id: str = ""


@dataclass
class _Order:
    order: PaymentOrder
    created_mono: float


class SimBackOffice(BackOffice, SimDevice):
    sim_name = "backoffice"

    def __init__(self, clock: Clock | None = None, approve_after_s: float = 30.0, pay_after_s: float = 5.0,
                 auto_pay: bool = True, catalog: Any = None, faces_dir: Path | None = None,
                 latency_ms: float = 0.0) -> None:
        self.clock = clock or SystemClock()
        self.approve_after_s = float(approve_after_s)
        self.pay_after_s = float(pay_after_s)
        self.auto_pay = auto_pay
        self._catalog = catalog
        self._faces_dir = faces_dir
        self.latency_ms = latency_ms
        self._lock = threading.RLock()
        self._order_opened = threading.Condition(self._lock)
        self._secret = secrets.token_bytes(16)
        self.cases: dict[str, _SimCase] = {}
        self.orders: dict[str, _Order] = {}
        self.used_codes: dict[str, str] = {}  # fingerprint of a charged payment code -> order id
        self._decline_codes = 0
        self.consents: dict[str, tuple[Consent, str]] = {}  # token -> (consent, id fingerprint)
        self.notifications: list[dict[str, Any]] = []
        self.ratings: list[Rating] = []
        self.events_log: list[BackofficeEvent] = []
        self._pending: list[BackofficeEvent] = []
        self.refunds: list[tuple[str, str]] = []  # (order id, reason)
        self._fail_next: list[tuple[str, str]] = []  # (call name or "any", error code)
        self.offline = False
        self.calls: list[str] = []

    @classmethod
    def from_config(cls, config: Any, clock: Clock | None = None, catalog: Any = None) -> "SimBackOffice":
        """Built from a `StationConfig` (`[backoffice] approve_after_s`)."""
        return cls(clock=clock, approve_after_s=config.backoffice.approve_after_s, catalog=catalog)

    # ------------------------------------------------------------------ helpers
    def _now_iso(self) -> str:
        return self.clock.now().isoformat(timespec="seconds")

    def _catalog_obj(self) -> Any:
        if self._catalog is None:
            from kiosk.services.catalog import load_catalog

            self._catalog = load_catalog()
        return self._catalog

    def _enter(self, call: str) -> None:
        """Every call: record it, apply injected faults, advance the simulation."""
        self.calls.append(call)
        if self.offline:
            raise BackofficeError("offline", "simulated back office is offline")
        for i, (name, code) in enumerate(self._fail_next):
            if name in ("any", call):
                del self._fail_next[i]
                raise BackofficeError(code, f"injected fault on {call}")  # type: ignore[arg-type]
        self._advance()

    def _emit(self, kind: str, case_no: str, **data: Any) -> None:
        ev = BackofficeEvent(uuid.uuid4().hex, kind, case_no, self._now_iso(), data)  # type: ignore[arg-type]
        self._pending.append(ev)
        self.events_log.append(ev)

    def _move(self, case: _SimCase, status: CaseStatusName, note_zh: str = "", note_en: str = "",
              actor: str = "backoffice") -> None:
        case.status = status
        case.timeline.append(TimelineEntry(self._now_iso(), status, note_zh, note_en, actor))
        if actor == "backoffice":
            data: dict[str, Any] = {"status": status, "note_zh": note_zh, "note_en": note_en}
            self._emit("case_status", case.submission_case_no, **data)

    def _advance(self) -> None:
        now = self.clock.monotonic()
        for case in self.cases.values():
            if case.status == "accepted" and now - case.submitted_mono >= self.approve_after_s:
                self._approve(case)
        if self.auto_pay:
            for o in self.orders.values():
                if o.order.status == "pending" and now - o.created_mono >= self.pay_after_s:
                    self._pay(o)

    def _approve(self, case: _SimCase) -> None:
        self._move(case, "approved", "审核通过，已办结", "Approved")
        if case.via_cabinet:
            self._move(case, "result_ready", "办理结果已出具，待工作人员投柜", "Result issued; staff will deposit it")
            self._emit("result_ready", case.submission_case_no, result_size=case.result_size or "M",
                       matter_code=case.matter_code)

    def _pay(self, o: _Order) -> None:
        o.order = PaymentOrder(**{**o.order.__dict__, "status": "paid", "paid_at": self._now_iso()})
        self._emit("payment_paid", o.order.case_no, order_id=o.order.order_id, amount_fen=o.order.amount_fen)

    def _identity_for(self, id_number: str) -> Any:
        from hw_sim.identities import SAMPLE_IDENTITIES

        norm = id_number.strip().upper()
        for ident in SAMPLE_IDENTITIES.values():
            if ident.id_number.upper() == norm:
                return ident
        return None

    def _fingerprint(self, id_number: str) -> str:
        return hmac.new(self._secret, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def _phone_masked(id_number: str) -> str:
        digits = hashlib.sha256(id_number.encode()).hexdigest()
        tail = "".join(str(int(c, 16) % 10) for c in digits[:4])
        return f"138****{tail}"

    # ------------------------------------------------------------------ BackOffice
    def submit_case(self, submission: CaseSubmission) -> SubmitReceipt:
        with self._lock:
            self._enter("submit_case")
            if not isinstance(submission, CaseSubmission):
                raise BackofficeError("invalid", "submission must be a CaseSubmission")
            case_no = submission.case_no
            if not isinstance(case_no, str) or not CASE_NO_RE.match(case_no):
                raise BackofficeError("invalid", f"bad case number {str(case_no)[:60]!r}")
            if case_no in self.cases and self.cases[case_no].receipt is not None:
                return self.cases[case_no].receipt  # idempotent repeat
            total = sum(len(f.content) for f in submission.files)
            if total > MAX_SUBMISSION_BYTES:
                raise BackofficeError("invalid", f"files total {total} bytes > {MAX_SUBMISSION_BYTES}")
            _check_files(submission.files)
            matter = self._catalog_obj().find(submission.matter_code)
            if matter is None:
                raise BackofficeError("rejected", f"unknown matter {submission.matter_code!r}")
            ident = self._identity_for(submission.applicant.id_number)
            st = matter.station
            case = _SimCase(
                submission_case_no=case_no, matter_code=matter.code,
                applicant_key=ident.key if ident else None,
                applicant_masked=submission.applicant.id_masked,
                phone_masked=self._phone_masked(submission.applicant.id_number),
                status="submitted", submitted_mono=self.clock.monotonic(),
                via_cabinet=bool(st and st.result_via_cabinet), result_size=st.result_size if st else None,
                prints=bool(st and st.action == "print"), promised_days=matter.promised_days,
                ref="BO" + uuid.uuid4().hex[:12].upper(), files=tuple(submission.files),
                name_masked=mask_name(submission.applicant.name),
                applicant_fp=self._fingerprint(submission.applicant.id_number), station_id=submission.station_id,
            )
            self.cases[case_no] = case
            case.timeline.append(TimelineEntry(self._now_iso(), "submitted", "自助终端提交", "Submitted at the station",
                                               "station"))
            if case.prints:
                self._move(case, "approved", "即时办结，自助打印", "Completed at once; printed at the station")
                case.document = self._document(case, matter)
                status: CaseStatusName = "approved"
                msg = ("已出具，请取走打印件", "Issued; please take your printout")
            else:
                self._move(case, "accepted", "已受理", "Accepted")
                status = "accepted"
                msg = ("已受理", "Accepted")
                if self.approve_after_s <= 0:
                    self._approve(case)
                    status = case.status
            receipt = SubmitReceipt(case_no, True, case.ref, status, msg[0], msg[1], case.document)
            case.receipt = receipt
            return receipt

    def request_consent(self, applicant: Applicant, ecert_types: tuple[str, ...], session: str = "") -> Consent:
        with self._lock:
            self._enter("request_consent")
            types = tuple(t for t in ecert_types if isinstance(t, str))
            if not types or len(types) != len(ecert_types) or len(types) > 20:
                raise BackofficeError("invalid", "consent needs 1-20 e-certificate type names")
            now = self.clock.now()
            fp = self._fingerprint(applicant.id_number)
            consent = Consent(secrets.token_hex(16), fp, types, now.isoformat(timespec="seconds"),
                              (now + timedelta(seconds=CONSENT_TTL_S)).isoformat(timespec="seconds"))
            self.consents[consent.token] = (consent, fp)
            return consent

    def fetch_ecertificates(self, applicant: Applicant, consent: Consent, session: str = "") -> list[ECertificate]:
        with self._lock:
            self._enter("fetch_ecertificates")
            held = self.consents.get(consent.token)
            if held is None or held[1] != self._fingerprint(applicant.id_number):
                raise BackofficeError("consent_required", "no consent for this person")
            if held[0].expires_at <= self._now_iso():
                raise BackofficeError("consent_required", "consent expired")
            ident = self._identity_for(applicant.id_number)
            if ident is None:
                return []
            have = set(HOLDINGS["*"]) | set(HOLDINGS.get(ident.person, ()))
            out = []
            for t in held[0].ecert_types:
                if t in have and t in ECERT_NAMES:
                    zh, en, issuer = ECERT_NAMES[t]
                    out.append(ECertificate(
                        type=t, name_zh=zh, name_en=en, number_masked=self._cert_number(t, ident.id_number),
                        issuer_zh=issuer, valid_until=None, media_type="image/png",
                        content=_render_png([f"E-CERT {t}", f"holder {applicant.id_masked}",
                                             f"issuer {en}"])))
            return out

    @staticmethod
    def _cert_number(t: str, id_number: str) -> str:
        h = hashlib.sha256((t + id_number).encode()).hexdigest().upper()
        return f"{h[:2]}****{h[-4:]}"

    def create_payment(self, case_no: str, amount_fen: int, description_zh: str) -> PaymentOrder:
        with self._lock:
            self._enter("create_payment")
            if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 < amount_fen <= 10_000_000:
                raise BackofficeError("invalid", f"bad amount {amount_fen!r} (fen, 1..10000000)")
            if not isinstance(case_no, str) or not CASE_NO_RE.match(case_no):
                raise BackofficeError("invalid", f"bad case number {str(case_no)[:60]!r}")
            oid = "PO" + uuid.uuid4().hex[:16].upper()
            order = PaymentOrder(oid, case_no, amount_fen, str(description_zh)[:100], "pending",
                                 f"https://pay.example.gov.cn/o/{oid}", self._now_iso())
            self.orders[oid] = _Order(order, self.clock.monotonic())
            self._order_opened.notify_all()
            return order

    def payment_status(self, order_id: str) -> PaymentOrder:
        with self._lock:
            self._enter("payment_status")
            if order_id not in self.orders:
                raise BackofficeError("not_found", f"no payment order {order_id!r}")
            return self.orders[order_id].order

    def cancel_payment(self, order_id: str) -> PaymentOrder:
        with self._lock:
            self._enter("cancel_payment")
            o = self.orders.get(order_id)
            if o is None:
                raise BackofficeError("not_found", f"no payment order {order_id!r}")
            if o.order.status == "pending":
                o.order = PaymentOrder(**{**o.order.__dict__, "status": "canceled"})
            return o.order

    def pay_with_code(self, order_id: str, code: str) -> CodePayment:
        from kiosk.services.payments import code_fingerprint, parse_payment_code

        with self._lock:
            self._enter("pay_with_code")
            o = self.orders.get(order_id)
            if o is None:
                raise BackofficeError("not_found", f"no payment order {order_id!r}")
            parsed = parse_payment_code(code)
            if parsed is None:
                return CodePayment(o.order, "code_invalid", "not a payment code")
            if o.order.status != "pending":
                return CodePayment(o.order, "paid" if o.order.status == "paid" else "declined",
                                   f"order is {o.order.status}")
            fp = code_fingerprint(parsed)
            if fp in self.used_codes:
                return CodePayment(o.order, "code_used", "this payment code was charged before")
            if self._decline_codes:
                self._decline_codes -= 1
                return CodePayment(o.order, "declined", "the wallet declined the payment")
            self.used_codes[fp] = order_id
            self._pay(o)
            return CodePayment(o.order, "paid")

    def refund_payment(self, order_id: str, reason: str) -> PaymentOrder:
        with self._lock:
            self._enter("refund_payment")
            o = self.orders.get(order_id)
            if o is None:
                raise BackofficeError("not_found", f"no payment order {order_id!r}")
            if o.order.status == "pending":
                o.order = PaymentOrder(**{**o.order.__dict__, "status": "canceled"})
            elif o.order.status == "paid":
                o.order = PaymentOrder(**{**o.order.__dict__, "status": "refunded", "refunded_at": self._now_iso()})
                self.refunds.append((order_id, str(reason)[:200]))
            return o.order

    def _report(self, case: _SimCase) -> CaseStatusReport:
        return CaseStatusReport(case.submission_case_no, case.matter_code, case.status, tuple(case.timeline), None,
                                case.result_size, case.applicant_masked, case.station_id)  # type: ignore[arg-type]

    def cases_for_applicant(self, applicant: Applicant, session: str = "") -> list[CaseStatusReport]:
        with self._lock:
            self._enter("cases_for_applicant")
            fp = self._fingerprint(applicant.id_number)
            mine = [c for c in self.cases.values() if c.applicant_fp == fp and c.status not in ("collected", "withdrawn")]
            return [self._report(c) for c in reversed(mine)][:50]

    def case_status(self, case_no: str) -> CaseStatusReport:
        with self._lock:
            self._enter("case_status")
            case = self.cases.get(case_no)
            if case is None:
                raise BackofficeError("not_found", f"no case {case_no!r}")
            return self._report(case)

    def get_result_document(self, case_no: str) -> ResultDocument:
        with self._lock:
            self._enter("get_result_document")
            case = self.cases.get(case_no)
            if case is None or case.document is None:
                raise BackofficeError("not_found", f"no printable result for {case_no!r}")
            return case.document

    def report_status(self, case_no: str, status: CaseStatusName, note_zh: str = "", note_en: str = "") -> None:
        with self._lock:
            self._enter("report_status")
            case = self.cases.get(case_no)
            if case is None:
                raise BackofficeError("not_found", f"no case {case_no!r}")
            if status not in ("deposited", "collected", "expired", "withdrawn"):
                raise BackofficeError("invalid", f"the station cannot report {status!r}")
            self._move(case, status, note_zh, note_en, actor="station")

    def notify(self, notification: Notification) -> NotificationReceipt:
        with self._lock:
            self._enter("notify")
            params = notification.params
            if (not isinstance(params, dict) or len(params) > 20
                    or any(not isinstance(k, str) or not isinstance(v, str) or len(v) > 200 for k, v in params.items())):
                raise BackofficeError("invalid", "params: at most 20 text values of at most 200 characters")
            if len(notification.text_zh) > 500 or len(notification.text_en) > 1000:
                raise BackofficeError("invalid", "notification text too long for an SMS")
            case = self.cases.get(notification.case_no)
            to = case.phone_masked if case else ""
            if case is None:
                raise BackofficeError("not_found", f"no case {notification.case_no!r}: no phone number known")
            nid = "SMS" + uuid.uuid4().hex[:12].upper()
            text_zh = notification.text_zh or _sms_text(notification)
            text_en = notification.text_en or _sms_text_en(notification)
            self.notifications.append({
                "id": nid, "at": self._now_iso(), "to": to, "case_no": notification.case_no,
                "kind": notification.kind, "params": dict(notification.params), "text_zh": text_zh,
                "text_en": text_en,
            })
            return NotificationReceipt(nid, True, to)

    def submit_rating(self, rating: Rating) -> None:
        with self._lock:
            self._enter("submit_rating")
            if isinstance(rating.score, bool) or not isinstance(rating.score, int) or not 1 <= rating.score <= 5:
                raise BackofficeError("invalid", f"score must be 1-5, got {rating.score!r}")
            if len(rating.comment) > 500:
                raise BackofficeError("invalid", "comment longer than 500 characters")
            self.ratings.append(rating)

    def reference_photo(self, applicant: Applicant, session: str = "") -> bytes | None:
        with self._lock:
            self._enter("reference_photo")
            ident = self._identity_for(applicant.id_number)
            if ident is None:
                return None
            path = ident.face_paths(self._faces_dir)[0]
            data = path.read_bytes()
            if path.suffix.lower() in (".jpg", ".jpeg"):
                return data
            from PIL import Image

            with Image.open(io.BytesIO(data)) as img:
                out = io.BytesIO()
                img.convert("RGB").save(out, "JPEG", quality=90)
                return out.getvalue()

    def poll_events(self) -> list[BackofficeEvent]:
        with self._lock:
            self._enter("poll_events")
            out, self._pending = self._pending, []
            return out

    def ping(self) -> LinkStatus:
        with self._lock:
            if self.offline:
                return LinkStatus(False, 0.0, "simulated back office is offline")
            try:
                self._enter("ping")
            except BackofficeError as exc:
                return LinkStatus(False, 0.0, str(exc))
            return LinkStatus(True, self.latency_ms, "in-process simulated back office")

    # ------------------------------------------------------------------ documents
    def _document(self, case: _SimCase, matter: Any) -> ResultDocument:
        """The issued certificate: an A4 PDF with a verification QR (`kiosk.services.certificate_pdf`)."""
        from kiosk.services.certificate_pdf import CertificateData, render_certificate

        verify = hashlib.sha256((case.submission_case_no + case.ref).encode()).hexdigest()[:12].upper()
        today = self.clock.now().date().isoformat()
        data = CertificateData(
            title_zh=matter.name_zh, title_en=matter.name_en, case_no=case.submission_case_no,
            holder_name_masked=case.name_masked, holder_id_masked=case.applicant_masked,
            issuer_zh=matter.authority_zh or "政务服务中心", issued_on=today, verify_code=verify,
            lines_zh=(f"兹证明上述人员的{matter.name_zh}信息以本证明所载为准。",
                      "本证明自出具之日起三个月内有效，可通过二维码或验证码核验真伪。"))
        return ResultDocument(case.submission_case_no, matter.name_zh, matter.name_en, "application/pdf",
                              render_certificate(data), verify)

    # ------------------------------------------------------------------ control commands
    def _case(self, case_no: str | None, statuses: tuple[str, ...]) -> list[_SimCase]:
        if case_no is not None:
            if case_no not in self.cases:
                raise ControlError(f"backoffice: no case {case_no!r} (have: {', '.join(self.cases) or 'none'})")
            return [self.cases[case_no]]
        return [c for c in self.cases.values() if c.status in statuses]

    def cmd_approve(self, case_no: str | None = None) -> list[str]:
        """Approve now (one case, or every accepted case)."""
        with self._lock:
            done = []
            for c in self._case(case_no, ("accepted",)):
                if c.status not in ("submitted", "accepted"):
                    raise ControlError(f"backoffice: case {c.submission_case_no} is {c.status}, cannot approve")
                self._approve(c)
                done.append(c.submission_case_no)
            return done

    def cmd_reject(self, case_no: str, reason: str = "材料不齐全") -> str:
        """Reject a case (with a reason shown on the timeline)."""
        with self._lock:
            c = self._case(case_no, ())[0]
            if c.status not in ("submitted", "accepted"):
                raise ControlError(f"backoffice: case {case_no} is {c.status}, cannot reject")
            self._move(c, "rejected", f"不予受理：{reason}", f"Rejected: {reason}")
            return c.status

    def cmd_ready(self, case_no: str, size: str = "M") -> str:
        """Announce a case's result as ready for deposit now (approving it first if needed)."""
        with self._lock:
            c = self._case(case_no, ())[0]
            if size not in ("S", "M", "L"):
                raise ControlError("backoffice: size must be S, M or L")
            c.via_cabinet, c.result_size = True, c.result_size or size
            if c.status in ("submitted", "accepted"):
                self._approve(c)
            elif c.status == "approved":
                self._move(c, "result_ready", "办理结果已出具，待工作人员投柜", "Result issued; staff will deposit it")
                self._emit("result_ready", c.submission_case_no, result_size=c.result_size, matter_code=c.matter_code)
            return c.status

    def cmd_pay(self, order_id: str | None = None, wait_s: float = 0.0) -> str:
        """Pay an order now (default: the newest pending order; `wait_s`: wait that long, in real
        time, for one to be opened: the citizen scans the QR as soon as it is on screen)."""
        with self._order_opened:
            self._order_opened.wait_for(lambda: any(o.order.status == "pending" for o in self.orders.values()),
                                        timeout=max(0.0, min(float(wait_s), 30.0)))
        with self._lock:
            if order_id is None:
                pending = [o for o in self.orders.values() if o.order.status == "pending"]
                if not pending:
                    raise ControlError("backoffice: no pending payment order")
                o = pending[-1]
            else:
                o = self.orders.get(order_id)  # type: ignore[assignment]
                if o is None:
                    raise ControlError(f"backoffice: no payment order {order_id!r}")
            if o.order.status != "pending":
                raise ControlError(f"backoffice: order {o.order.order_id} is {o.order.status}")
            self._pay(o)
            return o.order.order_id

    def cmd_payment_code(self) -> str:
        """A fresh payment code (18 digits, as a wallet shows it) that no order has used yet."""
        while True:
            code = f"1{secrets.randbelow(6)}" + "".join(str(secrets.randbelow(10)) for _ in range(16))
            from kiosk.services.payments import PaymentCode, code_fingerprint

            if code_fingerprint(PaymentCode(code)) not in self.used_codes:
                return code

    def cmd_mark_code_used(self, code: str) -> str:
        """Record a payment code as charged earlier (the screenshot a scenario shows again)."""
        from kiosk.services.payments import code_fingerprint, parse_payment_code

        parsed = parse_payment_code(code)
        if parsed is None:
            raise ControlError("backoffice: code must be 18 digits starting 10-15")
        with self._lock:
            self.used_codes[code_fingerprint(parsed)] = "earlier"
        return parsed.masked

    def cmd_decline_next_code(self, count: int = 1) -> int:
        """The next payment code(s) bounce (`declined`: no funds, a limit)."""
        self._decline_codes = max(0, int(count))
        return self._decline_codes

    def cmd_add_case(self, identity: str = "obama", matter: str = "", station: str = "sim-0002",
                     status: str = "result_ready", case_no: str | None = None) -> str:
        """A case made at another station (`station`), as if submitted there: for querying and
        depositing cases created elsewhere. Returns its case number."""
        from hw_sim.identities import get_identity
        from kiosk.services.cases import format_case_number
        from kiosk.services.keyed_hash import mask_id_number

        if status not in ("accepted", "approved", "result_ready", "rejected"):
            raise ControlError("backoffice: status must be accepted, approved, result_ready or rejected")
        try:
            ident = get_identity(identity)
        except KeyError as exc:
            raise ControlError(f"backoffice: {exc}") from None
        with self._lock:
            cat = self._catalog_obj()
            m = cat.find(matter) if matter else next(
                (x for x in cat.matters if x.station and x.station.result_via_cabinet), None)
            if m is None:
                raise ControlError(f"backoffice: no matter {matter!r}")
            if case_no is None:
                case_no = format_case_number(station, self.clock.now().date(), 9000 + len(self.cases))
            if not CASE_NO_RE.match(case_no) or case_no in self.cases:
                raise ControlError(f"backoffice: bad or existing case number {case_no!r}")
            st = m.station
            case = _SimCase(submission_case_no=case_no, matter_code=m.code, applicant_key=ident.key,
                            applicant_masked=mask_id_number(ident.id_number),
                            phone_masked=self._phone_masked(ident.id_number), status="submitted",
                            submitted_mono=self.clock.monotonic(), via_cabinet=True,
                            result_size=(st.result_size if st and st.result_size else "M"),
                            ref="BO" + uuid.uuid4().hex[:12].upper(), applicant_fp=self._fingerprint(ident.id_number),
                            station_id=station)
            case.timeline.append(TimelineEntry(self._now_iso(), "submitted", "自助终端提交",
                                               "Submitted at the station", f"station:{station}"))
            self.cases[case_no] = case
            if status != "submitted":
                self._move(case, "accepted", "已受理", "Accepted", actor="backoffice-elsewhere")
            if status in ("approved", "result_ready"):
                self._move(case, "approved", "审核通过，已办结", "Approved", actor="backoffice-elsewhere")
            if status == "result_ready":
                self._move(case, "result_ready", "办理结果已出具，待工作人员投柜", "Result issued; staff will deposit it",
                           actor="backoffice-elsewhere")
            if status == "rejected":
                self._move(case, "rejected", "不予受理", "Rejected", actor="backoffice-elsewhere")
            return case_no

    def cmd_last_sms(self) -> dict[str, Any] | None:
        """The last SMS sent to a citizen (with the pickup code), or null."""
        with self._lock:
            return dict(self.notifications[-1]) if self.notifications else None

    def cmd_sms(self, limit: int = 20) -> list[dict[str, Any]]:
        """The last SMS messages, newest last."""
        with self._lock:
            return [dict(n) for n in self.notifications[-max(0, int(limit)):]]

    def cmd_fail_next(self, call: str = "any", code: str = "timeout", count: int = 1) -> int:
        """Make the next call (of this name, or any) fail with this error code."""
        allowed = ("offline", "timeout", "rejected", "invalid", "not_found", "consent_required")
        if code not in allowed:
            raise ControlError(f"backoffice: code must be one of {', '.join(allowed)}")
        known = [n for n in dir(BackOffice) if not n.startswith("_")] + ["any"]
        if call not in known:
            raise ControlError(f"backoffice: no call {call!r} (known: {', '.join(sorted(known))})")
        with self._lock:
            self._fail_next.extend([(call, code)] * max(1, int(count)))
            return len(self._fail_next)

    def cmd_offline(self, on: bool = True) -> bool:
        """Go offline (every call fails with `offline`) or back online."""
        self.offline = bool(on)
        return self.offline

    def cmd_online(self) -> bool:
        """Come back online."""
        self.offline = False
        return True

    def cmd_set_approve_after(self, seconds: float) -> float:
        """Change the approval delay (seconds of the station's clock)."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ControlError("backoffice: seconds must be a number >= 0")
        self.approve_after_s = float(seconds)
        return self.approve_after_s

    def cmd_set_auto_pay(self, on: bool = True, after_s: float | None = None) -> dict[str, Any]:
        """Pay orders by themselves after a delay (or only on the `pay` command)."""
        self.auto_pay = bool(on)
        if after_s is not None:
            self.pay_after_s = float(after_s)
        return {"auto_pay": self.auto_pay, "pay_after_s": self.pay_after_s}

    def cmd_cases(self) -> list[dict[str, Any]]:
        """Every case the back office holds, with its status."""
        with self._lock:
            self._advance()
            return [{"case_no": c.submission_case_no, "matter": c.matter_code, "status": c.status,
                     "applicant": c.applicant_masked} for c in self.cases.values()]

    def cmd_ratings(self) -> list[dict[str, Any]]:
        """Ratings received."""
        with self._lock:
            return [{"case_no": r.case_no, "score": r.score, "tags": list(r.tags), "comment": r.comment}
                    for r in self.ratings]

    def cmd_state(self) -> dict[str, Any]:
        """Summary: online, delays, counts."""
        with self._lock:
            return {"online": not self.offline, "approve_after_s": self.approve_after_s,
                    "auto_pay": self.auto_pay, "pay_after_s": self.pay_after_s, "cases": len(self.cases),
                    "orders": len(self.orders), "sms": len(self.notifications), "ratings": len(self.ratings),
                    "pending_faults": len(self._fail_next), "pending_events": len(self._pending)}


def _check_files(files: tuple[SubmittedFile, ...]) -> None:
    """Refuse what a real office refuses: a scanned material or a form that is not a parseable
    A4 PDF whose page count is the one declared."""
    for i, f in enumerate(files):
        if f.kind not in ("scan", "form"):
            continue  # e-certificates come from the office's own registry
        where = f"file {i} ({f.name}, {f.kind})"
        if f.media_type != PDF_MEDIA_TYPE:
            raise BackofficeError("invalid", f"{where}: media type {f.media_type!r}, materials must be {PDF_MEDIA_TYPE}")
        try:
            info = inspect_pdf(f.content)
        except MaterialPdfError as exc:
            raise BackofficeError("invalid", f"{where}: {exc}") from None
        if info.pages != f.pages:
            raise BackofficeError("invalid", f"{where}: declares {f.pages} page(s), the PDF has {info.pages}")
        if not info.all_a4:
            raise BackofficeError("invalid", f"{where}: pages must be A4, got {list(info.page_sizes_pt)} pt")


def _sms_text(n: Notification) -> str:
    p = n.params
    if n.kind == "pickup_code":
        return (f"【政务服务】您的办件{n.case_no}办理结果已放入{p.get('station', '24小时自助服务站')}"
                f"{p.get('compartment', '')}号柜，取件码{p.get('code', '')}，请于{p.get('expires', '7日内')}凭取件码领取。")
    if n.kind == "dropoff_received":
        return f"【政务服务】您的办件{n.case_no}纸质材料已收到。"
    if n.kind == "expiring":
        return f"【政务服务】您的办件{n.case_no}办理结果即将逾期，请尽快领取。"
    return f"【政务服务】您的办件{n.case_no}有新的进展。"


def _sms_text_en(n: Notification) -> str:
    p = n.params
    if n.kind == "pickup_code":
        return (f"[Gov Services] The result of case {n.case_no} is in compartment {p.get('compartment', '')} at "
                f"{p.get('station_en', 'the 24-hour self-service station')}. Pickup code {p.get('code', '')}, "
                f"valid {p.get('expires_en', 'for 7 days')}.")
    if n.kind == "dropoff_received":
        return f"[Gov Services] The papers of case {n.case_no} have been received."
    if n.kind == "expiring":
        return f"[Gov Services] The result of case {n.case_no} will soon be moved to the counter; please collect it."
    return f"[Gov Services] There is news about case {n.case_no}."


def _render_png(lines: list[str]) -> bytes:
    """A small document image (ASCII lines; the default bitmap font has no CJK glyphs)."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (480, 40 + 22 * len(lines)), 255)
    draw = ImageDraw.Draw(img)
    draw.rectangle([4, 4, img.width - 5, img.height - 5], outline=0, width=2)
    for i, line in enumerate(lines):
        draw.text((20, 20 + 22 * i), line.encode("ascii", "replace").decode("ascii")[:70], fill=0)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()
