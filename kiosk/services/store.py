"""The station's one SQLite file (WAL) and its schema migrations.

Each component (cabinet, cases, outbox, audit, ...) owns an ordered list of migrations and its
own version row in `schema_versions`, so components evolve independently and a database written
by an older release is brought forward at start. A migration runs in one transaction with its
version bump: a crash mid-migration leaves the previous version intact.

Integrity (security finding 12): the store refuses to open when WAL does not take effect (a file
system without shared memory, say), and `transaction()` rolls back a COMMIT that fails (a deferred
constraint, BUSY, disk full) and raises `CommitFailed`; it never joins a transaction it did not
begin, so no later "committed" write can vanish into one left open.
`path` may be a `file:` URI (SQLite URI parameters, e.g. `?vfs=`).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

# component -> ordered SQL scripts; migration N (1-based) brings the component to version N.
MIGRATIONS: dict[str, list[str]] = {}


def register_migrations(component: str, scripts: Sequence[str]) -> None:
    """Declare a component's migrations (called at import time of the component's module)."""
    MIGRATIONS[component] = list(scripts)


class StoreError(Exception):
    pass


class CommitFailed(StoreError):
    """A COMMIT failed; the transaction was rolled back (nothing of it is stored)."""


class Store:
    """A connection shared by the station's services; writes are serialized by a lock.

    `path=":memory:"` gives a private in-memory database (tests).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        uri = self.path.startswith("file:")
        if self.path != ":memory:" and not uri:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0  # transaction() nesting on the thread holding the lock
        try:
            self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10, uri=uri)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open database: {exc}") from None
        self.conn.row_factory = sqlite3.Row
        try:
            mode = str(self.conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:  # not a database, or damaged: say so, keep nothing open
            self.conn.close()
            raise StoreError(f"{self.path}: not a usable database: {exc}") from None
        if mode != "wal" and not (self.path == ":memory:" and mode == "memory"):
            self.conn.close()
            raise StoreError(f"{self.path}: SQLite stayed in journal mode {mode!r}, not WAL (a network or "
                             "special file system?); put the database on a local disk (ext4)")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )

    def migrate(self, *components: str) -> dict[str, int]:
        """Bring the named components (default: all registered) to their newest version."""
        done: dict[str, int] = {}
        for component in components or tuple(MIGRATIONS):
            scripts = MIGRATIONS.get(component)
            if scripts is None:
                raise StoreError(f"no migrations registered for component {component!r}")
            current = self.version(component)
            if current > len(scripts):
                raise StoreError(
                    f"{self.path}: {component} schema is version {current}, newer than this software "
                    f"({len(scripts)}); refusing to run on it"
                )
            for number in range(current + 1, len(scripts) + 1):
                with self.transaction() as conn:
                    for statement in _split_sql(scripts[number - 1]):
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_versions(component, version) VALUES (?, ?) "
                        "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                        (component, number),
                    )
            done[component] = len(scripts)
        return done

    def version(self, component: str) -> int:
        row = self.conn.execute("SELECT version FROM schema_versions WHERE component = ?", (component,)).fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception. Re-entrant: a nested call
        joins the outer transaction (so an event can be written in the same transaction as the
        state change that caused it)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            if self.conn.in_transaction:  # begun outside transaction(): never join it
                log.error("store %s: a transaction was left open outside Store.transaction(); rolled back", self.path)
                self._rollback()
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.conn
            except BaseException:
                self._rollback()
                raise
            else:
                try:
                    self.conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._rollback()
                    raise CommitFailed(f"{self.path}: COMMIT failed ({exc}); the transaction was rolled back") from exc
            finally:
                self._depth = 0

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:  # the connection is gone; SQLite rolls back on close
                log.exception("store %s: ROLLBACK failed", self.path)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self.conn.close()


def _split_sql(script: str) -> list[str]:
    """Split a migration script into whole statements (trigger bodies contain ';' themselves)."""
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n\t;"):
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip(" \n\t;"):
        raise StoreError(f"incomplete SQL statement in migration: {buffer.strip()[:80]!r}")
    return statements
