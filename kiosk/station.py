"""The station: every service and device of one configuration, the core event queue, and the
flow in progress. What the Kivy app (and the headless scenario runner) is built on.

    station = Station(config, backoffice=bo)          # opens the store, services and devices
    flow = station.start_flow("apply")                # apply | query | collect | deposit | retrieve | commission
    vm = flow.view()                                  # render it; a touch -> flow.act(action_id, **args)
    station.pump()                                    # on the UI thread, whenever the queue wakes it
    station.tick()                                    # about once a second (idle timeouts, door polls)
    station.health()                                  # device snapshots + which tasks are available
    station.close()

API (kept small on purpose):
- `Station(config, *, backoffice, clock=None, devices=None, catalog=None, staff_seed=())`:
  `backoffice` is a `kiosk.services.backoffice.BackOffice` (the simulated one, or the fleet's MQTT
  one); `devices` (a `kiosk.flows.base.Devices`) replaces building them from the config (tests,
  benchmarks). A device that cannot be built or opened is left out and the station degrades:
  `available()` says which tasks cannot run and why; nothing raises.
- `start_flow(name, **kwargs) -> Flow`: ends the flow in progress (as `canceled`) first.
- `pump(limit=1000) -> int`: hands queued device events and command completions to the flow
  (and keeps the health snapshot current). Call it from the one thread that drives flows.
- `on_wake(callback)`: called (from any thread) when something is queued — a Kivy Clock trigger.
- `tick()`: timeouts and polling; also takes in the back office's news (results ready, status).
- `health() -> dict`, `available() -> dict[str, str | None]`, `close()`.
Attributes for the UI: `config`, `clock`, `events`, `devices`, `services`, `flow` (or None).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.config import StationConfig
from kiosk.core.clock import Clock, SystemClock
from kiosk.core.events import EventQueue
from kiosk.devices.base import DeviceEvent
from kiosk.flows.base import Devices, Flow, FlowContext
from kiosk.flows.ports import Services
from kiosk.flows.registry import FLOWS

log = logging.getLogger(__name__)

# what each task needs: (device role, ...) — a task is unavailable while one of them is down
NEEDS: dict[str, tuple[str, ...]] = {
    "apply": ("id_reader", "camera", "face"),
    "query": ("id_reader",),
    "collect": ("cabinet",),
    "deposit": ("id_reader", "cabinet"),
    "retrieve": ("id_reader", "cabinet"),
    "commission": ("id_reader",),
}
DOWN = ("no_device", "hardware_error")


def device_plan(config: StationConfig, urls: dict[str, str] | None = None) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """role -> (device class, URL, backend keyword arguments) for every device of the config;
    `urls` overrides a role's URL (simulators)."""
    urls = urls or {}
    d = config.devices
    plan: dict[str, tuple[str, str, dict[str, Any]]] = {
        "id_reader": ("idreader", urls.get("id_reader", d.id_reader.url),
                      {k: v for k, v in d.id_reader.model_dump().items() if k not in ("url", "trust_store", "poll_interval_s")}
                      | ({"poll_interval": d.id_reader.poll_interval_s})),
        "camera": ("camera", urls.get("camera", d.camera.url),
                   {"width": d.camera.width, "height": d.camera.height, "fps": d.camera.fps}),
        "face": ("face", urls.get("face", d.face.url), {k: v for k, v in d.face.model_dump().items() if k != "url"}),
        "scanner": ("scanner", urls.get("scanner", d.scanner.url),
                    {"cfg": d.scanner.model_copy(update={"camera_url": urls.get("scanner_camera", d.scanner.camera_url)})}),
        "printer": ("printer", urls.get("printer", d.printer.url),
                    {"charset": d.printer.charset, "status_timeout_s": d.printer.status_timeout_s,
                     "station_name": {"zh": config.station.name_zh, "en": config.station.name_en},
                     "logo_path": d.printer.logo}),
        "cabinet": ("cabinet", urls.get("cabinet", config.cabinet.url), {"config": config.cabinet}),
    }
    if d.docprinter is not None:  # citizen branch: the A4 document printer (certificates)
        plan["docprinter"] = ("docprinter", urls.get("docprinter", d.docprinter.url), {})
    if d.speech is not None:  # citizen branch: voice prompts
        plan["speech"] = ("speech", urls.get("speech", d.speech.url), {"muted": d.speech.muted, "volume": d.speech.volume})
    if d.id_reader.url.startswith("pcsc:"):
        plan["id_reader"][2].pop("wlt_decoder", None)
        plan["id_reader"][2]["trust_store"] = d.id_reader.trust_store
    return plan


