"""Recalls: the back office asks staff to take an uncollected result out of its compartment.

A signed `recall_pickup {case, compartment, reason}` command (ADR 0237) lands here through
`StationCommands.recall_pickup`: the recall is stored (and audited) and the staff retrieve task
lists the compartment at the next staff visit, before the station's own expiry period has passed.
The command never opens a door by itself; staff sign in and take the item out as for any expired
result (the case becomes `expired`, its pickup codes are revoked, the office is told). A recall of
a case that is collected meanwhile is simply no longer listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.clock import Clock, SystemClock
from kiosk.services.audit import AuditLog
from kiosk.services.store import Store, register_migrations

register_migrations("recalls", [
    """
    CREATE TABLE recalls (
        case_no TEXT PRIMARY KEY,
        compartment TEXT NOT NULL,
        reason TEXT NOT NULL,
        actor TEXT NOT NULL,
        at TEXT NOT NULL
    )
    """,
])


@dataclass(frozen=True)
class Recall:
    case_no: str
    compartment: str
    reason: str
    actor: str
    at: str


class Recalls:
    def __init__(self, store: Store, audit: AuditLog, clock: Clock | None = None) -> None:
        self.store, self.audit, self.clock = store, audit, clock or SystemClock()
        store.migrate("recalls")

    def add(self, case_no: str, compartment: str, reason: str, actor: str) -> bool:
        """Store a recall; False when this case was already recalled (nothing changes)."""
        with self.store.transaction() as conn:
            cur = conn.execute("INSERT OR IGNORE INTO recalls(case_no, compartment, reason, actor, at) VALUES (?,?,?,?,?)",
                               (case_no, compartment, reason, actor, self.clock.now().isoformat(timespec="seconds")))
            if cur.rowcount:
                self.audit.append(actor, "pickup.recalled", case_no, compartment=compartment, reason=reason)
        return bool(cur.rowcount)

    def pending(self) -> list[Recall]:
        return [Recall(r["case_no"], r["compartment"], r["reason"], r["actor"], r["at"])
                for r in self.store.query("SELECT * FROM recalls ORDER BY at, case_no")]

    def done(self, case_no: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM recalls WHERE case_no = ?", (case_no,))
