"""The crash-point matrix's station: real services on a real SQLite file, an in-memory cabinet.

    python -m tests.crash.workload DB KEY CRASH_AT      # CRASH_AT=0: run to the end, print the statements
    python -m tests.crash.workload --serve              # one `DB<TAB>KEY<TAB>CRASH_AT` line in, one result line out

`--serve` runs each crash point in a child forked from this single-threaded process (the station
process of that point: its own SQLite connection, killed -9 at the statement), so the imports are
paid once instead of once per crash point (~0.2 s each, ~100 points).

The workload deposits two results and collects them (one by pickup code, one by code with a
refused first release), writing through every store the issue names: intents (journal), outbox,
audit, pickup codes and cases. Every SQL statement the station's connection executes is counted
(sqlite3 trace callback); at statement number CRASH_AT the process SIGKILLs itself: before a
COMMIT that is a torn write (the transaction's statements ran, the commit never happened), after
it a plain kill -9. `recover()` is the restart: reconciliation plus the invariants' checks.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from kiosk.core.clock import SystemClock
from kiosk.devices.base import Command, Completion, DeviceStatus
from kiosk.devices.cabinet import Cabinet
from kiosk.services.audit import AuditLog
from kiosk.services.cabinet import RELEASED, CabinetService
from kiosk.services.cases import CaseStore
from kiosk.services.keyed_hash import KeyedHasher
from kiosk.services.outbox import Outbox
from kiosk.services.pickup_codes import PickupCodes
from kiosk.services.reconciliation import restore_codes_without_intent
from kiosk.services.store import Store
from tests.cabinet.conftest import small_cabinet_config

APPLICANT = "110101196108040130"


class MemoryCabinet(Cabinet):
    """Boards that answer at once: a release opens the door; `close_door` shuts it."""

    def __init__(self) -> None:
        Cabinet.__init__(self, "cabinet")
        self.set_status(DeviceStatus.ONLINE)
        self.state: dict[tuple[int, int], str] = {}
        self.refuse: set[tuple[int, int]] = set()

    def release(self, board: int, lock: int) -> Command[str]:
        cmd: Command[str] = Command("release")
        if (board, lock) in self.refuse:
            self.refuse.discard((board, lock))
            cmd.complete(Completion.success("not_opened"))
            return cmd
        self.state[(board, lock)] = "open"
        cmd.complete(Completion.success("opened"))
        return cmd

    def release_many(self, targets: list[tuple[int, int]]) -> list[Command[str]]:
        return [self.release(b, lk) for b, lk in targets]

    def refresh(self) -> Command[dict]:
        cmd: Command[dict] = Command("refresh")
        cmd.complete(Completion.success({}))
        return cmd

    def door_state(self, board: int, lock: int) -> str:
        return self.state.get((board, lock), "closed")

    def doors(self) -> dict[tuple[int, int], str]:
        return {(b, lk): self.door_state(b, lk) for b in (1, 2) for lk in range(1, 9)}

    def boards(self) -> list[dict]:
        return [{"board": 1, "state": "ok"}, {"board": 2, "state": "ok"}]

    def close_door(self, board: int, lock: int) -> None:
        self.state[(board, lock)] = "closed"


def services(db: str, key: str, cab: MemoryCabinet) -> dict[str, Any]:
    store = Store(db)
    clock = SystemClock()
    hasher = KeyedHasher.from_file(key, db)
    audit = AuditLog(store, clock)
    outbox = Outbox(store, clock)
    cfg = small_cabinet_config(url="serial:///dev/null?protocol=8a80&baud=9600")
    svc = CabinetService(store, cab, cfg, audit, clock, outbox=outbox)
    return {"store": store, "audit": audit, "outbox": outbox, "cabinet": svc,
            "cases": CaseStore(store, hasher, clock, station_id="sim-0001"),
            "codes": PickupCodes(store, hasher, audit, clock), "clock": clock}


def workload(s: dict[str, Any], cab: MemoryCabinet) -> None:
    svc, cases, codes = s["cabinet"], s["cases"], s["codes"]
    svc.start()
    for n in range(2):
        case = cases.open("PS-001", APPLICANT, promised_days=5)
        for status in ("accepted", "approved", "result_ready"):
            cases.set_status(case.case_no, status)
        c = svc.reserve("S", case.case_no, "staff:1")
        out = svc.release_for_deposit(c.id, "staff:1")
        cab.close_door(c.board, c.lock)
        svc.confirm_closed(c.id, "staff:1", intent_id=out.intent_id)
        cases.set_compartment(case.case_no, c.id)
        cases.set_status(case.case_no, "deposited")
        issued = codes.issue([case.case_no])
        check = codes.verify(issued.code, session=f"visit-{n}")
        assert check.ok, check
        if n == 1:
            cab.refuse.add((c.board, c.lock))  # the first release fails: a station fault
        codes.consume(check.code_id)
        out = svc.release_for_pickup(c.id, f"pickup-code:{check.code_id}:{c.id}", "citizen")
        if not out.ok:
            continue  # left for staff: flagged by the not_opened outcome, the code restored at start
        cab.close_door(c.board, c.lock)
        svc.confirm_closed(c.id, "citizen", intent_id=out.intent_id)
        cases.set_status(case.case_no, "collected")
        codes.revoke_for_case(case.case_no)


def recover(db: str, key: str) -> dict[str, Any]:
    """The restart: reconcile, give back burnt codes, then check every invariant; returns problems."""
    cab = MemoryCabinet()
    s = services(db, key, cab)
    store = s["store"]
    try:
        s["cabinet"].start()
        restore_codes_without_intent(store, s["audit"], s["clock"])
        problems: list[str] = []
        for r in store.query("SELECT * FROM intents"):
            if r["closed_at"] is None:
                problems.append(f"intent {r['id']} never closed")
            if r["purpose"] in ("deposit", "pickup") and r["outcome"] in RELEASED and r["settled"] is None:
                problems.append(f"intent {r['id']} released, neither confirmed nor flagged")
        for r in store.query("SELECT code_id FROM pickup_codes WHERE status = 'used'"):
            if not store.query("SELECT 1 FROM intents WHERE purpose = 'pickup' AND auth_id LIKE ?",
                               (f"pickup-code:{r['code_id']}:%",)):
                problems.append(f"code {r['code_id']} used with no door intent")
        for r in store.query("SELECT * FROM compartments WHERE in_map = 1"):
            if r["state"] == "loaded" and not r["case_id"]:
                problems.append(f"{r['id']} loaded with no case")
            if r["state"] in ("reserved", "loaded") and r["attention"] is None:
                last = store.query("SELECT * FROM intents WHERE compartment = ? AND purpose IN ('deposit','pickup') "
                                   "ORDER BY id DESC LIMIT 1", (r["id"],))
                if last and last[0]["outcome"] not in RELEASED and last[0]["outcome"] is not None \
                        and r["state"] == "loaded" and last[0]["purpose"] == "pickup":
                    problems.append(f"{r['id']} loaded after a failed pickup, not flagged")
        ok, why = s["audit"].verify()
        if not ok:
            problems.append(f"audit: {why}")
        seqs = [r[0] for r in store.query("SELECT seq FROM outbox_events ORDER BY seq")]
        meta = store.query("SELECT last_seq, acked_upto FROM outbox_meta WHERE id = 1")[0]
        if seqs != list(range(meta["acked_upto"] + 1, meta["last_seq"] + 1)):
            problems.append("outbox: events missing between the acknowledged and the last seq")
        released = {json.loads(r["data"]).get("intent") for r in
                    store.query("SELECT data FROM outbox_events WHERE type = 'cabinet.release'")}
        for r in store.query("SELECT id FROM intents WHERE closed_at IS NOT NULL AND outcome != 'interrupted'"):
            if r["id"] not in released:
                problems.append(f"intent {r['id']}: its cabinet.release event is lost")
        return {"problems": problems}
    finally:
        store.close()


def main(db: str, key: str, crash_at: str) -> int:
    target = int(crash_at)
    cab = MemoryCabinet()
    s = services(db, key, cab)
    count = [0]
    seen: list[str] = []

    def trace(sql: str) -> None:
        count[0] += 1
        seen.append(sql.strip().split(None, 1)[0].upper() if sql.strip() else "")
        if count[0] == target:
            os.kill(os.getpid(), signal.SIGKILL)

    s["store"].conn.set_trace_callback(trace)
    workload(s, cab)
    print(json.dumps({"statements": count[0], "kinds": seen}), flush=True)
    return 0


def serve() -> int:
    """Crash points from stdin, each run in a forked child; prints `{"exit": N}` per point (N as
    subprocess reports it: -9 for a SIGKILL)."""
    for line in sys.stdin:
        db, key, crash_at = line.rstrip("\n").split("\t")
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: nothing of ours on stdout (the parent's protocol)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            try:
                code = main(db, key, crash_at)
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stderr.flush()
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"exit": os.waitstatus_to_exitcode(status)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve() if sys.argv[1:] == ["--serve"] else main(*sys.argv[1:4]))
