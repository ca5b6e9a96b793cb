"""The composition root: the one place a station is put together from its configuration.

    station = build_station(config, root=ROOT)                     # a real station
    station = build_station(config, root=ROOT, backoffice=double,  # a station on test doubles
                            devices=instant_devices, clock=clock)

Everything is constructed once, in dependency order, and nothing is patched afterwards:

1. the store (after the keyed-hash key: a missing key refuses start, see keyed_hash.py), audit,
   catalog, cases, pickup codes, staff;
2. the devices, each from its URL through the device registries (`kiosk.devices.registry`);
   a device that cannot be built or opened is left out and its tasks say "unavailable";
3. ONE outbox with the configured bounds; the station mode (maintenance, runtime overrides),
   which also decides the effective configuration (`LiveConfig`);
4. the cabinet service on that outbox (board protocols come from the lock-board registry);
5. the fleet command target and, with `[fleet] broker`, the MQTT link; the back office is the
   link's (`[backoffice] mode = "mqtt"`) or the in-process one given here;
6. the services the flows use and the flow context; then the `Station`.

Simulated, real and fleet stations are options of this one builder: a simulated station is a
configuration whose URLs point at simulators (started as their own processes), built here like
any other. The link is started by `Station.start()`, once the station exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config import StationConfig
from kiosk.core.clock import Clock, SystemClock
from kiosk.core.events import EventQueue
from kiosk.flows.base import Devices, FlowContext
from kiosk.flows.ports import Services

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]

# what each task needs: (device role, ...) — a task is unavailable while one of them is down
NEEDS: dict[str, tuple[str, ...]] = {
    "apply": ("id_reader", "camera", "face"),
    "query": ("id_reader",),
    "collect": ("cabinet",),
    "deposit": ("id_reader", "cabinet"),
    "retrieve": ("id_reader", "cabinet"),
    "commission": ("id_reader",),
}
CABINET_TASKS = ("collect", "deposit", "retrieve")
DOWN = ("no_device", "hardware_error")


def resolve(path: str, root: Path) -> Path:
    """A data path from the config: absolute, else under `root` if it exists there, else in the checkout."""
    p = Path(path)
    if p.is_absolute():
        return p
    return root / p if (root / p).exists() else REPO / p


def under(root: Path, p: str) -> str:
    """A station file path: absolute as given, else under the station's root."""
    path = Path(p)
    return str(path if path.is_absolute() else root / path)


# -- devices --------------------------------------------------------------------------------------

ROOT_MARK = "{root}"  # in a device URL: the station's directory (a simulated station's pty links live there)


def device_plan(config: StationConfig, urls: dict[str, str] | None = None,
                root: Path | None = None) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """role -> (device class, URL, backend keyword arguments) for every device of the config;
    `urls` overrides a role's URL; `{root}` in a URL is the station's directory."""
    base = str((root or Path.cwd()).resolve())
    urls = {role: url.replace(ROOT_MARK, base) for role, url in (urls or {}).items()}
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
    if d.docprinter is not None:  # the A4 document printer (certificates)
        plan["docprinter"] = ("docprinter", urls.get("docprinter", d.docprinter.url), {})
    if d.speech is not None:  # voice prompts
        plan["speech"] = ("speech", urls.get("speech", d.speech.url), {"muted": d.speech.muted, "volume": d.speech.volume})
    if d.passport_reader is not None:  # passports (kiosk/flows/passport.py)
        plan["passport_reader"] = ("idreader", urls.get("passport_reader", d.passport_reader.url),
                                   {"trust_store": d.passport_reader.trust_store,
                                    "poll_interval": d.passport_reader.poll_interval_s})
    if d.id_reader.url.startswith("pcsc:"):
        plan["id_reader"][2].pop("wlt_decoder", None)
        plan["id_reader"][2]["trust_store"] = d.id_reader.trust_store
    cam = plan["scanner"][2]["cfg"]
    if cam.camera_url and ROOT_MARK in cam.camera_url:
        plan["scanner"][2]["cfg"] = cam.model_copy(update={"camera_url": cam.camera_url.replace(ROOT_MARK, base)})
    return {role: (cls, url.replace(ROOT_MARK, base), kw) for role, (cls, url, kw) in plan.items()}


