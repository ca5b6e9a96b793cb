"""`MqttBackOffice`: the station's `BackOffice` interface carried over the fleet link.

Calls that need an answer are MQTT 5 request/response: the request goes on `k/v1/{id}/rpc/req`
(schema rpc_request) with Response Topic `k/v1/{id}/rpc/res` and Correlation Data = `call_id`;
the caller's thread waits (at most `timeout_s`) for the response with that correlation data
(schema rpc_response). Without a connection a call fails at once with `BackofficeError("offline")`
so the flow can say "unavailable" and keep the citizen's work; no request is queued behind an
outage (a late answer to a citizen who has left is worse than none).

Facts the station reports without needing an answer (`report_status`, `submit_rating`) are not
calls but outbox events (`backoffice.report_status`, `backoffice.rating`): durable, delivered
when the link is up, acknowledged by seq like every other event. They carry no personal data.

Requests with personal data (`submit_case` carries the applicant) go only over this link (TLS in
production) and never into the outbox or a retained message.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

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
    to_dict,
)
from kiosk.services.fleet import contract, rpc, signing, topics
from kiosk.services.fleet.link import FleetLink
from kiosk.services.outbox import Outbox, uuid7

log = logging.getLogger(__name__)

# answers that decide who a person is must come from the back office itself (security finding 10)
SIGNED_METHODS = frozenset({"reference_photo"})


class _Waiter:
    __slots__ = ("done", "body")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.body: dict[str, Any] | None = None


class MqttBackOffice(BackOffice):
    def __init__(self, link: FleetLink, outbox: Outbox, timeout_s: float = 10.0, answer_key: Any = None) -> None:
        self.link = link
        self.answer_key = answer_key  # the back office's Ed25519 public key: verifies SIGNED_METHODS answers
        self.outbox = outbox
        self.timeout_s = timeout_s
        self._waiters: dict[str, _Waiter] = {}
        self._lock = threading.Lock()
        self.late_responses = 0
        link.add_rpc_listener(self._on_response)

    # ---- transport -------------------------------------------------------------------------------
    def _on_response(self, payload: bytes, correlation: bytes | None) -> None:
        """Runs on the link thread: hand the body to the waiting caller, nothing more."""
        try:
            body = json.loads(payload)
        except ValueError:
            log.warning("rpc response: not JSON; ignored")
            return
        key = correlation.decode("utf-8", "replace") if correlation else (
            body.get("call_id") if isinstance(body, dict) else None)
        with self._lock:
            waiter = self._waiters.pop(str(key), None)
        if waiter is None:
            self.late_responses += 1  # its caller timed out already
            return
        waiter.body = body
        waiter.done.set()

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if not self.link.connected:
            raise BackofficeError("offline", "no connection to the back office's broker")
        call_id = uuid7()
        body = {"call_id": call_id, "method": method, "args": rpc.encode_args(method, args, kwargs),
                "deadline": round(time.time() + self.timeout_s, 3)}
        contract.validate("rpc_request", body)
        waiter = _Waiter()
        with self._lock:
            self._waiters[call_id] = waiter
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = topics.rpc_response(self.link.kid)
        props.CorrelationData = call_id.encode()
        props.MessageExpiryInterval = max(1, int(self.timeout_s))
        self.link.publish(topics.rpc_request(self.link.kid), json.dumps(body, ensure_ascii=False).encode(), 1,
                          False, props)
        if not waiter.done.wait(self.timeout_s):
            with self._lock:
                self._waiters.pop(call_id, None)
            raise BackofficeError("timeout", f"{method}: no answer within {self.timeout_s} s")
        resp = waiter.body
        problem = contract.check("rpc_response", resp)
        if problem:
            raise BackofficeError("invalid", f"{method}: the answer breaks the contract: {problem}")
        assert resp is not None
        if method in SIGNED_METHODS:
            if self.answer_key is None:
                raise BackofficeError("invalid", f"{method}: no back-office key configured to verify the answer "
                                                 "([fleet] command_public_key); not trusted")
            if not signing.verify_answer(resp, self.answer_key):
                raise BackofficeError("invalid", f"{method}: the answer's signature does not verify with the back "
                                                 "office's key; not trusted")
        if not resp["ok"]:
            err = resp["error"]
            raise BackofficeError(err["code"], err.get("detail", ""))
        return rpc.decode_result(method, resp.get("result"))

    # ---- the interface -------------------------------------------------------------------------
    def submit_case(self, submission: CaseSubmission) -> SubmitReceipt:
        return self._call("submit_case", submission)

    def request_consent(self, applicant: Applicant, ecert_types: tuple[str, ...], session: str = "") -> Consent:
        return self._call("request_consent", applicant, ecert_types, session)

    def fetch_ecertificates(self, applicant: Applicant, consent: Consent, session: str = "") -> list[ECertificate]:
        return self._call("fetch_ecertificates", applicant, consent, session)

    def create_payment(self, case_no: str, amount_fen: int, description_zh: str) -> PaymentOrder:
        return self._call("create_payment", case_no, amount_fen, description_zh)

    def payment_status(self, order_id: str) -> PaymentOrder:
        return self._call("payment_status", order_id)

    def cancel_payment(self, order_id: str) -> PaymentOrder:
        return self._call("cancel_payment", order_id)

    def pay_with_code(self, order_id: str, code: str) -> CodePayment:
        return self._call("pay_with_code", order_id, code)

    def refund_payment(self, order_id: str, reason: str) -> PaymentOrder:
        return self._call("refund_payment", order_id, reason)

    def cases_for_applicant(self, applicant: Applicant, session: str = "") -> list[CaseStatusReport]:
        return self._call("cases_for_applicant", applicant, session)

    def case_status(self, case_no: str) -> CaseStatusReport:
        return self._call("case_status", case_no)

    def get_result_document(self, case_no: str) -> ResultDocument:
        return self._call("get_result_document", case_no)

    def notify(self, notification: Notification) -> NotificationReceipt:
        return self._call("notify", notification)

    def reference_photo(self, applicant: Applicant, session: str = "") -> bytes | None:
        return self._call("reference_photo", applicant, session)

    def poll_events(self) -> list[BackofficeEvent]:
        return self._call("poll_events")

    def ping(self) -> LinkStatus:
        t0 = time.monotonic()
        try:
            status = self._call("ping")
        except BackofficeError as exc:
            return LinkStatus(False, 0.0, f"{exc.code}: {exc.detail}")
        return LinkStatus(status.online, round((time.monotonic() - t0) * 1000, 1), status.detail)

    # durable facts: outbox events, not calls
    def report_status(self, case_no: str, status: CaseStatusName, note_zh: str = "", note_en: str = "") -> None:
        self.outbox.add_now("backoffice.report_status",
                            {"case_no": case_no, "status": status, "note_zh": note_zh, "note_en": note_en})

    def submit_rating(self, rating: Rating) -> None:
        self.outbox.add_now("backoffice.rating", to_dict(rating))
