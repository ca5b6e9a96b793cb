"""The back-office interface the station talks to, free of any transport.

`BackOffice` (an ABC) lists every exchange the station has with the authorities' back office:
submit a case with its files, fetch e-certificates the authority already holds (with the
citizen's consent), create a payment order and learn it was paid, learn a result is ready for
deposit, notify the citizen (pickup code by SMS), receive a satisfaction rating, query a case's
status and timeline, fetch a reference photo of an applicant, check the link.

Everything crossing the interface is a plain dataclass of JSON-friendly values (bytes go as
base64 through `to_dict`/`from_dict`), so the in-process simulator (`hw_sim.backoffice`) and
the MQTT transport (fleet) carry exactly the same messages.

Asynchronous news (status changes, payments, results ready) arrives as `BackofficeEvent`s that
the station pulls with `poll_events()`; each event has a unique `event_id` so a transport that
delivers at least once can be de-duplicated by the receiver.

Every method may raise `BackofficeError`; its `code` says what happened (`offline`, `timeout`,
`rejected`, `invalid`, `not_found`, `consent_required`) so a flow can say "unavailable" and
keep the citizen's work rather than crash.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_type_hints

ErrorCode = Literal["offline", "timeout", "rejected", "invalid", "not_found", "consent_required"]
CaseStatusName = Literal[
    "submitted", "accepted", "approved", "rejected", "result_ready", "deposited", "collected",
    "expired", "withdrawn", "material_requested",
]
EventKind = Literal["case_status", "payment_paid", "result_ready"]


class BackofficeError(Exception):
    """A back-office call that did not succeed. `code` is machine-readable, `detail` for logs."""

    def __init__(self, code: ErrorCode, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


# --------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class Applicant:
    """The person, as the back office needs them for one call. Held in memory only for the call:
    the station never writes `id_number` or `name` to disk (the fleet transport sends them over
    TLS and keeps them out of its outbox). Both are left out of `repr()`, so a log line or a
    traceback that shows a submission shows only the masked number."""

    id_number: str = field(repr=False)
    name: str = field(repr=False)
    id_masked: str
    phone_masked: str | None = None


@dataclass(frozen=True)
class SubmittedFile:
    """One file attached to a submission: a scanned page set, an e-certificate, a form."""

    name: str  # material name as in the catalog, e.g. "居民身份证"
    kind: Literal["scan", "ecert", "form", "photo"]
    media_type: str  # "application/pdf", "image/jpeg", ...
    content: bytes
    material_index: int | None = None  # index in the matter's material list, if it answers one
    pages: int = 1

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class CaseSubmission:
    case_no: str
    matter_code: str
    station_id: str
    applicant: Applicant
    files: tuple[SubmittedFile, ...] = ()
    form: dict[str, str] = field(default_factory=dict)  # extra answers (e.g. purpose of the certificate)
    payment_order_id: str | None = None
    dropoff_compartment: str | None = None  # paper originals left in this compartment
    submitted_at: str = ""  # ISO 8601


@dataclass(frozen=True)
class ResultDocument:
    """An issued result the station can print (certificate printing items)."""

    case_no: str
    title_zh: str
    title_en: str
    media_type: str
    content: bytes
    verify_code: str = ""  # printed on the document; lets anyone check it online


@dataclass(frozen=True)
class SubmitReceipt:
    case_no: str
    accepted: bool
    backoffice_ref: str
    status: CaseStatusName
    message_zh: str = ""
    message_en: str = ""
    document: ResultDocument | None = None  # instant items: the result is here already


@dataclass(frozen=True)
class Consent:
    """The citizen's consent, given on screen, to let the station fetch named e-certificates.
    `token` is opaque to the station (issued by `request_consent`)."""

    token: str
    id_hash: str  # the back office's fingerprint of the person the consent is for (opaque)
    ecert_types: tuple[str, ...]
    given_at: str
    expires_at: str


@dataclass(frozen=True)
class ECertificate:
    type: str  # e.g. "resident_id", "household_register", "marriage_certificate"
    name_zh: str
    name_en: str
    number_masked: str
    issuer_zh: str
    valid_until: str | None
    media_type: str
    content: bytes


@dataclass(frozen=True)
class PaymentOrder:
    order_id: str
    case_no: str
    amount_fen: int  # 1 yuan = 100 fen; never a float
    description_zh: str
    status: Literal["pending", "paid", "canceled", "expired", "refunded"]
    pay_url: str  # what the QR code on screen encodes
    created_at: str
    paid_at: str | None = None
    refunded_at: str | None = None


@dataclass(frozen=True)
class CodePayment:
    """The provider's answer to a payment code (付款码) the citizen showed: `paid`, or why not.
    `code_used`: this code was charged before (a screenshot shown again); `code_invalid`: the
    provider does not know it; `declined`: the wallet refused (funds, limits)."""

    order: PaymentOrder
    outcome: Literal["paid", "code_used", "code_invalid", "declined"]
    detail: str = ""


@dataclass(frozen=True)
class TimelineEntry:
    at: str  # ISO 8601
    status: CaseStatusName
    note_zh: str = ""
    note_en: str = ""
    actor: str = ""  # "station", "backoffice", "staff:<masked>"


@dataclass(frozen=True)
class CaseStatusReport:
    case_no: str
    matter_code: str
    status: CaseStatusName
    timeline: tuple[TimelineEntry, ...]
    promised_date: str | None = None  # YYYY-MM-DD
    result_size: Literal["S", "M", "L"] | None = None  # compartment size the result needs
    applicant_masked: str = ""  # as on the receipt ("110101********1234"); never the full number
    station_id: str = ""  # the station the case was made at ("" when the back office does not say)


@dataclass(frozen=True)
class Notification:
    """A message to the citizen; the back office knows their phone number, the station does not."""

    case_no: str
    kind: Literal["pickup_code", "result_ready", "dropoff_received", "expiring", "other"]
    channel: Literal["sms"] = "sms"
    params: dict[str, str] = field(default_factory=dict)  # e.g. {"code": "123456", "station": ...}
    text_zh: str = ""
    text_en: str = ""


@dataclass(frozen=True)
class NotificationReceipt:
    notification_id: str
    accepted: bool
    to_masked: str = ""  # "138****5678"


RATED_SERVICES = ("apply", "print", "query", "collect")  # what a 好差评 rating can be about


@dataclass(frozen=True)
class Rating:
    """好差评: 1 (very dissatisfied) .. 5 (very satisfied). `service`: apply | print | query |
    collect (the station service rated; empty from older stations)."""

    case_no: str
    score: int
    tags: tuple[str, ...] = ()
    comment: str = ""
    at: str = ""
    service: str = ""


@dataclass(frozen=True)
class BackofficeEvent:
    event_id: str
    kind: EventKind
    case_no: str
    at: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkStatus:
    online: bool
    latency_ms: float
    detail: str = ""


# --------------------------------------------------------------------------- the interface


class BackOffice(ABC):
    """What the station needs from the back office. Calls block until answered or until the
    transport's timeout (then `BackofficeError("timeout")`)."""

    @abstractmethod
    def submit_case(self, submission: CaseSubmission) -> SubmitReceipt:
        """Hand over a case with its files. Idempotent on `case_no`: a repeat returns the first receipt."""

    @abstractmethod
    def request_consent(self, applicant: Applicant, ecert_types: tuple[str, ...], session: str = "") -> Consent:
        """Record the citizen's on-screen consent for these e-certificate types; returns the token.
        `session`: the visit in which this applicant's card was read (bound as for `reference_photo`)."""

    @abstractmethod
    def fetch_ecertificates(self, applicant: Applicant, consent: Consent, session: str = "") -> list[ECertificate]:
        """The e-certificates of the consented types the authority holds for this person
        (possibly none). Raises `consent_required` if the consent does not match or has expired."""

    @abstractmethod
    def create_payment(self, case_no: str, amount_fen: int, description_zh: str) -> PaymentOrder:
        """Open a payment order; the screen shows `pay_url` as a QR code."""

    @abstractmethod
    def payment_status(self, order_id: str) -> PaymentOrder:
        """The order as it stands now (a `payment_paid` event also announces payment)."""

    @abstractmethod
    def cancel_payment(self, order_id: str) -> PaymentOrder:
        """Cancel a pending order (citizen gave up / timeout). A paid order stays paid."""

    @abstractmethod
    def pay_with_code(self, order_id: str, code: str) -> CodePayment:
        """Charge a pending order with the payment code (付款码) the citizen showed. A code charged
        once is refused (`code_used`) for every later order, at any station."""

    @abstractmethod
    def refund_payment(self, order_id: str, reason: str) -> PaymentOrder:
        """Give back a paid order's money (the case it paid for was not submitted). Idempotent:
        a refunded order stays refunded; a pending one is canceled instead."""

    @abstractmethod
    def cases_for_applicant(self, applicant: Applicant, session: str = "") -> list[CaseStatusReport]:
        """Every open case of this person, made at any station (newest first, at most 50).
        `session`: the visit in which this applicant's card was read (bound as for `reference_photo`)."""

    @abstractmethod
    def case_status(self, case_no: str) -> CaseStatusReport:
        """Status and timeline of a case; `not_found` for an unknown case number."""

    @abstractmethod
    def get_result_document(self, case_no: str) -> ResultDocument:
        """The issued document of a case whose result can be printed at the station."""

    @abstractmethod
    def report_status(self, case_no: str, status: CaseStatusName, note_zh: str = "", note_en: str = "") -> None:
        """The station tells the back office what happened locally (deposited, collected, expired)."""

    @abstractmethod
    def notify(self, notification: Notification) -> NotificationReceipt:
        """Send the citizen a message (the pickup code by SMS)."""

    @abstractmethod
    def submit_rating(self, rating: Rating) -> None:
        """Hand over the citizen's satisfaction rating (好差评)."""

    @abstractmethod
    def reference_photo(self, applicant: Applicant, session: str = "") -> bytes | None:
        """A reference photo (JPEG) of the applicant from the authority's records, used when the
        ID card's photo cannot be decoded; None when the authority has none. `session`: the visit
        in which this applicant's card was read at the station; the back office answers one
        applicant per visit and a bounded number per station (security finding 17)."""

    @abstractmethod
    def poll_events(self) -> list[BackofficeEvent]:
        """News since the last poll (status changes, payments, results ready for deposit)."""

    @abstractmethod
    def ping(self) -> LinkStatus:
        """Link check for the technician's commissioning and the health report."""


