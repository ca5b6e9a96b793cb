"""Online backup of a station store with 100,000 cases, beside a raw copy of the same file.

    .venv/bin/python -m bench.backup [--cases 100000] [--rounds 3]

The store is the real schema (every component migrated), filled by direct SQL: cases with their
first timeline row and a receipt, 3 staff, one pickup code per 10 cases, audit records. Then:
- anchor: `shutil.copyfile` of the database file (checkpointed, nothing else open) — what the disk costs;
- snapshot: SQLite backup API into a new file (`snapshot_database`, incl. quick_check);
- backup: `create_backup` — snapshot + sha256 + tar with the key + fsync + rename;
- backup, writer running: the same while another connection keeps opening cases (WAL).
Goal: backup <= 3 s for 100,000 cases.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench._report import write
from kiosk.config import load_config
from kiosk.core.clock import FakeClock
from kiosk.services.audit import AuditLog
from kiosk.services.backup import create_backup, snapshot_database
from kiosk.services.cases import CaseStore
from kiosk.services.keyed_hash import KeyedHasher, create_key
from kiosk.services.pickup_codes import PickupCodes
from kiosk.services.staff import StaffRegistry
from kiosk.services.station_files import StationFiles
from kiosk.services.store import Store

ROOT = Path(__file__).resolve().parent.parent


def build_store(files: StationFiles, n_cases: int) -> None:
    hasher = KeyedHasher(create_key(files.hash_key))
    store = Store(files.database)
    clock = FakeClock()
    audit = AuditLog(store, clock)
    CaseStore(store, hasher, clock, station_id="sim-0001")
    codes = PickupCodes(store, hasher, audit, clock)
    staff = StaffRegistry(store, hasher, audit, clock)
    store.migrate()
    staff.add("S001", "Desk 1", "staff", "310115196211200310", "246810")
    receipt = json.dumps({"matter_zh": "居民身份证换领", "matter_en": "Resident ID card renewal", "fee": 0,
                          "materials": ["photo", "old card"]}, ensure_ascii=False)
    now = clock.now().isoformat(timespec="seconds")
    batch = 10_000
    for start in range(0, n_cases, batch):
        rows, timeline = [], []
        for i in range(start, min(n_cases, start + batch)):
            case_no = f"SIM0001-20261122-{i:06d}-X"
            applicant = f"11010119{60 + i % 40:02d}0804{i % 1000:03d}{i % 10}"
            rows.append((case_no, "PS-001", "sim-0001", applicant[:4] + "*" * 10 + applicant[-4:],
                         hasher.hash_id(applicant), "ready" if i % 3 else "accepted", now, now, "2026-11-29", receipt))
            timeline.append((case_no, now, "submitted", "已提交", "submitted", "station"))
        with store.transaction() as conn:
            conn.executemany("INSERT INTO cases(case_no, matter_code, station_id, applicant_masked, applicant_hash, "
                             "status, created_at, updated_at, promised_date, receipt) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
            conn.executemany("INSERT INTO case_timeline(case_no, at, status, note_zh, note_en, actor) "
                             "VALUES (?,?,?,?,?,?)", timeline)
    for i in range(0, min(n_cases, 2000), 10):
        codes.issue([f"SIM0001-20261122-{i:06d}-X"])
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


def _median(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), max(samples)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.backup")
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    config = load_config(ROOT / "config" / "sim.toml")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        files = StationFiles.of(config, Path(tmp))
        t0 = time.perf_counter()
        build_store(files, args.cases)
        build_s = time.perf_counter() - t0
        db_mb = files.database.stat().st_size / 1e6
        out = Path(tmp) / "out"
        out.mkdir()

        def copy() -> None:
            shutil.copyfile(files.database, out / "copy.db")

        def snap() -> None:
            target = out / "snap.db"
            target.unlink(missing_ok=True)
            snapshot_database(files.database, target)

        def backup() -> None:
            create_backup(files, "sim-0001", dest_dir=out / "archives")

        def backup_while_writing() -> None:
            store = Store(files.database)
            cases = CaseStore(store, KeyedHasher.from_file(files.hash_key), FakeClock(), station_id="sim-0001")
            stop = threading.Event()

            def writer() -> None:
                while not stop.is_set():
                    cases.open("PS-001", "110101196108040130", promised_days=3)

            t = threading.Thread(target=writer)
            t.start()
            try:
                create_backup(files, "sim-0001", dest_dir=out / "archives")
            finally:
                stop.set()
                t.join()
                store.close()

        for name, fn, note in (("raw file copy (anchor)", copy, "shutil.copyfile"),
                               ("snapshot (SQLite backup API + quick_check)", snap, "snapshot_database"),
                               ("backup archive (snapshot + sha256 + tar + fsync)", backup, "create_backup"),
                               ("backup archive, writer running (WAL)", backup_while_writing, "create_backup")):
            samples = []
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                fn()
                samples.append(time.perf_counter() - t0)
            med, worst = _median(samples)
            rows.append({"operation": name, "median_s": round(med, 3), "max_s": round(worst, 3), "n": len(samples),
                         "what": note})
        anchor = rows[0]["median_s"]
        for r in rows:
            r["x_copy"] = round(r["median_s"] / anchor, 1) if anchor else ""
        archive_mb = max(p.stat().st_size for p in (out / "archives").iterdir()) / 1e6
    backup_s = rows[2]["median_s"]
    write("backup", rows, ["operation", "median_s", "max_s", "x_copy", "n", "what"],
          cases=args.cases, db_mb=round(db_mb, 1), archive_mb=round(archive_mb, 1), build_s=round(build_s, 1),
          goal="backup archive <= 3 s for 100,000 cases", met=backup_s <= 3.0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
