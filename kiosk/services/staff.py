"""The staff registry: who may deposit, retrieve and commission, and how they prove it.

A staff member signs in with their card on the ID reader (matched by the keyed hash of its
number — the registry holds no card number, only its masked form for lists) and a PIN typed on the
on-screen keypad. A new PIN must pass `kiosk.services.pin_policy` and is stored as scrypt
(`kiosk.services.pin_hash`: N=2^15, r=8, p=1, per-person random salt) wrapped in an HMAC with the
station's hash key (`pin_scheme` = `pin_hash.SCHEME`), so a copied database gives nothing to try
without the key file and is slow to try with it. Rows written by earlier releases
(`pin_scheme = 'hmac-sha256'`: HMAC over salt and PIN) keep verifying and are re-hashed with scrypt
at their next good sign-in.

Wrong PINs lock the card out with escalating lock-outs kept in the store (`kiosk.services.lockout`:
5 wrong PINs -> 5 min, then 30 min, 4 h, 24 h, then blocked until `unlock()` or re-enrolment);
every enrolment, disable, sign-in, failure, lock-out and block is audited (masked values only).
Roles: `staff` (deposit, retrieve) and `technician` (commissioning; may also deposit/retrieve).

Enrolment from the back office (ADR 0131): `offer_enrolment` keeps a pending offer (staff number,
name, role, the masked card number and the scrypt hash of a one-time code the back office gave the
person); `complete_enrolment` at the station takes the presented card, the code and a new PIN. Neither
the card number nor the PIN ever leaves the station.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from kiosk.core.clock import Clock, SystemClock
from kiosk.services import lockout, pin_hash
from kiosk.services.audit import AuditLog
from kiosk.services.keyed_hash import KeyedHasher, mask_id_number
from kiosk.services.pin_policy import pin_problem
from kiosk.services.store import Store, register_migrations

MAX_FAILURES = lockout.MAX_FAILURES
LOCKOUT_S = lockout.STEPS_S[0]
ROLES = ("staff", "technician")
LEGACY_SCHEME = "hmac-sha256"
MAX_CODE_FAILURES = 5

_STAFF_V1 = """
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
    """
MIGRATIONS_V1_FOR_TESTS = _STAFF_V1  # the first release's table, for migration tests

register_migrations("staff", [
    _STAFF_V1,
    """
    ALTER TABLE staff ADD COLUMN pin_scheme TEXT NOT NULL DEFAULT 'hmac-sha256';
    ALTER TABLE staff ADD COLUMN card_masked TEXT NOT NULL DEFAULT '';
    CREATE TABLE staff_enrolments (
        staff_no TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('staff', 'technician')),
        card_masked TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        offered_by TEXT NOT NULL,
        offered_at TEXT NOT NULL
    )
    """,
    """
    ALTER TABLE staff ADD COLUMN lockouts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE staff ADD COLUMN locked_at TEXT;
    ALTER TABLE staff ADD COLUMN locked_s REAL NOT NULL DEFAULT 0;
    ALTER TABLE staff ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE technician_pad (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        failures INTEGER NOT NULL DEFAULT 0,
        lockouts INTEGER NOT NULL DEFAULT 0,
        locked_at TEXT,
        locked_s REAL NOT NULL DEFAULT 0,
        blocked INTEGER NOT NULL DEFAULT 0
    );
    UPDATE staff SET locked_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), locked_s = 300, lockouts = 1
        WHERE locked_until IS NOT NULL;
    """,
])


class StaffError(Exception):
    """A staff change that cannot be made; the message says why (never a PIN or a card number)."""

    def __init__(self, message: str, rule: str = "") -> None:
        super().__init__(message)
        self.rule = rule  # the PIN policy rule, or the enrolment problem (`bad_code`, `card_mismatch`)


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
class StaffEntry:
    """One row for `kiosk staff list`: no PIN, no hash, the card masked."""
    staff_no: str
    display_name: str
    role: str
    card_masked: str
    active: bool
    locked: bool
    pin_scheme: str


@dataclass(frozen=True)
class EnrolmentOffer:
    staff_no: str
    display_name: str
    role: str
    card_masked: str
    expires_at: str


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
        self._mono_deadline: dict[str, float] = {}  # staff_no -> monotonic end of the lock-out (this process)

    # ---- enrolment ----------------------------------------------------------------------------------
    def add(self, staff_no: str, display_name: str, role: str, card_number: str, pin: str,
            actor: str = "admin") -> StaffMember:
        """Enrol (or re-enrol: new card, new PIN, unlocked, active) one person."""
        if role not in ROLES:
            raise StaffError(f"role must be one of {ROLES}, not {role!r}")
        if not staff_no or not display_name:
            raise StaffError("a staff number and a display name are needed")
        problem = pin_problem(pin, card_number)
        if problem:
            raise StaffError(str(problem), problem.rule)
        salt, stored = self._new_pin(pin)
        masked = mask_id_number(card_number)
        with self.store.transaction() as conn:
            other = conn.execute("SELECT staff_no FROM staff WHERE card_hash = ? AND staff_no != ?",
                                 (self.hasher.hash_id(card_number), staff_no)).fetchone()
            if other is not None:
                raise StaffError(f"this card is already enrolled as {other['staff_no']}; disable that entry first")
            replaced = conn.execute("SELECT 1 FROM staff WHERE staff_no = ?", (staff_no,)).fetchone() is not None
            conn.execute(
                "INSERT INTO staff(staff_no, display_name, role, card_hash, pin_salt, pin_hash, pin_scheme, card_masked) "
                "VALUES (?,?,?,?,?,?,?,?) "
                "ON CONFLICT(staff_no) DO UPDATE SET display_name=excluded.display_name, role=excluded.role, "
                "card_hash=excluded.card_hash, pin_salt=excluded.pin_salt, pin_hash=excluded.pin_hash, "
                "pin_scheme=excluded.pin_scheme, card_masked=excluded.card_masked, "
                "failures=0, locked_until=NULL, lockouts=0, locked_at=NULL, locked_s=0, blocked=0, active=1",
                (staff_no, display_name, role, self.hasher.hash_id(card_number), salt, stored, pin_hash.SCHEME, masked),
            )
            conn.execute("DELETE FROM staff_enrolments WHERE staff_no = ?", (staff_no,))
            if self.audit:
                self.audit.append(actor, "staff.enrolled", staff_no, role=role, card=masked, replaced=replaced)
        return StaffMember(staff_no, display_name, role)

    def disable(self, staff_no: str, actor: str = "admin", reason: str = "") -> bool:
        """Stop a person signing in (the row stays for the audit trail); False when already disabled."""
        with self.store.transaction() as conn:
            row = conn.execute("SELECT active FROM staff WHERE staff_no = ?", (staff_no,)).fetchone()
            offer = conn.execute("DELETE FROM staff_enrolments WHERE staff_no = ?", (staff_no,)).rowcount
            if row is None and not offer:
                raise StaffError(f"no staff member {staff_no!r} at this station")
            changed = bool(row is not None and row["active"]) or bool(offer)
            conn.execute("UPDATE staff SET active = 0 WHERE staff_no = ?", (staff_no,))
            if self.audit:
                self.audit.append(actor, "staff.disabled", staff_no, reason=reason[:200], changed=changed,
                                  offer_withdrawn=bool(offer))
        return changed

    def offer_enrolment(self, staff_no: str, display_name: str, role: str, card_masked: str, code_hash: str,
                        expires_at: datetime, actor: str) -> EnrolmentOffer:
        """Keep a back-office enrolment until the person completes it at the station (or it expires)."""
        if role not in ROLES:
            raise StaffError(f"role must be one of {ROLES}, not {role!r}")
        try:
            pin_hash.parse(code_hash)
        except pin_hash.PinHashError as exc:
            raise StaffError(f"enrolment code hash: {exc}") from None
        if expires_at <= self.clock.now():
            raise StaffError("the enrolment offer has already expired")
        offer = EnrolmentOffer(staff_no, display_name, role, card_masked, expires_at.isoformat())
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO staff_enrolments(staff_no, display_name, role, card_masked, code_hash, expires_at, "
                "offered_by, offered_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(staff_no) DO UPDATE SET "
                "display_name=excluded.display_name, role=excluded.role, card_masked=excluded.card_masked, "
                "code_hash=excluded.code_hash, expires_at=excluded.expires_at, failures=0, "
                "offered_by=excluded.offered_by, offered_at=excluded.offered_at",
                (staff_no, display_name, role, card_masked, code_hash, offer.expires_at, actor,
                 self.clock.now().isoformat()))
            if self.audit:
                self.audit.append(actor, "staff.enrolment_offered", staff_no, role=role, card=card_masked,
                                  expires_at=offer.expires_at)
        return offer

    def pending(self) -> list[EnrolmentOffer]:
        return [EnrolmentOffer(r["staff_no"], r["display_name"], r["role"], r["card_masked"], r["expires_at"])
                for r in self.store.query("SELECT * FROM staff_enrolments ORDER BY staff_no")]

    def complete_enrolment(self, staff_no: str, code: str, card_number: str, pin: str) -> StaffMember:
        """The person at the station: their card, the one-time code, a new PIN. Wrong code/card count as
        failures; after MAX_CODE_FAILURES the offer is withdrawn."""
        now = self.clock.now()
        rows = self.store.query("SELECT * FROM staff_enrolments WHERE staff_no = ?", (staff_no,))
        if not rows or datetime.fromisoformat(rows[0]["expires_at"]) <= now:
            raise StaffError(f"no open enrolment for {staff_no!r} (expired or never offered)", "bad_code")
        offer = rows[0]
        problem = ""
        if mask_id_number(card_number) != offer["card_masked"]:
            problem = "card_mismatch"
        elif not pin_hash.verify(code, offer["code_hash"]):
            problem = "bad_code"
        if problem:
            with self.store.transaction() as conn:
                failures = offer["failures"] + 1
                if failures >= MAX_CODE_FAILURES:
                    conn.execute("DELETE FROM staff_enrolments WHERE staff_no = ?", (staff_no,))
                else:
                    conn.execute("UPDATE staff_enrolments SET failures = ? WHERE staff_no = ?", (failures, staff_no))
                if self.audit:
                    self.audit.append("station", "staff.enrolment_failed", staff_no, problem=problem,
                                      failures=failures, withdrawn=failures >= MAX_CODE_FAILURES)
            from kiosk.i18n import translate

            raise StaffError(translate(f"staff.enrol.{problem}", "en"), problem)
        return self.add(staff_no, offer["display_name"], offer["role"], card_number, pin,
                        actor=f"enrolment:{offer['offered_by']}")

    # ---- sign-in ------------------------------------------------------------------------------------
    def by_card(self, card_number: str) -> StaffMember | None:
        rows = self.store.query("SELECT staff_no, display_name, role FROM staff WHERE card_hash = ? AND active = 1",
                                (self.hasher.hash_id(card_number),))
        return StaffMember(rows[0]["staff_no"], rows[0]["display_name"], rows[0]["role"]) if rows else None

    def check_pin(self, staff_no: str, pin: str) -> PinCheck:
        now, mono = self.clock.now(), self.clock.monotonic()
        with self.store.transaction() as conn:
            row = conn.execute("SELECT * FROM staff WHERE staff_no = ? AND active = 1", (staff_no,)).fetchone()
            if row is None:
                return PinCheck(False, "unknown")
            state = _lock_state(row)
            verdict = lockout.check(state, now, self._mono_deadline.get(staff_no), mono)
            if verdict.changed:
                self._store_lock(conn, staff_no, verdict.state)
            if verdict.locked:
                if self.audit:
                    self.audit.append(f"staff:{staff_no}", "staff.refused_locked", staff_no, blocked=state.blocked)
                return PinCheck(False, "locked")
            if self._pin_matches(row, pin):
                if row["pin_scheme"] != pin_hash.SCHEME:  # an older row: re-hash now that we know the PIN
                    salt, stored = self._new_pin(pin)
                    conn.execute("UPDATE staff SET pin_salt = ?, pin_hash = ?, pin_scheme = ? WHERE staff_no = ?",
                                 (salt, stored, pin_hash.SCHEME, staff_no))
                self._store_lock(conn, staff_no, lockout.LockState())
                self._mono_deadline.pop(staff_no, None)
                if self.audit:
                    self.audit.append(f"staff:{staff_no}", "staff.signed_in", staff_no, role=row["role"])
                return PinCheck(True, "", MAX_FAILURES)
            state, what = lockout.after_failure(state, now)
            self._store_lock(conn, staff_no, state)
            if what == "locked":
                self._mono_deadline[staff_no] = mono + state.locked_s
            if self.audit:
                action = {"wrong": "staff.wrong_pin", "locked": "staff.locked_out", "blocked": "staff.blocked"}[what]
                self.audit.append(f"staff:{staff_no}", action, staff_no, failures=state.failures,
                                  lockouts=state.lockouts, locked_s=state.locked_s)
            if what == "wrong":
                return PinCheck(False, "wrong_pin", lockout.attempts_left(state))
            return PinCheck(False, "locked", 0)

    def unlock(self, staff_no: str, actor: str) -> None:
        """An administrator lifts a lock-out or block (audited)."""
        with self.store.transaction() as conn:
            if conn.execute("SELECT 1 FROM staff WHERE staff_no = ?", (staff_no,)).fetchone() is None:
                raise StaffError(f"no staff member {staff_no!r} at this station")
            self._store_lock(conn, staff_no, lockout.LockState())
            self._mono_deadline.pop(staff_no, None)
            if self.audit:
                self.audit.append(actor, "staff.unlocked", staff_no)

    def is_locked(self, staff_no: str) -> bool:
        rows = self.store.query("SELECT * FROM staff WHERE staff_no = ?", (staff_no,))
        if not rows:
            return False
        return lockout.check(_lock_state(rows[0]), self.clock.now(), self._mono_deadline.get(staff_no),
                             self.clock.monotonic()).locked

    @staticmethod
    def _store_lock(conn: object, staff_no: str, state: lockout.LockState) -> None:
        conn.execute(  # type: ignore[attr-defined]
            "UPDATE staff SET failures = ?, lockouts = ?, locked_at = ?, locked_s = ?, blocked = ?, locked_until = ? "
            "WHERE staff_no = ?", (state.failures, state.lockouts, state.locked_at, state.locked_s, int(state.blocked),
                                   state.locked_until, staff_no))

    # ---- reading ------------------------------------------------------------------------------------
    def members(self) -> list[StaffMember]:
        return [StaffMember(r["staff_no"], r["display_name"], r["role"])
                for r in self.store.query("SELECT staff_no, display_name, role FROM staff WHERE active = 1 ORDER BY staff_no")]

    def roster(self) -> list[StaffEntry]:
        now = self.clock.now()
        return [StaffEntry(r["staff_no"], r["display_name"], r["role"], r["card_masked"] or "(enrolled before masking)",
                           bool(r["active"]),
                           bool(r["blocked"]) or bool(r["locked_until"] and datetime.fromisoformat(r["locked_until"]) > now),
                           r["pin_scheme"])
                for r in self.store.query("SELECT * FROM staff ORDER BY staff_no")]

    # ---- hashing ------------------------------------------------------------------------------------
    def _new_pin(self, pin: str) -> tuple[str, str]:
        salt = pin_hash.new_salt()
        return salt.hex(), self._wrap(pin_hash.derive(pin, salt))

    def _wrap(self, derived: bytes) -> str:
        return self.hasher.hash("staff-pin-kdf", derived.hex())

    def _pin_matches(self, row: object, pin: str) -> bool:
        scheme = row["pin_scheme"]  # type: ignore[index]
        salt, stored = row["pin_salt"], row["pin_hash"]  # type: ignore[index]
        if scheme == pin_hash.SCHEME:
            got = self._wrap(pin_hash.derive(pin, bytes.fromhex(salt)))
        elif scheme == LEGACY_SCHEME:
            got = self.hasher.hash("staff-pin", f"{salt}:{pin}")
        else:
            return False  # written by a newer release: refuse rather than guess
        return secrets.compare_digest(got, stored)


def _lock_state(row: object) -> lockout.LockState:
    return lockout.LockState(row["failures"], row["lockouts"], row["locked_at"], row["locked_s"],  # type: ignore[index]
                             bool(row["blocked"]))  # type: ignore[index]
