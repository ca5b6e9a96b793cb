"""The station's one SQLite file (WAL) and its schema migrations.

Each component (cabinet, cases, outbox, audit, ...) owns an ordered list of migrations and its
own version row in `schema_versions`, so components evolve independently and a database written
by an older release is brought forward at start. A migration runs in one transaction with its
version bump: a crash mid-migration leaves the previous version intact.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

# component -> ordered SQL scripts; migration N (1-based) brings the component to version N.
MIGRATIONS: dict[str, list[str]] = {}


def register_migrations(component: str, scripts: Sequence[str]) -> None:
    """Declare a component's migrations (called at import time of the component's module)."""
    MIGRATIONS[component] = list(scripts)


class StoreError(Exception):
    pass


class Store:
    """A connection shared by the station's services; writes are serialized by a lock.

    `path=":memory:"` gives a private in-memory database (tests).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open database: {exc}") from None
        self.conn.row_factory = sqlite3.Row
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:  # not a database, or damaged: say so, keep nothing open
            self.conn.close()
            raise StoreError(f"{self.path}: not a usable database: {exc}") from None
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
            if self.conn.in_transaction:
                yield self.conn
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

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
