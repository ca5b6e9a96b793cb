"""Build the station's fleet side from its configuration (used by the station wiring).

    link = build_link(cfg, store, outbox, audit, target, clock, health_source)   # None: no broker
    backoffice = choose_backoffice(cfg, link, outbox, in_process)                 # the BackOffice to use

With `[fleet] broker` unset (the `make run` default) there is no link: the in-process back office
serves every call and events wait in the outbox until a broker is configured. With a broker and
`[backoffice] mode = "mqtt"`, calls run over the link (`MqttBackOffice`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.core.clock import Clock
from kiosk.services.audit import AuditLog
from kiosk.services.backoffice import BackOffice
from kiosk.services.fleet import signing
from kiosk.services.fleet.backoffice_mqtt import MqttBackOffice
from kiosk.services.fleet.commands import CommandProcessor, CommandTarget
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


def desired_via_target(target: CommandTarget) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Apply a signed `desired` settings document through the same CommandTarget as commands;
    returns what was applied (it goes into `reported`)."""

    def apply(settings: dict[str, Any]) -> dict[str, Any]:
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
        return applied

    return apply


def choose_backoffice(cfg: Any, link: FleetLink | None, outbox: Outbox, in_process: BackOffice,
                      timeout_s: float = 10.0) -> BackOffice:
    if link is not None and cfg.backoffice.mode == "mqtt":
        key = signing.load_public(cfg.fleet.command_public_key) if cfg.fleet.command_public_key else None
        return MqttBackOffice(link, outbox, timeout_s, answer_key=key)
    return in_process