def build_devices(config: StationConfig, urls: dict[str, str] | None = None) -> tuple[Devices, dict[str, str]]:
    """Create and open every device of the config; `urls` overrides a role's URL (simulators).
    Returns the devices and, for each role that could not be built, why."""
    from kiosk.devices.registry import create_device

    plan = device_plan(config, urls)
    devices = Devices()
    problems: dict[str, str] = {}
    for role, (cls, url, kwargs) in plan.items():
        try:
            dev = create_device(cls, url, name=role, **kwargs)
            dev.open()
        except Exception as exc:  # a device that cannot be built degrades the station, never stops it
            log.error("%s (%s): cannot be used: %s", role, url, exc)
            problems[role] = f"{type(exc).__name__}: {exc}"
            continue
        setattr(devices, role, dev)
    return devices, problems


REPO = Path(__file__).resolve().parents[1]


def resolve(path: str, root: Path) -> Path:
    """A data path from the config: absolute, else under `root` if it exists there, else in the checkout."""
    p = Path(path)
    if p.is_absolute():
        return p
    return root / p if (root / p).exists() else REPO / p


class Station:
    def __init__(self, config: StationConfig, *, backoffice: Any, clock: Clock | None = None,
                 devices: Devices | None = None, catalog: Any = None, urls: dict[str, str] | None = None,
                 root: str | Path | None = None) -> None:
        from kiosk.flows.cabinet_port import ServiceCabinetPort
        from kiosk.services.audit import AuditLog
        from kiosk.services.cabinet import CabinetService
        from kiosk.services.cases import CaseStore
        from kiosk.services.catalog import load_catalog
        from kiosk.services.keyed_hash import KeyedHasher
        from kiosk.services.pickup_codes import PickupCodes
        from kiosk.services.staff import StaffRegistry
        from kiosk.services.store import Store

        self.config = config
        self.clock = clock or SystemClock()
        self.events = EventQueue()
        self.root = Path(root) if root else Path.cwd()
        self.flow: Flow | None = None
        self._next_poll = 0.0
        self._status: dict[str, dict[str, Any]] = {}
        cfg = config
        hasher = KeyedHasher.from_file(self._path(cfg.storage.hash_key_file), self._path(cfg.storage.database))
        self.store = Store(self._path(cfg.storage.database))
        self.audit = AuditLog(self.store, self.clock)
        self.catalog = catalog if catalog is not None else load_catalog(resolve(cfg.catalog.dir, self.root))
        cases = CaseStore(self.store, hasher, self.clock, station_id=cfg.station.id, timezone=cfg.station.timezone)
        p = cfg.pickup
        codes = PickupCodes(self.store, hasher, self.audit, self.clock, ttl_s=p.code_ttl_h * 3600,
                            max_attempts=p.max_attempts, max_failures=p.max_failures, window_s=p.window_s,
                            lockout_s=p.lockout_s, daily_max_failures=p.daily_max_failures)
        staff = StaffRegistry(self.store, hasher, self.audit, self.clock)
        if devices is None:
            devices, self.device_problems = build_devices(cfg, urls)
        else:
            self.device_problems = {}
        self.devices = devices
        for role, dev in devices.items():
            if dev is not None:
                dev.subscribe(self.events.post)
                self._status[role] = dev.snapshot()
        self.cabinet_service = None
        cabinet_port: Any = None
        if devices.cabinet is not None and hasattr(devices.cabinet, "doors"):
            self.cabinet_service = CabinetService(self.store, devices.cabinet, cfg.cabinet, self.audit, clock=self.clock)
            try:
                self.reconcile_report = self.cabinet_service.start(poll_timeout_s=3.0)
            except Exception as exc:
                log.error("cabinet: start/reconcile failed: %s", exc)
                self.reconcile_report = None
            cabinet_port = ServiceCabinetPort(self.cabinet_service, devices.cabinet, cfg.cabinet)
        self.services = Services(catalog=self.catalog, cases=cases, codes=codes, cabinet=cabinet_port,
                                 backoffice=backoffice, staff=staff, audit=self.audit, hasher=hasher,
                                 diagnostics_dir=str(self._path("var/diagnostics")))
        s = cfg.session
        self.ctx = FlowContext(clock=self.clock, events=self.events, devices=devices, services=self.services,
                               idle_timeout_s=s.idle_timeout_s, warning_s=s.warning_s, more_time_s=s.more_time_s,
                               station_id=cfg.station.id, lang=cfg.ui.language)
        from kiosk.fleet_wiring import attach_fleet

        self.mode: Any = None  # StationMode, set by attach_fleet: maintenance refuses citizen flows
        self.fleet_link = attach_fleet(self)  # station mode always; the MQTT link when [fleet] broker is set

    def _path(self, p: str) -> str:
        path = Path(p)
        return str(path if path.is_absolute() else self.root / path)

    # -- flows --------------------------------------------------------------------------------
    def start_flow(self, name: str, **kwargs: Any) -> Flow:
        if name not in FLOWS:
            raise ValueError(f"no flow {name!r} (have: {', '.join(FLOWS)})")
        why = self.mode.refusal(name) if self.mode is not None else None
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
                self._status[event.device] = dev.snapshot()
        flow = self.flow
        if flow is not None and not flow.ended:
            try:
                flow.handle(event)
            except Exception:  # Flow.handle already turns failures into an end; belt and braces
                log.exception("flow %s: handling %r failed", flow.name, event)

    def on_wake(self, callback: Callable[[], None]) -> None:
        self.events.on_post(callback)

    BACKOFFICE_POLL_S = 5.0

    def tick(self) -> None:
        if self.flow is not None:
            self.flow.tick()
        now = self.clock.monotonic()
        if now >= self._next_poll:
            self._next_poll = now + self.BACKOFFICE_POLL_S
            self.sync_backoffice()

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
            devices[role] = dev.snapshot() if dev is not None else {
                "device": role, "status": "no_device", "detail": self.device_problems.get(role, "not configured")}
        return {"station": self.config.station.id, "devices": devices, "available": self.available(),
                "mode": self.mode.as_health() if self.mode is not None else None,
                "flow": self.flow.name if self.flow is not None and not self.flow.ended else None}

    def available(self) -> dict[str, str | None]:
        """task -> None when it can run, else the reason it cannot."""
        out: dict[str, str | None] = {}
        for task, roles in NEEDS.items():
            reason = None
            for role in roles:
                dev = getattr(self.devices, role)
                if dev is None:
                    reason = f"{role} unavailable"
                elif str(dev.status) in DOWN:
                    reason = f"{role} {dev.status}"
                if reason:
                    break
            if task in ("collect", "deposit", "retrieve") and self.services.cabinet is None:
                reason = reason or "cabinet unavailable"
            if self.mode is not None:
                reason = self.mode.refusal(task) or reason
            out[task] = reason
        return out

    def close(self) -> None:
        from kiosk.fleet_wiring import detach_fleet

        detach_fleet(self)  # first: no command may act on a device being closed
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
