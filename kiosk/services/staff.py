"""The staff registry: who may deposit, retrieve and commission, and how they prove it.

A staff member signs in with their card on the ID reader (matched by the keyed hash of its
number — the registry holds no card number) and a PIN typed on the on-screen keypad. PINs are
stored as HMAC-SHA256 (station key) over a per-person random salt and the PIN, so a copied
database does not give the PINs away without the key file. Five wrong PINs lock the person out
for `LOCKOUT_S` seconds; every sign-in, failure and lock-out is audited (masked values only).
Roles: `staff` (deposit, retrieve) and `technician` (commissioning; may also deposit/retrieve).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.core.clock import Clock, SystemClock
from kiosk.services.audit import AuditLog
from kiosk.services.keyed_hash import KeyedHasher
from kiosk.services.store import Store, register_migrations

MAX_FAILURES = 5
LOCKOUT_S = 300.0
ROLES = ("staff", "technician")

register_migrations("staff", [
    """
    CREATE TABLE staff (
        staff_no TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('staff', 'technician')),
        card_hash TEXT NOT NULL UNIQUE,
        pin_salt TEXT NOT NULL,
        pin_hash TEXT NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        active INTEGER NOT NULL DEFAULT 1
    )
    """,
])


class StaffError(Exception):
    pass


@dataclass(frozen=True)
class StaffMember:
    staff_no: str
    display_name: str  # e.g. "窗口 3 / Desk 3": what the screen may show, not a full name
    role: str

    def may(self, task: str) -> bool:
        if task == "commission":
            return self.role == "technician"
        return self.role in ROLES


@dataclass(frozen=True)
class PinCheck:
    ok: bool
    reason: str = ""  # "wrong_pin" | "locked" | "unknown"
    attempts_left: int = 0


class StaffRegistry:
    def __init__(self, store: Store, hasher: KeyedHasher, audit: AuditLog | None = None,
                 clock: Clock | None = None) -> None:
        self.store = store
        self.hasher = hasher
        self.audit = audit
        self.clock = clock or SystemClock()
        store.migrate("staff")

    def add(self, staff_no: str, display_name: str, role: str, card_number: str, pin: str) -> StaffMember:
        if role not in ROLES:
            raise StaffError(f"role must be one of {ROLES}, not {role!r}")
        if not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise StaffError("PIN must be 4 to 8 digits")
        salt = secrets.token_hex(16)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO staff(staff_no, display_name, role, card_hash, pin_salt, pin_hash) VALUES (?,?,?,?,?,?) "
                "ON CONFLICT(staff_no) DO UPDATE SET display_name=excluded.display_name, role=excluded.role, "
                "card_hash=excluded.card_hash, pin_salt=excluded.pin_salt, pin_hash=excluded.pin_hash, "
                "failures=0, locked_until=NULL, active=1",
                (staff_no, display_name, role, self.hasher.hash_id(card_number), salt, self._pin_hash(salt, pin)),
            )
            if self.audit:
                self.audit.append("admin", "staff.enrolled", staff_no, role=role)
        return StaffMember(staff_no, display_name, role)

    def by_card(self, card_number: str) -> StaffMember | None:
        rows = self.store.query("SELECT staff_no, display_name, role FROM staff WHERE card_hash = ? AND active = 1",
                                (self.hasher.hash_id(card_number),))
        return StaffMember(rows[0]["staff_no"], rows[0]["display_name"], rows[0]["role"]) if rows else None

    def check_pin(self, staff_no: str, pin: str) -> PinCheck:
        now = self.clock.now()
        with self.store.transaction() as conn:
            row = conn.execute("SELECT * FROM staff WHERE staff_no = ? AND active = 1", (staff_no,)).fetchone()
            if row is None:
                return PinCheck(False, "unknown")
            if row["locked_until"] and datetime.fromisoformat(row["locked_until"]) > now:
                return PinCheck(False, "locked")
            if secrets.compare_digest(self._pin_hash(row["pin_salt"], pin), row["pin_hash"]):
                conn.execute("UPDATE staff SET failures = 0, locked_until = NULL WHERE staff_no = ?", (staff_no,))
                if self.audit:
                    self.audit.append(f"staff:{staff_no}", "staff.signed_in", staff_no, role=row["role"])
                return PinCheck(True, "", MAX_FAILURES)
            failures = row["failures"] + 1
            locked = failures >= MAX_FAILURES
            conn.execute("UPDATE staff SET failures = ?, locked_until = ? WHERE staff_no = ?",
                         (0 if locked else failures,
                          (now + timedelta(seconds=LOCKOUT_S)).isoformat() if locked else None, staff_no))
            if self.audit:
                self.audit.append(f"staff:{staff_no}", "staff.locked_out" if locked else "staff.wrong_pin",
                                  staff_no, failures=failures)
            return PinCheck(False, "locked" if locked else "wrong_pin", 0 if locked else MAX_FAILURES - failures)

    def members(self) -> list[StaffMember]:
        return [StaffMember(r["staff_no"], r["display_name"], r["role"])
                for r in self.store.query("SELECT staff_no, display_name, role FROM staff WHERE active = 1 ORDER BY staff_no")]

    def _pin_hash(self, salt: str, pin: str) -> str:
        return self.hasher.hash("staff-pin", f"{salt}:{pin}")
