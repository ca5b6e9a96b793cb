"""Console routes of the case ledger beyond approve/reject, payments and result checks; mounted
by `office.web.app.build_app` (ahead of its generic `/cases/{id}/{action}` routes).

- `POST /api/cases/{id}/request_material` {material, reason} and the page form
  `POST /cases/{id}/request_material`: ask the citizen for a missing material (`office.cases`).
- `GET /cases/{id}/result-qr.png`: the QR code of an electronic result's verification link.
- `GET /verify/{code}` (page) and `GET /api/verify/{code}`: public, no sign-in: whether a
  verification code belongs to an issued result, with the service item and the date only.
- `GET /api/payments`, `GET /payments`; `POST /api/payments/{id}/refund` {reason} and the page
  form `POST /payments/{id}/refund`: refund a paid order (role with `payment.refund`).
- `GET /api/ecerts`: e-certificate records per type (nothing personal).
Every action is one transaction with its audit record; refusals are audited by `need`/`check_csrf`.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from office import cases, ecerts, payments
from office.schema import cases as cases_t

CODE_RE = re.compile(r"^[0-9A-F]{12}$")
VERIFY_PER_MINUTE = 30  # public /verify look-ups per client address and minute


class ClientLimit:
    """At most `limit` hits per client in a sliding `window_s` (in memory, per office process)."""

    def __init__(self, limit: int, window_s: float, max_clients: int = 10_000) -> None:
        self.limit, self.window_s, self.max_clients = limit, window_s, max_clients
        self.hits: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self.hits.get(client, ()) if now - t < self.window_s]
            ok = len(recent) < self.limit
            if ok:
                recent.append(now)
            self.hits[client] = recent
            if len(self.hits) > self.max_clients:
                self.hits.pop(next(iter(self.hits)))
            return ok


def routes(console: Any, *, need: Callable[..., Any], check_csrf: Callable[..., Any], render: Callable[..., Any],
           json_body: Callable[..., Any], form_of: Callable[..., Any], threaded: Callable[..., Any]) -> list[Route]:
    provider = getattr(console, "payments", None) or payments.SimulatedProvider()
    verify_limit = ClientLimit(VERIFY_PER_MINUTE, 60.0)

    # ---- missing material ------------------------------------------------------------------------
    def api_request_material(request: Request) -> Response:
        s = need(request, "case.decide")
        check_csrf(request, s)
        body = json_body(request)
        case_no = request.path_params["id"]
        try:
            with console.engine.begin() as conn:
                status = cases.request_material(conn, case_no, s.user.name, str(body.get("material", "")),
                                                str(body.get("reason", "")))
        except cases.CaseError as exc:
            return JSONResponse({"error": "conflict", "message": str(exc)}, status_code=409)
        return JSONResponse({"case_no": case_no, "status": status})

    def page_request_material(request: Request) -> Response:
        s = need(request, "case.decide")
        form = form_of(request)
        check_csrf(request, s, form)
        case_no = request.path_params["id"]
        try:
            with console.engine.begin() as conn:
                cases.request_material(conn, case_no, s.user.name, str(form.get("material", "")),
                                       str(form.get("reason", "")))
        except cases.CaseError as exc:
            with console.engine.connect() as conn:
                c = cases.get(conn, case_no, reveal=True)  # a case.decide role
            if c is None:
                return render(request, "error.html", s, status=404, message=str(exc))
            return render(request, "case.html", s, status=409, case=c, error=str(exc))
        return RedirectResponse(f"/cases/{case_no}", status_code=303)

    # ---- electronic results: QR and the public check ---------------------------------------------------
    def issued(code: str) -> dict[str, Any] | None:
        if not CODE_RE.match(code):
            return None
        with console.engine.connect() as conn:
            # stored when the electronic result was issued (office.cases.approve); an index lookup
            r = conn.execute(select(cases_t.c.case_no, cases_t.c.ref, cases_t.c.matter_code, cases_t.c.approved_at,
                                    cases_t.c.status).where(cases_t.c.verify_code == code).limit(1)).first()
        if r is None or r.status != "approved" or cases.verify_code(r.case_no, r.ref) != code:
            return None
        from office.station_calls import catalog

        m = catalog().find(r.matter_code)
        return {"valid": True, "matter_code": r.matter_code, "matter_zh": m.name_zh if m else r.matter_code,
                "matter_en": m.name_en if m else r.matter_code, "issued": (r.approved_at or "")[:10]}

    def throttled(request: Request) -> Response | None:
        """The public check is unauthenticated: at most VERIFY_PER_MINUTE look-ups per client address."""
        client = request.client.host if request.client else "?"
        if verify_limit.allow(client):
            return None
        return JSONResponse({"error": "too_many_requests", "message": "too many verification requests; "
                             "wait a minute"}, status_code=429, headers={"Retry-After": "60"})

    def api_verify(request: Request) -> Response:
        if (refused := throttled(request)) is not None:
            return refused
        found = issued(request.path_params["code"].upper())
        return JSONResponse(found or {"valid": False}, status_code=200 if found else 404)

    def page_verify(request: Request) -> Response:
        if (refused := throttled(request)) is not None:
            return refused
        found = issued(request.path_params["code"].upper())
        return render(request, "verify.html", None, status=200 if found else 404, found=found,
                      code=request.path_params["code"][:20])

    def result_qr(request: Request) -> Response:
        need(request, "read")
        with console.engine.connect() as conn:
            c = cases.get(conn, request.path_params["id"])
        if c is None or not c.get("verify_code"):
            return JSONResponse({"error": "not_found", "message": "no electronic result for this case"},
                                status_code=404)
        import qrcode

        img = qrcode.make(cases.VERIFY_URL.format(code=c["verify_code"]), box_size=6, border=2)
        out = io.BytesIO()
        img.save(out, "PNG")
        return Response(out.getvalue(), media_type="image/png", headers={"Cache-Control": "private, no-store"})

    # ---- payments ------------------------------------------------------------------------------------
    def api_payments(request: Request) -> Response:
        need(request, "read")
        with console.engine.connect() as conn:
            return JSONResponse({"payments": payments.list_payments(conn, request.query_params.get("status"))})

    def page_payments(request: Request) -> Response:
        s = need(request, "read")
        status = request.query_params.get("status") or None
        with console.engine.connect() as conn:
            rows = payments.list_payments(conn, status)
        return render(request, "payments.html", s, rows=rows, filter=status or "",
                      error=request.query_params.get("error"))

    def refund(request: Request, reason: str, user: str) -> dict[str, Any]:
        with console.engine.begin() as conn:
            return payments.refund(conn, provider, request.path_params["id"], reason, f"user:{user}")

    def api_refund(request: Request) -> Response:
        s = need(request, "payment.refund")
        check_csrf(request, s)
        try:
            return JSONResponse(refund(request, str(json_body(request).get("reason", "")), s.user.name))
        except payments.PaymentError as exc:
            return JSONResponse({"error": "conflict", "message": str(exc)}, status_code=409)

    def page_refund(request: Request) -> Response:
        s = need(request, "payment.refund")
        form = form_of(request)
        check_csrf(request, s, form)
        try:
            refund(request, str(form.get("reason", "")), s.user.name)
        except payments.PaymentError as exc:
            return RedirectResponse("/payments?" + urlencode({"error": str(exc)[:300]}), status_code=303)
        return RedirectResponse("/payments", status_code=303)

    def api_ecerts(request: Request) -> Response:
        need(request, "read")
        with console.engine.connect() as conn:
            return JSONResponse({"types": ecerts.counts(conn)})

    return [
        Route("/api/cases/{id}/request_material", threaded(api_request_material), methods=["POST"]),
        Route("/cases/{id}/request_material", threaded(page_request_material), methods=["POST"]),
        Route("/cases/{id}/result-qr.png", threaded(result_qr)),
        Route("/verify/{code}", threaded(page_verify)),
        Route("/api/verify/{code}", threaded(api_verify)),
        Route("/api/payments", threaded(api_payments)),
        Route("/payments", threaded(page_payments)),
        Route("/api/payments/{id}/refund", threaded(api_refund), methods=["POST"]),
        Route("/payments/{id}/refund", threaded(page_refund), methods=["POST"]),
        Route("/api/ecerts", threaded(api_ecerts)),
    ]
