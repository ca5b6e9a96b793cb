"""The scripted operator of `make run`: the `backoffice` control commands of a scripted visit, done
the way a person does them when the station talks to the real office (`[backoffice] mode = "mqtt"`).

    side = OfficeSide(OfficeOperator("http://127.0.0.1:8080", "visits", "var/system/secrets/visits.pw"), link)
    side.handle("ready", {"case_no": "ME-001-20261205-0001-7", "size": "S"})

- Case decisions go through the office's JSON API as an operator with the approver role:
  `POST /api/login`, `GET /api/cases?state=submitted`, `POST /api/cases/{id}/approve` (or `reject`).
  The office then tells the station (its `poll_events`, and a signed deposit task for a result
  collected from the cabinet) exactly as it does for a person at the console.
- `offline` / `online` pull and plug back the station's network cable: the station's broker
  connection is held down (`FleetLink.hold`), as a real outage looks from the station. The office
  has no "pretend to be down" switch, and should not have one.
- Payments: the office's simulated provider pays every order by itself `--sim-pay-after-s` after
  it is opened (the citizen paying with the phone), so `pay` and `set_auto_pay` change nothing and
  say so in their answer; `mark_code_used` really charges the code once, through the station's own
  back-office calls (a citizen paid with it earlier), so the office refuses it the next time.
- What only the in-process double can do (move its clock, fail the next call, read the SMS)
  is refused with a message saying so.
"""

from __future__ import annotations

import http.cookiejar
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from hw_sim.control import ControlError


class OfficeApiError(ControlError):
    pass


