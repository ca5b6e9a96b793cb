"""The soak's back office: takes the station's outbox events in order, keeps what it needs to
judge "lost events" in its own SQLite file (memory stays flat however long the soak), and
acknowledges them, as the real back office does over MQTT."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kiosk.services.outbox import Outbox

BATCH = 500


class SoakOffice:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(str(path), isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA cache_size=-256")  # KiB: the soak's own file should not weigh on the RSS
        self.conn.execute("CREATE TABLE IF NOT EXISTS released (intent INTEGER PRIMARY KEY)")
        self.last_seq = 0
        self.gaps = 0  # events the station produced that never arrived
        self.received = 0

    def drain(self, outbox: Outbox) -> None:
        while True:
            events = outbox.pending(after_seq=self.last_seq, limit=BATCH)
            if not events:
                return
            rows = []
            for e in events:
                if e.seq != self.last_seq + 1:
                    self.gaps += e.seq - self.last_seq - 1
                self.last_seq = e.seq
                if e.type == "cabinet.release" and isinstance(e.data.get("intent"), int):
                    rows.append((e.data["intent"],))
            self.received += len(events)
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT OR IGNORE INTO released(intent) VALUES (?)", rows)
            self.conn.execute("COMMIT")
            outbox.ack(self.last_seq)

    def close(self) -> None:
        self.conn.close()