def build_devices(config: StationConfig, urls: dict[str, str] | None = None,
                  root: Path | None = None) -> tuple[Devices, dict[str, str]]:
    """Create and open every device of the config. Returns the devices and, for each role that
    could not be built, why."""
    from kiosk.devices.registry import create_device

    devices = Devices()
    problems: dict[str, str] = {}
    for role, (cls, url, kwargs) in device_plan(config, urls, root).items():
        try:
            dev = create_device(cls, url, name=role, **kwargs)
            dev.open()
        except Exception as exc:  # a device that cannot be built degrades the station, never stops it
            log.error("%s (%s): cannot be used: %s", role, url, exc)
            problems[role] = f"{type(exc).__name__}: {exc}"
            continue
        setattr(devices, role, dev)
    return devices, problems


BACKOFFICE_TASKS = ("apply", "query")  # a visit that cannot end without the back office


def task_availability(devices: Devices, cabinet_port: Any, mode: Any, backoffice: Any = None) -> dict[str, str | None]:
    """task -> None when it can run, else the reason it cannot. A back office that is not
    configured at all (`NoBackOffice`) makes the tasks that need it unavailable; one that is only
    offline for a while does not (submissions wait in the outbox)."""
    from kiosk.services.backoffice import NoBackOffice

    no_backoffice = backoffice.why if isinstance(backoffice, NoBackOffice) else None
    out: dict[str, str | None] = {}
    for task, roles in NEEDS.items():
        reason = None
        for role in roles:
            dev = getattr(devices, role)
            if dev is None:
                reason = f"{role} unavailable"
            elif str(dev.status) in DOWN:
                reason = f"{role} {dev.status}"
            if reason:
                break
        if task in CABINET_TASKS and cabinet_port is None:
            reason = reason or "cabinet unavailable"
        if task in BACKOFFICE_TASKS and no_backoffice:
            reason = reason or f"back office unavailable: {no_backoffice}"
        out[task] = mode.refusal(task) or reason
    return out


# -- the live configuration -----------------------------------------------------------------------

class LiveConfig:
    """The station's effective configuration: the file's, with the runtime overrides the back
    office applied (kept across restarts by the station mode). Whoever depends on a runtime key
    subscribes; a change is validated before anyone sees it."""

    def __init__(self, config: StationConfig) -> None:
        self.current = config
        self._listeners: list[Callable[[StationConfig], None]] = []

    def subscribe(self, listener: Callable[[StationConfig], None]) -> None:
        self._listeners.append(listener)

    def set(self, new: StationConfig) -> None:
        self.current = new
        for listener in self._listeners:
            listener(new)


def _context_follows(ctx: FlowContext) -> Callable[[StationConfig], None]:
    def apply(new: StationConfig) -> None:
        ctx.idle_timeout_s, ctx.warning_s, ctx.more_time_s = (new.session.idle_timeout_s, new.session.warning_s,
                                                              new.session.more_time_s)
        ctx.lang = new.ui.language
    return apply


# -- the parts ------------------------------------------------------------------------------------

@dataclass
class StationParts:
    """Everything the composition root built, handed to `Station` whole."""

    live: LiveConfig
    root: Path
    clock: Clock
    events: EventQueue
    store: Any
    audit: Any
    catalog: Any
    devices: Devices
    device_problems: dict[str, str]
    outbox: Any
    mode: Any
    cabinet_service: Any
    reconcile_report: Any
    services: Services
    ctx: FlowContext
    fleet_target: Any
    fleet_link: Any
    fleet_problem: str | None
    backup: Any = None
    extras: dict[str, Any] = field(default_factory=dict)


