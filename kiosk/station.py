"""The station at run time: the parts the composition root built (`kiosk.assembly`), the core
event queue, and the flow in progress. What the Kivy app (and the headless scenario runner) is
built on.

    station = build_station(config, root=ROOT)        # kiosk.assembly: builds and starts it
    flow = station.start_flow("apply")                # apply | query | collect | deposit | retrieve | commission
    vm = flow.view()                                  # render it; a touch -> flow.act(action_id, **args)
    station.pump()                                    # on the UI thread, whenever the queue wakes it
    station.tick()                                    # about once a second (idle timeouts, door polls)
    station.health()                                  # device snapshots + which tasks are available
    station.close()

API (kept small on purpose):
- `start_flow(name, **kwargs) -> Flow`: ends the flow in progress (as `canceled`) first; in
  maintenance a citizen flow is refused (`StationInMaintenance`).
- `pump(limit=1000) -> int`: hands queued device events and command completions to the flow
  (and keeps the health snapshot current). Call it from the one thread that drives flows.
- `on_wake(callback)`: called (from any thread) when something is queued — a Kivy Clock trigger.
- `tick()`: timeouts and polling; also takes in the back office's news (results ready, status).
- `health() -> dict`, `available() -> dict[str, str | None]`, `close()`.
Attributes for the UI: `config` (the live configuration), `clock`, `events`, `devices`,
`services`, `flow` (or None), `mode`, `fleet_link` (or None).
"""

from __future__ import annotations

import logging
from datetime import date
import threading
from collections.abc import Callable
from typing import Any

from kiosk.assembly import (  # noqa: F401  (re-exported for older callers)
    NEEDS, StationParts, build_devices, device_plan, resolve, task_availability)
from kiosk.core.memory import release_freed_memory_soon
from kiosk.devices.base import DeviceEvent
from kiosk.flows.base import Flow
from kiosk.flows.registry import FLOWS

log = logging.getLogger(__name__)


def _snapshot(dev: Any) -> dict[str, Any]:
    """A device's snapshot; a device whose snapshot fails is reported broken, never raised."""
    try:
        return dev.snapshot()
    except Exception as exc:
        log.exception("%s: snapshot failed", getattr(dev, "name", dev))
        return {"status": "hardware_error", "detail": f"snapshot failed: {exc}"[:200]}


