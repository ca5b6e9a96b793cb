"""A service-level soak: N visits of every kind through the real services (cabinet, codes, cases,
outbox, audit) on a real SQLite file, boards in memory, a compressed fake clock, random faults.

    python -m tests.crash.soak --visits N --seed S [--faults] [--json] [--dir DIR]

Visits: deposit, pickup by code, pickup by ID card, wrong codes, technician open, a door forced open,
a citizen walking away with the door open. Faults (--faults): junk door events, lost replies, a
board refusing to open, wall-clock steps, and kill -9 of the station at a random SQL statement
followed by a restart (reconciliation). Invariants are counted; exit 0 only when all are zero.
This is not yet `kiosk soak` on the simulated station (see docs/developer/security.md).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kiosk.core.clock import FakeClock
from kiosk.devices.base import DeviceEvent
from kiosk.services.audit import AuditLog
from kiosk.services.cabinet import RELEASED, AuthorisationUsed, CabinetError, CabinetService, NoCompartmentFree
from kiosk.services.cases import CaseStore
from kiosk.services.keyed_hash import KeyedHasher, create_key
from kiosk.services.outbox import Outbox
from kiosk.services.pickup_codes import PickupCodes
from kiosk.services.reconciliation import restore_codes_without_intent
from kiosk.services.store import Store
from tests.cabinet.conftest import small_cabinet_config
from tests.crash.workload import APPLICANT, MemoryCabinet

KINDS = ("deposit", "pickup_code", "pickup_id", "wrong_code", "technician", "forced", "walk_away")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class Soak:
    def __init__(self, root: Path, seed: int, faults: bool, clock: FakeClock) -> None:
        self.root, self.rng, self.faults, self.clock = root, random.Random(seed), faults, clock
        self.key = root / "hash.key"
        if not self.key.exists():
            create_key(self.key)
        self.cab = MemoryCabinet()
        self.pulses: dict[tuple[int, int], int] = {}
        self.open_store()

    def open_store(self) -> None:
        db = self.root / "station.db"
        self.store = Store(db)
        hasher = KeyedHasher.from_file(self.key, db)
        self.audit = AuditLog(self.store, self.clock)
        self.outbox = Outbox(self.store, self.clock, max_events=10_000_000, max_age_s=10 * 365 * 86400)
        cfg = small_cabinet_config(url="serial:///dev/null?protocol=8a80&baud=9600")
        self.svc = CabinetService(self.store, self.cab, cfg, self.audit, self.clock, outbox=self.outbox)
        self.cases = CaseStore(self.store, hasher, self.clock, station_id="sim-0001")
        self.codes = PickupCodes(self.store, hasher, self.audit, self.clock, ttl_s=10 * 365 * 86400,
                                 daily_max_failures=10**9)
        self.svc.start(0.01)
        restore_codes_without_intent(self.store, self.audit, self.clock)

    def close(self) -> None:
        self.store.close()

    # -- visits ---------------------------------------------------------------------------------
    def release_fault(self) -> None:
        if self.faults and self.rng.random() < 0.03:
            self.cab.refuse.add(self.rng.choice([(1, n) for n in range(1, 7)] + [(2, 1)]))

    def visit(self, kind: str) -> None:
        self.clock.advance(self.rng.uniform(5, 120))
        if self.faults and self.rng.random() < 0.02:
            self.clock.step(self.rng.choice([3600, -3600, 8 * 86400, -8 * 86400]))
        if self.faults and self.rng.random() < 0.05:
            self.svc.on_device_event(DeviceEvent("cabinet", self.rng.choice(["junk", "door_closed", "door_opened"]),
                                                 {"board": self.rng.choice([None, 0, 1, 2, 9]),
                                                  "lock": self.rng.choice([None, 0, 1, 5, 99])}))
        getattr(self, f"v_{kind}")()

    def v_deposit(self) -> None:
        case = self.cases.open("PS-001", APPLICANT, promised_days=5)
        for status in ("accepted", "approved", "result_ready"):
            self.cases.set_status(case.case_no, status)
        try:
            c = self.svc.reserve(self.rng.choice("SML"), case.case_no, "staff:1")
        except NoCompartmentFree:
            return
        self.release_fault()
        out = self.svc.release_for_deposit(c.id, "staff:1")
        if not out.ok:
            return
        self.cab.close_door(c.board, c.lock)
        try:
            self.svc.confirm_closed(c.id, "staff:1", intent_id=out.intent_id)
        except CabinetError:
            return
        self.cases.set_compartment(case.case_no, c.id)
        self.cases.set_status(case.case_no, "deposited")
        self.codes.issue([case.case_no])

    def _loaded(self) -> Any:
        loaded = [c for c in self.svc.compartments() if c.state == "loaded" and c.attention is None]
        return self.rng.choice(loaded) if loaded else None

    def _pickup(self, auth: str, c: Any) -> None:
        self.release_fault()
        try:
            out = self.svc.release_for_pickup(c.id, auth, "citizen")
        except (AuthorisationUsed, CabinetError):
            return
        if not out.ok:
            return
        self.cab.close_door(c.board, c.lock)
        try:
            self.svc.confirm_closed(c.id, "citizen", intent_id=out.intent_id)
        except CabinetError:
            return
        self.cases.set_status(c.case_id, "collected")
        self.codes.revoke_for_case(c.case_id)

    def v_pickup_code(self) -> None:
        c = self._loaded()
        if c is None:
            return self.v_deposit()
        code_ids = self.codes.active_for_case(c.case_id)
        if not code_ids:
            return None
        # the SMS code is not known here (hashed at rest): issue a fresh one as the back office would
        issued = self.codes.issue([c.case_id])
        check = self.codes.verify(issued.code, session=f"s{self.rng.random()}")
        if not check.ok or not self.codes.consume(check.code_id):
            return None
        self._pickup(f"pickup-code:{check.code_id}:{c.id}", c)
        return None

    def v_pickup_id(self) -> None:
        c = self._loaded()
        if c is not None:
            self._pickup(f"identity:{self.rng.getrandbits(64):x}:{c.id}", c)

    def v_wrong_code(self) -> None:
        self.codes.verify(f"{self.rng.randrange(10**6):06d}", session=f"w{self.rng.random()}")

    def v_technician(self) -> None:
        c = self.rng.choice(self.svc.compartments())
        self.svc.technician_open(c.id, "door test", "tech:1")
        self.cab.close_door(c.board, c.lock)

    def v_forced(self) -> None:
        c = self.rng.choice(self.svc.compartments())
        self.svc.on_device_event(DeviceEvent("cabinet", "uncommanded_open", {"board": c.board, "lock": c.lock}))
        self.staff_round()

    def v_walk_away(self) -> None:
        c = self._loaded()
        if c is None:
            return
        out = self.svc.release_for_pickup(c.id, f"identity:{self.rng.getrandbits(64):x}:{c.id}", "citizen")
        if out.ok:
            self.svc.flag(c.id, "visit ended with the door open", "station")
        self.staff_round()

    def staff_round(self) -> None:
        """Staff look at flagged compartments: shut the door, clear, take out what was left."""
        for c in self.svc.compartments():
            if c.attention:
                self.cab.close_door(c.board, c.lock)
                self.svc.clear_attention(c.id, "staff:1", "checked")
                if c.state == "loaded" and self.rng.random() < 0.5:
                    pass  # still there: the owner comes back later


def invariants(store: Store, audit: AuditLog) -> dict[str, int]:
    out = {"wrong_door_opens": 0, "double_releases": 0, "lost_events": 0, "lost_items": 0, "unflagged_stuck": 0}
    for r in store.query("SELECT auth_id, count(*) AS n FROM intents WHERE purpose = 'pickup' GROUP BY auth_id"):
        if r["n"] > 1:
            out["double_releases"] += 1
    for r in store.query("SELECT i.id FROM intents i JOIN compartments c ON c.id = i.compartment "
                         "WHERE i.board != c.board OR i.lock != c.lock"):
        out["wrong_door_opens"] += 1
    seqs = [r[0] for r in store.query("SELECT seq FROM outbox_events ORDER BY seq")]
    meta = store.query("SELECT last_seq, acked_upto FROM outbox_meta WHERE id = 1")[0]
    out["lost_events"] += len(set(range(meta["acked_upto"] + 1, meta["last_seq"] + 1)) - set(seqs))
    released = {json.loads(r["data"]).get("intent") for r in
                store.query("SELECT data FROM outbox_events WHERE type = 'cabinet.release'")}
    out["lost_events"] += sum(1 for r in store.query("SELECT id FROM intents WHERE closed_at IS NOT NULL "
                                                     "AND outcome != 'interrupted'") if r["id"] not in released)
    for r in store.query("SELECT case_no, compartment FROM cases WHERE status = 'deposited'"):
        c = store.query("SELECT state, case_id FROM compartments WHERE id = ?", (r["compartment"],))
        if not c or c[0]["state"] != "loaded" or c[0]["case_id"] != r["case_no"]:
            out["lost_items"] += 1
    marks = ",".join("?" * len(RELEASED))
    out["unflagged_stuck"] += len(store.query(
        f"SELECT id FROM intents WHERE purpose IN ('deposit','pickup') AND outcome IN ({marks}) AND settled IS NULL "
        "AND closed_at IS NOT NULL", RELEASED))
    out["unflagged_stuck"] += len(store.query("SELECT id FROM intents WHERE closed_at IS NULL"))
    if not audit.verify()[0]:
        out["lost_events"] += 1
    return out


def _segment(root: str, seed: int, faults: bool, visits: int, kill_at: int, start_wall: float) -> None:
    """A child station that plays `visits` visits and SIGKILLs itself at SQL statement `kill_at`."""
    from datetime import datetime, timezone

    clock = FakeClock(datetime.fromtimestamp(start_wall, timezone.utc))
    soak = Soak(Path(root), seed, faults, clock)
    n = [0]

    def trace(_sql: str) -> None:
        n[0] += 1
        if n[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    soak.store.conn.set_trace_callback(trace)
    rng = random.Random(seed)
    for _ in range(visits):
        soak.visit(rng.choice(KINDS))
    soak.close()


def run(visits: int, seed: int, faults: bool, root: Path) -> dict[str, Any]:
    t0 = time.monotonic()
    rss_start = rss_mb()
    rng = random.Random(seed)
    clock = FakeClock()
    soak = Soak(root, seed, faults, clock)
    done = kills = 0
    totals = {"wrong_door_opens": 0, "double_releases": 0, "lost_events": 0, "lost_items": 0, "unflagged_stuck": 0}
    while done < visits:
        if faults and rng.random() < 0.002:  # kill -9 of the station at a random point, then restart
            soak.close()
            ctx = multiprocessing.get_context("fork")
            p = ctx.Process(target=_segment, args=(str(root), rng.randrange(10**9), faults, 20,
                                                   rng.randrange(1, 400), clock.now().timestamp()))
            p.start()
            p.join()
            kills += p.exitcode == -signal.SIGKILL
            done += 20
            clock.advance(600)
            soak.cab = MemoryCabinet()  # doors as the boards report them after the restart: all shut
            soak.open_store()
            continue
        soak.visit(rng.choice(KINDS))
        done += 1
    soak.staff_round()
    soak.svc.reconcile(0.01)
    found = invariants(soak.store, soak.audit)
    for k, v in found.items():
        totals[k] += v
    soak.close()
    return {"visits": done, **totals, "kills": kills, "rss_mb_start": rss_start, "rss_mb_end": rss_mb(),
            "ms": round((time.monotonic() - t0) * 1000)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.crash.soak", description=__doc__.split("\n\n")[0])
    p.add_argument("--visits", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--faults", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--dir", help="station directory (default: a new temporary one)")
    args = p.parse_args(argv)
    if args.visits <= 0:
        print(f"--visits {args.visits}: must be a positive number of visits", file=sys.stderr)
        return 2
    root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="soak-"))
    root.mkdir(parents=True, exist_ok=True)
    result = run(args.visits, args.seed, args.faults, root)
    bad = sum(result[k] for k in ("wrong_door_opens", "double_releases", "lost_events", "lost_items",
                                  "unflagged_stuck"))
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()), flush=True)
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
