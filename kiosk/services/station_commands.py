"""What a back-office command does to a real station: the `CommandTarget` over its services,
and the station mode (maintenance, a noted software update, runtime config overrides).

    mode = StationMode(store, audit, clock, outbox)        # persisted in the station's SQLite file
    target = StationCommands(cabinet_service, cases, mode, get_config, set_config, audit)
    with target.acting_as("backoffice:ops:wang"):           # the command's operator is the actor
        target.open_compartment("A03", "hotline: door did not open")

- `open_compartment(compartment, reason)` -> `CabinetService.technician_open` (intent journaled
  before the pulse, audited after; the compartment's state does not change).
- `assign_deposit(case, size)` -> reserves the smallest free compartment of that size or larger for
  a case this station knows (a case that already holds one gets that one back, nothing new).
- `set_maintenance(on)` -> `StationMode.maintenance`; while on, citizen flows (`CITIZEN_FLOWS`) are
  refused (`StationMode.refusal(flow)`), staff and technician flows still run.
- `apply_config(patch)` -> `{section: {key: value}}` limited to `RUNTIME_KEYS`, validated by the
  pydantic config models, applied to the running station and kept across restarts.
- `notify_update(info)` -> recorded, audited and shown in the station's health for technicians;
  with a `url` and an `updater` (kiosk.update.notice.apply_notice, wired by kiosk/assembly.py)
  the bundle is fetched, verified with the station's update key and applied (or staged for
  kiosk-update.service); a bundle that fails any check fails the command, nothing installed.
- `recall_pickup(case, compartment, reason)` -> `kiosk.services.recalls.Recalls.add`: staff find the
  compartment in their retrieve task (no door opens by this command).
- `staff_add(args)` -> `StaffRegistry.offer_enrolment` (the person completes it at the station with
  their card, the one-time code and a new PIN; ADR 0131); `staff_disable(staff_no, reason)` ->
  `StaffRegistry.disable`.
Each returns a JSON-ready dict (`detail` is the human summary) or raises `CommandFailed(detail)`.
Every change of mode is audited and goes to the outbox in the same transaction.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from kiosk.core.clock import Clock, SystemClock
from kiosk.services.audit import AuditLog
from kiosk.services.fleet.commands import CommandFailed
from kiosk.services.store import Store, register_migrations

log = logging.getLogger(__name__)

CITIZEN_FLOWS = ("apply", "query", "collect")
# what a back office may change while the station runs; everything else needs the config file
RUNTIME_KEYS: dict[str, tuple[str, ...]] = {
    "session": ("idle_timeout_s", "warning_s", "more_time_s"),
    "ui": ("language", "technician_idle_s", "final_screen_s"),
}

register_migrations("station_mode", [
    """
    CREATE TABLE station_mode (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        actor TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
])


class StationInMaintenance(RuntimeError):
    """A citizen flow was asked for while the station is in maintenance."""


