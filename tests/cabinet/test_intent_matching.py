"""Security finding 14: a door confirmation belongs to the flow's own release (by intent id), so a
remote or technician open in between does not break the citizen's pickup or the staff's deposit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hw_sim.locker_board import LockerBoardSim
from kiosk.flows.cabinet_port import ServiceCabinetPort
from tests.cabinet.test_service import Station


@pytest.fixture
def sim() -> Iterator[LockerBoardSim]:
    s = LockerBoardSim("8a80", "1:8,2:8", baud=9600)
    s.start()
    yield s
    s.close()


@pytest.fixture
def station(sim: LockerBoardSim, tmp_path: Path) -> Iterator[Station]:
    st = Station(sim, tmp_path / "station.db")
    yield st
    st.close()


def _close(sim: LockerBoardSim, station: Station, cid: str) -> None:
    c = station.svc.get(cid)
    station.wait_door(cid, "open")
    sim.cmd_close_door(c.board, c.lock)
    station.wait_door(cid, "closed")


def test_remote_open_during_a_pickup_does_not_break_emptied(sim: LockerBoardSim, station: Station) -> None:
    svc = station.svc
    port = ServiceCabinetPort(svc)
    try:
        c = svc.reserve("S", "CASE-1", "staff")
        assert port.open(c.id, "deposit", "staff").result(5).code.value == "success"
        _close(sim, station, c.id)
        port.loaded(c.id, "CASE-1")
        assert svc.get(c.id).state == "loaded"

        assert port.open(c.id, "pickup", "citizen", auth_id="code:1").result(5).code.value == "success"
        svc.technician_open(c.id, reason="remote open from the back office", actor="office:ops")  # in between
        _close(sim, station, c.id)
        port.emptied(c.id)
        assert svc.get(c.id).state == "empty", svc.intents(c.id)
    finally:
        port.close()


def test_confirm_closed_by_intent_id(sim: LockerBoardSim, station: Station) -> None:
    svc = station.svc
    c = svc.reserve("S", "CASE-2", "staff")
    dep = svc.release_for_deposit(c.id, "staff")
    svc.technician_open(c.id, reason="door test", actor="tech:1")
    _close(sim, station, c.id)
    assert svc.confirm_closed(c.id, "staff", intent_id=dep.intent_id).state == "loaded"
