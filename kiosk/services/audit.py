"""The append-only audit log: each record carries the hash of the previous one (tamper evidence).

`AuditLog.append` writes inside the caller's transaction when there is one, so an audit record
and the state change it describes commit together. `verify()` walks the chain and names the first
record that does not fit. Records hold no personal data: callers pass masked values only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from kiosk.core.clock import Clock, SystemClock
from kiosk.services.store import Store, register_migrations

GENESIS = "0" * 64

register_migrations("audit", [
    """
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END
    """,
])


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    ts: str
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


def record_hash(prev_hash: str, seq: int, ts: str, actor: str, action: str, subject: str, detail_json: str) -> str:
    body = json.dumps([prev_hash, seq, ts, actor, action, subject, detail_json], ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class AuditLog:
    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        store.migrate("audit")

    def append(self, actor: str, action: str, subject: str = "", **detail: Any) -> AuditRecord:
        ts = self.clock.now().isoformat(timespec="milliseconds")
        detail_json = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
        with self.store.transaction() as conn:
            last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            digest = record_hash(prev, seq, ts, actor, action, subject, detail_json)
            conn.execute(
                "INSERT INTO audit(seq, ts, actor, action, subject, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)",
                (seq, ts, actor, action, subject, detail_json, prev, digest),
            )
        return AuditRecord(seq, ts, actor, action, subject, detail, prev, digest)

    def records(self, since_seq: int = 0, limit: int = 1000) -> list[AuditRecord]:
        rows = self.store.query(
            "SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", (since_seq, limit)
        )
        return [
            AuditRecord(r["seq"], r["ts"], r["actor"], r["action"], r["subject"], json.loads(r["detail"]),
                        r["prev_hash"], r["hash"])
            for r in rows
        ]

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the newest record; (0, GENESIS) when empty."""
        row = self.store.query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        return (int(row[0][0]), str(row[0][1])) if row else (0, GENESIS)

    def verify_against(self, seq: int, digest: str) -> tuple[bool, str]:
        """Compare with a head the back office holds (security finding 5): the local chain must
        still contain record `seq` with exactly that hash."""
        local_seq, _ = self.head()
        if local_seq < seq:
            return False, (f"gap: the back office holds head seq {seq} but the local chain ends at seq {local_seq}; "
                           f"records {local_seq + 1}-{seq} were deleted")
        row = self.store.query("SELECT hash FROM audit WHERE seq = ?", (seq,))
        if not row:
            return False, f"gap: record {seq} (the back office's head) is missing"
        if row[0][0] != digest:
            return False, f"record {seq} differs from the head the back office holds: the chain was rewritten"
        return True, f"head seq {seq} matches the back office's"

    def verify(self) -> tuple[bool, str]:
        """(True, "n records intact") or (False, "record N: what is wrong")."""
        prev = GENESIS
        n = 0
        for r in self.store.query("SELECT * FROM audit ORDER BY seq"):
            n += 1
            if r["seq"] != n:
                return False, f"record {n}: missing (next is {r['seq']})"
            if r["prev_hash"] != prev:
                return False, f"record {r['seq']}: previous-hash link broken"
            expect = record_hash(prev, r["seq"], r["ts"], r["actor"], r["action"], r["subject"], r["detail"])
            if expect != r["hash"]:
                return False, f"record {r['seq']}: contents changed after it was written"
            prev = r["hash"]
        return True, f"{n} records intact"
