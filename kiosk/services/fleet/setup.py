"""Build the station's fleet side from its configuration (used by the composition root, kiosk/assembly.py).

    cfg = resolved_fleet_paths(cfg, root)                                        # [fleet] files under the root
    link = build_link(cfg, store, outbox, audit, target, clock, health_source)   # None: no broker
    backoffice = choose_backoffice(cfg, link, outbox, in_process)                 # the BackOffice to use

Commands and the signed `desired` document act on the station through the target AS the
operator who signed them (`target.acting_as`), so the audit names them.

With `[fleet] broker` unset (the `make run` default) there is no link: the in-process back office
serves every call and events wait in the outbox until a broker is configured. With a broker and
`[backoffice] mode = "mqtt"`, calls run over the link (`MqttBackOffice`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.core.clock import Clock
from kiosk.services.audit import AuditLog
from kiosk.services.backoffice import BackOffice
from kiosk.services.fleet import signing
from kiosk.services.fleet.backoffice_mqtt import MqttBackOffice
from kiosk.services.fleet.commands import CommandProcessor, CommandTarget, acting
from kiosk.services.fleet.link import FleetLink, LinkSettings
from kiosk.services.outbox import Outbox
from kiosk.services.store import Store


def build_link(cfg: Any, store: Store, outbox: Outbox, audit: AuditLog, target: CommandTarget, clock: Clock,
               health_source: Callable[[], dict[str, Any]] | None = None,
               desired_handler: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> FleetLink | None:
    fleet = cfg.fleet
    if not fleet.broker:
        return None
    key = signing.load_public(fleet.command_public_key) if fleet.command_public_key else None
    processor = CommandProcessor(store, cfg.station.id, key, target, audit, clock, outbox=outbox,
                                 max_skew_s=fleet.command_max_skew_s)
    return FleetLink(LinkSettings.from_config(cfg.station.id, fleet), outbox, clock=clock, processor=processor,
                     health_source=health_source, desired_handler=desired_handler or desired_via_target(target),
                     desired_key=key)


PATH_KEYS = ("password_file", "ca_file", "cert_file", "key_file")


def resolved_fleet_paths(cfg: Any, root: Path) -> Any:
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


def desired_via_target(target: CommandTarget) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Apply a signed `desired` settings document through the same CommandTarget as commands;
    returns what was applied (it goes into `reported`)."""

    def apply(settings: dict[str, Any]) -> dict[str, Any]:
        with acting(target, "backoffice:desired"):
            return _apply_desired(target, settings)

    return apply


def _apply_desired(target: CommandTarget, settings: dict[str, Any]) -> dict[str, Any]:
    applied: dict[str, Any] = {}
    if "maintenance" in settings:
        target.set_maintenance(bool(settings["maintenance"]))
        applied["maintenance"] = bool(settings["maintenance"])
    if settings.get("config"):
        target.apply_config(settings["config"])
        applied["config"] = settings["config"]
    if settings.get("update"):
        target.notify_update(settings["update"])
        applied["update"] = settings["update"]
    if settings.get("holidays"):
        applied["holidays"] = target.apply_holidays(settings["holidays"])["years"]
    return applied


def choose_backoffice(cfg: Any, link: FleetLink | None, outbox: Outbox, in_process: BackOffice | None,
                      timeout_s: float = 10.0) -> BackOffice:
    """The link's back office (`[backoffice] mode = "mqtt"`), else the in-process one given (a test
    double), else `NoBackOffice`: the station runs and says the back office is not reachable."""
    from kiosk.services.backoffice import NoBackOffice

    if link is not None and cfg.backoffice.mode == "mqtt":
        key = signing.load_public(cfg.fleet.command_public_key) if cfg.fleet.command_public_key else None
        return MqttBackOffice(link, outbox, timeout_s, answer_key=key)
    if in_process is not None:
        return in_process
    if cfg.backoffice.mode == "mqtt":
        return NoBackOffice("no fleet link: [fleet] broker is not set or the link could not be made")
    return NoBackOffice('no back office configured: set [backoffice] mode = "mqtt" and [fleet] broker')