class StationMode:
    """The station's mode, persisted (key -> JSON) so that a restart keeps it: `maintenance`,
    `update` (the last software update the back office announced), `config` (runtime overrides)."""

    def __init__(self, store: Store, audit: AuditLog, clock: Clock | None = None, outbox: Any = None) -> None:
        self.store = store
        self.audit = audit
        self.clock = clock or SystemClock()
        self.outbox = outbox
        self._listeners: list[Callable[[StationMode], None]] = []
        store.migrate("station_mode")

    # ---- reading (any thread) ---------------------------------------------------------------------
    def _get(self, key: str) -> Any:
        rows = self.store.query("SELECT value FROM station_mode WHERE key = ?", (key,))
        return json.loads(rows[0]["value"]) if rows else None

    @property
    def maintenance(self) -> bool:
        return bool(self._get("maintenance"))

    @property
    def update(self) -> dict[str, Any] | None:
        return self._get("update")

    @property
    def config_overrides(self) -> dict[str, dict[str, Any]]:
        return self._get("config") or {}

    def refusal(self, flow_name: str) -> str | None:
        """Why this flow may not start now, or None."""
        if flow_name in CITIZEN_FLOWS and self.maintenance:
            return "station in maintenance"
        return None

    def as_health(self) -> dict[str, Any]:
        """For the health snapshot and the technician screen (no personal data)."""
        return {"maintenance": self.maintenance, "update": self.update, "config_overrides": self.config_overrides}

    def on_change(self, callback: Callable[[StationMode], None]) -> None:
        self._listeners.append(callback)

    # ---- changing -----------------------------------------------------------------------------------
    def _put(self, conn: Any, key: str, value: Any, actor: str) -> None:
        conn.execute("INSERT INTO station_mode(key, value, actor, updated_at) VALUES (?,?,?,?) "
                     "ON CONFLICT(key) DO UPDATE SET value=excluded.value, actor=excluded.actor, "
                     "updated_at=excluded.updated_at",
                     (key, json.dumps(value, ensure_ascii=False), actor,
                      self.clock.now().isoformat(timespec="milliseconds")))

    def _event(self, conn: Any, type_: str, data: dict[str, Any]) -> None:
        if self.outbox is not None:
            self.outbox.add(conn, type_, data)

    def _changed(self) -> None:
        for cb in list(self._listeners):
            try:
                cb(self)
            except Exception:  # a listener (UI, link) must not undo a stored change
                log.exception("station mode listener failed")

    def set_maintenance(self, on: bool, actor: str) -> bool:
        """Returns whether the mode changed (setting it to what it is is not an error)."""
        with self.store.transaction() as conn:
            was = self.maintenance
            self._put(conn, "maintenance", bool(on), actor)
            if was != bool(on):
                self.audit.append(actor, "station.maintenance." + ("on" if on else "off"), "station")
                self._event(conn, "station.maintenance", {"on": bool(on)})
        if was != bool(on):
            log.warning("station maintenance %s (by %s)", "ON" if on else "off", actor)
            self._changed()
        return was != bool(on)

    def record_update(self, info: dict[str, Any], actor: str) -> None:
        note = {k: info[k] for k in ("version", "url", "sha256", "notes") if k in info}
        note["noted_at"] = self.clock.now().isoformat(timespec="milliseconds")
        with self.store.transaction() as conn:
            self._put(conn, "update", note, actor)
            self.audit.append(actor, "station.update_notified", "station", version=note.get("version"))
        log.warning("software update %s announced (by %s)%s", note.get("version"), actor,
                    "" if note.get("url") else ": a technician installs it")
        self._changed()

    def save_overrides(self, overrides: dict[str, dict[str, Any]], actor: str, patch: dict[str, Any]) -> None:
        with self.store.transaction() as conn:
            self._put(conn, "config", overrides, actor)
            self.audit.append(actor, "station.config_applied", "station", patch=patch)
            self._event(conn, "station.config", {"applied": patch})
        self._changed()


def check_patch(config: Any, patch: Any) -> Any:
    """The config with `patch` applied, validated by the pydantic models; raises CommandFailed
    naming every key that is not a runtime key or has a bad value."""
    if not isinstance(patch, dict) or not patch:
        raise CommandFailed("config patch must be a non-empty object {section: {key: value}}")
    problems: list[str] = []
    updates: dict[str, Any] = {}
    for section, values in patch.items():
        allowed = RUNTIME_KEYS.get(section)
        if allowed is None:
            problems.append(f"[{section}] cannot be changed at run time (changeable: "
                            + ", ".join(f"{s}.{k}" for s, ks in RUNTIME_KEYS.items() for k in ks) + ")")
            continue
        if not isinstance(values, dict) or not values:
            problems.append(f"[{section}] must be a non-empty object of key -> value")
            continue
        bad = [k for k in values if k not in allowed]
        problems += [f"{section}.{k} cannot be changed at run time (changeable in [{section}]: "
                     f"{', '.join(allowed)})" for k in bad]
        current = getattr(config, section)
        try:
            updates[section] = type(current).model_validate(
                {**current.model_dump(), **{k: v for k, v in values.items() if k not in bad}}, strict=True)
        except ValidationError as exc:
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"])
                problems.append(f"{section}.{key}: {err['msg']} (got {err.get('input')!r})"[:300])
    if problems:
        raise CommandFailed("config patch rejected: " + "; ".join(problems))
    new = config.model_copy(update=updates)
    s = new.session
    if s.warning_s >= s.idle_timeout_s:
        raise CommandFailed(f"config patch rejected: session.warning_s ({s.warning_s:g}) must be shorter than "
                            f"session.idle_timeout_s ({s.idle_timeout_s:g})")
    return new


