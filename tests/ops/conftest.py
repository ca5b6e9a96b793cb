"""A station directory on disk for the operations tests: `station.toml` (config/sim.toml with
relative storage paths and a `[backup]` section), its hash key, and a store seeded with cases, a
pickup code and a staff member — built from the real services, no devices needed.

`run_kiosk(*args, stdin=None)` runs the real `kiosk` CLI in a subprocess and returns it completed.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
import re
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.core.clock import FakeClock, SystemClock
from kiosk.services.audit import AuditLog
from kiosk.services.cases import CaseStore
from kiosk.services.keyed_hash import KeyedHasher, create_key
from kiosk.services.pickup_codes import PickupCodes
from kiosk.services.staff import StaffRegistry
from kiosk.services.station_files import StationFiles
from kiosk.services.store import Store

ROOT = Path(__file__).resolve().parents[2]
APPLICANT = "110101196108040130"  # obama (shared sample identity)
STAFF_CARD = "310115196211200310"  # biden
STAFF_PIN = "246810"


def station_toml(station_id: str = "sim-0001", keep: int = 2) -> str:
    text = (ROOT / "config" / "sim.toml").read_text(encoding="utf-8")
    text = text.replace('id = "sim-0001"', f'id = "{station_id}"', 1)
    backup = f'[backup]\ndir = "var/backups"\nkeep = {keep}\ninterval_h = 24\n'
    text, n = re.subn(r"(?m)^\[backup\]\n(?:[a-z_]+ = .*\n)*", backup, text)
    return text if n == 1 else text + "\n" + backup


@dataclass
class SeededStation:
    root: Path
    config_path: Path
    files: StationFiles
    station_id: str
    case_nos: list[str]
    pickup_code: str

    def services(self, real_clock: bool = False) -> tuple[Store, StaffRegistry, PickupCodes, CaseStore]:
        store = Store(self.files.database)
        hasher = KeyedHasher.from_file(self.files.hash_key, self.files.database)
        clock = SystemClock() if real_clock else FakeClock()
        audit = AuditLog(store, clock)
        return (store, StaffRegistry(store, hasher, audit, clock), PickupCodes(store, hasher, audit, clock),
                CaseStore(store, hasher, clock, station_id=self.station_id))

    def cli(self, *args: str) -> list[str]:
        return [*args, "--config", str(self.config_path), "--root", str(self.root)]


def seed_station(root: Path, station_id: str = "sim-0001", keep: int = 2) -> SeededStation:
    root.mkdir(parents=True, exist_ok=True)
    cfg_path = root / "station.toml"
    cfg_path.write_text(station_toml(station_id, keep), encoding="utf-8")
    config = load_config(cfg_path)
    files = StationFiles.of(config, root)
    create_key(files.hash_key)
    st = SeededStation(root, cfg_path, files, station_id, [], "")
    store, staff, codes, cases = st.services()
    try:
        staff.add("S002", "窗口 5 / Desk 5", "staff", STAFF_CARD, STAFF_PIN)
        for _ in range(3):
            st.case_nos.append(cases.open("PS-001", APPLICANT, promised_days=5).case_no)
        st.pickup_code = codes.issue(st.case_nos[:1]).code
    finally:
        store.close()
    return st


@pytest.fixture
def seeded(tmp_path) -> SeededStation:
    return seed_station(tmp_path / "station")


def run_kiosk(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                                          "HOME": str(ROOT)})