class Station:
    def __init__(self, parts: StationParts) -> None:
        self._parts = parts
        self.live = parts.live
        self.root = parts.root
        self.clock = parts.clock
        self.events = parts.events
        self.store = parts.store
        self.audit = parts.audit
        self.catalog = parts.catalog
        self.devices = parts.devices
        self.device_problems = parts.device_problems
        self.outbox = parts.outbox
        self.mode = parts.mode
        self.cabinet_service = parts.cabinet_service
        self.reconcile_report = parts.reconcile_report
        self.services = parts.services
        self.ctx = parts.ctx
        self.fleet_target = parts.fleet_target
        self.fleet_link = parts.fleet_link
        self.fleet_problem = parts.fleet_problem
        self.backup = parts.backup
        self.flow: Flow | None = None
        self._trimmed_after: Flow | None = None
        self._ended_flow: Flow | None = None
        self._ended_at = 0.0
        self._next_poll = 0.0
        self._calendar_warned: date | None = None  # the day next year's missing holiday notice was reported
        self._status: dict[str, dict[str, Any]] = {role: _snapshot(dev) for role, dev in self.devices.items()
                                                   if dev is not None}
        self._stop = threading.Event()
        self._backup_thread: threading.Thread | None = None

    @property
    def config(self) -> Any:
        return self.live.current

    def start(self) -> None:
        """Join the fleet (when a link was built) and run the backup schedule."""
        if self.fleet_link is not None:
            self.fleet_link.start()
            log.info("fleet: %s joins %s (back office: %s)", self.config.station.id, self.config.fleet.broker,
                     type(self.services.backoffice).__name__)
        if self.backup is not None and self.backup.interval.total_seconds() > 0:
            self._backup_thread = threading.Thread(target=self.backup.run_until, args=(self._stop,),
                                                   name="backup", daemon=True)
            self._backup_thread.start()

    # -- flows --------------------------------------------------------------------------------
    def start_flow(self, name: str, **kwargs: Any) -> Flow:
        if name not in FLOWS:
            raise ValueError(f"no flow {name!r} (have: {', '.join(FLOWS)})")
        why = self.mode.refusal(name)
        if why:
            from kiosk.services.station_commands import StationInMaintenance

            raise StationInMaintenance(f"cannot start {name}: {why}")
        if self.flow is not None and not self.flow.ended:
            self.flow.end("canceled")
        self.flow = FLOWS[name](self.ctx, **kwargs)
        return self.flow

    def pump(self, limit: int = 1000) -> int:
        return self.events.drain(self._dispatch, limit)

    def _dispatch(self, event: Any) -> None:
        if isinstance(event, DeviceEvent) and event.kind == "status_changed":
            dev = getattr(self.devices, event.device, None)
            if dev is not None:
                self._status[event.device] = _snapshot(dev)
        flow = self.flow
        if flow is not None and not flow.ended:
            try:
                flow.handle(event)
            except Exception:  # Flow.handle already turns failures into an end; belt and braces
                log.exception("flow %s: handling %r failed", flow.name, event)

    def on_wake(self, callback: Callable[[], None]) -> None:
        self.events.on_post(callback)

    BACKOFFICE_POLL_S = 5.0
    IDLE_TRIM_S = 60.0  # a minute with no visit: freed memory goes back to the system (ADR 0288)

    def tick(self) -> None:
        if self.flow is not None:
            self.flow.tick()
        now = self.clock.monotonic()
        if now >= self._next_poll:
            self._next_poll = now + self.BACKOFFICE_POLL_S
            self.sync_backoffice()
            self.check_calendar()
        self._trim_when_idle(now)

    def _trim_when_idle(self, now: float) -> None:
        """Once per visit, after the station has been idle a while: not between visits in a
        queue, where the next one would only take the pages back (page faults cost CPU)."""
        flow = self.flow
        if flow is None or not flow.ended or flow is self._trimmed_after:
            return
        if self._ended_flow is not flow:
            self._ended_flow, self._ended_at = flow, now
        elif now - self._ended_at >= self.IDLE_TRIM_S:
            self._trimmed_after = flow
            release_freed_memory_soon()

    def check_calendar(self) -> int | None:
        """From 1 December, once a day while next year's holiday notice is missing: tell the back
        office (`station.calendar_notice_missing`), which can send it in its desired settings."""
        cases = self.services.cases
        missing = cases.calendar.missing_next_year(cases.today())
        if missing is not None and self._calendar_warned != cases.today():
            self._calendar_warned = cases.today()
            log.warning("no holiday notice for %d: promised dates in %d follow the computed holidays only",
                        missing, missing)
            if self.outbox is not None:
                self.outbox.add_now("station.calendar_notice_missing", {"year": missing})
        return missing

    def sync_backoffice(self) -> int:
        """Take in the back office's news: case status changes (e.g. result ready for deposit)."""
        bo = self.services.backoffice
        try:
            news = bo.poll_events()
        except Exception as exc:
            log.debug("back office poll failed: %s", exc)
            return 0
        n = 0
        for ev in news:
            if ev.kind in ("case_status", "result_ready") and self.services.cases.find(ev.case_no) is not None:
                try:
                    self.services.cases.merge_report(bo.case_status(ev.case_no))
                    n += 1
                except Exception as exc:
                    log.warning("case %s: status update failed: %s", ev.case_no, exc)
        return n

    # -- health -------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """Device snapshots (no personal data) and task availability."""
        devices = {}
        for role, dev in self.devices.items():
            devices[role] = _snapshot(dev) if dev is not None else {
                "device": role, "status": "no_device", "detail": self.device_problems.get(role, "not configured")}
        return {"station": self.config.station.id, "devices": devices, "available": self.available(),
                "mode": self.mode.as_health(), "fleet_problem": self.fleet_problem,
                "flow": self.flow.name if self.flow is not None and not self.flow.ended else None}

    def available(self) -> dict[str, str | None]:
        """task -> None when it can run, else the reason it cannot."""
        return task_availability(self.devices, self.services.cabinet, self.mode, self.services.backoffice)

    def close(self) -> None:
        if self.fleet_link is not None:  # first: no command may act on a device being closed
            self.fleet_link.stop(5.0)
            self.fleet_link = None
        self._stop.set()
        if self._backup_thread is not None:
            self._backup_thread.join(10.0)
        if self.flow is not None and not self.flow.ended:
            self.flow.end("canceled")
        if self.services.cabinet is not None and hasattr(self.services.cabinet, "close"):
            self.services.cabinet.close()
        if self.services.runner is not None:
            self.services.runner.stop()
        for role, dev in self.devices.items():
            if dev is not None:
                try:
                    dev.close()
                except Exception:
                    log.exception("%s: close failed", role)
        self.store.close()
