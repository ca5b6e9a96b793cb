"""Failed face checks per ID card per day (security finding 11).

    attempts = FaceAttempts(store, hasher, audit, clock)
    attempts.allowed(id_number)          # False once the card has MAX_FAILED_PER_DAY failures in 24 h
    attempts.record_failure(id_number)   # after a face check that did not match

A visit allows a few tries; without a limit per card, someone holding a stolen card could come
back visit after visit with photos, masks or look-alikes. The card is known only by its keyed hash.
Reaching the limit is audited and sent to the back office (`identify.face_alarm` outbox event).
Failures are stored with wall time; ones dated in the future (the clock went back) keep counting,
so a clock step never clears them early (finding 13).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from kiosk.core.clock import Clock, SystemClock
from kiosk.services.audit import AuditLog
from kiosk.services.keyed_hash import KeyedHasher, normalize_id_number
from kiosk.services.store import Store, register_migrations

log = logging.getLogger(__name__)

MAX_FAILED_PER_DAY = 6  # two visits of three tries
PURPOSE = "face-failure"

register_migrations("face_attempts", [
    """
    CREATE TABLE face_failures (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        card_hash TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX face_failures_card ON face_failures(card_hash, at)
    """,
])


class FaceAttempts:
    def __init__(self, store: Store, hasher: KeyedHasher, audit: AuditLog, clock: Clock | None = None,
                 max_per_day: int = MAX_FAILED_PER_DAY, outbox: Any = None) -> None:
        self.store = store
        self.hasher = hasher
        self.audit = audit
        self.clock = clock or SystemClock()
        self.max_per_day = max_per_day
        self._outbox = outbox
        store.migrate("face_attempts")

    def _key(self, id_number: str) -> str:
        return self.hasher.hash(PURPOSE, normalize_id_number(id_number))

    def _since(self) -> str:
        return (self.clock.now() - timedelta(days=1)).isoformat(timespec="milliseconds")

    def failures(self, id_number: str) -> int:
        return int(self.store.query("SELECT COUNT(*) FROM face_failures WHERE card_hash = ? AND at > ?",
                                    (self._key(id_number), self._since()))[0][0])

    def allowed(self, id_number: str) -> bool:
        return self.failures(id_number) < self.max_per_day

    def record_failure(self, id_number: str, id_masked: str = "") -> int:
        key = self._key(id_number)
        with self.store.transaction() as conn:
            conn.execute("INSERT INTO face_failures(card_hash, at) VALUES (?, ?)",
                         (key, self.clock.now().isoformat(timespec="milliseconds")))
            n = conn.execute("SELECT COUNT(*) FROM face_failures WHERE card_hash = ? AND at > ?",
                             (key, self._since())).fetchone()[0]
            if n == self.max_per_day:
                self.audit.append("station", "identify.face_alarm", "face", id_masked=id_masked, failures_24h=n)
                try:
                    if self._outbox is None:
                        from kiosk.services.outbox import Outbox

                        self._outbox = Outbox(self.store, self.clock)
                    self._outbox.add(conn, "identify.face_alarm", {"id_masked": id_masked, "failures_24h": n})
                except Exception:
                    log.exception("face attempts: alarm event not queued")
        return int(n)

    def purge(self, older_than_days: int = 2) -> int:
        cutoff = (self.clock.now() - timedelta(days=older_than_days)).isoformat(timespec="milliseconds")
        with self.store.transaction() as conn:
            return conn.execute("DELETE FROM face_failures WHERE at < ?", (cutoff,)).rowcount
