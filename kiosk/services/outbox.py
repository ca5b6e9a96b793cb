"""The station's SQLite outbox: events wait here until the back office acknowledges them.

Every event the station tells the back office about is written to the `outbox_events` table in
the SAME transaction as the state change that caused it, so a crash can never leave a state change
without its event or an event without its state change. The fleet link (kiosk/services/fleet)
sends the rows in `seq` order and deletes them only when the back office's `ack {upto_seq}` arrives
(never on an MQTT PUBACK: a broker acknowledges before it has stored anything durably).

Public API (stable; cabinet, services and flows call `add()`):

    outbox = Outbox(store, clock, max_events=100_000, max_age_s=7*86400)   # or Outbox.from_config(store, cfg.fleet, clock)

    with store.transaction() as conn:
        conn.execute("UPDATE compartments SET state='loaded' ...")
        event = outbox.add(conn, "compartment.loaded", {"compartment": "A01", "case": "..."})
    # -> OutboxEvent(seq, event_id, type, boot_id, ts, data); .payload() is the MQTT body

    outbox.add_now("heartbeat", {...})        # convenience: its own transaction
    outbox.pending(after_seq=0, limit=100)    # oldest first, strictly increasing seq
    outbox.ack(upto_seq)                      # the back office stored everything <= upto_seq
    outbox.stats()                            # OutboxStats for the health snapshot
    outbox.enforce_bounds()                   # age bound; also done on every add()
    outbox.new_event                          # threading.Event set after each add (the link waits on it)

Several `Outbox` objects may be made on the same store (each service may make its own): they share
the rows, the seq, the boot id and the wake-up signal.

- `type`: 1-64 characters `[a-z0-9][a-z0-9_.-]*` (it becomes the MQTT topic level `evt/{type}`).
- `data`: a JSON object (dict) of at most 64 KiB encoded; no personal data (masked values only).
- `add()` raises `OutboxError` when called outside a transaction or with a bad type / data; the
  caller's transaction then rolls back as a whole, which is the point.
- `seq` is persisted per station and never reused, even after rows are acknowledged or dropped.
- `event_id` is a UUIDv7 (time-ordered), `boot_id` identifies this run of the software, `ts` is
  the injected clock's UTC time in ISO 8601 with milliseconds.
- `stream` (`outbox.stream`) is a random id made with the store (a restored backup gets a new one):
  seqs count within it, and the back office acknowledges per (station, stream).

Bounds: when the outbox would exceed `max_events` rows, the oldest rows go (a tenth of the bound at
once, so a long outage does not fill the outbox with notices); rows older than `max_age_s` go too.
Drops are never silent: they are counted (persisted totals by reason), logged (rate-limited), shown
in `stats()` (`dropping` flag for the health snapshot) and announced by an `outbox.dropped` event
`{from_seq, to_seq, count, by_size, by_age}`. Rows only ever leave from the front, so a notice means
"every seq <= to_seq that you have not received is lost": it is cumulative, and a later notice covers
an earlier one that was itself dropped. The back office can therefore tell a declared loss from a gap.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

from kiosk.core.clock import Clock, SystemClock
from kiosk.services.store import Store, register_migrations

log = logging.getLogger(__name__)

MAX_DATA_BYTES = 64 * 1024
TYPE_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
DROPPED_EVENT = "outbox.dropped"
CLOCK_STEP_EVENT = "station.clock_step"
CLOCK_STEP_S = 60.0
AUDIT_HEAD_EVENT = "audit.head"
AUDIT_HEAD_EVERY_S = 30.0  # at most this often, unless the event is an alarm-like one
AUDIT_HEAD_AT_ONCE = ("alarm", "attention", "cabinet.door", "clock_step", "command.result")  # wall and monotonic time disagreeing by more than this is a clock step
LOG_EVERY_S = 60.0

register_migrations("outbox", [
    """
    CREATE TABLE outbox_events (
        seq INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        boot_id TEXT NOT NULL,
        ts TEXT NOT NULL,
        ts_epoch REAL NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX outbox_events_age ON outbox_events(ts_epoch);
    CREATE TABLE outbox_meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_seq INTEGER NOT NULL,
        acked_upto INTEGER NOT NULL,
        dropped_size INTEGER NOT NULL,
        dropped_age INTEGER NOT NULL,
        last_drop_ts TEXT
    );
    INSERT INTO outbox_meta(id, last_seq, acked_upto, dropped_size, dropped_age, last_drop_ts)
        VALUES (1, 0, 0, 0, 0, NULL)
    """,
    # the age bound counts seconds the station ran (`run_s`: monotonic, summed over restarts),
    # not wall time: a clock step must never drop events (security finding 13)
    """
    ALTER TABLE outbox_events ADD COLUMN run_s REAL NOT NULL DEFAULT 0;
    CREATE INDEX outbox_events_run ON outbox_events(run_s);
    ALTER TABLE outbox_meta ADD COLUMN run_s REAL NOT NULL DEFAULT 0;
    ALTER TABLE outbox_meta ADD COLUMN last_wall REAL
    """,
    # the newest `audit.head` event the back office acknowledged, as JSON {"seq", "hash"} (finding 5)
    """
    ALTER TABLE outbox_meta ADD COLUMN acked_audit_head TEXT
    """,
    # the event stream: a random id made with the store; seqs count in it, the back office acks per
    # (station, stream), so a reinstalled or fresh store is never judged by an old store's mark
    """
    ALTER TABLE outbox_meta ADD COLUMN stream_id TEXT;
    UPDATE outbox_meta SET stream_id = lower(hex(randomblob(16))) WHERE id = 1
    """,
])


def new_stream(conn: sqlite3.Connection) -> str:
    """Give a store a new event stream (a restored backup: its seqs may repeat ones already sent)."""
    stream = uuid.uuid4().hex
    conn.execute("UPDATE outbox_meta SET stream_id = ? WHERE id = 1", (stream,))
    return stream


class OutboxError(ValueError):
    """A call that breaks the outbox contract (bad type, bad data, no transaction)."""


@dataclass(frozen=True)
class OutboxEvent:
    seq: int
    event_id: str
    type: str
    boot_id: str
    ts: str
    data: dict[str, Any]
    stream: str = ""

    def payload(self) -> dict[str, Any]:
        """The JSON body published on `k/v1/{station}/evt/{type}` (schema: event.schema.json)."""
        body = {"event_id": self.event_id, "seq": self.seq, "type": self.type, "boot_id": self.boot_id,
                "ts": self.ts, "data": self.data}
        if self.stream:
            body["stream"] = self.stream
        return body


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    first_seq: int | None
    last_seq: int
    acked_upto: int
    oldest_ts: str | None
    dropped_size: int
    dropped_age: int
    dropping: bool
    max_events: int
    max_age_s: float

    @property
    def dropped_total(self) -> int:
        return self.dropped_size + self.dropped_age

    def as_health(self) -> dict[str, Any]:
        return {"pending": self.pending, "first_seq": self.first_seq, "last_seq": self.last_seq, "acked_upto": self.acked_upto,
                "oldest_ts": self.oldest_ts, "dropped_total": self.dropped_total,
                "dropped_size": self.dropped_size, "dropped_age": self.dropped_age,
                "dropping": self.dropping, "max_events": self.max_events}


class _Shared:
    """What every Outbox on one store shares (they are views of the same table)."""

    def __init__(self, boot_id: str) -> None:
        self.boot_id = boot_id
        self.new_event = threading.Event()
        self.listeners: list[Any] = []
        self.dropping = False
        self.last_drop_log = -1e18


_SHARED: weakref.WeakKeyDictionary[Store, _Shared] = weakref.WeakKeyDictionary()
_uuid_lock = threading.Lock()
_uuid_last = [0, 0]  # last ms, counter


def uuid7(unix_ms: int | None = None) -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a counter + random bits; sortable by time."""
    ms = int(time.time() * 1000) if unix_ms is None else int(unix_ms)
    with _uuid_lock:
        if ms == _uuid_last[0]:  # same millisecond: the counter keeps the order
            _uuid_last[1] += 1
        else:
            _uuid_last[0], _uuid_last[1] = ms, int.from_bytes(os.urandom(2), "big") & 0x3FF
        counter = _uuid_last[1] & 0xFFF
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