class OfficeOperator:
    """An operator account on the office's JSON API (one session, logged in on first use)."""

    def __init__(self, console: str, user: str, password_file: str | Path, timeout_s: float = 10.0) -> None:
        self.console = console.rstrip("/")
        self.user = user
        self.password_file = Path(password_file)
        self.timeout_s = timeout_s
        self._csrf: str | None = None
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
        req = urllib.request.Request(self.console + path, data=data, method=method,
                                     headers={"content-type": "application/json", "accept": "application/json"})
        if self._csrf:
            req.add_header("x-csrf-token", self._csrf)
        try:
            with self._opener.open(req, timeout=self.timeout_s) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise OfficeApiError(f"office {method} {path}: HTTP {exc.code} {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise OfficeApiError(f"office {method} {path}: {exc} (is the office console at {self.console} "
                                 "running?)") from None

    def login(self) -> None:
        try:
            password = self.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise OfficeApiError(f"operator password file {self.password_file}: {exc}") from None
        self._csrf = None
        self._csrf = self._request("POST", "/api/login", {"user": self.user, "password": password})["csrf"]

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if self._csrf is None:
            self.login()
        try:
            return self._request(method, path, body)
        except OfficeApiError as exc:
            if "HTTP 401" not in str(exc):
                raise
            self.login()  # the session ended (office restarted): log in again once
            return self._request(method, path, body)

    def cases(self, state: str | None = None) -> list[dict[str, Any]]:
        return self.call("GET", "/api/cases" + (f"?state={state}" if state else ""))["cases"]

    def case(self, case_no: str) -> dict[str, Any]:
        return self.call("GET", f"/api/cases/{case_no}")["case"]

    def approve(self, case_no: str) -> str:
        return self.call("POST", f"/api/cases/{case_no}/approve")["status"]

    def reject(self, case_no: str, reason: str) -> str:
        return self.call("POST", f"/api/cases/{case_no}/reject", {"reason": reason})["status"]


class OfficeSide:
    """`handle(cmd, args)`: the `backoffice` control commands of the scripted visits, against the
    real office (the same names the in-process double takes, where a person can do them)."""

    sim_name = "backoffice"
    ONLY_THE_DOUBLE = ("fail_next", "set_approve_after", "last_sms", "sms", "ratings", "decline_next_code")

    def __init__(self, operator: OfficeOperator, link: Any, wait_s: float = 15.0, backoffice: Any = None) -> None:
        self.operator = operator
        self.link = link
        self.wait_s = wait_s
        self.backoffice = backoffice  # the station's own back office (its calls to the office)

    def handle(self, cmd: str, args: dict[str, Any]) -> Any:
        fn = getattr(self, f"cmd_{cmd}", None)
        if fn is None:
            if cmd in self.ONLY_THE_DOUBLE:
                raise ControlError(f"backoffice: {cmd!r} is a control of the in-process test double only; the "
                                   "real office does that by itself (payments, SMS) or not at all")
            raise ControlError(f"backoffice: no command {cmd!r} (with the office: approve, reject, ready, cases, "
                               "state, offline, online)")
        return fn(**args)

    def _wait_case(self, case_no: str) -> dict[str, Any]:
        """A case the station submitted a moment ago (its request may still be on the way)."""
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                return self.operator.case(case_no)
            except OfficeApiError as exc:
                if "HTTP 404" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    def cmd_approve(self, case_no: str | None = None) -> list[str]:
        """Approve one case, or every submitted case (as an approver in the console)."""
        todo = [case_no] if case_no else [c["case_no"] for c in self.operator.cases("submitted")]
        for c in todo:
            self._wait_case(c)
            self.operator.approve(c)
        return todo

    def cmd_reject(self, case_no: str, reason: str = "材料不齐全") -> str:
        self._wait_case(case_no)
        return self.operator.reject(case_no, reason)

    def cmd_ready(self, case_no: str, size: str = "M") -> str:
        """The result of a case is issued (approval; the office knows from the catalog whether it goes
        through the cabinet and its size: `size` is the double's and is only checked here)."""
        if size not in ("S", "M", "L"):
            raise ControlError("backoffice: size must be S, M or L")
        case = self._wait_case(case_no)
        status = case["status"]
        if status in ("submitted", "accepted"):
            status = self.operator.approve(case_no)
        if status != "result_ready":
            raise ControlError(f"backoffice: case {case_no} is {status} after approval, not result_ready (its item "
                               "is not collected from the cabinet)")
        return status

    def cmd_pay(self, order_id: str | None = None, wait_s: float = 0.0) -> str:
        return "the office's simulated provider pays every order by itself (--sim-pay-after-s)"

    def cmd_set_auto_pay(self, on: bool = True, after_s: float | None = None) -> str:
        return "the office's simulated provider pays every order by itself (--sim-pay-after-s); unchanged"

    def cmd_mark_code_used(self, code: str) -> str:
        """Charge `code` once now, for a small order of a made-up earlier case (the screenshot a citizen
        shows again later is then refused by the office)."""
        from kiosk.services.backoffice import BackofficeError

        if self.backoffice is None:
            raise ControlError("backoffice: no station back office to pay the earlier order with")
        try:
            order = self.backoffice.create_payment(f"EARLIER-{time.strftime('%Y%m%d')}-0001-X", 1, "earlier payment")
            self.backoffice.pay_with_code(order.order_id, code)
        except BackofficeError as exc:
            if "used" not in exc.detail and exc.code != "rejected":
                raise ControlError(f"backoffice: charging the code earlier failed: {exc.code}: {exc.detail}") from None
        return code[:4] + "*" * (len(code) - 8) + code[-4:]

    def cmd_cases(self) -> list[dict[str, Any]]:
        return [{"case_no": c["case_no"], "matter": c["matter_code"], "status": c["status"],
                 "applicant": c["applicant_masked"]} for c in self.operator.cases()]

    def cmd_state(self) -> dict[str, Any]:
        return {"online": bool(self.link is not None and self.link.connected and not self.link.held),
                "cases": len(self.operator.cases())}

    def cmd_offline(self, on: bool = True) -> bool:
        """Pull the station's network cable (on) or plug it back (off)."""
        if self.link is None:
            raise ControlError("backoffice: the station has no fleet link to take down")
        self.link.hold(bool(on))
        if not on:
            self._wait_link()
            return False
        deadline = time.monotonic() + self.wait_s
        while self.link.connected:  # the link thread drops the connection on its next step
            if time.monotonic() > deadline:
                raise ControlError(f"backoffice: the station's link is still up after {self.wait_s:.0f} s")
            time.sleep(0.02)
        return True

    def cmd_online(self) -> bool:
        """Back online: the cable plugged in, and wait until the station's link is up again."""
        if self.link is None:
            raise ControlError("backoffice: the station has no fleet link")
        self.link.hold(False)
        self._wait_link()
        return True

    def _wait_link(self) -> None:
        if not self.link.wait_connected(self.wait_s):
            raise ControlError(f"backoffice: the station's link did not come up within {self.wait_s:.0f} s "
                               f"({self.link.stats.last_error or 'no error recorded'})")
