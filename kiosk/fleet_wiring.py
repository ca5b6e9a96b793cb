"""Join a built `Station` to the fleet: its mode, the command target, the MQTT link, the back office.

    link = attach_fleet(station)     # at start (after Station(...)); None when no broker is configured;
                                     # a second call returns the first call's link
    ...
    detach_fleet(station)            # at close, before the store closes

`attach_fleet` always gives the station a `StationMode` (`station.mode`: maintenance flag, the
last announced software update, runtime config overrides kept across restarts); the station
consults it in `start_flow` / `available()`: in maintenance a citizen flow is refused
(`StationInMaintenance`) and shows as unavailable ("station in maintenance"); staff and technician
flows still run. Then, when `[fleet] broker` is set, it builds the link
(`kiosk.services.fleet.setup.build_link`) over the station's store, ONE configured `Outbox` (the
cabinet service is switched to it, so door events wake the link), audit log and clock, with a
`StationCommands` target (each command runs as `backoffice:<operator>`) and a health source made
of the devices' `snapshot()`s (scalars only, personal-looking keys dropped) plus the station's
mode; `choose_backoffice` then puts the back-office calls on the link when `[backoffice] mode =
"mqtt"`. A fleet section that cannot be used (missing password file, bad key) is logged and kept
in `station.fleet_problem`; the station runs on without a link, its events waiting in the outbox.
Relative paths in `[fleet]` are read under the station's root.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from kiosk.services.fleet.link import FleetLink
from kiosk.services.station_commands import StationCommands, StationMode, check_patch

log = logging.getLogger(__name__)

PERSONAL = re.compile(r"name|id_?number|holder|birth|photo|face_?id|document_?no|mrz|address|phone|pin|code",
                      re.IGNORECASE)
PATH_KEYS = ("password_file", "ca_file", "cert_file", "key_file")


def _clean(value: Any, depth: int = 0) -> Any:
    """A snapshot value safe for a retained health message: scalars, short strings, small containers."""
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if isinstance(value, str):
        return value[:200]
    if depth < 2 and isinstance(value, dict):
        return {str(k): _clean(v, depth + 1) for k, v in list(value.items())[:50] if not PERSONAL.search(str(k))}
    if depth < 2 and isinstance(value, (list, tuple)):
        return [_clean(v, depth + 1) for v in list(value)[:50]]
    return str(value)[:200]


def device_health(station: Any) -> dict[str, Any]:
    """role -> cleaned device snapshot (or why it is absent), plus `station` (mode, availability)."""
    out: dict[str, Any] = {}
    for role, dev in station.devices.items():
        if dev is None:
            out[role] = {"status": "no_device",
                         "detail": str(getattr(station, "device_problems", {}).get(role, "not configured"))[:200]}
            continue
        try:
            out[role] = _clean(dev.snapshot())
        except Exception as exc:
            out[role] = {"status": "hardware_error", "detail": f"snapshot failed: {exc}"[:200]}
    mode = getattr(station, "mode", None)
    out["station"] = {**(mode.as_health() if mode is not None else {}), "available": station.available(),
                      "fleet_problem": getattr(station, "fleet_problem", None)}
    return out


def _resolved_fleet(cfg: Any, root: Path) -> Any:
    """The config with `[fleet]` file paths made absolute under the station's root."""
    fleet = cfg.fleet
    update: dict[str, Any] = {}
    for key in PATH_KEYS:
        val = getattr(fleet, key)
        if val and not Path(val).is_absolute():
            update[key] = str(root / val)
    pk = fleet.command_public_key
    if pk and not re.fullmatch(r"[0-9a-fA-F]{64}", pk.strip()) and not Path(pk).is_absolute():
        update["command_public_key"] = str(root / pk)
    return cfg.model_copy(update={"fleet": fleet.model_copy(update=update)}) if update else cfg


def _apply_config(station: Any, new: Any) -> None:
    """Put a validated config into the running station (the next flow and the UI read it)."""
    station.config = new
    ctx = station.ctx
    ctx.idle_timeout_s, ctx.warning_s, ctx.more_time_s = (new.session.idle_timeout_s, new.session.warning_s,
                                                          new.session.more_time_s)
    ctx.lang = new.ui.language


def _apply_update_notice(station: Any, info: dict[str, Any]) -> dict[str, Any]:
    """A noticed bundle: fetched, verified and applied through kiosk.update (ADR 0142)."""
    from kiosk.update.notice import apply_notice

    return apply_notice(info, station.config.update, base_dir=station.root)


def attach_fleet(station: Any) -> FleetLink | None:
    """Give the station its mode and, with a broker configured, a started fleet link (returned)."""
    from kiosk.services.fleet.setup import build_link, choose_backoffice, desired_via_target
    from kiosk.services.outbox import Outbox

    if getattr(station, "_fleet_attached", False):  # once per station, whoever calls it first
        return station.fleet_link
    station._fleet_attached = True
    cfg = station.config
    outbox = Outbox.from_config(station.store, cfg.fleet, station.clock)
    cab = getattr(station, "cabinet_service", None)
    if cab is not None:
        cab.outbox = outbox  # the configured bounds apply to door events too (same rows, same wake-up)
    mode = StationMode(station.store, station.audit, station.clock, outbox)
    station.mode = mode
    station.fleet_problem = None
    overrides = mode.config_overrides
    if overrides:
        try:
            _apply_config(station, check_patch(cfg, overrides))
        except Exception as exc:  # a config file changed under old overrides: the file wins
            log.error("stored runtime config overrides no longer apply, ignored: %s", exc)
    target = StationCommands(cabinet=cab, cases=station.services.cases, mode=mode, staff=station.services.staff,
                             get_config=lambda: station.config, set_config=lambda new: _apply_config(station, new),
                             updater=lambda info: _apply_update_notice(station, info))
    station.fleet_target = target
    apply_desired = desired_via_target(target)

    def desired_as_backoffice(settings: dict[str, Any]) -> dict[str, Any]:
        with target.acting_as("backoffice:desired"):
            return apply_desired(settings)

    try:
        link = build_link(_resolved_fleet(station.config, Path(station.root)), station.store, outbox, station.audit,
                          target, station.clock, health_source=lambda: device_health(station),
                          desired_handler=desired_as_backoffice)
    except (OSError, ValueError) as exc:
        station.fleet_problem = f"fleet link not started: {exc}"[:300]
        log.error("%s; events wait in the outbox", station.fleet_problem)
        link = None
    station.fleet_link = link
    if link is None:
        return None
    processor = link.processor
    execute = processor.execute

    def execute_as_operator(job: Any) -> dict[str, Any]:
        with target.acting_as(f"backoffice:{job.operator}"):
            return execute(job)

    processor.execute = execute_as_operator
    link.state = "maintenance" if mode.maintenance else "online"
    mode.on_change(lambda m: link.set_state("maintenance" if m.maintenance else "online"))
    station.services.backoffice = choose_backoffice(cfg, link, outbox, station.services.backoffice)
    link.start()
    log.info("fleet: %s joins %s (back office: %s)", cfg.station.id, cfg.fleet.broker,
             type(station.services.backoffice).__name__)
    return link


def detach_fleet(station: Any, timeout: float = 5.0) -> None:
    """Stop the fleet link (publishes `offline`); call before the station's store closes."""
    link = getattr(station, "fleet_link", None)
    if link is not None:
        link.stop(timeout)
        station.fleet_link = None