def build_station(config: StationConfig, *, root: str | Path | None = None, clock: Clock | None = None,
                  backoffice: Any = None, devices: Devices | None = None, catalog: Any = None,
                  urls: dict[str, str] | None = None) -> Any:
    """Build a whole station from `config` (see the module docstring for the order).

    `backoffice`: the in-process back office (a test double) used unless the config puts the back
    office on the fleet link; `devices`: already built devices (tests, benchmarks) instead of the
    config's URLs; `urls`: role -> URL overrides."""
    from kiosk.flows.cabinet_port import ServiceCabinetPort
    from kiosk.services.audit import AuditLog
    from kiosk.services.backup import BackupScheduler
    from kiosk.services.cabinet import CabinetService
    from kiosk.services.cases import CaseStore
    from kiosk.services.catalog import catalog_dir, load_catalog
    from kiosk.services.holiday_notices import NoticeBook
    from kiosk.services.keyed_hash import KeyedHasher
    from kiosk.services.outbox import Outbox
    from kiosk.services.pickup_codes import PickupCodes
    from kiosk.services.recalls import Recalls
    from kiosk.services.staff import StaffRegistry
    from kiosk.services.station_commands import StationCommands, StationMode, check_patch
    from kiosk.services.workdays import WorkCalendar
    from kiosk.station import Station

    root = Path(root) if root else Path.cwd()
    clock = clock or SystemClock()
    events = EventQueue()
    cfg = config
    # 1. store and services of record (the key first: a refused start leaves no empty database behind)
    hasher = KeyedHasher.from_file(under(root, cfg.storage.hash_key_file), under(root, cfg.storage.database))
    from kiosk.services.store import Store

    with ExitStack() as undo:  # a failure anywhere closes what was opened so far, devices included
        store = Store(under(root, cfg.storage.database))
        undo.callback(store.close)
        audit = AuditLog(store, clock)
        catalog = catalog if catalog is not None else load_catalog(catalog_dir(cfg.catalog.dir, root))
        notices = NoticeBook(store)  # the holiday notices: shipped, and those the back office sent
        cases = CaseStore(store, hasher, clock, station_id=cfg.station.id, timezone=cfg.station.timezone,
                          calendar=WorkCalendar(book=notices))
        p = cfg.pickup
        codes = PickupCodes(store, hasher, audit, clock, ttl_s=p.code_ttl_h * 3600, max_attempts=p.max_attempts,
                            max_failures=p.max_failures, window_s=p.window_s, lockout_s=p.lockout_s,
                            daily_max_failures=p.daily_max_failures)
        staff = StaffRegistry(store, hasher, audit, clock)
        # 2. devices
        if devices is None:
            devices, device_problems = build_devices(cfg, urls, root)
        else:
            device_problems = {}
        for _role, dev in devices.items():
            if dev is not None:
                undo.callback(_close_quietly, dev)
                dev.subscribe(events.post)
        # 3. one outbox, the mode, the effective configuration
        outbox = Outbox.from_config(store, cfg.fleet, clock)
        mode = StationMode(store, audit, clock, outbox)
        live = LiveConfig(cfg)
        if mode.config_overrides:
            try:
                live.current = check_patch(cfg, mode.config_overrides)
            except Exception as exc:  # a config file changed under old overrides: the file wins
                log.error("stored runtime config overrides no longer apply, ignored: %s", exc)
        # 4. the cabinet, on that outbox
        cabinet_service, reconcile_report, cabinet_port = None, None, None
        if devices.cabinet is not None and hasattr(devices.cabinet, "doors"):
            cabinet_service = CabinetService(store, devices.cabinet, cfg.cabinet, audit, clock=clock, outbox=outbox)
            try:
                reconcile_report = cabinet_service.start(poll_timeout_s=3.0)
            except Exception as exc:
                log.error("cabinet: start/reconcile failed: %s", exc)
            from kiosk.services.reconciliation import restore_codes_without_intent

            restore_codes_without_intent(store, audit, clock)  # a code burnt by a crash before its door: usable again
            cabinet_port = ServiceCabinetPort(cabinet_service, devices.cabinet, cfg.cabinet)
            undo.callback(_close_quietly, cabinet_port)
        # 5. the fleet: command target, link, back office
        recalls = Recalls(store, audit, clock)
        target = StationCommands(cabinet=cabinet_service, cases=cases, mode=mode, staff=staff, recalls=recalls,
                                 get_config=lambda: live.current, set_config=live.set,
                                 updater=lambda info: _apply_update_notice(live, root, info), notices=notices)
        services_ref: list[Services] = []
        availability = lambda: task_availability(devices, cabinet_port, mode, services_ref[0].backoffice)  # noqa: E731
        fleet_problem_ref: list[str | None] = [None]
        link, fleet_problem = _fleet_link(live.current, root, store, outbox, audit, target, clock,
                                          lambda: fleet_health(devices, device_problems, mode, availability,
                                                               fleet_problem_ref[0], cases.calendar_health()))
        fleet_problem_ref[0] = fleet_problem
        from kiosk.services.fleet.setup import choose_backoffice, resolved_fleet_paths

        backoffice = choose_backoffice(resolved_fleet_paths(live.current, root), link, outbox, backoffice)
        if link is not None:
            mode.on_change(lambda m: link.set_state("maintenance" if m.maintenance else "online"))
            link.state = "maintenance" if mode.maintenance else "online"
        # 6. services, flow context, backups
        from kiosk.services.form_defs import forms_for_catalog  # application forms beside the catalog, checked now

        services = Services(catalog=catalog, cases=cases, codes=codes, cabinet=cabinet_port, backoffice=backoffice,
                            staff=staff, audit=audit, hasher=hasher, diagnostics_dir=under(root, "var/diagnostics"),
                            recalls=recalls, extra={"forms": forms_for_catalog(catalog)})
        services_ref.append(services)
        c = live.current
        ctx = FlowContext(clock=clock, events=events, devices=devices, services=services,
                          idle_timeout_s=c.session.idle_timeout_s, warning_s=c.session.warning_s,
                          more_time_s=c.session.more_time_s, station_id=c.station.id, lang=c.ui.language)
        live.subscribe(_context_follows(ctx))
        backup = BackupScheduler.from_config(c, root, clock) if c.backup.interval_h > 0 else None
        parts = StationParts(live=live, root=root, clock=clock, events=events, store=store, audit=audit,
                             catalog=catalog, devices=devices, device_problems=device_problems, outbox=outbox,
                             mode=mode, cabinet_service=cabinet_service, reconcile_report=reconcile_report,
                             services=services, ctx=ctx, fleet_target=target, fleet_link=link,
                             fleet_problem=fleet_problem, backup=backup)
        station = Station(parts)
        undo.pop_all()  # the station owns every part now
    try:
        station.start()
    except BaseException:
        station.close()
        raise
    return station


