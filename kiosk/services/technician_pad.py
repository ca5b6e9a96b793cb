"""The maintenance PIN pad: who may open technician mode, checked without locking anyone else out.

    pad = TechnicianPad(store, staff, audit, clock, station_pin_hash=config.ui.technician_pin_hash)
    pad.check(pin, card_number=card_on_the_reader)   -> PadCheck(ok, reason, attempts_left)

- With a card: the card must belong to an active technician, and the PIN is that person's
  (`StaffRegistry.check_pin`: the lock-out is that card's, nobody else's).
- Without a card: only the station's own maintenance PIN (`[ui] technician_pin_hash`), with its
  own escalating lock-out kept in the store (`technician_pad` row; survives a power cut). When the
  station has no such PIN, a card is needed: a card-less PIN is never tried against technicians'
  accounts (that used to lock every technician out, and let one guess test all of them).
Every attempt is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.clock import Clock, SystemClock
from kiosk.services import lockout
from kiosk.services.audit import AuditLog
from kiosk.services.maintenance_pin import verify_pin_hash
from kiosk.services.staff import StaffRegistry
from kiosk.services.store import Store


@dataclass(frozen=True)
class PadCheck:
    ok: bool
    reason: str = ""  # wrong_pin | locked | card_needed | not_technician
    attempts_left: int = 0
    staff_no: str | None = None


class TechnicianPad:
    def __init__(self, store: Store, staff: StaffRegistry, audit: AuditLog, clock: Clock | None = None,
                 station_pin_hash: str | None = None) -> None:
        self.store = store
        self.staff = staff
        self.audit = audit
        self.clock = clock or SystemClock()
        self.station_pin_hash = station_pin_hash
        store.migrate("staff")
        self._mono_deadline: float | None = None

    def check(self, pin: str, card_number: str | None = None) -> PadCheck:
        if card_number:
            return self._with_card(pin, card_number)
        if not self.station_pin_hash:
            self.audit.append("station", "technician.pad_refused", "maintenance", why="card_needed")
            return PadCheck(False, "card_needed")
        return self._station_pin(pin)

    def _with_card(self, pin: str, card_number: str) -> PadCheck:
        member = self.staff.by_card(card_number)
        if member is None or member.role != "technician":
            self.audit.append("station", "technician.pad_refused", "maintenance", why="not_technician",
                              staff=member.staff_no if member else None)
            return PadCheck(False, "not_technician")
        check = self.staff.check_pin(member.staff_no, pin)
        self.audit.append(f"staff:{member.staff_no}", "technician.sign_in" if check.ok else "technician.pad_refused",
                          "maintenance", why=check.reason or None)
        return PadCheck(check.ok, check.reason, check.attempts_left, member.staff_no)

    def _station_pin(self, pin: str) -> PadCheck:
        now, mono = self.clock.now(), self.clock.monotonic()
        with self.store.transaction() as conn:
            row = conn.execute("SELECT * FROM technician_pad WHERE id = 1").fetchone()
            state = lockout.LockState(row["failures"], row["lockouts"], row["locked_at"], row["locked_s"],
                                      bool(row["blocked"])) if row else lockout.LockState()
            verdict = lockout.check(state, now, self._mono_deadline, mono)
            if verdict.changed:
                self._store(conn, verdict.state)
            if verdict.locked:
                self.audit.append("station", "technician.pad_refused", "maintenance", why="locked")
                return PadCheck(False, "locked")
            if verify_pin_hash(pin, self.station_pin_hash or ""):
                self._store(conn, lockout.LockState())
                self._mono_deadline = None
                self.audit.append("station", "technician.sign_in", "maintenance", by="station_pin")
                return PadCheck(True)
            state, what = lockout.after_failure(state, now)
            self._store(conn, state)
            if what == "locked":
                self._mono_deadline = mono + state.locked_s
            self.audit.append("station", "technician.pad_refused", "maintenance", why=what,
                              lockouts=state.lockouts, locked_s=state.locked_s)
            if what == "wrong":
                return PadCheck(False, "wrong_pin", lockout.attempts_left(state))
            return PadCheck(False, "locked")

    @staticmethod
    def _store(conn: object, state: lockout.LockState) -> None:
        conn.execute(  # type: ignore[attr-defined]
            "INSERT INTO technician_pad(id, failures, lockouts, locked_at, locked_s, blocked) VALUES (1,?,?,?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET failures = excluded.failures, lockouts = excluded.lockouts, "
            "locked_at = excluded.locked_at, locked_s = excluded.locked_s, blocked = excluded.blocked",
            (state.failures, state.lockouts, state.locked_at, state.locked_s, int(state.blocked)))
