"""Citizen notifications (SMS): a gateway interface, a built-in log gateway, an HTTP adapter, and
a sender that delivers what the stations asked for — stored first, sent after.

- A station's `notify` call writes the notification (with its parameters, e.g. the pickup code)
  as `queued` before answering: the code is never lost when the SMS provider fails.
- `Sender` (a thread) sends queued messages through the configured gateway; a retryable failure
  (network error, HTTP 5xx/429) is retried with back-off up to `max_attempts`, a final failure is
  `failed` — listed in the console, resent by an operator (`POST /api/notifications/{id}/resend`).
- The provider's delivery report (`POST /api/sms/report` with the shared token) marks a message
  `delivered` or `failed`.
Gateways by URL scheme (`--sms`): `log:` (default: the message goes to the office log) or
`http(s)://HOST/PATH` (JSON `{id, to, text}`; a 2xx answer `{"id": provider id}` is success).
The office holds masked phone numbers only; a real deployment resolves the recipient from the
authorities' directory inside its HTTP gateway.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine

from office.periodic import Periodic
from office.schema import notifications
from office.util import now_iso

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    id: str
    to: str
    text: str


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_id: str = ""
    error: str = ""
    retryable: bool = False


class SmsGateway(Protocol):
    name: str

    def send(self, msg: SmsMessage) -> SendResult: ...


class LogGateway:
    name = "log"

    def send(self, msg: SmsMessage) -> SendResult:
        log.info("SMS %s to %s: %s", msg.id, msg.to, msg.text)
        return SendResult(True, f"log-{msg.id}")


class HttpGateway:
    name = "http"

    def __init__(self, url: str, token: str = "", timeout_s: float = 5.0) -> None:
        self.url, self.token, self.timeout_s = url, token, timeout_s

    def send(self, msg: SmsMessage) -> SendResult:
        body = json.dumps({"id": msg.id, "to": msg.to, "text": msg.text}, ensure_ascii=False).encode()
        req = urllib.request.Request(self.url, data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {self.token}"} if self.token else {})})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                data = json.loads(resp.read() or b"{}")
                return SendResult(True, str(data.get("id", ""))[:80])
        except urllib.error.HTTPError as exc:
            return SendResult(False, error=f"HTTP {exc.code}", retryable=exc.code >= 500 or exc.code == 429)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return SendResult(False, error=f"{exc.__class__.__name__}: {exc}"[:300], retryable=True)


GATEWAYS: dict[str, Callable[[str], SmsGateway]] = {
    "log": lambda url: LogGateway(),
    "http": lambda url: HttpGateway(url),
    "https": lambda url: HttpGateway(url),
}


def gateway_for(url: str) -> SmsGateway:
    scheme = url.split(":", 1)[0].lower()
    if scheme not in GATEWAYS:
        raise ValueError(f"--sms {url!r}: one of log: or http(s)://HOST/PATH")
    return GATEWAYS[scheme](url)


def pickup_text(case_no: str, p: dict[str, str]) -> tuple[str, str]:
    zh = (f"【政务服务】您的办件{case_no}办理结果已放入{p.get('station', '24小时自助服务站')}{p.get('compartment', '')}"
          f"号柜，取件码{p.get('code', '')}，请于{p.get('expires', '7日内')}凭取件码领取。")
    en = (f"[Gov Services] The result of case {case_no} is in compartment {p.get('compartment', '')} at "
          f"{p.get('station_en', 'the 24-hour self-service station')}. Pickup code {p.get('code', '')}, "
          f"valid {p.get('expires_en', 'for 7 days')}.")
    return zh, en


class Sender(Periodic):
    """Sends the queued notifications every `every_s` seconds, with retries and back-off."""

    thread_name = "office-sms"
    join_s = 10.0

    def __init__(self, engine: Engine, gateway: SmsGateway, *, every_s: float = 1.0, max_attempts: int = 5,
                 backoff_s: float = 30.0) -> None:
        super().__init__(every_s)
        self.engine, self.gateway = engine, gateway
        self.max_attempts, self.backoff_s = max_attempts, backoff_s
        self._retry_at: dict[str, float] = {}

    def tick(self) -> None:
        self.send_due()

    def send_due(self) -> int:
        """Send every queued message whose retry time has come; returns how many were tried."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(notifications).where(notifications.c.status == "queued")
                                .order_by(notifications.c.at).limit(100)).all()
        now, tried = time.monotonic(), 0
        for r in rows:
            if self._retry_at.get(r.id, 0.0) > now:
                continue
            tried += 1
            res = self.gateway.send(SmsMessage(r.id, r.to_masked, r.text_zh))
            attempts = r.attempts + 1
            if res.ok:
                values: dict[str, Any] = dict(status="sent", provider_id=res.provider_id or None, sent_at=now_iso(),
                                              last_error=None)
                self._retry_at.pop(r.id, None)
            elif res.retryable and attempts < self.max_attempts:
                values = dict(last_error=res.error)
                self._retry_at[r.id] = now + self.backoff_s * (2 ** (attempts - 1))
            else:
                values = dict(status="failed", last_error=res.error)
                self._retry_at.pop(r.id, None)
            with self.engine.begin() as conn:
                conn.execute(update(notifications).where(notifications.c.id == r.id, notifications.c.status == "queued")
                             .values(attempts=attempts, **values))
        return tried


def list_notifications(engine: Engine, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    q = select(notifications.c.id, notifications.c.case_no, notifications.c.kind, notifications.c.to_masked,
               notifications.c.at, notifications.c.status, notifications.c.attempts, notifications.c.last_error,
               notifications.c.sent_at).order_by(notifications.c.at.desc()).limit(limit)
    if status:
        q = q.where(notifications.c.status == status)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def resend(engine: Engine, nid: str) -> bool:
    with engine.begin() as conn:
        res = conn.execute(update(notifications).where(
            notifications.c.id == nid, or_(notifications.c.status == "failed", notifications.c.status == "queued"))
            .values(status="queued", attempts=0, last_error=None))
    return bool(res.rowcount)


def delivery_report(engine: Engine, nid: str, delivered: bool, detail: str = "") -> bool:
    with engine.begin() as conn:
        res = conn.execute(update(notifications).where(notifications.c.id == nid).values(
            status="delivered" if delivered else "failed", last_error=None if delivered else detail[:300] or "failed"))
    return bool(res.rowcount)
