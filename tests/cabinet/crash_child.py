"""A station process for the crash test (`python -m tests.cabinet.crash_child PHASE PORT DB SOCKET`).

- `pickup`: deposit a case in A02, then start a pickup release that the (slowed) board answers
  late; the test SIGKILLs this process while it waits for the reply.
- `restart`: start the cabinet service again (reconciliation) and print the report as JSON.
"""

from __future__ import annotations

import json
import sys
import time

from hw_sim.control import ControlClient
from kiosk.devices.cabinet.boards import open_cabinet
from kiosk.services.audit import AuditLog
from kiosk.services.cabinet import CabinetService
from kiosk.services.store import Store

from tests.cabinet.conftest import small_cabinet_config


def main(phase: str, port: str, db: str, sock: str) -> int:
    cfg = small_cabinet_config(url=f"serial://{port}?protocol=8a80&baud=9600")
    cab = open_cabinet(cfg.url, config=cfg)
    cab.open()
    store = Store(db)
    svc = CabinetService(store, cab, cfg, AuditLog(store), release_timeout_s=30)
    report = svc.start()
    if phase == "restart":
        print(json.dumps({"report": report.as_dict(),
                          "intents": [i.__dict__ for i in svc.intents()],
                          "compartment": svc.get("A02").as_dict()}), flush=True)
        cab.close()
        return 0
    ctl = ControlClient(sock)
    c = svc.reserve("S", "CASE-42", "staff:1")
    assert c.id == "A01"
    c = svc.reserve("S", "CASE-43", "staff:1")
    assert svc.release_for_deposit(c.id, "staff:1").ok
    ctl.call("cabinet", "close_door", board=c.board, lock=c.lock)
    while cab.door_state(c.board, c.lock) != "closed":
        time.sleep(0.01)
    svc.confirm_closed(c.id, "staff:1")
    ctl.call("cabinet", "set_slow", ms=20000, only="open")  # polls still answer
    print("RELEASING", flush=True)
    svc.release_for_pickup(c.id, "auth-crash", "citizen")
    print("NOT KILLED", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
