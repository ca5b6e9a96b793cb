"""The soak's invariants, counted in SQL over the station's store and the soak back office's file
(nothing is loaded into memory). Each count must be 0.

- wrong_door_opens: a door the boards opened with no open journal entry for it, or an intent
  journaled for a compartment whose board/lock is another door's.
- double_releases: a pickup authorisation that opened a door more than once.
- lost_events: outbox events the back office never received (gaps, declared drops), a closed
  release whose `cabinet.release` event never arrived, a broken audit chain.
- lost_items: a result recorded as deposited whose compartment does not hold it.
- unflagged_stuck: a release neither confirmed nor flagged, or an intent never closed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from kiosk.services.audit import GENESIS, record_hash
from kiosk.services.cabinet import RELEASED
from kiosk.services.store import Store


@dataclass
class Invariants:
    wrong_door_opens: int = 0
    double_releases: int = 0
    lost_events: int = 0
    lost_items: int = 0
    unflagged_stuck: int = 0

    def failed(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name)]


def _one(store: Store, sql: str, params: tuple = ()) -> int:
    return int(store.query(sql, params)[0][0] or 0)


def audit_chain_intact(store: Store) -> bool:
    """AuditLog.verify, streamed row by row (the audit of a long soak does not fit in memory twice)."""
    prev, n = GENESIS, 0
    cur = store.conn.execute("SELECT seq, ts, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq")
    for seq, ts, actor, action, subject, detail, prev_hash, digest in cur:
        n += 1
        if seq != n or prev_hash != prev or record_hash(prev, seq, ts, actor, action, subject, detail) != digest:
            return False
        prev = digest
    return True


def check(store: Store, office_db: str, bus_opens_without_intent: int, office_gaps: int) -> Invariants:
    out = Invariants(wrong_door_opens=bus_opens_without_intent, lost_events=office_gaps)
    out.double_releases = _one(store, "SELECT count(*) FROM (SELECT auth_id FROM intents WHERE purpose = 'pickup' "
                                      "GROUP BY auth_id HAVING count(*) > 1)")
    out.wrong_door_opens += _one(store, "SELECT count(*) FROM intents i JOIN compartments c ON c.id = i.compartment "
                                        "WHERE i.board != c.board OR i.lock != c.lock")
    out.lost_events += _one(store, "SELECT dropped_size + dropped_age FROM outbox_meta WHERE id = 1")
    store.conn.execute("ATTACH DATABASE ? AS office", (office_db,))
    try:
        out.lost_events += _one(store, "SELECT count(*) FROM intents i WHERE i.closed_at IS NOT NULL "
                                       "AND i.outcome != 'interrupted' "
                                       "AND NOT EXISTS (SELECT 1 FROM office.released r WHERE r.intent = i.id)")
    finally:
        store.conn.execute("DETACH DATABASE office")
    if not audit_chain_intact(store):
        out.lost_events += 1
    out.lost_items = _one(store, "SELECT count(*) FROM cases k LEFT JOIN compartments c ON c.id = k.compartment "
                                 "WHERE k.status = 'deposited' AND (c.id IS NULL OR c.state != 'loaded' "
                                 "OR c.case_id != k.case_no)")
    marks = ",".join("?" * len(RELEASED))
    out.unflagged_stuck = _one(store, f"SELECT count(*) FROM intents WHERE purpose IN ('deposit','pickup') "
                                      f"AND outcome IN ({marks}) AND settled IS NULL AND closed_at IS NOT NULL",
                               tuple(RELEASED))
    out.unflagged_stuck += _one(store, "SELECT count(*) FROM intents WHERE closed_at IS NULL")
    return out
