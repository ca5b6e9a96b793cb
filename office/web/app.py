"""The console's HTTP side: a JSON API (`/api/...`, used by tests and scripts) and server-rendered
pages (Jinja2, autoescaped) that call the same operations.

Security: a login sets an HttpOnly, SameSite=Strict session cookie; every state-changing request
with that cookie must carry the session's CSRF token (header `X-CSRF-Token` for the API, form
field `csrf_token` for pages) or it is refused with 403 and audited. Roles come from a registry
(`PERMISSIONS`). A database that goes away mid-request gives 503 and a clear message; each
operation is one transaction, so nothing is half-stored.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from office import accounts, alarms, auditlog, cabinets, cases, pickups, report, sms
from office import commands as cmd_ops
from office.schema import case_files, stations
from office.web import routes_cases
from office.web import routes_ops
from office.web.i18n import LANGS, t

log = logging.getLogger(__name__)
COOKIE = "office_session"
SAFE_MEDIA = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}  # shown inline; others download
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
LANG_COOKIE = "office_lang"
TEMPLATES = Path(__file__).resolve().parent / "templates"

PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset({"operator", "approver", "supervisor", "auditor", "admin"}),
    "alarm.ack": frozenset({"operator", "supervisor", "admin"}),
    "case.decide": frozenset({"approver", "supervisor", "admin"}),
    "command.issue": cmd_ops.ISSUER_ROLES,
    "command.approve": cmd_ops.APPROVER_ROLES,
    "audit.read": frozenset({"auditor", "supervisor", "admin"}),
    "report.read": frozenset({"approver", "auditor", "supervisor", "admin"}),
    "payment.refund": frozenset({"supervisor", "admin"}),
}


@dataclass
class Console:
    engine: Engine
    mqtt: Any = None  # office.mqtt_service.OfficeMqtt, or None (no broker: commands are stored, not sent)
    signing_key: Any = None
    secure_cookies: bool = False
    pickup_days: int = 7  # a result left in a compartment longer is an overdue pickup
    sms_token: str = ""  # the SMS provider's shared token for delivery reports ("" = reports refused)
    payments: Any = None  # office.payments.PaymentProvider for refunds (None: the simulated one)


class Refused(Exception):
    def __init__(self, status: int, key: str, detail: str = "") -> None:
        super().__init__(detail or key)
        self.status, self.key, self.detail = status, key, detail


def station_tbody(rows: list[Any], counts: dict[str, int], lang: str) -> Markup:
    """The station list's rows, escaped cell by cell: with 10,000 stations a Jinja loop is the
    slowest part of the page (bench/office.py), a joined list of f-strings is several times faster."""
    labels = {k: t(lang, k) for k in ("online", "offline", "maintenance")}
    dev = {k: t(lang, f"dev.{k}") for k in ("ok", "low", "out", "jammed", "unknown", "degraded", "unreachable")}
    dev |= {k: t(lang, f"dstat.{k}") for k in ("online", "offline", "busy", "no_device", "hardware_error",
                                                "user_error", "fraud_attempt")}
    unknown, dash = t(lang, "unknown"), "—"
    out = []
    for r in rows:
        sid = escape(r.id)
        n = counts.get(r.id, 0)
        badge = f'<a href="/alarms?station={sid}"><span class="badge">{n}</span></a>' if n else "0"
        out.append(f'<tr data-station="{sid}"><td><a href="/stations/{sid}">{sid}</a></td><td class="{"on" if r.online else "off"}">'
                   f'{labels.get(r.state, unknown)}</td><td>{escape(r.last_seen or dash)}</td>'
                   f'<td>{escape(dev.get(r.paper, r.paper) or dash)}</td>'
                   f'<td>{escape(dev.get(r.boards, r.boards) or dash)}</td>'
                   f'<td>{escape(dev.get(r.reader, r.reader) or dash)}</td>'
                   f'<td>{escape(dev.get(r.camera, r.camera) or dash)}</td><td>{escape(r.sw)}</td>'
                   f'<td>{badge}</td></tr>')
    return Markup("\n".join(out))


def threaded(fn: Any) -> Any:
    """Read the request body on the event loop, then run the handler (database work, password
    hashing) on the thread pool, so one slow query never stalls every other request."""
    async def endpoint(request: Request) -> Response:
        if request.method == "POST":
            ctype = request.headers.get("content-type", "")
            if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                request.state.form = await request.form()
            else:
                request.state.raw = await request.body()
        return await run_in_threadpool(fn, request)

    return endpoint


def build_app(console: Console) -> Starlette:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))

    # ---- helpers ----------------------------------------------------------------------------------
    def lang_of(request: Request, session: accounts.Session | None = None) -> str:
        lang = request.cookies.get(LANG_COOKIE) or (session.lang if session else "zh")
        return lang if lang in LANGS else "zh"

    def session_of(request: Request) -> accounts.Session | None:
        return accounts.session_for(console.engine, request.cookies.get(COOKIE))

    def need(request: Request, perm: str) -> accounts.Session:
        s = session_of(request)
        if s is None:
            raise Refused(401, "login", "not signed in")
        if s.user.role not in PERMISSIONS[perm]:
            auditlog.record_now(console.engine, f"user:{s.user.name}", f"refused.{perm}", request.url.path, ok=False,
                                role=s.user.role)
            raise Refused(403, "forbidden", f"role {s.user.role} may not {perm}")
        return s

    def check_csrf(request: Request, s: accounts.Session, form: Any = None) -> None:
        token = request.headers.get("x-csrf-token") or (form.get("csrf_token") if form is not None else None)
        if token != s.csrf:
            auditlog.record_now(console.engine, f"user:{s.user.name}", "csrf.refused", request.url.path, ok=False)
            raise Refused(403, "csrf", "missing or wrong CSRF token (X-CSRF-Token header or csrf_token field)")

    def form_of(request: Request) -> Any:
        return getattr(request.state, "form", None) or {}

    def render(request: Request, name: str, s: accounts.Session | None, status: int = 200, **ctx: Any) -> HTMLResponse:
        lang = lang_of(request, s)
        html = env.get_template(name).render(request=request, session=s, lang=lang, T=lambda k: t(lang, k), **ctx)
        return HTMLResponse(html, status_code=status)

    def json_body(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(getattr(request.state, "raw", b"") or b"null")
        except (ValueError, UnicodeDecodeError):
            raise Refused(400, "bad_request", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise Refused(400, "bad_request", "the body must be a JSON object")
        return body

    def station_query() -> tuple[list[Any], dict[str, int]]:
        with console.engine.connect() as conn:
            counts = alarms.open_counts(conn)
            rows = conn.execute(select(stations.c.id, stations.c.state, stations.c.online, stations.c.last_seen,
                                       stations.c.sw, stations.c.paper, stations.c.boards, stations.c.reader,
                                       stations.c.camera).order_by(stations.c.id)).all()
        return rows, counts

    def station_rows() -> list[dict[str, Any]]:
        rows, counts = station_query()
        return [{"id": r.id, "online": bool(r.online), "state": r.state, "last_seen": r.last_seen, "sw": r.sw,
                 "alarms": counts.get(r.id, 0), "paper": r.paper, "boards": r.boards,
                 "reader": r.reader, "camera": r.camera} for r in rows]

    def approve_case(conn: Any, case_no: str, user: str) -> tuple[str, dict[str, Any] | None]:
        """Approve; a result for the cabinet also gets its deposit task (a signed assign_deposit)."""
        status = cases.approve(conn, case_no, user)
        task = None
        if status == "result_ready" and console.signing_key is not None:
            c = cases.get(conn, case_no)
            assert c is not None
            task = cmd_ops.deposit_task(conn, c["station"], case_no, c["result_size"] or "M", user,
                                        console.signing_key)
        return status, task

    def send(result: dict[str, Any]) -> None:
        if "command" in result and console.mqtt is not None:
            cmd_ops.publish(console.mqtt, result["command"])

    # ---- JSON API --------------------------------------------------------------------------------
    def api_login(request: Request) -> Response:
        body = json_body(request)
        user, password = body.get("user"), body.get("password")
        if not isinstance(user, str) or not isinstance(password, str):
            raise Refused(400, "bad_request", "expected {\"user\": ..., \"password\": ...}")
        res = accounts.login(console.engine, user, password, lang_of(request))
        if not res.ok:
            return JSONResponse({"error": res.reason, "message": t("en", res.reason)},
                                status_code=423 if res.reason == "locked" else 401)
        resp = JSONResponse({"ok": True, "user": user, "role": res.session.user.role, "csrf": res.session.csrf})
        resp.set_cookie(COOKIE, res.token, httponly=True, samesite="strict", secure=console.secure_cookies,
                        max_age=int(accounts.SESSION_S))
        return resp

    def api_stations(request: Request) -> Response:
        need(request, "read")
        return JSONResponse({"stations": station_rows()})

    def api_alarms(request: Request) -> Response:
        need(request, "read")
        state = request.query_params.get("state")
        with console.engine.connect() as conn:
            rows = alarms.list_alarms(conn, state, request.query_params.get("station"))
        return JSONResponse({"alarms": rows})

    def api_alarm_ack(request: Request) -> Response:
        s = need(request, "alarm.ack")
        check_csrf(request, s)
        try:
            with console.engine.begin() as conn:
                row = alarms.acknowledge(conn, int(request.path_params["id"]), s.user.name)
        except alarms.AlarmError as exc:
            return JSONResponse({"error": "conflict", "message": str(exc)}, status_code=409)
        return JSONResponse({"alarm": row})

    def api_alarm_clear(request: Request) -> Response:
        s = need(request, "alarm.ack")
        check_csrf(request, s)
        try:
            with console.engine.begin() as conn:
                row = alarms.clear(conn, int(request.path_params["id"]), s.user.name)
        except alarms.AlarmError as exc:
            return JSONResponse({"error": "conflict", "message": str(exc)}, status_code=409)
        return JSONResponse({"alarm": row})

    def api_alarms_bulk_ack(request: Request) -> Response:
        s = need(request, "alarm.ack")
        check_csrf(request, s)
        ids = json_body(request).get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids) \
                or len(ids) > 1000:
            raise Refused(400, "bad_request", "expected {\"ids\": [alarm ids]} (at most 1000)")
        with console.engine.begin() as conn:
            done = alarms.acknowledge_many(conn, ids, s.user.name)
        return JSONResponse({"acked": done, "skipped": [i for i in ids if i not in done]})

    def api_cases(request: Request) -> Response:
        need(request, "read")
        with console.engine.connect() as conn:
            return JSONResponse({"cases": cases.list_cases(conn, request.query_params.get("state"))})

    def api_case(request: Request) -> Response:
        s = need(request, "read")
        with console.engine.connect() as conn:
            c = cases.get(conn, request.path_params["id"], reveal=s.user.role in PERMISSIONS["case.decide"])
        if c is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        return JSONResponse({"case": c})

    def api_case_decide(request: Request) -> Response:
        s = need(request, "case.decide")
        check_csrf(request, s)
        case_no, action = request.path_params["id"], request.path_params["action"]
        try:
            with console.engine.begin() as conn:
                task = None
                if action == "approve":
                    status, task = approve_case(conn, case_no, s.user.name)
                else:
                    body = json_body(request)
                    status = cases.reject(conn, case_no, s.user.name, str(body.get("reason", "")))
        except cases.CaseError as exc:
            return JSONResponse({"error": "conflict", "message": str(exc)}, status_code=409)
        if task is not None:
            send(task)
            return JSONResponse({"case_no": case_no, "status": status, "deposit_task": task["cmd_id"]})
        return JSONResponse({"case_no": case_no, "status": status})

    def api_commands(request: Request) -> Response:
        if request.method == "GET":
            need(request, "read")
            with console.engine.connect() as conn:
                return JSONResponse({"commands": cmd_ops.list_commands(conn)})
        s = need(request, "command.issue")
        check_csrf(request, s)
        body = json_body(request)
        try:
            with console.engine.begin() as conn:
                res = cmd_ops.request(conn, str(body.get("station", "")), str(body.get("name", "")),
                                      body.get("args") if isinstance(body.get("args"), dict) else {},
                                      s.user.name, s.user.role, console.signing_key)
        except cmd_ops.CommandError as exc:
            return JSONResponse({"error": "invalid", "message": str(exc)}, status_code=400)
        send(res)
        return JSONResponse({k: v for k, v in res.items() if k != "command"} | {"command": res.get("command")})

    def api_command_approve(request: Request) -> Response:
        s = need(request, "command.approve")
        check_csrf(request, s)
        try:
            with console.engine.begin() as conn:
                res = cmd_ops.approve(conn, request.path_params["id"], s.user.name, s.user.role, console.signing_key)
        except cmd_ops.CommandError as exc:
            return JSONResponse({"error": "refused", "message": str(exc)}, status_code=409)
        send(res)
        return JSONResponse(res)

    def api_audit(request: Request) -> Response:
        need(request, "audit.read")
        return JSONResponse({"audit": auditlog.recent(console.engine, 500, request.query_params.get("action"))})

    # ---- pages --------------------------------------------------------------------------------------
    def page_login(request: Request) -> Response:
        if request.method == "GET":
            return render(request, "login.html", None)
        form = form_of(request)
        res = accounts.login(console.engine, str(form.get("user", "")), str(form.get("password", "")),
                             lang_of(request))
        if not res.ok:
            return render(request, "login.html", None, status=423 if res.reason == "locked" else 401,
                          error=res.reason, user=str(form.get("user", ""))[:64])
        resp = RedirectResponse("/stations", status_code=303)
        resp.set_cookie(COOKIE, res.token, httponly=True, samesite="strict", secure=console.secure_cookies,
                        max_age=int(accounts.SESSION_S))
        return resp

    def page_logout(request: Request) -> Response:
        s = need(request, "read")
        form = form_of(request)
        check_csrf(request, s, form)
        accounts.logout(console.engine, request.cookies.get(COOKIE, ""))
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE)
        return resp

    def page_lang(request: Request) -> Response:
        to = request.query_params.get("to", "zh")
        resp = RedirectResponse(request.headers.get("referer") or "/stations", status_code=303)
        resp.set_cookie(LANG_COOKIE, to if to in LANGS else "zh", samesite="strict", max_age=365 * 86400)
        return resp

    def page_stations(request: Request) -> Response:
        s = need(request, "read")
        t0 = time.perf_counter()
        rows, counts = station_query()
        lang = lang_of(request, s)
        resp = render(request, "stations.html", s, count=len(rows), tbody=station_tbody(rows, counts, lang))
        resp.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - t0) * 1000:.1f}"
        return resp

    def station_detail(station_id: str) -> dict[str, Any]:
        with console.engine.connect() as conn:
            row = conn.execute(select(stations).where(stations.c.id == station_id)).first()
            if row is None:
                raise Refused(404, "not_found", f"no station {station_id[:40]!r}")
            grid = cabinets.grid(conn, station_id, pickups.period_days(conn, console.pickup_days))
            open_alarms = alarms.list_alarms(conn, "open", station_id)
        d = dict(row._mapping)
        health = json.loads(d.pop("health") or "{}")
        return {"station": d, "devices": health.get("devices", {}), "outbox": health.get("outbox", {}),
                "compartments": grid, "alarms": open_alarms}

    def api_station(request: Request) -> Response:
        need(request, "read")
        return JSONResponse(station_detail(request.path_params["id"]))

    def page_station(request: Request) -> Response:
        s = need(request, "read")
        return render(request, "station.html", s, **station_detail(request.path_params["id"]))

    def api_overdue_pickups(request: Request) -> Response:
        need(request, "read")
        with console.engine.connect() as conn:
            days = pickups.period_days(conn, console.pickup_days)  # the console's setting (ADR 0238)
            return JSONResponse({"pickup_days": days, "overdue": cabinets.overdue_pickups(conn, days)})

    def api_notifications(request: Request) -> Response:
        need(request, "read")
        return JSONResponse({"notifications": sms.list_notifications(console.engine,
                                                                      request.query_params.get("status"))})

    def notification_resend(request: Request) -> Response:
        s = need(request, "alarm.ack")
        check_csrf(request, s, form_of(request))
        nid = request.path_params["id"]
        ok = sms.resend(console.engine, nid)
        auditlog.record_now(console.engine, f"user:{s.user.name}", "sms.resend", nid, ok=ok)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"id": nid, "queued": ok}, status_code=200 if ok else 409)
        return RedirectResponse("/notifications", status_code=303)

    def sms_report(request: Request) -> Response:
        """The SMS provider's delivery report: no session, a shared token instead (no CSRF: no cookie)."""
        token = request.headers.get("x-sms-token", "")
        if not console.sms_token or not hmac.compare_digest(token, console.sms_token):
            auditlog.record_now(console.engine, "sms-provider", "sms.report", "", ok=False, reason="bad token")
            raise Refused(403, "forbidden", "missing or wrong X-SMS-Token")
        body = json_body(request)
        nid, status = str(body.get("id", ""))[:40], body.get("status")
        if status not in ("delivered", "failed"):
            raise Refused(400, "bad_request", "expected {\"id\": ..., \"status\": \"delivered\" | \"failed\"}")
        found = sms.delivery_report(console.engine, nid, status == "delivered", str(body.get("detail", "")))
        return JSONResponse({"id": nid, "updated": found}, status_code=200 if found else 404)

    def page_notifications(request: Request) -> Response:
        s = need(request, "read")
        status = request.query_params.get("status") or None
        return render(request, "notifications.html", s, rows=sms.list_notifications(console.engine, status),
                      filter=status or "")

    def page_alarms(request: Request) -> Response:
        s = need(request, "read")
        state = request.query_params.get("state", "open")
        with console.engine.connect() as conn:
            rows = alarms.list_alarms(conn, state or None)
        return render(request, "alarms.html", s, alarms=rows, state=state)

    def page_alarm_ack(request: Request) -> Response:
        s = need(request, "alarm.ack")
        form = form_of(request)
        check_csrf(request, s, form)
        try:
            with console.engine.begin() as conn:
                alarms.acknowledge(conn, int(request.path_params["id"]), s.user.name)
        except alarms.AlarmError:
            pass  # acknowledged by someone else meanwhile: the list shows it
        return RedirectResponse("/alarms", status_code=303)

    def case_file(request: Request) -> Response:
        """A submitted material as the station sent it (the PDF), for the approver to read."""
        need(request, "read")
        with console.engine.connect() as conn:
            row = conn.execute(select(case_files).where(case_files.c.case_no == request.path_params["id"],
                                                        case_files.c.id == request.path_params["fid"])).first()
        if row is None:
            raise Refused(404, "not_found", "no such file in this case")
        media = row.media_type if row.media_type in SAFE_MEDIA else "application/octet-stream"
        return Response(row.content, media_type=media, headers={
            "Content-Disposition": f'inline; filename="{row.case_no}-{row.id}{SAFE_MEDIA.get(media, ".bin")}"',
            "Content-Security-Policy": "sandbox", "Cache-Control": "private, no-store"})

    def page_cases(request: Request) -> Response:
        s = need(request, "read")
        state = request.query_params.get("state", "submitted")
        with console.engine.connect() as conn:
            rows = cases.list_cases(conn, state or None)
        return render(request, "cases.html", s, cases=rows, state=state)

    def page_case(request: Request) -> Response:
        s = need(request, "read")
        with console.engine.connect() as conn:
            c = cases.get(conn, request.path_params["id"], reveal=s.user.role in PERMISSIONS["case.decide"])
        if c is None:
            return render(request, "error.html", s, status=404, message=f"no case {request.path_params['id']}")
        return render(request, "case.html", s, case=c, error=request.query_params.get("error"))

    def page_case_decide(request: Request) -> Response:
        s = need(request, "case.decide")
        form = form_of(request)
        check_csrf(request, s, form)
        case_no, action = request.path_params["id"], request.path_params["action"]
        try:
            with console.engine.begin() as conn:
                task = None
                if action == "approve":
                    _status, task = approve_case(conn, case_no, s.user.name)
                else:
                    cases.reject(conn, case_no, s.user.name, str(form.get("reason", "")))
        except cases.CaseError as exc:
            with console.engine.connect() as conn:
                c = cases.get(conn, case_no, reveal=True)  # a case.decide role
            if c is None:
                return render(request, "error.html", s, status=404, message=str(exc))
            return render(request, "case.html", s, status=409, case=c, error=str(exc))
        if task is not None:
            send(task)
        return RedirectResponse("/cases", status_code=303)

    def page_commands(request: Request) -> Response:
        s = need(request, "read")
        with console.engine.connect() as conn:
            rows = cmd_ops.list_commands(conn, 200)
        for r in rows:
            r["args"] = json.loads(r["args"])
        return render(request, "commands.html", s, commands=rows, error=request.query_params.get("error"))

    def page_command_new(request: Request) -> Response:
        s = need(request, "command.issue")
        form = form_of(request)
        check_csrf(request, s, form)
        name = str(form.get("name", ""))
        builders = {
            "open_compartment": lambda f: {"compartment": str(f.get("compartment", "")).strip().upper(),
                                           "reason": str(f.get("reason", "")).strip()},
            "set_maintenance": lambda f: {"on": f.get("on") == "1"},
            "notify_update": lambda f: {"version": str(f.get("version", "")).strip()},
        }
        if name not in builders:
            raise Refused(400, "bad_request", f"unknown command {name[:40]!r}")
        try:
            with console.engine.begin() as conn:
                res = cmd_ops.request(conn, str(form.get("station", "")).strip(), name, builders[name](form),
                                      s.user.name, s.user.role, console.signing_key)
        except cmd_ops.CommandError as exc:
            return RedirectResponse("/commands?" + urlencode({"error": str(exc)[:300]}), status_code=303)
        send(res)
        return RedirectResponse("/commands", status_code=303)

    def page_command_approve(request: Request) -> Response:
        s = need(request, "command.approve")
        check_csrf(request, s, form_of(request))
        try:
            with console.engine.begin() as conn:
                res = cmd_ops.approve(conn, request.path_params["id"], s.user.name, s.user.role, console.signing_key)
        except cmd_ops.CommandError as exc:
            return RedirectResponse("/commands?" + urlencode({"error": str(exc)[:300]}), status_code=303)
        send(res)
        return RedirectResponse("/commands", status_code=303)

    def report_day(request: Request) -> date:
        raw = request.query_params.get("day") or datetime.now(timezone.utc).date().isoformat()
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise Refused(400, "bad_request", f"day {raw[:20]!r}: expected YYYY-MM-DD") from None

    def api_report(request: Request) -> Response:
        need(request, "report.read")
        day = report_day(request)
        with console.engine.connect() as conn:
            rows = report.daily(conn, day)
        return JSONResponse({"day": day.isoformat(), "rows": [r.as_dict() for r in rows],
                             "totals": report.totals(rows).as_dict()})

    def page_report(request: Request) -> Response:
        s = need(request, "report.read")
        day = report_day(request)
        with console.engine.connect() as conn:
            rows = report.daily(conn, day)
        return render(request, "report.html", s, rows=rows, total=report.totals(rows), day=day.isoformat())

    def report_csv(request: Request) -> Response:
        s = need(request, "report.read")
        day = report_day(request)
        with console.engine.connect() as conn:
            text = report.to_csv(report.daily(conn, day))
        auditlog.record_now(console.engine, f"user:{s.user.name}", "report.export", day.isoformat())
        return Response(text, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="supervision-{day.isoformat()}.csv"'})

    def home(request: Request) -> Response:
        return RedirectResponse("/stations" if session_of(request) else "/login", status_code=303)

    # ---- errors ---------------------------------------------------------------------------------------
    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    async def on_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        if wants_json(request):
            return JSONResponse({"error": exc.key, "message": exc.detail or t("en", exc.key)}, status_code=exc.status)
        if exc.status == 401:
            return RedirectResponse("/login", status_code=303)
        return render(request, "error.html", None, status=exc.status, message=t(lang_of(request), exc.key))

    async def on_db_error(request: Request, exc: Exception) -> Response:
        log.error("database error on %s %s: %s", request.method, request.url.path, exc)
        if wants_json(request):
            return JSONResponse({"error": "database_unavailable", "message": "the office database is unavailable; "
                                 "nothing was changed; check the database server (--db) and retry"}, status_code=503)
        return render(request, "error.html", None, status=503, message=t(lang_of(request), "db_down"))

    routes = [
        Route("/", threaded(home)),
        Route("/api/login", threaded(api_login), methods=["POST"]),
        Route("/api/stations", threaded(api_stations)),
        Route("/api/alarms", threaded(api_alarms)),
        Route("/api/alarms/ack", threaded(api_alarms_bulk_ack), methods=["POST"]),
        Route("/api/alarms/{id:int}/ack", threaded(api_alarm_ack), methods=["POST"]),
        Route("/api/alarms/{id:int}/clear", threaded(api_alarm_clear), methods=["POST"]),
        Route("/api/cases", threaded(api_cases)),
        Route("/api/cases/{id}", threaded(api_case)),
        Route("/api/cases/{id}/{action:str}", threaded(api_case_decide), methods=["POST"]),
        Route("/api/commands", threaded(api_commands), methods=["GET", "POST"]),
        Route("/api/commands/{id}/approve", threaded(api_command_approve), methods=["POST"]),
        Route("/api/audit", threaded(api_audit)),
        Route("/login", threaded(page_login), methods=["GET", "POST"]),
        Route("/logout", threaded(page_logout), methods=["POST"]),
        Route("/lang", threaded(page_lang)),
        Route("/stations", threaded(page_stations)),
        Route("/stations/{id}", threaded(page_station)),
        Route("/api/stations/{id}", threaded(api_station)),
        Route("/api/pickups/overdue", threaded(api_overdue_pickups)),
        Route("/alarms", threaded(page_alarms)),
        Route("/alarms/{id:int}/ack", threaded(page_alarm_ack), methods=["POST"]),
        Route("/commands", threaded(page_commands)),
        Route("/commands/new", threaded(page_command_new), methods=["POST"]),
        Route("/commands/{id}/approve", threaded(page_command_approve), methods=["POST"]),
        Route("/api/notifications", threaded(api_notifications)),
        Route("/api/notifications/{id}/resend", threaded(notification_resend), methods=["POST"]),
        Route("/api/sms/report", threaded(sms_report), methods=["POST"]),
        Route("/notifications", threaded(page_notifications)),
        Route("/notifications/{id}/resend", threaded(notification_resend), methods=["POST"]),
        Route("/api/report", threaded(api_report)),
        Route("/report", threaded(page_report)),
        Route("/report.csv", threaded(report_csv)),
        Route("/cases", threaded(page_cases)),
        Route("/cases/{id}", threaded(page_case)),
        Route("/cases/{id}/files/{fid:int}", threaded(case_file)),
        Route("/cases/{id}/{action:str}", threaded(page_case_decide), methods=["POST"]),
    ]

    routes[0:0] = routes_cases.routes(console, need=need, check_csrf=check_csrf, render=render, json_body=json_body,
                                      form_of=form_of, threaded=threaded)
    routes += routes_ops.routes(routes_ops.Helpers(console, env, PERMISSIONS, threaded, need, check_csrf, render,
                                                   json_body, form_of, send, Refused))

    async def only_known_actions(request: Request, call_next: Any) -> Response:
        """Only approve/reject/request_material exist as case actions."""
        parts = request.url.path.strip("/").split("/")
        if request.method == "POST" and "cases" in parts and len(parts) >= 3 and parts[-1] not in (
                "approve", "reject", "request_material"):
            return JSONResponse({"error": "not_found", "message": "case actions: approve, reject"}, status_code=404)
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    app = Starlette(routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=only_known_actions)],
                    exception_handlers={Refused: on_refused, OperationalError: on_db_error, DBAPIError: on_db_error})
    return app