class StationCommands:
    """The real `CommandTarget` (kiosk.services.fleet.commands) of a station."""

    def __init__(self, *, cabinet: Any, cases: Any, mode: StationMode, get_config: Callable[[], Any],
                 set_config: Callable[[Any], None], staff: Any = None,
                 updater: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 notices: Any = None, recalls: Any = None) -> None:
        self.recalls = recalls  # kiosk.services.recalls.Recalls, or None
        self.cabinet = cabinet  # kiosk.services.cabinet.CabinetService, or None (no working cabinet)
        self.cases = cases  # kiosk.services.cases.CaseStore, or None
        self.staff = staff  # kiosk.services.staff.StaffRegistry, or None
        self.mode = mode
        self.get_config = get_config
        self.set_config = set_config
        self.updater = updater  # fetch + verify + apply a noticed bundle; raises on any failure
        self.notices = notices  # kiosk.services.holiday_notices.NoticeBook, or None
        self._local = threading.local()

    @contextmanager
    def acting_as(self, actor: str) -> Iterator[None]:
        """Every change made inside is journaled and audited as `actor` (this thread only)."""
        before = getattr(self._local, "actor", None)
        self._local.actor = actor
        try:
            yield
        finally:
            self._local.actor = before

    @property
    def actor(self) -> str:
        return getattr(self._local, "actor", None) or "backoffice"

    def _cabinet(self) -> Any:
        if self.cabinet is None:
            raise CommandFailed("this station has no working cabinet")
        return self.cabinet

    # ---- CommandTarget ----------------------------------------------------------------------------
    def open_compartment(self, compartment: str, reason: str) -> dict[str, Any]:
        from kiosk.services.cabinet import CabinetError

        cab = self._cabinet()
        try:
            out = cab.technician_open(compartment, reason, actor=self.actor)
        except CabinetError as exc:
            raise CommandFailed(str(exc)) from None
        if not out.ok:
            raise CommandFailed(f"{compartment}: the door did not open ({out.result}"
                                f"{': ' + out.detail if out.detail else ''}; intent {out.intent_id})")
        result = out.as_dict()
        result["release_detail"] = result.pop("detail")
        return {"detail": f"{compartment} {out.result}", **result}

    def assign_deposit(self, case: str, size: str) -> dict[str, Any]:
        from kiosk.services.cabinet import CabinetError

        cab = self._cabinet()
        if self.cases is not None and self.cases.find(case) is None:
            raise CommandFailed(f"no case {case} at this station")
        held = cab.holding(case)
        if held is not None:
            return {"detail": f"case {case} already has {held.id} ({held.state})", "compartment": held.id,
                    "size": held.size, "state": held.state, "new": False}
        try:
            c = cab.reserve(size, case, actor=self.actor)
        except CabinetError as exc:
            raise CommandFailed(str(exc)) from None
        return {"detail": f"{c.id} ({c.size}) reserved for {case}", "compartment": c.id, "size": c.size,
                "state": c.state, "new": True}

    def set_maintenance(self, on: bool) -> dict[str, Any]:
        changed = self.mode.set_maintenance(on, self.actor)
        state = "on" if on else "off"
        return {"detail": f"maintenance {state}" + ("" if changed else " (already)"), "maintenance": bool(on),
                "changed": changed}

    def apply_config(self, patch: dict[str, Any]) -> dict[str, Any]:
        new = check_patch(self.get_config(), patch)
        self.set_config(new)
        merged = {s: dict(v) for s, v in self.mode.config_overrides.items()}
        for section, values in patch.items():
            merged.setdefault(section, {}).update(values)
        self.mode.save_overrides(merged, self.actor, patch)
        keys = ", ".join(f"{s}.{k}={v!r}" for s, vs in patch.items() for k, v in vs.items())
        return {"detail": f"applied {keys}", "applied": patch}

    def notify_update(self, info: dict[str, Any]) -> dict[str, Any]:
        version = info.get("version")
        if not isinstance(version, str) or not version.strip():
            raise CommandFailed("an update notice needs a version")
        self.mode.record_update(info, self.actor)
        if info.get("url") and self.updater is not None:
            try:
                result = self.updater(info)
            except Exception as exc:  # UpdateError (fetch, signature, hash, rollback) and anything unforeseen
                raise CommandFailed(f"update {version} not installed: {exc}") from None
            return {"version": version, **result}
        return {"detail": f"update {version} noted; shown to technicians", "version": version}

    def apply_holidays(self, notices: list[dict[str, Any]]) -> dict[str, Any]:
        """Keep the holiday notices the back office sent (desired settings `holidays`): promised
        dates computed from now on follow them. All or nothing; a bad notice fails with its reason."""
        from kiosk.services.holiday_notices import NoticeError

        if self.notices is None:
            raise CommandFailed("this station keeps no holiday notices")
        now = self.mode.clock.now().isoformat()
        try:
            years = self.notices.receive(notices, self.actor, now)
        except NoticeError as exc:
            raise CommandFailed(str(exc)) from None
        self.mode.audit.append(self.actor, "calendar.notices", ",".join(map(str, years)), years=years)
        return {"detail": f"holiday notices kept for {', '.join(map(str, years))}", "years": years}

    def _staff(self) -> Any:
        if self.staff is None:
            raise CommandFailed("this station has no staff registry")
        return self.staff

    def staff_add(self, args: dict[str, Any]) -> dict[str, Any]:
        from datetime import timedelta

        from kiosk.services.staff import StaffError

        registry = self._staff()
        expires = registry.clock.now() + timedelta(hours=int(args["valid_h"]))
        try:
            offer = registry.offer_enrolment(args["staff_no"], args["display_name"], args["role"],
                                             args["card_masked"], args["enrol_code_hash"], expires, self.actor)
        except StaffError as exc:
            raise CommandFailed(str(exc)) from None
        return {"detail": f"enrolment of {offer.staff_no} ({offer.role}) open at the station until {offer.expires_at}: "
                          "the person completes it there with their card, the code and a new PIN",
                "staff_no": offer.staff_no, "role": offer.role, "expires_at": offer.expires_at}

    def staff_disable(self, staff_no: str, reason: str) -> dict[str, Any]:
        from kiosk.services.staff import StaffError

        try:
            changed = self._staff().disable(staff_no, self.actor, reason)
        except StaffError as exc:
            raise CommandFailed(str(exc)) from None
        return {"detail": f"{staff_no} disabled" + ("" if changed else " (already)"), "staff_no": staff_no,
                "changed": changed}

    def recall_pickup(self, case: str, compartment: str, reason: str) -> dict[str, Any]:
        if self.recalls is None:
            raise CommandFailed("this station keeps no recalls")
        held = self._cabinet().holding(case)
        if held is None or held.id != compartment or held.state != "loaded":
            where = f"{held.id} ({held.state})" if held is not None else "no compartment"
            raise CommandFailed(f"case {case} is not loaded in {compartment} (the station has {where}): "
                                "collected or moved meanwhile; nothing to recall")
        new = self.recalls.add(case, compartment, reason or "overdue pickup", self.actor)
        return {"detail": f"{compartment} ({case}) listed for staff to take back" + ("" if new else " (already)"),
                "compartment": compartment, "case": case, "new": new}
