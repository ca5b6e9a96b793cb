"""Security finding 1: door events from every valid board address reach the cabinet service.

Kerong boards start at address 0; a forced door there must raise the alarm like anywhere else.
Every registered protocol is exercised at its lowest and highest board address and its highest lock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hw_sim.locker_board import LockerBoardSim
from kiosk.config.cabinet import CabinetConfig
from kiosk.devices.cabinet.boards import open_cabinet
from kiosk.services.audit import AuditLog
from kiosk.services.cabinet import CabinetService
from kiosk.services.outbox import Outbox
from kiosk.services.store import Store
from locker_firmware_bridge.protocols import protocols

LOCKS = 8


def _config(name: str, baud: int, low: int, high: int) -> CabinetConfig:
    return CabinetConfig(
        url=f"serial://{{sim}}?protocol={name}&baud={baud}",
        boards=[{"address": low, "locks": LOCKS}, {"address": high, "locks": LOCKS}],
        compartments=[{"id": "A01", "board": low, "lock": 1, "size": "S"},
                      {"id": "A02", "board": low, "lock": LOCKS, "size": "S"},
                      {"id": "B01", "board": high, "lock": 1, "size": "M"},
                      {"id": "B02", "board": high, "lock": LOCKS, "size": "M"}],
        poll_interval_s=0.05, not_opened_after_s=0.5, left_open_after_s=5, unknown_after_failed_polls=2,
        open_pacing_s=0.05, reply_timeout_s=0.1, reconnect_cooldown_s=0.2)


@pytest.fixture(params=[p.name for p in protocols()])
def edge_station(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LockerBoardSim, CabinetService, AuditLog]]:
    proto = next(p for p in protocols() if p.name == request.param)
    low, high = proto.min_address, proto.max_address
    sim = LockerBoardSim(proto.name, f"{low}:{LOCKS},{high}:{LOCKS}", baud=proto.default_baud)
    sim.start()
    cfg = _config(proto.name, proto.default_baud, low, high)
    cab = open_cabinet(cfg.url.replace("{sim}", sim.path), config=cfg)
    cab.open()
    store = Store(tmp_path / "s.db")
    audit = AuditLog(store)
    svc = CabinetService(store, cab, cfg, audit, outbox=Outbox(store))
    svc.start()
    try:
        yield sim, svc, audit
    finally:
        cab.close()
        store.close()
        sim.close()


def _wait(pred, what: str, timeout: float = 4.0) -> None:  # noqa: ANN001
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_forced_door_at_lowest_and_highest_address_raises_the_alarm(edge_station) -> None:  # noqa: ANN001
    sim, svc, audit = edge_station
    for cid in ("A01", "A02", "B01", "B02"):
        c = svc.get(cid)
        sim.cmd_open_door_by_hand(c.board, c.lock)
        _wait(lambda: svc.get(cid).door == "open", f"{cid} (board {c.board} lock {c.lock}) door open")
        _wait(lambda: "without a release" in (svc.get(cid).attention or ""), f"{cid} flagged")
        alarms = [r for r in audit.records() if r.action == "cabinet.alarm.uncommanded_open" and r.subject == cid]
        assert alarms, f"no audited alarm for {cid} on board {c.board}"
