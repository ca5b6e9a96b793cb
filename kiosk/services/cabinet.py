"""The cabinet service: compartments, the intent journal and the rules of opening doors.

    svc = CabinetService(store, cabinet, config.cabinet, audit, clock=clock)   # outbox: see below
    report = svc.start()        # migrate, sync the map, subscribe to door events, reconcile
    c = svc.reserve("M", case_id="2026-000123", actor="staff:0042")      # smallest fitting free
    out = svc.release_for_deposit(c.id, actor="staff:0042")              # ReleaseOutcome
    svc.confirm_closed(c.id, actor="staff:0042")                         # reserved -> loaded
    out = svc.release_for_pickup(c.id, auth_id="pickup-code:8f3a", actor="citizen")  # once per auth id
    svc.confirm_closed(c.id, actor="citizen")                            # loaded -> empty
    svc.take_out_of_service("A05", reason="hinge broken", actor="tech:7")
    svc.technician_open("A03", reason="door test", actor="tech:7")
    svc.holding(case_id) / svc.by_lock(board, lock) / svc.door(cid) / svc.compartments() / svc.intents(cid)

Rules:
- Every door command is journaled (an `intents` row) BEFORE it is sent and closed with its
  outcome after; the open is audited after. A release is never retried automatically; a pickup
  authorisation opens a door at most once, ever (`AuthorisationUsed` on the second try, even if
  the first failed: staff decide, not the software).
- `start()` reconciles: unfinished intents (a crash mid-release) are compared with the boards'
  status, closed as `interrupted`, never re-sent; anything uncertain gets `attention` (flagged
  for staff) and an audit record.
- Door events from bus supervision update the door column; `uncommanded_open` and `not_opened`
  flag the compartment and are audited.
- Door and compartment events go to the back-office outbox in the same transaction as the change
  (`kiosk.services.outbox.Outbox`; pass the station's instance so the fleet link is woken by
  each add; `outbox=None` disables it; by default the service makes its own on the same store).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from kiosk.core.clock import Clock, SystemClock
from kiosk.devices.base import DeviceEvent
from kiosk.services.audit import AuditLog
from kiosk.services.compartments import (
    SIZES,
    Compartment,
    Intent,
    compartment_at,
    get_compartment,
    intent_by_id,
    last_door_intent,
    last_intent,
    smallest_free,
    unfinished_intents,
)
from kiosk.services.store import Store

log = logging.getLogger(__name__)

RELEASED = ("opened", "already_open")


class CabinetError(Exception):
    """An operation the rules do not allow now; the message says why."""


class NoCompartmentFree(CabinetError):
    pass


class AuthorisationUsed(CabinetError):
    pass


@dataclass(frozen=True)
class ReleaseOutcome:
    compartment: str
    intent_id: int
    result: str  # opened | already_open | not_opened | no_reply | unreachable | not_sent | timeout
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.result in RELEASED

    def as_dict(self) -> dict[str, Any]:
        return {"compartment": self.compartment, "intent": self.intent_id, "result": self.result,
                "ok": self.ok, "detail": self.detail}


@dataclass
class ReconcileReport:
    intents: list[dict[str, Any]] = field(default_factory=list)
    flagged: list[dict[str, str]] = field(default_factory=list)
    doors: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"intents": self.intents, "flagged": self.flagged, "doors": self.doors}


_AUTO = object()


class CabinetService:
    def __init__(self, store: Store, cabinet: Any, config: Any, audit: AuditLog | None = None,
                 clock: Clock | None = None, outbox: Any = _AUTO, release_timeout_s: float = 5.0) -> None:
        self.store = store
        self.cabinet = cabinet
        self.config = config
        self.clock = clock or SystemClock()
        self.audit = audit or AuditLog(store, self.clock)
        self.release_timeout_s = release_timeout_s
        store.migrate("cabinet")
        if outbox is _AUTO:
            outbox = self._default_outbox()
        self.outbox = outbox
        self._subscribed = False

    def _default_outbox(self) -> Any:
        try:
            from kiosk.services.outbox import Outbox
        except ImportError:  # pragma: no cover - the fleet component is part of the station
            return None
        return Outbox(self.store, self.clock)

    # -- start ---------------------------------------------------------------------------------
    def start(self, poll_timeout_s: float = 5.0) -> ReconcileReport:
        self.sync_map()
        if not self._subscribed:
            self.cabinet.subscribe(self.on_device_event)
            self._subscribed = True
        return self.reconcile(poll_timeout_s)

    def sync_map(self) -> None:
        """Bring the compartments table in line with the configured map (new rows start empty)."""
        now = self._now()
        with self.store.transaction() as conn:
            conn.execute("UPDATE compartments SET in_map = 0")
            for c in self.config.compartments:
                conn.execute(
                    "INSERT INTO compartments(id, board, lock, size, created_at, updated_at) VALUES (?,?,?,?,?,?) "
                    "ON CONFLICT(id) DO UPDATE SET board = excluded.board, lock = excluded.lock, "
                    "size = excluded.size, in_map = 1",
                    (c.id, c.board, c.lock, c.size, now, now),
                )

    # -- queries --------------------------------------------------------------------------------
    def compartments(self) -> list[Compartment]:
        return [Compartment.from_row(r) for r in self.store.query(
            "SELECT * FROM compartments WHERE in_map = 1 ORDER BY id")]

    def get(self, cid: str) -> Compartment:
        c = get_compartment(self.store.conn, cid)
        if c is None:
            raise CabinetError(f"no compartment {cid!r}")
        return c

    def holding(self, case_id: str) -> Compartment | None:
        """The compartment reserved for or loaded with this case, if any."""
        rows = self.store.query("SELECT * FROM compartments WHERE case_id = ? AND in_map = 1 ORDER BY id", (case_id,))
        return Compartment.from_row(rows[0]) if rows else None

    def by_lock(self, board: int, lock: int) -> Compartment | None:
        return compartment_at(self.store.conn, board, lock)

    def door(self, cid: str) -> str:
        """The door as the latest poll saw it: open | closed | unknown."""
        return self.cabinet.door_state(*self._address(cid))

    def intents(self, cid: str | None = None) -> list[Intent]:
        sql, args = "SELECT * FROM intents ORDER BY id", ()
        if cid:
            sql, args = "SELECT * FROM intents WHERE compartment = ? ORDER BY id", (cid,)
        return [Intent.from_row(r) for r in self.store.query(sql, args)]

    # -- operations -----------------------------------------------------------------------------
    def reserve(self, size: str, case_id: str, actor: str) -> Compartment:
        if size not in SIZES:
            raise CabinetError(f"size {size!r}: allowed S, M, L")
        with self.store.transaction() as conn:
            c = smallest_free(conn, size)
            if c is None:
                raise NoCompartmentFree(f"no free compartment of size {size} or larger")
            self._set(conn, c.id, state="reserved", case_id=case_id)
            self.audit.append(actor, "cabinet.reserve", c.id, size=size, case=case_id)
            self._event(conn, "compartment.reserved", {"compartment": c.id, "size": c.size, "case": case_id})
        return self.get(c.id)

    def cancel_reservation(self, cid: str, actor: str) -> Compartment:
        with self.store.transaction() as conn:
            c = self._require(conn, cid, "reserved")
            self._set(conn, cid, state="empty", case_id=None)
            self.audit.append(actor, "cabinet.reservation_cancelled", cid, case=c.case_id)
            self._event(conn, "compartment.emptied", {"compartment": cid, "why": "reservation cancelled"})
        return self.get(cid)

    def release_for_deposit(self, cid: str, actor: str) -> ReleaseOutcome:
        with self.store.transaction() as conn:
            c = self._require(conn, cid, "reserved")
            intent_id = self._journal(conn, c, "deposit", actor)
        return self._send(c, intent_id, "deposit", actor)

    def release_for_pickup(self, cid: str, auth_id: str, actor: str) -> ReleaseOutcome:
        """Open a loaded compartment for the person authorised by `auth_id`, at most once."""
        if not auth_id:
            raise CabinetError("a pickup needs an authorisation id")
        try:
            with self.store.transaction() as conn:
                used = conn.execute("SELECT id, compartment, outcome FROM intents WHERE purpose = 'pickup' "
                                    "AND auth_id = ?", (auth_id,)).fetchone()
                if used is None:
                    c = self._require(conn, cid, "loaded")
                    intent_id = self._journal(conn, c, "pickup", actor, auth_id=auth_id)
        except sqlite3.IntegrityError:  # a concurrent use of the same authorisation
            used = {"id": None, "compartment": cid, "outcome": None}
        if used is not None:
            self.audit.append(actor, "cabinet.pickup_refused", cid, auth=auth_id, earlier_intent=used["id"],
                              why="authorisation already used")
            raise AuthorisationUsed(
                f"authorisation already used (intent {used['id']}, {used['compartment']}: "
                f"{used['outcome'] or 'unfinished'}); a new authorisation from staff is needed")
        return self._send(c, intent_id, "pickup", actor)

    def technician_open(self, cid: str, reason: str, actor: str) -> ReleaseOutcome:
        """Open a door for commissioning/repair; the compartment's state does not change."""
        if not reason.strip():
            raise CabinetError("a technician open needs a reason")
        with self.store.transaction() as conn:
            c = get_compartment(conn, cid)
            if c is None:
                raise CabinetError(f"no compartment {cid!r}")
            intent_id = self._journal(conn, c, "technician", actor, reason=reason)
        return self._send(c, intent_id, "technician", actor)

    def confirm_closed(self, cid: str, actor: str, intent_id: int | None = None) -> Compartment:
        """After a release: the door reads closed again -> reserved becomes loaded (deposit) or
        loaded becomes empty (pickup). Raises if the door is not closed or never opened.

        `intent_id`: the release this confirms (the flow's own); without it, the compartment's
        latest deposit/pickup release. A technician or remote open in between never takes its
        place (security finding 14)."""
        door = self.cabinet.door_state(*self._address(cid))
        with self.store.transaction() as conn:
            c = get_compartment(conn, cid)
            if c is None:
                raise CabinetError(f"no compartment {cid!r}")
            if door != "closed":
                raise CabinetError(f"{cid}: door is {door}, not closed")
            intent = intent_by_id(conn, intent_id) if intent_id is not None else last_door_intent(conn, cid)
            if intent is not None and intent.compartment != cid:
                raise CabinetError(f"{cid}: intent {intent_id} belongs to {intent.compartment}")
            if intent is None or intent.purpose not in ("deposit", "pickup"):
                raise CabinetError(f"{cid}: no deposit or pickup to confirm")
            if intent.outcome not in RELEASED and not intent.seen_open:
                raise CabinetError(f"{cid}: the door never opened (last release: {intent.outcome or 'unfinished'})")
            conn.execute("UPDATE intents SET settled = 'confirmed' WHERE id = ?", (intent.id,))
            if intent.purpose == "deposit" and c.state == "reserved":
                self._set(conn, cid, state="loaded", door="closed")
                self.audit.append(actor, "cabinet.loaded", cid, case=c.case_id, intent=intent.id)
                self._event(conn, "compartment.loaded", {"compartment": cid, "case": c.case_id})
            elif intent.purpose == "pickup" and c.state == "loaded":
                self._set(conn, cid, state="empty", case_id=None, door="closed")
                self.audit.append(actor, "cabinet.collected", cid, case=c.case_id, intent=intent.id)
                self._event(conn, "compartment.emptied", {"compartment": cid, "case": c.case_id, "why": "collected"})
            else:
                raise CabinetError(f"{cid}: state {c.state} does not fit a {intent.purpose} confirmation")
        return self.get(cid)

    def take_out_of_service(self, cid: str, reason: str, actor: str) -> Compartment:
        with self.store.transaction() as conn:
            c = self._require(conn, cid, "empty", "out_of_service")
            self._set(conn, cid, state="out_of_service", attention=reason or "out of service")
            self.audit.append(actor, "cabinet.out_of_service", cid, reason=reason, was=c.state)
            self._event(conn, "compartment.out_of_service", {"compartment": cid, "reason": reason})
        return self.get(cid)

    def return_to_service(self, cid: str, actor: str) -> Compartment:
        with self.store.transaction() as conn:
            self._require(conn, cid, "out_of_service")
            self._set(conn, cid, state="empty", attention=None)
            self.audit.append(actor, "cabinet.in_service", cid)
            self._event(conn, "compartment.in_service", {"compartment": cid})
        return self.get(cid)

    def clear_attention(self, cid: str, actor: str, note: str) -> Compartment:
        """Staff looked at a flagged compartment and say it is fine (audited with their note)."""
        with self.store.transaction() as conn:
            c = get_compartment(conn, cid)
            if c is None:
                raise CabinetError(f"no compartment {cid!r}")
            self._set(conn, cid, attention=None)
            self.audit.append(actor, "cabinet.attention_cleared", cid, was=c.attention, note=note)
        return self.get(cid)

    # -- reconciliation -------------------------------------------------------------------------
    def reconcile(self, poll_timeout_s: float = 5.0) -> ReconcileReport:
        """Compare unfinished intents and compartment states with the boards' status.

        Nothing is ever re-sent. Interrupted deposits/pickups, unfinished opens whose door state
        cannot be read, and loaded compartments found open are flagged for staff and audited."""
        report = ReconcileReport()
        try:
            self.cabinet.refresh().result(poll_timeout_s)
        except TimeoutError:
            log.warning("cabinet: boards not polled within %.1f s at reconciliation", poll_timeout_s)
        doors = self.cabinet.doors()
        with self.store.transaction() as conn:
            for c in [Compartment.from_row(r) for r in conn.execute("SELECT * FROM compartments WHERE in_map = 1")]:
                door = doors.get((c.board, c.lock), "unknown")
                report.doors[c.id] = door
                if door != c.door:
                    self._set(conn, c.id, door=door)
            for intent in unfinished_intents(conn):
                door = doors.get((intent.board, intent.lock), "unknown")
                detail = f"interrupted (restart); door {door} at reconciliation; not re-sent"
                conn.execute("UPDATE intents SET closed_at = ?, outcome = 'interrupted', detail = ?, seen_open = "
                             "seen_open OR ? WHERE id = ?", (self._now(), detail, door == "open", intent.id))
                flag = intent.purpose in ("deposit", "pickup") or door != "closed"
                entry = {"intent": intent.id, "compartment": intent.compartment, "purpose": intent.purpose,
                         "door": door, "flagged": flag}
                report.intents.append(entry)
                self.audit.append("system", "cabinet.reconcile.interrupted", intent.compartment, intent=intent.id,
                                  purpose=intent.purpose, door=door, flagged=flag)
                if flag:
                    why = f"{intent.purpose} interrupted by a restart (door {door}): staff to check"
                    if intent.purpose == "pickup":
                        why += "; the pickup was NOT repeated"
                    self._flag(conn, intent.compartment, why, report)
                    conn.execute("UPDATE intents SET settled = 'flagged' WHERE id = ?", (intent.id,))
            self._flag_unconfirmed(conn, report)
            for c in [Compartment.from_row(r) for r in conn.execute("SELECT * FROM compartments WHERE in_map = 1")]:
                if c.state == "loaded" and c.door == "open" and c.attention is None:
                    self._flag(conn, c.id, "loaded compartment found open at start", report)
                    self.audit.append("system", "cabinet.reconcile.open_at_start", c.id, case=c.case_id)
        return report

    def _flag_unconfirmed(self, conn: sqlite3.Connection, report: ReconcileReport) -> None:
        """Releases that opened a door but were never confirmed (the power went before "closed" or
        "taken"): flag the compartment if it still waits for that confirmation (finding 8)."""
        marks = ",".join("?" * len(RELEASED))
        rows = conn.execute(f"SELECT * FROM intents WHERE purpose IN ('deposit', 'pickup') AND settled IS NULL "
                            f"AND closed_at IS NOT NULL AND outcome IN ({marks}) ORDER BY id", RELEASED).fetchall()
        for row in rows:
            intent = Intent.from_row(row)
            c = get_compartment(conn, intent.compartment)
            waiting = c is not None and ((intent.purpose == "deposit" and c.state == "reserved")
                                         or (intent.purpose == "pickup" and c.state == "loaded"))
            later = conn.execute("SELECT 1 FROM intents WHERE compartment = ? AND id > ? AND purpose IN "
                                 "('deposit', 'pickup') LIMIT 1", (intent.compartment, intent.id)).fetchone()
            if not waiting or later is not None:
                conn.execute("UPDATE intents SET settled = 'superseded' WHERE id = ?", (intent.id,))
                continue
            why = (f"{intent.purpose} released (intent {intent.id}) but never confirmed (restart before the door "
                   f"was confirmed closed): staff to check the contents")
            self._flag(conn, intent.compartment, why, report)
            conn.execute("UPDATE intents SET settled = 'flagged' WHERE id = ?", (intent.id,))
            self.audit.append("system", "cabinet.reconcile.unconfirmed", intent.compartment, intent=intent.id,
                              purpose=intent.purpose, case=c.case_id if c else None)

    def flag(self, cid: str, why: str, actor: str) -> Compartment:
        """Flag a compartment for staff (audited); e.g. a door closed whose confirmation failed."""
        with self.store.transaction() as conn:
            if get_compartment(conn, cid) is None:
                raise CabinetError(f"no compartment {cid!r}")
            self._flag(conn, cid, why)
            self.audit.append(actor, "cabinet.flagged", cid, why=why)
        return self.get(cid)

    def _flag(self, conn: sqlite3.Connection, cid: str, why: str, report: ReconcileReport | None = None) -> None:
        self._set(conn, cid, attention=why)
        self._event(conn, "compartment.attention", {"compartment": cid, "why": why})
        if report is not None:
            report.flagged.append({"compartment": cid, "why": why})

    # -- door events ----------------------------------------------------------------------------
    def on_device_event(self, event: DeviceEvent) -> None:
        """Called on the bus thread for each cabinet event; updates the store (thread-safe)."""
        board, lock = event.data.get("board"), event.data.get("lock")
        if board is None or lock is None:  # address 0 is a valid board (Kerong starts at 0)
            return
        try:
            self._apply_door_event(event.kind, int(board), int(lock), str(event.data.get("detail", "")))
        except Exception:  # a store problem must not stop the bus thread
            log.exception("cabinet: could not record %s for board %s lock %s", event.kind, board, lock)

    def _apply_door_event(self, kind: str, board: int, lock: int, detail: str) -> None:
        door = {"door_opened": "open", "uncommanded_open": "open", "door_closed": "closed",
                "door_unknown": "unknown"}.get(kind)
        with self.store.transaction() as conn:
            c = compartment_at(conn, board, lock)
            if c is None:
                return
            if door is not None:
                self._set(conn, c.id, door=door, door_changed_at=self._now())
            intent = last_intent(conn, c.id)
            if kind == "door_opened" and intent is not None:
                door_intent = last_door_intent(conn, c.id)
                conn.execute("UPDATE intents SET seen_open = 1 WHERE id IN (?, ?)",
                             (intent.id, door_intent.id if door_intent else intent.id))
            if kind == "uncommanded_open":
                self._flag(conn, c.id, "door opened without a release (forced?)")
                self.audit.append("system", "cabinet.alarm.uncommanded_open", c.id, state=c.state, case=c.case_id)
            elif kind == "not_opened":
                self._flag(conn, c.id, f"released but the door did not open: {detail}")
                self.audit.append("system", "cabinet.not_opened", c.id, detail=detail,
                                  intent=intent.id if intent else None)
            elif kind == "door_left_open":
                self.audit.append("system", "cabinet.left_open", c.id, state=c.state)
            self._event(conn, "cabinet.door", {"compartment": c.id, "event": kind, "board": board, "lock": lock})

    # -- internals ------------------------------------------------------------------------------
    def _send(self, c: Compartment, intent_id: int, purpose: str, actor: str) -> ReleaseOutcome:
        cmd = self.cabinet.release(c.board, c.lock)
        try:
            completion = cmd.result(self.release_timeout_s)
            result = completion.data if isinstance(completion.data, str) else str(completion.code)
            detail = completion.detail
        except TimeoutError:
            # withdraw the queued pulse so the door cannot open later behind the journal's back;
            # if it is already on the wire, its real result follows within a moment
            cmd.cancel()
            try:
                completion = cmd.result(1.0)
                result = completion.data if isinstance(completion.data, str) else str(completion.code)
                detail = completion.detail
            except TimeoutError:
                result, detail = "timeout", (f"no result within {self.release_timeout_s:g} s; the release was "
                                             "withdrawn but may already have been sent: look at the door")
        with self.store.transaction() as conn:
            conn.execute("UPDATE intents SET closed_at = ?, outcome = ?, detail = ? WHERE id = ?",
                         (self._now(), result, detail, intent_id))
            if result in RELEASED:
                self._set(conn, c.id, door="open")
            elif purpose in ("deposit", "pickup"):
                # never retried (the authorisation is used): staff decide, so they must see it
                self._flag(conn, c.id, f"{purpose} release failed ({result}): the door did not open as far as the station "
                                          "knows; staff to check, not retried")
                conn.execute("UPDATE intents SET settled = 'flagged' WHERE id = ?", (intent_id,))
            self.audit.append(actor, f"cabinet.release.{purpose}", c.id, intent=intent_id, result=result,
                              detail=detail, case=c.case_id)
            self._event(conn, "cabinet.release", {"compartment": c.id, "purpose": purpose, "intent": intent_id,
                                                  "result": result})
        return ReleaseOutcome(c.id, intent_id, result, detail)

    def _journal(self, conn: sqlite3.Connection, c: Compartment, purpose: str, actor: str,
                 auth_id: str | None = None, reason: str = "") -> int:
        cur = conn.execute(
            "INSERT INTO intents(compartment, board, lock, purpose, auth_id, actor, reason, created_at) "
            "VALUES (?,?,?,?,?,?,?,?)", (c.id, c.board, c.lock, purpose, auth_id, actor, reason, self._now()))
        return int(cur.lastrowid)

    def _require(self, conn: sqlite3.Connection, cid: str, *states: str) -> Compartment:
        c = get_compartment(conn, cid)
        if c is None:
            raise CabinetError(f"no compartment {cid!r}")
        if c.state not in states:
            raise CabinetError(f"{cid} is {c.state}; this needs {' or '.join(states)}")
        if c.attention and c.state != "out_of_service" and "out_of_service" not in states:
            raise CabinetError(f"{cid} is flagged for staff: {c.attention}")
        return c

    def _set(self, conn: sqlite3.Connection, cid: str, **values: Any) -> None:
        values["updated_at"] = self._now()
        cols = ", ".join(f"{k} = ?" for k in values)
        conn.execute(f"UPDATE compartments SET {cols} WHERE id = ?", (*values.values(), cid))

    def _address(self, cid: str) -> tuple[int, int]:
        c = self.get(cid)
        return c.board, c.lock

    def _event(self, conn: sqlite3.Connection, type_: str, data: dict[str, Any]) -> None:
        """Record a door/compartment event for the back office, in the caller's transaction."""
        if self.outbox is not None:
            self.outbox.add(conn, type_, data)

    def _now(self) -> str:
        return self.clock.now().isoformat(timespec="milliseconds")
