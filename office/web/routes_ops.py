"""Console routes for station operations: alarm assignment, clearing and bulk acknowledgement from
the page, overdue pickups (period, reminder SMS, recall for staff), the last 24 hours' pickups,
and the live-update stream. Mounted by `office.web.app.build_app` through `routes(helpers)`; it
uses the app's own session, CSRF, rendering and error handling (`Helpers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from office import alarm_assign, alarm_texts, alarms, pickups
from office.web import i18n_ops, live  # noqa: F401  (i18n_ops: registers texts)

STATIC = Path(__file__).resolve().parent / "static"
OPS_PERMISSIONS: dict[str, frozenset[str]] = {
    "alarm.assign": frozenset({"operator", "supervisor", "admin"}),
    "pickup.remind": frozenset({"operator", "supervisor", "admin"}),
    "pickup.recall": frozenset({"operator", "supervisor", "admin"}),
    "setting.change": frozenset({"supervisor", "admin"}),
}


@dataclass(frozen=True)
class Helpers:
    """What the app lends these routes (see office.web.app.build_app)."""
    console: Any
    env: Environment
    permissions: dict[str, frozenset[str]]
    threaded: Any
    need: Any
    check_csrf: Any
    render: Any
    json_body: Any
    form_of: Any
    send: Any
    refused: type[Exception]


def routes(h: Helpers) -> list[BaseRoute]:
    console = h.console
    h.permissions.update(OPS_PERMISSIONS)
    h.env.globals["alarm_detail"] = alarm_texts.detail

    def handlers() -> list[str]:
        with console.engine.connect() as conn:
            return alarm_assign.handlers(conn)

    h.env.globals["alarm_handlers"] = handlers

    def days() -> int:
        with console.engine.connect() as conn:
            return pickups.period_days(conn, console.pickup_days)

    # ---- alarms -----------------------------------------------------------------------------------
    def api_assign(request: Request) -> Response:
        s = h.need(request, "alarm.assign")
        h.check_csrf(request, s)
        to = h.json_body(request).get("to")
        if not isinstance(to, str):  # "" takes the assignment away
            raise h.refused(400, "bad_request", "expected {\"to\": \"operator account name\"} (\"\": nobody)")
        try:
            with console.engine.begin() as conn:
                row = alarm_assign.assign(conn, int(request.path_params["id"]), to, s.user.name)
        except alarms.AlarmError as exc:
            return JSONResponse({"error": "conflict", "message": str(exc)}, status_code=409)
        return JSONResponse({"alarm": row})

    def back_to_alarms(request: Request, error: str = "") -> Response:
        state = str(h.form_of(request).get("state", "open"))[:10]
        q = {"state": state} | ({"error": error[:300]} if error else {})
        return RedirectResponse("/alarms?" + urlencode(q), status_code=303)

    def page_assign(request: Request) -> Response:
        s = h.need(request, "alarm.assign")
        form = h.form_of(request)
        h.check_csrf(request, s, form)
        try:
            with console.engine.begin() as conn:
                alarm_assign.assign(conn, int(request.path_params["id"]), str(form.get("to", "")), s.user.name)
        except alarms.AlarmError as exc:
            return back_to_alarms(request, str(exc))
        return back_to_alarms(request)

    def page_clear(request: Request) -> Response:
        s = h.need(request, "alarm.ack")
        form = h.form_of(request)
        h.check_csrf(request, s, form)
        try:
            with console.engine.begin() as conn:
                alarms.clear(conn, int(request.path_params["id"]), s.user.name)
        except alarms.AlarmError as exc:
            return back_to_alarms(request, str(exc))
        return back_to_alarms(request)

    def page_bulk_ack(request: Request) -> Response:
        s = h.need(request, "alarm.ack")
        form = h.form_of(request)
        h.check_csrf(request, s, form)
        ids = [int(i) for i in form.getlist("ids") if str(i).isdigit()][:1000]
        with console.engine.begin() as conn:
            alarms.acknowledge_many(conn, ids, s.user.name)
        return back_to_alarms(request)

    # ---- pickups ----------------------------------------------------------------------------------
    def pickup_data() -> dict[str, Any]:
        with console.engine.connect() as conn:
            d = pickups.period_days(conn, console.pickup_days)
            return {"pickup_days": d, "overdue": pickups.overdue(conn, d), "recent": pickups.recent(conn, 24)}

    def api_pickups(request: Request) -> Response:
        h.need(request, "read")
        return JSONResponse(pickup_data())

    def page_pickups(request: Request) -> Response:
        s = h.need(request, "read")
        return h.render(request, "pickups.html", s, error=request.query_params.get("error"),
                        done=request.query_params.get("done"), **pickup_data())

    def pickup_action(request: Request, perm: str, body: Any) -> Any:
        """Runs a reminder/recall/period change; returns (result, None) or (None, error message)."""
        s = h.need(request, perm)
        h.check_csrf(request, s, body if not request.url.path.startswith("/api/") else None)
        action = request.path_params["action"]
        try:
            with console.engine.begin() as conn:
                if action == "period":
                    return {"pickup_days": pickups.set_period_days(conn, body.get("days"), s.user.name)}, None
                station, comp, case_no = (str(body.get(k, ""))[:64] for k in ("station", "compartment", "case_no"))
                if action == "remind":
                    return {"notification": pickups.remind(conn, station, comp, case_no, f"user:{s.user.name}")}, None
                res = pickups.recall(conn, station, comp, case_no, s.user.name, console.signing_key,
                                     str(body.get("reason", "")))
        except pickups.PickupError as exc:
            return None, str(exc)
        h.send(res)
        return {"cmd_id": res["cmd_id"], "state": res["state"]}, None

    PERM = {"period": "setting.change", "remind": "pickup.remind", "recall": "pickup.recall"}

    def known(request: Request) -> str:
        action = request.path_params["action"]
        if action not in PERM:
            raise h.refused(404, "not_found", "pickup actions: " + ", ".join(PERM))
        return action

    def api_pickup_action(request: Request) -> Response:
        result, error = pickup_action(request, PERM[known(request)], h.json_body(request))
        if error:
            return JSONResponse({"error": "refused", "message": error}, status_code=409)
        return JSONResponse(result)

    def page_pickup_action(request: Request) -> Response:
        action = known(request)
        result, error = pickup_action(request, PERM[action], h.form_of(request))
        q = {"error": error[:300]} if error else {"done": action}
        return RedirectResponse("/pickups?" + urlencode(q), status_code=303)

    # ---- live ---------------------------------------------------------------------------------------
    open_streams: dict[str, int] = {}  # session token -> live streams open (a cap per session)

    async def api_live(request: Request) -> Response:
        s = await run_in_threadpool(h.need, request, "read")
        try:
            topics = live.parse_topics(request.query_params.get("topics", ""))
        except ValueError as exc:
            return JSONResponse({"error": "bad_request", "message": str(exc)}, status_code=400)
        key = s.csrf  # one per session
        if open_streams.get(key, 0) >= live.MAX_STREAMS_PER_SESSION:
            return JSONResponse({"error": "too_many_streams", "message": "close other console tabs"},
                                status_code=429)

        def allowed() -> bool:
            try:
                h.need(request, "read")
                return True
            except h.refused:
                return False

        async def counted() -> Any:
            open_streams[key] = open_streams.get(key, 0) + 1
            try:
                async for chunk in live.stream(console.engine, topics, allowed=allowed):
                    yield chunk
            finally:
                open_streams[key] -= 1
                if open_streams[key] <= 0:
                    open_streams.pop(key, None)

        return StreamingResponse(counted(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    t = h.threaded
    return [
        Route("/api/alarms/{id:int}/assign", t(api_assign), methods=["POST"]),
        Route("/alarms/{id:int}/assign", t(page_assign), methods=["POST"]),
        Route("/alarms/{id:int}/clear", t(page_clear), methods=["POST"]),
        Route("/alarms/ack", t(page_bulk_ack), methods=["POST"]),
        Route("/api/pickups", t(api_pickups)),
        Route("/api/pickups/{action:str}", t(api_pickup_action), methods=["POST"]),
        Route("/pickups", t(page_pickups)),
        Route("/pickups/{action:str}", t(page_pickup_action), methods=["POST"]),
        Route("/api/live", api_live),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