class NoBackOffice(BackOffice):
    """The back office of a station with none configured yet (no `[fleet] broker`, or a link that
    could not be made): the station runs and its tasks that need the back office say so. Every
    call fails with `offline` and the reason; nothing is pretended."""

    def __init__(self, why: str) -> None:
        self.why = why

    def _no(self, *_: Any, **__: Any) -> Any:
        raise BackofficeError("offline", self.why)

    submit_case = request_consent = fetch_ecertificates = create_payment = payment_status = _no
    cancel_payment = case_status = get_result_document = report_status = notify = submit_rating = _no
    pay_with_code = refund_payment = cases_for_applicant = _no

    def reference_photo(self, applicant: Applicant) -> bytes | None:
        return None

    def poll_events(self) -> list[BackofficeEvent]:
        return []

    def ping(self) -> LinkStatus:
        return LinkStatus(False, 0.0, self.why)


# --------------------------------------------------------------------------- serialisation

T = TypeVar("T")


def to_dict(obj: Any) -> Any:
    """A dataclass (tree) as JSON-ready values; bytes become {"b64": "..."}."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, bytes | bytearray):
        return {"b64": base64.b64encode(bytes(obj)).decode("ascii")}
    if isinstance(obj, tuple | list):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_dict(v) for k, v in obj.items()}
    return obj


def from_dict(cls: type[T], data: Any) -> T:
    """The inverse of `to_dict` for the dataclasses of this module. Raises
    `BackofficeError("invalid")` naming the field when the payload does not fit (hostile input)."""
    try:
        return _build(cls, data, cls.__name__)
    except BackofficeError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise BackofficeError("invalid", f"{cls.__name__}: {exc}") from None


def _build(tp: Any, data: Any, where: str) -> Any:
    import types
    import typing

    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise BackofficeError("invalid", f"{where}: expected an object")
        hints = get_type_hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = set(data) - names
        if unknown:
            raise BackofficeError("invalid", f"{where}: unknown field(s) {sorted(unknown)}")
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name not in data:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise BackofficeError("invalid", f"{where}.{f.name}: missing")
                continue
            kwargs[f.name] = _build(hints[f.name], data[f.name], f"{where}.{f.name}")
        return tp(**kwargs)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        errors = []
        for alt in args:
            if alt is type(None):
                continue
            try:
                return _build(alt, data, where)
            except BackofficeError as exc:
                errors.append(exc.detail)
        raise BackofficeError("invalid", "; ".join(errors) or f"{where}: bad value")
    if origin is Literal:
        if data not in args:
            raise BackofficeError("invalid", f"{where}: {data!r} is not one of {list(args)}")
        return data
    if origin is tuple:
        if not isinstance(data, list | tuple):
            raise BackofficeError("invalid", f"{where}: expected a list")
        return tuple(_build(args[0], v, f"{where}[{i}]") for i, v in enumerate(data))
    if origin is list:
        if not isinstance(data, list):
            raise BackofficeError("invalid", f"{where}: expected a list")
        return [_build(args[0], v, f"{where}[{i}]") for i, v in enumerate(data)]
    if origin is dict:
        if not isinstance(data, dict):
            raise BackofficeError("invalid", f"{where}: expected an object")
        return {str(k): _build(args[1], v, f"{where}.{k}") for k, v in data.items()}
    if tp is bytes:
        if not (isinstance(data, dict) and set(data) == {"b64"} and isinstance(data["b64"], str)):
            raise BackofficeError("invalid", f"{where}: expected {{\"b64\": ...}}")
        try:
            return base64.b64decode(data["b64"], validate=True)
        except ValueError:
            raise BackofficeError("invalid", f"{where}: bad base64") from None
    if tp is Any:
        return data
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise BackofficeError("invalid", f"{where}: expected a number")
        return float(data)
    if tp in (int, str, bool):
        if type(data) is not tp:
            raise BackofficeError("invalid", f"{where}: expected {tp.__name__}, got {type(data).__name__}")
        return data
    raise BackofficeError("invalid", f"{where}: unsupported type {tp!r}")
