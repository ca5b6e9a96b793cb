"""The store migrates per component and refuses newer schemas; the audit chain shows tampering."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.core.clock import FakeClock
from kiosk.services.audit import AuditLog
from kiosk.services.store import Store, StoreError, register_migrations


def test_migrations_run_once_and_in_order(tmp_path):
    register_migrations("t_demo", ["CREATE TABLE demo(a INTEGER)", "ALTER TABLE demo ADD COLUMN b TEXT"])
    db = tmp_path / "s.db"
    s = Store(db)
    assert s.migrate("t_demo") == {"t_demo": 2}
    s.conn.execute("INSERT INTO demo(a, b) VALUES (1, 'x')")
    s.close()
    s2 = Store(db)
    assert s2.version("t_demo") == 2
    s2.migrate("t_demo")  # no-op, must not fail on existing tables
    assert s2.query("SELECT b FROM demo")[0][0] == "x"
    assert s2.query("PRAGMA journal_mode")[0][0] == "wal"


def test_newer_schema_refused(tmp_path):
    register_migrations("t_new", ["CREATE TABLE n(a)"])
    s = Store(tmp_path / "s.db")
    s.conn.execute("INSERT INTO schema_versions VALUES ('t_new', 5)")
    with pytest.raises(StoreError, match="newer than this software"):
        s.migrate("t_new")


def test_failed_migration_leaves_previous_version(tmp_path):
    register_migrations("t_bad", ["CREATE TABLE ok1(a)", "CREATE TABLE ok2(a); THIS IS NOT SQL"])
    s = Store(tmp_path / "s.db")
    with pytest.raises(sqlite3.Error):
        s.migrate("t_bad")
    assert s.version("t_bad") == 1
    assert not s.query("SELECT name FROM sqlite_master WHERE name='ok2'")


def test_transaction_rolls_back_and_nests(tmp_path):
    s = Store(tmp_path / "s.db")
    s.conn.execute("CREATE TABLE t(a)")
    with pytest.raises(RuntimeError):
        with s.transaction() as c:
            c.execute("INSERT INTO t VALUES (1)")
            with s.transaction() as c2:  # joins the outer one
                c2.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError("boom")
    assert s.query("SELECT count(*) FROM t")[0][0] == 0


def test_audit_chain_detects_edits(tmp_path):
    s = Store(tmp_path / "s.db")
    log = AuditLog(s, FakeClock())
    for i in range(5):
        log.append("staff:0001", "door.open", f"A0{i}", reason="test", n=i)
    assert log.verify() == (True, "5 records intact")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        s.conn.execute("UPDATE audit SET actor='x' WHERE seq=2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        s.conn.execute("DELETE FROM audit WHERE seq=2")
    # someone with raw file access drops the triggers and edits a record
    s.conn.execute("DROP TRIGGER audit_no_update")
    s.conn.execute("UPDATE audit SET detail='{\"reason\": \"forged\"}' WHERE seq=3")
    ok, why = log.verify()
    assert not ok and why == "record 3: contents changed after it was written"


def test_audit_records_roundtrip(tmp_path):
    log = AuditLog(Store(tmp_path / "s.db"), FakeClock())
    rec = log.append("system", "start", note="中文")
    got = log.records()
    assert got[0].detail == {"note": "中文"} and got[0].hash == rec.hash


def test_cli_audit_verify_detects_tampering(tmp_path, python):
    import subprocess
    db = tmp_path / "a.db"
    log = AuditLog(Store(db), FakeClock())
    log.append("tech", "door.open", "A03", reason="test")
    log.append("tech", "door.open", "A04", reason="test")
    ok = subprocess.run([python, "-m", "kiosk", "audit", "verify", "--db", str(db), "--json"],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and '"ok": true' in ok.stdout
    log.store.conn.execute("DROP TRIGGER audit_no_update")
    log.store.conn.execute("UPDATE audit SET subject='A09' WHERE seq=1")
    bad = subprocess.run([python, "-m", "kiosk", "audit", "verify", "--db", str(db)], capture_output=True, text=True)
    assert bad.returncode == 1 and "record 1: contents changed" in bad.stdout
