"""Security finding 5: the audit chain's head leaves the station (as `audit.head` outbox events the
back office acknowledges), so deleting the chain's tail is detected: `kiosk audit verify` compares
the local chain with the last head the back office acknowledged and reports the gap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kiosk.core.clock import FakeClock
from kiosk.services.audit import AuditLog
from kiosk.services.outbox import Outbox
from kiosk.services.store import Store

ROOT = Path(__file__).resolve().parents[2]


def _verify(db: Path, *extra: str) -> tuple[int, dict]:
    out = subprocess.run([sys.executable, "-m", "kiosk", "audit", "verify", "--db", str(db), "--json", *extra],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    return out.returncode, json.loads(out.stdout.strip().splitlines()[-1])


def test_deleting_the_tail_after_the_back_office_saw_the_head_is_reported(tmp_path) -> None:
    db = tmp_path / "s.db"
    clock = FakeClock()
    store = Store(db)
    audit, outbox = AuditLog(store, clock), Outbox(store, clock)
    for n in range(3):
        audit.append("station", "cabinet.release.pickup", f"A0{n + 1}")
        outbox.add_now("cabinet.release", {"n": n})
    audit.append("system", "cabinet.alarm.uncommanded_open", "B01")
    outbox.add_now("cabinet.door", {"event": "uncommanded_open"})
    heads = [e.data for e in outbox.pending(limit=100) if e.type == "audit.head"]
    assert heads and heads[-1]["seq"] == 4
    outbox.ack(outbox.stats().last_seq)  # the back office stored everything, heads included
    store.close()

    tamper = __import__("sqlite3").connect(db)  # someone deletes the alarm: the chain still links
    tamper.execute("DROP TRIGGER audit_no_delete")  # whoever can write the file can drop the trigger
    tamper.execute("DELETE FROM audit WHERE seq = 4")
    tamper.commit()
    tamper.close()
    store = Store(db)
    assert AuditLog(store).verify()[0]  # the chain alone cannot see it
    store.close()
    rc, doc = _verify(db)
    assert rc == 1 and not doc["ok"] and "gap" in doc["detail"] and "4" in doc["detail"]


def test_a_head_from_the_back_office_is_checked_too(tmp_path) -> None:
    db = tmp_path / "s.db"
    store = Store(db)
    audit = AuditLog(store)
    rec = [audit.append("station", "x", str(n)) for n in range(3)]
    store.close()
    rc, doc = _verify(db, "--head", f"{rec[-1].seq}:{rec[-1].hash}")
    assert rc == 0 and doc["ok"]
    rc, doc = _verify(db, "--head", f"5:{'0' * 64}")
    assert rc == 1 and "gap" in doc["detail"]
    rc, doc = _verify(db, "--head", f"2:{'0' * 64}")
    assert rc == 1 and "differs" in doc["detail"]
