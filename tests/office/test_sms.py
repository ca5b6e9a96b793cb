"""SMS delivery: stored before the station's call returns, sent through a real HTTP gateway (a
local server that fails first), retried, failed ones visible and resent, delivery reports with a
token; the pickup code survives every failure."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from starlette.testclient import TestClient

from kiosk.services.backoffice import Notification
from office import accounts
from office.sms import HttpGateway, Sender, gateway_for, list_notifications
from office.station_calls import StationCalls
from office.web.app import Console, build_app
from tests.office.helpers import login, submission

PW = "correct-horse-battery"


class Provider:
    """A local SMS provider: answers `codes` in turn (then 200), records what it received."""

    def __init__(self, codes: list[int]) -> None:
        self.codes, self.received = list(codes), []
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.received.append(body)
                code = outer.codes.pop(0) if outer.codes else 200
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"id": f"P-{len(outer.received)}"}).encode())

            def log_message(self, *a: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider_factory():
    made: list[Provider] = []

    def make(codes: list[int]) -> Provider:
        p = Provider(codes)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


def _notify(engine) -> str:
    calls = StationCalls(engine, "sh-test-001")
    calls.submit_case(submission())
    receipt = calls.notify(Notification("SH001-20261205-0001-A", "pickup_code",
                                        params={"code": "428613", "compartment": "A01"}))
    assert receipt.accepted
    return receipt.notification_id


def test_retry_then_sent_and_the_code_is_in_the_text(engine, provider_factory):
    provider = provider_factory([500, 503])
    nid = _notify(engine)
    sender = Sender(engine, HttpGateway(provider.url), backoff_s=0)
    for _ in range(3):
        sender.send_due()
    [n] = list_notifications(engine)
    assert (n["id"], n["status"], n["attempts"]) == (nid, "sent", 3)
    assert len(provider.received) == 3 and "428613" in provider.received[-1]["text"]


def test_final_failure_is_visible_and_resent(engine, provider_factory):
    provider = provider_factory([400])
    nid = _notify(engine)
    sender = Sender(engine, HttpGateway(provider.url), backoff_s=0)
    sender.send_due()
    [n] = list_notifications(engine, "failed")
    assert n["id"] == nid and n["last_error"] == "HTTP 400"
    accounts.add_user(engine, "alice", "operator", PW)
    with TestClient(build_app(Console(engine, sms_token="tok-123"))) as client:
        h = {"X-CSRF-Token": login(client, "alice", PW)}
        assert [x["id"] for x in client.get("/api/notifications?status=failed").json()["notifications"]] == [nid]
        assert "发送失败" in client.get("/notifications").text
        assert client.post(f"/api/notifications/{nid}/resend", headers=h).json() == {"id": nid, "queued": True}
        sender.send_due()
        assert list_notifications(engine)[0]["status"] == "sent"
        # the provider's delivery report: token required, no session
        client.cookies.clear()
        assert client.post("/api/sms/report", json={"id": nid, "status": "delivered"}).status_code == 403
        r = client.post("/api/sms/report", json={"id": nid, "status": "delivered"}, headers={"X-SMS-Token": "tok-123"})
        assert r.json() == {"id": nid, "updated": True}
    assert list_notifications(engine)[0]["status"] == "delivered"


def test_provider_down_keeps_the_message_queued(engine):
    nid = _notify(engine)
    sender = Sender(engine, HttpGateway("http://127.0.0.1:1/sms", timeout_s=1), backoff_s=0, max_attempts=3)
    sender.send_due()
    [n] = list_notifications(engine)
    assert (n["id"], n["status"], n["attempts"]) == (nid, "queued", 1) and "Error" in n["last_error"]
    with pytest.raises(ValueError, match="--sms"):
        gateway_for("smtp://x")
    assert gateway_for("log:").send  # the default gateway exists