class Outbox:
    def __init__(self, store: Store, clock: Clock | None = None, *, max_events: int = 100_000,
                 max_age_s: float = 7 * 86400, boot_id: str | None = None) -> None:
        if max_events < 2:
            raise ValueError("max_events must be at least 2")
        self.store = store
        self.clock = clock or SystemClock()
        self.max_events = int(max_events)
        self.max_age_s = float(max_age_s)
        # every Outbox on the same store (cabinet, cases, the link...) shares one wake-up signal,
        # one listener list and one boot id, so an event added through any of them wakes the link
        shared = _SHARED.get(store)
        if shared is None:
            shared = _SHARED[store] = _Shared(boot_id or uuid7(int(self.clock.now().timestamp() * 1000)))
        self._shared = shared
        self.boot_id, self.new_event, self._listeners = shared.boot_id, shared.new_event, shared.listeners
        store.migrate("outbox")
        row = store.query("SELECT run_s, last_wall, stream_id FROM outbox_meta WHERE id = 1")[0]
        self.stream: str = row[2] or ""
        self._run0, self._mono0 = float(row[0]), self.clock.monotonic()
        # the last (wall, monotonic) pair seen; the stored wall time lets a restart notice a clock
        # that went back while the station was off (an RTC that lost the date)
        self._seen: tuple[float, float] | None = (float(row[1]), self._mono0) if row[1] is not None else None
        self._seen_before_restart = self._seen is not None

    @classmethod
    def from_config(cls, store: Store, fleet: Any, clock: Clock | None = None) -> Outbox:
        """Bounds from `[fleet] outbox_max_events / outbox_max_age_s`."""
        return cls(store, clock, max_events=fleet.outbox_max_events, max_age_s=fleet.outbox_max_age_s)

    @property
    def dropping(self) -> bool:
        """True from the first drop until the backlog is back under half the bound (no SQL)."""
        return self._shared.dropping

    def add_listener(self, callback: Any) -> None:
        """`callback()` runs (on the adding thread) after each add; keep it tiny (set an Event)."""
        self._listeners.append(callback)

    # ---- writing -----------------------------------------------------------------------------
    def add(self, conn: sqlite3.Connection, type: str, data: dict[str, Any]) -> OutboxEvent:
        """Append one event inside the caller's `store.transaction()`; see the module docstring."""
        if not conn.in_transaction:
            raise OutboxError("Outbox.add must be called inside store.transaction() (event and state commit together)")
        if not isinstance(type, str) or not TYPE_RE.fullmatch(type):
            raise OutboxError(f"event type {type!r}: 1-64 characters of a-z, 0-9, '_', '.', '-' (starting a-z0-9)")
        if not isinstance(data, dict):
            raise OutboxError(f"event data must be a JSON object, not {data.__class__.__name__}")
        try:
            data_json = json.dumps(data, ensure_ascii=False, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise OutboxError(f"event data is not JSON-serialisable: {exc}") from None
        if len(data_json.encode("utf-8")) > MAX_DATA_BYTES:
            raise OutboxError(f"event data is larger than {MAX_DATA_BYTES} bytes")
        now = self.clock.now()
        self._note_clock_step(conn)
        self._enforce(conn, now.timestamp(), room_for=1)
        event = self._insert(conn, type, data, data_json, now)
        self._note_audit_head(conn, type)
        self._notify()
        return event

    def add_now(self, type: str, data: dict[str, Any]) -> OutboxEvent:
        """`add()` in a transaction of its own (for events no state change goes with)."""
        with self.store.transaction() as conn:
            return self.add(conn, type, data)

    def _insert(self, conn: sqlite3.Connection, type: str, data: dict[str, Any], data_json: str,
                now: Any) -> OutboxEvent:
        seq = conn.execute("SELECT last_seq FROM outbox_meta WHERE id = 1").fetchone()[0] + 1
        ts = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        event_id = uuid7(int(now.timestamp() * 1000))
        run_s = self._run_s(conn)
        conn.execute("UPDATE outbox_meta SET last_seq = ?, run_s = ?, last_wall = ? WHERE id = 1",
                     (seq, run_s, now.timestamp()))
        conn.execute(
            "INSERT INTO outbox_events(seq, event_id, type, boot_id, ts, ts_epoch, data, run_s) VALUES (?,?,?,?,?,?,?,?)",
            (seq, event_id, type, self.boot_id, ts, now.timestamp(), data_json, run_s),
        )
        return OutboxEvent(seq, event_id, type, self.boot_id, ts, data, self.stream)

    def _notify(self) -> None:
        self.new_event.set()
        for cb in list(self._listeners):
            try:
                cb()
            except Exception:  # a listener must never break the caller's transaction
                log.exception("outbox listener failed")

    # ---- bounds ------------------------------------------------------------------------------
    def enforce_bounds(self) -> int:
        """Drop rows older than `max_age_s` (and any excess over `max_events`); returns rows dropped."""
        with self.store.transaction() as conn:
            self._note_clock_step(conn)
            return self._enforce(conn, self.clock.now().timestamp(), room_for=0)

    def _run_s(self, conn: sqlite3.Connection) -> float:
        """Seconds the station has run with this outbox (monotonic; summed over restarts)."""
        stored = conn.execute("SELECT run_s FROM outbox_meta WHERE id = 1").fetchone()[0]
        return max(float(stored), self._run0 + (self.clock.monotonic() - self._mono0))

    def _note_audit_head(self, conn: sqlite3.Connection, type: str) -> None:
        """Send the audit chain's head along (`audit.head` {seq, hash}) when it moved: once the back
        office holds it, deleting the chain's tail no longer goes unseen (security finding 5)."""
        if type == AUDIT_HEAD_EVENT:
            return
        shared = self._shared
        if getattr(shared, "has_audit", None) is None:
            shared.has_audit = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'").fetchone() is not None
        if not shared.has_audit:
            return
        row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None or row[0] == getattr(shared, "audit_head_seq", None):
            return
        mono = self.clock.monotonic()
        if not any(k in type for k in AUDIT_HEAD_AT_ONCE) and mono - getattr(shared, "audit_head_at", -1e18) < AUDIT_HEAD_EVERY_S:
            return
        shared.audit_head_seq, shared.audit_head_at = row[0], mono
        head = {"seq": int(row[0]), "hash": str(row[1])}
        self._insert(conn, AUDIT_HEAD_EVENT, head, json.dumps(head, sort_keys=True), self.clock.now())

    def acked_audit_head(self) -> dict[str, Any] | None:
        """The newest audit head the back office has acknowledged, or None."""
        row = self.store.query("SELECT acked_audit_head FROM outbox_meta WHERE id = 1")
        return json.loads(row[0][0]) if row and row[0][0] else None

    def _note_clock_step(self, conn: sqlite3.Connection) -> None:
        """A wall-clock step (wall and monotonic time moving apart) becomes a `station.clock_step` event."""
        wall, mono = self.clock.now().timestamp(), self.clock.monotonic()
        seen, self._seen = self._seen, (wall, mono)
        if seen is None:
            return
        step = (wall - seen[0]) - (mono - seen[1])
        restarted, self._seen_before_restart = self._seen_before_restart, False
        if restarted and step > 0:
            return  # time passed while the station was off: not a step
        if abs(step) <= CLOCK_STEP_S:
            return
        data = {"step_s": round(step, 3), "from": _iso(seen[0] + (mono - seen[1])), "to": _iso(wall),
                "across_restart": restarted}
        log.warning("wall clock stepped by %+.0f s (%s -> %s); outbox ages are counted in run time, nothing dropped",
                    step, data["from"], data["to"])
        self._insert(conn, CLOCK_STEP_EVENT, data, json.dumps(data, sort_keys=True), self.clock.now())

    def _enforce(self, conn: sqlite3.Connection, now_epoch: float, room_for: int) -> int:
        first = conn.execute("SELECT min(seq) FROM outbox_events").fetchone()[0]
        if first is None:
            return 0
        last = conn.execute("SELECT last_seq FROM outbox_meta WHERE id = 1").fetchone()[0]
        cutoff = self._run_s(conn) - self.max_age_s
        # rows form one contiguous seq range (only the front is ever deleted)
        by_age = conn.execute("SELECT max(seq) FROM outbox_events WHERE run_s < ?", (cutoff,)).fetchone()[0]
        base = max(by_age or 0, first - 1)
        remaining = last - base
        if base < first and remaining + room_for <= self.max_events:
            if self._shared.dropping and remaining <= self.max_events // 2:
                self._shared.dropping = False
            return 0
        # one extra slot for the outbox.dropped notice itself; when full, a tenth of the bound goes
        # at once (hysteresis), so a long outage yields one notice per chunk, not one per event
        need = remaining + room_for + 1 - self.max_events
        if need > 0:
            need = min(remaining, need + self.max_events // 10)
        drop_upto = base + max(0, need)
        drop_upto_age = base
        n_age = drop_upto_age - first + 1
        n_size = drop_upto - drop_upto_age
        conn.execute("DELETE FROM outbox_events WHERE seq <= ?", (drop_upto,))
        ts = self.clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        conn.execute(
            "UPDATE outbox_meta SET dropped_size = dropped_size + ?, dropped_age = dropped_age + ?, "
            "last_drop_ts = ? WHERE id = 1", (n_size, n_age, ts))
        self._shared.dropping = True
        notice = {"from_seq": first, "to_seq": drop_upto, "count": n_age + n_size,
                  "by_size": n_size, "by_age": n_age}
        self._insert(conn, DROPPED_EVENT, notice, json.dumps(notice, sort_keys=True), self.clock.now())
        mono = self.clock.monotonic()
        if mono - self._shared.last_drop_log >= LOG_EVERY_S:
            self._shared.last_drop_log = mono
            totals = conn.execute("SELECT dropped_size + dropped_age FROM outbox_meta WHERE id = 1").fetchone()[0]
            log.warning("outbox bound reached: dropped seq %d..%d (%d by size, %d by age); %d dropped in total",
                        first, drop_upto, n_size, n_age, totals)
        return n_age + n_size

    # ---- reading and acknowledging -------------------------------------------------------------
    def pending(self, after_seq: int = 0, limit: int = 100) -> list[OutboxEvent]:
        rows = self.store.query(
            "SELECT seq, event_id, type, boot_id, ts, data FROM outbox_events WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        )
        return [OutboxEvent(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), self.stream) for r in rows]

    def ack(self, upto_seq: int) -> int:
        """The back office has stored every event with seq <= upto_seq; delete them. Returns rows deleted.
        An ack beyond the last seq this station produced is clamped (and logged), never trusted."""
        if not isinstance(upto_seq, int) or isinstance(upto_seq, bool) or upto_seq < 0:
            raise OutboxError(f"ack upto_seq must be a non-negative integer, not {upto_seq!r}")
        with self.store.transaction() as conn:
            last, acked = conn.execute("SELECT last_seq, acked_upto FROM outbox_meta WHERE id = 1").fetchone()
            if upto_seq > last:
                log.warning("ack for seq %d but the last event produced is %d; clamped", upto_seq, last)
                upto_seq = last
            if upto_seq <= acked:
                return 0
            head = conn.execute("SELECT data FROM outbox_events WHERE type = ? AND seq <= ? ORDER BY seq DESC LIMIT 1",
                                (AUDIT_HEAD_EVENT, upto_seq)).fetchone()
            if head is not None:
                conn.execute("UPDATE outbox_meta SET acked_audit_head = ? WHERE id = 1", (head[0],))
            deleted = conn.execute("DELETE FROM outbox_events WHERE seq <= ?", (upto_seq,)).rowcount
            conn.execute("UPDATE outbox_meta SET acked_upto = ? WHERE id = 1", (upto_seq,))
            remaining = last - upto_seq
        if self._shared.dropping and remaining <= self.max_events // 2:
            self._shared.dropping = False
        return deleted

    def stats(self) -> OutboxStats:
        with self.store.transaction() as conn:
            meta = conn.execute(
                "SELECT last_seq, acked_upto, dropped_size, dropped_age FROM outbox_meta WHERE id = 1").fetchone()
            first = conn.execute("SELECT min(seq) FROM outbox_events").fetchone()[0]
            oldest = (conn.execute("SELECT ts FROM outbox_events WHERE seq = ?", (first,)).fetchone()[0]
                      if first is not None else None)
        pending = 0 if first is None else meta[0] - first + 1
        return OutboxStats(pending, first, meta[0], meta[1], oldest, meta[2], meta[3], self._shared.dropping,
                           self.max_events, self.max_age_s)


def _iso(epoch: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