def _close_quietly(part: Any) -> None:
    try:
        part.close()
    except Exception:
        log.exception("closing %r after a failed build", part)


def _apply_update_notice(live: LiveConfig, root: Path, info: dict[str, Any]) -> dict[str, Any]:
    """A noticed bundle: fetched, verified and applied through kiosk.update (ADR 0142)."""
    from kiosk.update.notice import apply_notice

    return apply_notice(info, live.current.update, base_dir=root)


def _fleet_link(cfg: StationConfig, root: Path, store: Any, outbox: Any, audit: Any, target: Any, clock: Clock,
                health: Callable[[], dict[str, Any]]) -> tuple[Any, str | None]:
    """The MQTT link when `[fleet] broker` is set (not yet started), or why it could not be made."""
    from kiosk.services.fleet.setup import build_link, resolved_fleet_paths

    try:
        link = build_link(resolved_fleet_paths(cfg, root), store, outbox, audit, target, clock, health_source=health)
    except (OSError, ValueError) as exc:
        problem = f"fleet link not started: {exc}"[:300]
        log.error("%s; events wait in the outbox", problem)
        return None, problem
    return link, None


def fleet_health(devices: Devices, problems: dict[str, str], mode: Any,
                 availability: Callable[[], dict[str, str | None]], fleet_problem: str | None = None,
                 calendar: dict[str, Any] | None = None) -> dict[str, Any]:
    """role -> cleaned device snapshot (or why it is absent), plus `station` (mode, availability):
    the retained health message (scalars only, personal-looking keys dropped)."""
    from kiosk.services.fleet.health import clean

    out: dict[str, Any] = {}
    for role, dev in devices.items():
        if dev is None:
            out[role] = {"status": "no_device", "detail": str(problems.get(role, "not configured"))[:200]}
            continue
        try:
            out[role] = clean(dev.snapshot())
        except Exception as exc:
            out[role] = {"status": "hardware_error", "detail": f"snapshot failed: {exc}"[:200]}
    out["station"] = {**mode.as_health(), "available": availability(), "fleet_problem": fleet_problem}
    if calendar is not None:  # the holiday notices known; `missing_notice` = next year's, due from 1 December
        out["station"]["calendar"] = calendar
    return out
