"""Security finding 12: the store refuses to run without WAL, and a COMMIT that fails is rolled
back so no later "committed" write is swallowed by a transaction left open."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.services.store import Store, StoreError


def test_a_database_where_wal_does_not_take_effect_is_refused(tmp_path):
    # the unix-none VFS has no shared memory: SQLite silently stays in rollback-journal mode
    with pytest.raises(StoreError, match="WAL"):
        Store(f"file:{tmp_path / 'nowal.db'}?vfs=unix-none")


def test_failed_commit_is_rolled_back_and_later_writes_survive_restart(tmp_path):
    db = tmp_path / "s.db"
    store = Store(db)
    store.conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    store.conn.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER "
                       "REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
    store.conn.execute("CREATE TABLE kept (x TEXT)")
    # a deferred constraint is checked at COMMIT: the COMMIT itself fails
    with pytest.raises((StoreError, sqlite3.Error)):
        with store.transaction() as conn:
            conn.execute("INSERT INTO kept VALUES ('from the failed transaction')")
            conn.execute("INSERT INTO child VALUES (1, 99)")
    assert not store.conn.in_transaction, "a failed COMMIT left the transaction open"
    with store.transaction() as conn:
        conn.execute("INSERT INTO kept VALUES ('committed later')")
    store.close()  # power cut / restart
    store = Store(db)
    try:
        assert [r["x"] for r in store.query("SELECT x FROM kept")] == ["committed later"]
    finally:
        store.close()


def test_a_transaction_left_open_outside_the_store_is_never_joined(tmp_path):
    db = tmp_path / "s.db"
    store = Store(db)
    store.conn.execute("CREATE TABLE kept (x TEXT)")
    store.conn.execute("BEGIN")  # a stray transaction (a bug elsewhere)
    store.conn.execute("INSERT INTO kept VALUES ('stray')")
    with store.transaction() as conn:
        conn.execute("INSERT INTO kept VALUES ('mine')")
    store.close()
    store = Store(db)
    try:
        assert [r["x"] for r in store.query("SELECT x FROM kept")] == ["mine"]
    finally:
        store.close()
