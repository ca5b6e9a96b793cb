"""One-time pickup codes: 6 digits sent by SMS, stored only as keyed hashes, expiring.

- `issue(case_nos, ...)` makes a code for results waiting in the cabinet and returns it once
  (for the SMS); the database keeps HMAC-SHA256(station key, code) only.
- `verify(code, id_number=None, session=visit_id)` answers what the code is worth without using it
  up. Wrong codes are limited per visit: `max_failures` wrong codes end that visit's code entry
  (`locked`), nobody else's. Station-wide, wrong codes within 24 hours beyond `max_failures` make
  the next code entry wait (`slow`, `retry_after_s`): 30 s, doubling, at most `lockout_s`, so a
  guesser who starts a new visit for every try gets about a hundred tries a day, while the next
  citizen waits minutes, not a day (security finding 7). Reaching `daily_max_failures` within 24
  hours raises an alarm: an audit record and a `pickup_code.alarm` event for the back office.
  A right code whose item needs the
  ID card too, presented with the wrong card, counts against that code's own attempt limit;
  when it is used up the code is blocked (staff must re-issue).
- `consume(code_id)` uses the code up, exactly once (atomic), just before the doors open.

Time comes from the injected clock (wall time, stored as UTC ISO text, so expiry and the wait
survive a restart). The wait is also kept as a monotonic deadline while the process runs, and a
stored wait longer than `lockout_s` (the clock went back) is cut to `lockout_s` from now
(finding 13). Codes are not issued while the clock reads before `CLOCK_FLOOR` (never set).
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Literal

from kiosk.core.clock import Clock, SystemClock
from kiosk.services.audit import AuditLog
from kiosk.services.keyed_hash import KeyedHasher, normalize_id_number
from kiosk.services.store import Store, register_migrations

if TYPE_CHECKING:
    from kiosk.config.services import PickupSection

PURPOSE = "pickup"
CLOCK_FLOOR = datetime(2025, 1, 1, tzinfo=timezone.utc)  # earlier = the clock was never set (RTC lost it)
FIRST_WAIT_S = 30.0
MAX_SESSIONS = 1000  # visits whose wrong-code counts are remembered (in RAM: a visit ends with the process)

Outcome = Literal["ok", "malformed", "wrong", "expired", "used", "blocked", "revoked", "locked", "slow",
                  "id_required", "wrong_person"]

register_migrations("pickup_codes", [
    """
    CREATE TABLE pickup_codes (
        code_id TEXT PRIMARY KEY,
        code_hash TEXT NOT NULL,
        case_nos TEXT NOT NULL,
        applicant_hash TEXT,
        id_card_required INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'used', 'blocked', 'revoked')),
        used_at TEXT
    );
    CREATE INDEX pickup_codes_hash ON pickup_codes(code_hash, status);
    CREATE TABLE pickup_failures (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL
    );
    CREATE TABLE pickup_lockout (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        until TEXT NOT NULL
    )
    """,
])


@dataclass(frozen=True)
class IssuedCode:
    code: str  # the only time the plain code exists: hand it to the SMS and forget it
    code_id: str
    case_nos: tuple[str, ...]
    expires_at: str

    def __repr__(self) -> str:
        return f"IssuedCode(code='******', code_id={self.code_id!r}, case_nos={self.case_nos!r})"


@dataclass(frozen=True)
class CodeCheck:
    outcome: Outcome
    code_id: str | None = None
    case_nos: tuple[str, ...] = ()
    id_card_required: bool = False
    attempts_left: int | None = None
    locked_until: str | None = None  # ISO time the station-wide wait ends
    retry_after_s: float | None = None  # `slow`: code entry opens again after this many seconds
    detail: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


class PickupCodeError(Exception):
    pass


class PickupCodes:
    def __init__(self, store: Store, hasher: KeyedHasher, audit: AuditLog, clock: Clock | None = None, *,
                 ttl_s: float = 7 * 86400, max_attempts: int = 3, max_failures: int = 5,
                 window_s: float = 600.0, lockout_s: float = 900.0, daily_max_failures: int = 20) -> None:
        self.store = store
        self.hasher = hasher
        self.audit = audit
        self.clock = clock or SystemClock()
        self.ttl_s = ttl_s
        self.max_attempts = max_attempts
        self.max_failures = max_failures
        self.window_s = window_s
        self.lockout_s = lockout_s
        self.daily_max_failures = daily_max_failures
        store.migrate("pickup_codes")
        self._session_failures: dict[str, int] = {}
        self._next_mono: float | None = None  # monotonic end of the current wait (this process)
        self._outbox: object | None = None

    @classmethod
    def from_config(cls, store: Store, hasher: KeyedHasher, audit: AuditLog, clock: Clock | None,
                    pickup: "PickupSection") -> "PickupCodes":
        """Built from the `[pickup]` section of the station configuration."""
        return cls(store, hasher, audit, clock, ttl_s=pickup.code_ttl_h * 3600, max_attempts=pickup.max_attempts,
                   max_failures=pickup.max_failures, window_s=pickup.window_s, lockout_s=pickup.lockout_s,
                   daily_max_failures=pickup.daily_max_failures)

    def _now(self) -> datetime:
        return self.clock.now()

    @staticmethod
    def _iso(t: datetime) -> str:
        return t.isoformat(timespec="milliseconds")

    # -- issuing
    def issue(self, case_nos: list[str] | tuple[str, ...], *, applicant_hash: str | None = None,
              id_card_required: bool = False, ttl_s: float | None = None) -> IssuedCode:
        """A new code for these cases; earlier active codes for exactly these cases are revoked
        (the newest SMS is the one that works)."""
        cases = tuple(case_nos)
        if not cases or not all(isinstance(c, str) and c for c in cases):
            raise PickupCodeError("a pickup code needs at least one case number")
        if id_card_required and not applicant_hash:
            raise PickupCodeError("id_card_required needs the applicant's keyed hash")
        now = self._now()
        if now < CLOCK_FLOOR:
            raise PickupCodeError(f"the station clock reads {now:%Y-%m-%d}: it was never set (RTC battery? NTP?); "
                                  "no pickup code is issued until it is right")
        expires = now + timedelta(seconds=self.ttl_s if ttl_s is None else ttl_s)
        code_id = uuid.uuid4().hex[:16]
        with self.store.transaction() as conn:
            for _ in range(50):
                code = f"{secrets.randbelow(1_000_000):06d}"
                digest = self.hasher.hash(PURPOSE, code)
                clash = conn.execute("SELECT 1 FROM pickup_codes WHERE code_hash = ? AND status = 'active' "
                                     "AND expires_at > ?", (digest, self._iso(now))).fetchone()
                if not clash:
                    break
            else:  # pragma: no cover - needs ~a million active codes
                raise PickupCodeError("no free pickup code: too many active codes")
            key = json.dumps(sorted(cases))
            conn.execute("UPDATE pickup_codes SET status = 'revoked' WHERE status = 'active' AND case_nos = ?", (key,))
            conn.execute(
                "INSERT INTO pickup_codes(code_id, code_hash, case_nos, applicant_hash, id_card_required, created_at, "
                "expires_at, max_attempts, status) VALUES (?,?,?,?,?,?,?,?, 'active')",
                (code_id, digest, key, applicant_hash, int(id_card_required), self._iso(now), self._iso(expires),
                 self.max_attempts),
            )
            self.audit.append("station", "pickup_code.issued", code_id, cases=list(cases),
                              expires_at=self._iso(expires))
        return IssuedCode(code, code_id, tuple(sorted(cases)), self._iso(expires))

    def revoke(self, code_id: str) -> bool:
        with self.store.transaction() as conn:
            cur = conn.execute("UPDATE pickup_codes SET status = 'revoked' WHERE code_id = ? AND status = 'active'",
                               (code_id,))
            if cur.rowcount:
                self.audit.append("station", "pickup_code.revoked", code_id)
        return bool(cur.rowcount)

    def revoke_for_case(self, case_no: str) -> int:
        """Revoke every active code that includes this case (result collected another way)."""
        n = 0
        for row in self.store.query("SELECT code_id, case_nos FROM pickup_codes WHERE status = 'active'"):
            if case_no in json.loads(row["case_nos"]):
                n += int(self.revoke(row["code_id"]))
        return n

    # -- checking
    def locked_until(self) -> str | None:
        """ISO end of the station-wide wait, or None when code entry is open."""
        wait = self._wait_s()
        return self._iso(self._now() + timedelta(seconds=wait)) if wait > 0 else None

    def _wait_s(self) -> float:
        """Seconds until code entry opens again (0 = open now)."""
        now = self._now()
        rows = self.store.query("SELECT until FROM pickup_lockout WHERE id = 1")
        wall = 0.0
        if rows:
            wall = (datetime.fromisoformat(rows[0][0]) - now).total_seconds()
            if wall > self.lockout_s:  # the clock went back: never longer than lockout_s from now
                wall = self.lockout_s
                with self.store.transaction() as conn:
                    conn.execute("UPDATE pickup_lockout SET until = ? WHERE id = 1",
                                 (self._iso(now + timedelta(seconds=wall)),))
        if self._next_mono is not None:  # this process set the wait: its monotonic clock decides
            return max(0.0, self._next_mono - self.clock.monotonic())
        return max(0.0, wall)

    def verify(self, code: str, id_number: str | None = None, session: str | None = None) -> CodeCheck:
        """What this code is worth now. Does not use it up (see `consume`). `session`: the visit."""
        visit = session or "-"
        if self._session_failures.get(visit, 0) >= self.max_failures:
            return CodeCheck("locked", detail="too many wrong codes in this visit")
        wait = self._wait_s()
        if wait > 0:
            return CodeCheck("slow", locked_until=self._iso(self._now() + timedelta(seconds=wait)),
                             retry_after_s=round(wait, 3), detail="many wrong codes at this station; code entry waits")
        if not isinstance(code, str) or len(code) != 6 or not code.isascii() or not code.isdigit():
            return CodeCheck("malformed", detail="a pickup code is 6 digits")
        if id_number is not None and (not isinstance(id_number, str) or not 6 <= len(id_number) <= 40):
            return CodeCheck("malformed", detail="the ID number read from the card is not usable")
        digest = self.hasher.hash(PURPOSE, code)
        now = self._iso(self._now())
        rows = self.store.query(
            "SELECT * FROM pickup_codes WHERE code_hash = ? ORDER BY (status = 'active') DESC, created_at DESC LIMIT 1",
            (digest,))
        if not rows:
            return self._wrong_code(visit)
        row = rows[0]
        cases = tuple(json.loads(row["case_nos"]))
        base = dict(code_id=row["code_id"], case_nos=cases, id_card_required=bool(row["id_card_required"]))
        status = row["status"]
        if status == "used":
            return CodeCheck("used", **base, detail="this code has already been used")
        if status == "blocked":
            return CodeCheck("blocked", **base, detail="too many failed attempts on this code")
        if status == "revoked":
            return CodeCheck("revoked", **base, detail="this code was replaced by a newer one")
        if row["expires_at"] <= now:
            return CodeCheck("expired", **base, detail="this code has expired")
        left = row["max_attempts"] - row["attempts"]
        if row["id_card_required"]:
            if id_number is None:
                return CodeCheck("id_required", **base, attempts_left=left,
                                 detail="this item needs the applicant's ID card too")
            if not self.hasher.matches("id", normalize_id_number(id_number), row["applicant_hash"] or ""):
                return self._wrong_person(row["code_id"], base)
        return CodeCheck("ok", **base, attempts_left=left)

    def consume(self, code_id: str) -> bool:
        """Use the code up. True exactly once; False if it was used, blocked, revoked or expired."""
        now = self._iso(self._now())
        with self.store.transaction() as conn:
            cur = conn.execute(
                "UPDATE pickup_codes SET status = 'used', used_at = ? WHERE code_id = ? AND status = 'active' "
                "AND expires_at > ?", (now, code_id, now))
            if cur.rowcount:
                self.audit.append("station", "pickup_code.used", code_id)
        return bool(cur.rowcount)

    def active_for_case(self, case_no: str) -> list[str]:
        """code_ids of active, unexpired codes that include this case."""
        now = self._iso(self._now())
        return [r["code_id"] for r in self.store.query(
            "SELECT code_id, case_nos FROM pickup_codes WHERE status = 'active' AND expires_at > ?", (now,))
            if case_no in json.loads(r["case_nos"])]

    def purge(self, older_than_days: int = 30) -> int:
        """Delete codes that ended (used/revoked/blocked/expired) more than N days ago."""
        cutoff = self._iso(self._now() - timedelta(days=older_than_days))
        with self.store.transaction() as conn:
            cur = conn.execute("DELETE FROM pickup_codes WHERE (status != 'active' AND created_at < ?) "
                               "OR expires_at < ?", (cutoff, cutoff))
            conn.execute("DELETE FROM pickup_failures WHERE at < ?", (cutoff,))
        return cur.rowcount

    # -- failures
    def _wrong_code(self, visit: str) -> CodeCheck:
        now = self._now()
        day_since = self._iso(now - timedelta(days=1))
        n_visit = self._session_failures.get(visit, 0) + 1
        if visit not in self._session_failures and len(self._session_failures) >= MAX_SESSIONS:
            self._session_failures.pop(next(iter(self._session_failures)))
        self._session_failures[visit] = n_visit
        with self.store.transaction() as conn:
            conn.execute("INSERT INTO pickup_failures(at) VALUES (?)", (self._iso(now),))
            n_day = conn.execute("SELECT COUNT(*) FROM pickup_failures WHERE at > ?", (day_since,)).fetchone()[0]
            if n_day >= self.max_failures:
                wait = min(self.lockout_s, FIRST_WAIT_S * 2 ** min(n_day - self.max_failures, 30))
                until = self._iso(now + timedelta(seconds=wait))
                conn.execute("INSERT INTO pickup_lockout(id, until) VALUES (1, ?) "
                             "ON CONFLICT(id) DO UPDATE SET until = excluded.until", (until,))
                self._next_mono = self.clock.monotonic() + wait
                self.audit.append("station", "pickup_code.slowed", "station", failures_24h=n_day, wait_s=wait)
            if n_day == self.daily_max_failures:
                self.audit.append("station", "pickup_code.alarm", "station", failures_24h=n_day)
                self._alarm(conn, n_day)
        if n_visit >= self.max_failures:
            self.audit.append("station", "pickup_code.visit_locked", "station", failures=n_visit)
            return CodeCheck("locked", detail=f"{n_visit} wrong codes in this visit; code entry ended for it")
        return CodeCheck("wrong", detail="no such code", attempts_left=self.max_failures - n_visit,
                         extra={"failures": str(n_visit)})

    def _alarm(self, conn: object, n_day: int) -> None:
        """Tell the back office someone is guessing codes (an outbox event, same transaction)."""
        try:
            if self._outbox is None:
                from kiosk.services.outbox import Outbox

                self._outbox = Outbox(self.store, self.clock)
            self._outbox.add(conn, "pickup_code.alarm", {"failures_24h": n_day,  # type: ignore[attr-defined]
                                                         "threshold": self.daily_max_failures})
        except Exception:  # the audit record stands; the event is best effort
            import logging

            logging.getLogger(__name__).exception("pickup codes: alarm event not queued")

    def _wrong_person(self, code_id: str, base: dict) -> CodeCheck:
        with self.store.transaction() as conn:
            conn.execute("UPDATE pickup_codes SET attempts = attempts + 1 WHERE code_id = ?", (code_id,))
            row = conn.execute("SELECT attempts, max_attempts FROM pickup_codes WHERE code_id = ?",
                               (code_id,)).fetchone()
            left = row[1] - row[0]
            self.audit.append("station", "pickup_code.wrong_person", code_id, attempts_left=left)
            if left <= 0:
                conn.execute("UPDATE pickup_codes SET status = 'blocked' WHERE code_id = ?", (code_id,))
                self.audit.append("station", "pickup_code.blocked", code_id)
                return CodeCheck("blocked", **base, attempts_left=0,
                                 detail="ID card did not match too many times; code blocked")
        return CodeCheck("wrong_person", **base, attempts_left=left, detail="the ID card does not match this code")
