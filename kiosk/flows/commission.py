"""Technician commissioning: sign in (technician card + PIN), then step through the checks —
device self-test, bus scan + compartment map, door-by-door test, printer test page, camera check,
back-office link check — and export a diagnostics bundle.

Every check records a row `{check, target, ok, detail}`; a failing check never stops the
commissioning (the report says what failed). The diagnostics bundle is a zip of JSON files with
device snapshots, check results, the compartment map and states, case counts by status and the
audit chain's verification — no names, no ID numbers, no case numbers, no images.
Outcome: completed (whatever the checks found: see `data["failed"]`), plus the sign-in outcomes.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from kiosk.devices.base import Completion, ResultCode
from kiosk.flows.base import Flow
from kiosk.flows.staff import StaffSignInMixin
from kiosk.flows.texts import t
from kiosk.flows.viewmodel import Action, ViewModel

CHECKS = ("selftest", "bus_scan", "door_test", "printer_test", "camera_check", "link_check", "export")


class CommissionFlow(StaffSignInMixin, Flow):
    name = "commission"
    title_key = "commission.title"
    initial = "identify_card"
    task = "commission"
    STEPS = (("staff.step.sign_in", ("identify_card", "staff_pin")),) + tuple(
        (f"commission.step.{c}", (c,)) for c in CHECKS) + (("commission.step.report", ("report",)),)

    def __init__(self, ctx: Any, doors: list[str] | None = None) -> None:
        self._card_tries = self._face_tries = 0
        self.doors_wanted = doors
        self.results: list[dict[str, Any]] = []  # device/check results: no personal data
        self.bundle: str | None = None
        self._door_queue: list[str] = []
        super().__init__(ctx)

    def signed_in(self) -> None:
        self.session.identity.wipe()  # the technician's card is not needed any more
        self.go("selftest")

    def _record(self, check: str, target: str, ok: bool, detail: str = "") -> None:
        self.results.append({"check": check, "target": target, "ok": bool(ok), "detail": str(detail)[:200]})

    def _view(self, check: str, body: tuple[Any, ...], busy: bool = False, **data: Any) -> ViewModel:
        rows = [r for r in self.results if r["check"] == check]
        return ViewModel(self.name, self.state, t(f"commission.step.{check}"), body=body,
                         actions=() if busy else (Action("next", t("commission.next")),
                                                  Action("repeat", t("commission.repeat"), "secondary")),
                         busy=busy, screen="checklist", data={"rows": rows, **data})

    def _act_step(self, action_id: str, nxt: str) -> bool:
        if action_id == "next":
            self.go(nxt)
            return True
        if action_id == "repeat":
            current = self.state
            self.results = [r for r in self.results if r["check"] != current]
            self.go(current)
            return True
        return False

    # -- 1 self-test --------------------------------------------------------------------------
    def enter_selftest(self) -> None:
        for role, dev in self.ctx.devices.items():
            if dev is None:
                self._record("selftest", role, False, "not configured")
                continue
            snap = dev.snapshot()
            ok = snap["status"] in ("online", "busy")
            extra = {k: v for k, v in snap.items() if k in ("paper", "card", "door")}
            self._record("selftest", role, ok, f"{snap['status']} {snap.get('detail') or ''} {extra or ''}".strip())

    def view_selftest(self) -> ViewModel:
        return self._view("selftest", (t("commission.selftest.body"),))

    def act_selftest(self, action_id: str, **_: Any) -> bool:
        return self._act_step(action_id, "bus_scan")

    # -- 2 bus scan + map ---------------------------------------------------------------------
    def enter_bus_scan(self) -> None:
        try:
            scan = self.ctx.services.cabinet.bus_scan()
        except Exception as exc:
            self._record("bus_scan", "bus", False, f"{type(exc).__name__}: {exc}")
            return
        for board in scan.get("boards", []):
            self._record("bus_scan", f"board {board['address']}", bool(board.get("found")),
                         board.get("detail", ""))
        for problem in scan.get("map_problems", []):
            self._record("bus_scan", "map", False, problem)
        if not scan.get("map_problems"):
            self._record("bus_scan", "map", True, f"{scan.get('compartments', 0)} compartments match the boards")

    def view_bus_scan(self) -> ViewModel:
        return self._view("bus_scan", (t("commission.bus_scan.body"),))

    def act_bus_scan(self, action_id: str, **_: Any) -> bool:
        return self._act_step(action_id, "door_test")

    # -- 3 door by door -----------------------------------------------------------------------
    def enter_door_test(self) -> None:
        comps = [c.id for c in self.ctx.services.cabinet.compartments() if c.state in ("empty", "out_of_service")]
        if self.doors_wanted is not None:
            comps = [c for c in comps if c in self.doors_wanted]
        self._door_queue = comps
        self._next_door()

    def _next_door(self) -> None:
        if not self._door_queue:
            self._changed()
            return
        comp = self._door_queue.pop(0)
        self.session.visit.staff.door = comp
        self.start("door", self.ctx.services.cabinet.open(comp, "door_test", "technician"))

    def done_door(self, c: Completion[Any]) -> None:
        staff = self.session.visit.staff
        comp = staff.door if staff.door is not None else "?"
        staff.door = None
        self._record("door_test", comp, c.ok, str(c.data) if c.ok else f"{c.code}: {c.detail}")
        self._next_door()

    def view_door_test(self) -> ViewModel:
        busy = self.pending("door")
        return self._view("door_test", (t("commission.door_test.body", left=len(self._door_queue)),), busy=busy,
                          current=self.session.visit.staff.door)

    def act_door_test(self, action_id: str, **_: Any) -> bool:
        if self.pending("door"):
            return False
        return self._act_step(action_id, "printer_test")

    # -- 4 printer ----------------------------------------------------------------------------
    def enter_printer_test(self) -> None:
        printer = self.ctx.devices.printer
        if printer is None:
            self._record("printer_test", "printer", False, "not configured")
            return
        self.start("test_page", printer.print_document("test_page", {
            "printed_at": self.clock.now().isoformat(timespec="seconds"), "technician": self.staff_no()},
            self.ctx.lang))

    def done_test_page(self, c: Completion[Any]) -> None:
        printer = self.ctx.devices.printer
        paper = printer.class_status.get("paper", "?") if printer is not None else "?"
        self._record("printer_test", "printer", c.ok, f"paper {paper}" if c.ok else f"{c.code}: {c.detail}")

    def view_printer_test(self) -> ViewModel:
        return self._view("printer_test", (t("commission.printer_test.body"),), busy=self.pending("test_page"))

    def act_printer_test(self, action_id: str, **_: Any) -> bool:
        return self._act_step(action_id, "camera_check")

    # -- 5 camera -----------------------------------------------------------------------------
    def enter_camera_check(self) -> None:
        cam = self.ctx.devices.camera
        if cam is None:
            self._record("camera_check", "camera", False, "not configured")
            return
        if not getattr(self, "_camera_started", False):
            cam.start()
            self._camera_started = True
        self.start("frame", cam.grab(timeout=3.0))

    def done_frame(self, c: Completion[Any]) -> None:
        if c.ok and c.data is not None:
            shape = getattr(c.data.image, "shape", None)
            self._record("camera_check", "camera", shape is not None, f"frame {shape}")
        else:
            self._record("camera_check", "camera", False, f"{c.code}: {c.detail}")
        self.release_camera()

    def view_camera_check(self) -> ViewModel:
        return self._view("camera_check", (t("commission.camera_check.body"),), busy=self.pending("frame"),
                          preview=True)

    def act_camera_check(self, action_id: str, **_: Any) -> bool:
        return self._act_step(action_id, "link_check")

    # -- 6 back office ------------------------------------------------------------------------
    def enter_link_check(self) -> None:
        bo = self.ctx.services.backoffice
        self.start("ping", self.ctx.services.run("ping", bo.ping))

    def done_ping(self, c: Completion[Any]) -> None:
        if c.ok:
            self._record("link_check", "backoffice", c.data.online, f"{c.data.latency_ms:.0f} ms {c.data.detail}")
        else:
            self._record("link_check", "backoffice", False, c.detail)

    def view_link_check(self) -> ViewModel:
        return self._view("link_check", (t("commission.link_check.body"),), busy=self.pending("ping"))

    def act_link_check(self, action_id: str, **_: Any) -> bool:
        return self._act_step(action_id, "export")

    # -- 7 diagnostics ------------------------------------------------------------------------
    def enter_export(self) -> None:
        try:
            self.bundle = str(export_diagnostics(self.ctx, self.results))
            self._record("export", "bundle", True, Path(self.bundle).name)
        except OSError as exc:
            self._record("export", "bundle", False, f"{exc.strerror or exc}")

    def view_export(self) -> ViewModel:
        return self._view("export", (t("commission.export.body"),), bundle=self.bundle)

    def act_export(self, action_id: str, **_: Any) -> bool:
        return self._act_step(action_id, "report")

    # -- report -------------------------------------------------------------------------------
    def view_report(self) -> ViewModel:
        failed = [r for r in self.results if not r["ok"]]
        return ViewModel(self.name, self.state, t("commission.step.report"),
                         body=(t("commission.report.body", ok=len(self.results) - len(failed), failed=len(failed)),),
                         actions=(Action("finish", t("common.finish")),), screen="checklist",
                         data={"rows": list(self.results), "failed": failed, "bundle": self.bundle})

    def act_report(self, action_id: str, **_: Any) -> bool:
        if action_id != "finish":
            return False
        failed = sum(1 for r in self.results if not r["ok"])
        self.ctx.services.audit.append(f"staff:{self.staff_no()}", "commission.finished", self.ctx.station_id,
                                       checks=len(self.results), failed=failed)
        self.end("completed", t("commission.finished", failed=failed))
        return True

    def view_ended(self) -> ViewModel:
        vm = super().view_ended()
        return ViewModel(vm.flow, vm.state, vm.title, vm.body, vm.actions, final=True,
                         data={**vm.data, "rows": list(self.results), "bundle": self.bundle})


def export_diagnostics(ctx: Any, results: list[dict[str, Any]]) -> Path:
    """Write the diagnostics bundle (zip of JSON, nothing personal) and return its path."""
    svc = ctx.services
    now = ctx.clock.now()
    devices = {role: (dev.snapshot() if dev is not None else None) for role, dev in ctx.devices.items()}
    compartments = [{"id": c.id, "board": c.board, "lock": c.lock, "size": c.size, "state": c.state,
                     "door": svc.cabinet.door(c.id)} for c in svc.cabinet.compartments()]
    counts: dict[str, int] = {}
    for row in svc.cases.store.query("SELECT status, COUNT(*) AS n FROM cases GROUP BY status"):
        counts[row["status"]] = row["n"]
    ok, verdict = svc.audit.verify()
    files = {
        "station.json": {"station_id": ctx.station_id, "exported_at": now.isoformat(timespec="seconds")},
        "devices.json": devices,
        "checks.json": results,
        "compartments.json": compartments,
        "cases_by_status.json": counts,
        "audit.json": {"intact": ok, "verdict": verdict},
    }
    folder = Path(svc.diagnostics_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"diagnostics-{ctx.station_id}-{now.strftime('%Y%m%dT%H%M%S')}.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, json.dumps(content, ensure_ascii=False, indent=2, default=str))
    path.write_bytes(buf.getvalue())
    return path
