"""The cabinet service on the emulated boards: reservations, releases journaled before they are
sent, pickup exactly once per authorisation, confirmations, out of service, door events,
reconciliation at start, outbox + audit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hw_sim.locker_board import LockerBoardSim
from kiosk.devices.cabinet.boards import open_cabinet
from kiosk.services.audit import AuditLog
from kiosk.services.cabinet import AuthorisationUsed, CabinetError, CabinetService, NoCompartmentFree
from kiosk.services.outbox import Outbox
from kiosk.services.store import Store

from tests.cabinet.conftest import small_cabinet_config


class Station:
    def __init__(self, sim: LockerBoardSim, db: Path) -> None:
        self.cfg = small_cabinet_config()
        self.cab = open_cabinet(self.cfg.url.replace("{sim}", sim.path), config=self.cfg)
        self.cab.open()
        self.store = Store(db)
        self.audit = AuditLog(self.store)
        self.outbox = Outbox(self.store)
        self.svc = CabinetService(self.store, self.cab, self.cfg, self.audit, outbox=self.outbox)
        self.report = self.svc.start()

    def close(self) -> None:
        self.cab.close()
        self.store.close()

    def wait_door(self, cid: str, state: str, timeout: float = 3.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.svc.get(cid).door == state:
                return
            time.sleep(0.02)
        raise AssertionError(f"{cid} door not {state}: {self.svc.get(cid)}")

    def actions(self) -> list[str]:
        return [r.action for r in self.audit.records()]


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


def test_reserve_takes_the_smallest_fitting_free_compartment(station: Station) -> None:
    svc = station.svc
    assert [svc.reserve("S", f"C{i}", "staff").id for i in range(3)] == ["A01", "A02", "A03"]
    assert svc.reserve("S", "C3", "staff").id == "A04"  # no S left: the smallest larger one
    assert svc.reserve("L", "C4", "staff").id == "A06"
    assert svc.reserve("M", "C5", "staff").id == "A05"
    assert svc.reserve("M", "C6", "staff").id == "B01"
    with pytest.raises(NoCompartmentFree):
        svc.reserve("S", "C7", "staff")
    with pytest.raises(CabinetError, match="allowed S, M, L"):
        svc.reserve("XL", "C8", "staff")


def test_deposit_then_pickup_once(sim: LockerBoardSim, station: Station) -> None:
    svc = station.svc
    c = svc.reserve("M", "CASE-9", "staff:1")
    out = svc.release_for_deposit(c.id, "staff:1")
    assert out.ok and out.result == "opened"
    with pytest.raises(CabinetError, match="not closed"):
        svc.confirm_closed(c.id, "staff:1")
    station.wait_door(c.id, "open")
    sim.cmd_close_door(c.board, c.lock)
    station.wait_door(c.id, "closed")
    assert svc.confirm_closed(c.id, "staff:1").state == "loaded"

    assert svc.holding("CASE-9") == svc.get(c.id) and svc.by_lock(c.board, c.lock) == svc.get(c.id)
    assert svc.door(c.id) == "closed" and svc.holding("CASE-X") is None
    out = svc.release_for_pickup(c.id, "auth-1", "citizen")
    assert out.ok
    with pytest.raises(AuthorisationUsed):
        svc.release_for_pickup(c.id, "auth-1", "citizen")
    assert sim.releases(c.board, c.lock) == 2  # deposit + one pickup, never a third
    station.wait_door(c.id, "open")
    sim.cmd_close_door(c.board, c.lock)
    station.wait_door(c.id, "closed")
    done = svc.confirm_closed(c.id, "citizen")
    assert done.state == "empty" and done.case_id is None
    assert [i.purpose for i in svc.intents(c.id)] == ["deposit", "pickup"]
    assert all(i.closed_at and i.outcome == "opened" for i in svc.intents(c.id))
    acts = station.actions()
    for action in ("cabinet.reserve", "cabinet.release.deposit", "cabinet.loaded", "cabinet.release.pickup",
                   "cabinet.pickup_refused", "cabinet.collected"):
        assert action in acts
    assert station.audit.verify()[0]
    types = [e.type for e in station.outbox.pending(limit=100)]
    assert {"compartment.reserved", "cabinet.release", "compartment.loaded", "compartment.emptied",
            "cabinet.door"} <= set(types)


def test_failed_pickup_is_not_retried_with_the_same_authorisation(sim: LockerBoardSim, station: Station) -> None:
    svc = station.svc
    c = svc.reserve("S", "CASE-1", "staff")
    svc.release_for_deposit(c.id, "staff")
    station.wait_door(c.id, "open")
    sim.cmd_close_door(c.board, c.lock)
    station.wait_door(c.id, "closed")
    svc.confirm_closed(c.id, "staff")
    sim.cmd_jam_lock(c.board, c.lock)
    out = svc.release_for_pickup(c.id, "auth-7", "citizen")
    assert not out.ok and out.result == "not_opened"
    sim.cmd_jam_lock(c.board, c.lock, False)
    with pytest.raises(AuthorisationUsed, match="not_opened"):
        svc.release_for_pickup(c.id, "auth-7", "citizen")
    assert sim.releases(c.board, c.lock) == 2
    # the jam flagged the compartment for staff
    deadline = time.monotonic() + 2
    while svc.get(c.id).attention is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "did not open" in (svc.get(c.id).attention or "")
    with pytest.raises(CabinetError, match="flagged"):
        svc.release_for_pickup(c.id, "auth-8", "citizen")


def test_intent_is_journaled_before_the_command_is_sent(sim: LockerBoardSim, station: Station) -> None:
    sim.cmd_set_slow(40)  # the reply takes a while; the journal row must already be there
    svc = station.svc
    seen: list[tuple[int, object]] = []

    def watch() -> None:
        while sim.releases(1, 1) == 0:
            time.sleep(0.001)
        row = station.store.query("SELECT count(*) AS n, max(closed_at) AS closed FROM intents")[0]
        seen.append((row["n"], row["closed"]))

    t = threading.Thread(target=watch)
    t.start()
    svc.technician_open("A01", "door test", "tech:1")
    t.join(3)
    assert seen == [(1, None)]  # written, not yet closed, when the board got the pulse
    assert svc.intents("A01")[0].outcome == "opened"


def test_out_of_service_and_back(station: Station) -> None:
    svc = station.svc
    assert svc.take_out_of_service("A01", "hinge broken", "tech").state == "out_of_service"
    assert svc.reserve("S", "X", "staff").id == "A02"
    with pytest.raises(CabinetError):
        svc.take_out_of_service("A02", "x", "tech")  # reserved: retrieve first
    assert svc.return_to_service("A01", "tech").state == "empty"
    assert "cabinet.out_of_service" in station.actions() and "cabinet.in_service" in station.actions()


def test_uncommanded_open_flags_and_audits(sim: LockerBoardSim, station: Station) -> None:
    sim.cmd_open_door_by_hand(2, 1)
    station.wait_door("B01", "open")
    deadline = time.monotonic() + 2
    while "cabinet.alarm.uncommanded_open" not in station.actions() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "cabinet.alarm.uncommanded_open" in station.actions()
    assert "without a release" in (station.svc.get("B01").attention or "")
    assert station.svc.clear_attention("B01", "staff:2", "checked, empty").attention is None


def _unfinished(store: Store, cid: str, board: int, lock: int, purpose: str, auth: str | None = None) -> None:
    with store.transaction() as conn:
        conn.execute("INSERT INTO intents(compartment, board, lock, purpose, auth_id, actor, created_at) "
                     "VALUES (?,?,?,?,?,?,?)", (cid, board, lock, purpose, auth, "x", "2026-11-22T01:00:00"))


def test_reconciliation_never_re_releases_and_flags_uncertainty(sim: LockerBoardSim, tmp_path: Path) -> None:
    st = Station(sim, tmp_path / "s.db")
    with st.store.transaction() as conn:
        conn.execute("UPDATE compartments SET state = 'loaded', case_id = 'C1' WHERE id IN ('A01', 'A02', 'A04')")
    _unfinished(st.store, "A01", 1, 1, "pickup", "auth-a")  # crashed mid-pickup, door opened
    _unfinished(st.store, "A02", 1, 2, "pickup", "auth-b")  # crashed mid-pickup, door shut
    _unfinished(st.store, "A03", 1, 3, "technician")  # harmless: door shut
    st.close()
    # while the station is down (a running one would raise uncommanded_open first and flag it so)
    sim.cmd_open_door_by_hand(1, 1)
    sim.cmd_open_door_by_hand(1, 4)  # a loaded compartment open with no intent at all
    before = {n: sim.releases(1, n) for n in (1, 2, 3, 4)}

    st = Station(sim, tmp_path / "s.db")  # restart
    try:
        report = st.report
        by = {e["compartment"]: e for e in report.intents}
        assert by["A01"]["door"] == "open" and by["A01"]["flagged"]
        assert by["A02"]["door"] == "closed" and by["A02"]["flagged"]
        assert by["A03"]["door"] == "closed" and not by["A03"]["flagged"]
        flagged = {f["compartment"]: f["why"] for f in report.flagged}
        assert "NOT repeated" in flagged["A01"] and "NOT repeated" in flagged["A02"]
        assert "found open" in flagged["A04"]
        assert "A03" not in flagged
        assert {n: sim.releases(1, n) for n in (1, 2, 3, 4)} == before  # nothing re-sent
        assert all(i.outcome == "interrupted" for i in st.svc.intents() if i.compartment in ("A01", "A02", "A03"))
        with pytest.raises(AuthorisationUsed):
            st.svc.release_for_pickup("A02", "auth-b", "citizen")
        assert st.actions().count("cabinet.reconcile.interrupted") == 3
        assert st.audit.verify()[0]
    finally:
        st.close()


def test_reconciliation_with_the_boards_unreachable(sim: LockerBoardSim, tmp_path: Path) -> None:
    st = Station(sim, tmp_path / "s.db")
    _unfinished(st.store, "A05", 1, 5, "technician")
    st.close()
    sim.cmd_unplug()
    st = Station(sim, tmp_path / "s.db")
    try:
        entry = st.report.intents[0]
        assert entry["door"] == "unknown" and entry["flagged"]  # uncertain -> staff
    finally:
        st.close()


def test_wire_cabinet_for_the_simulated_station(sim_config_path: Path, tmp_path: Path) -> None:
    from hw_sim.control import ControlHub
    from kiosk.config import load_config
    from kiosk.devices.base import DeviceStatus
    from hw_sim.station.cabinet_wiring import wire_cabinet

    cfg = load_config(sim_config_path)
    cabinet = cfg.cabinet.model_copy(update={"url": "serial://{sim}?protocol=8a80&baud=9600"})  # emulator in-process
    store = Store(tmp_path / "w.db")
    hub = ControlHub()
    wired = wire_cabinet(cabinet, store, hub=hub)
    try:
        assert wired.device.status is DeviceStatus.ONLINE and wired.report.flagged == []
        assert len(wired.service.compartments()) == 32
        hub.call("cabinet", "open_door_by_hand", board=2, lock=8)
        deadline = time.monotonic() + 3
        while wired.service.get("B08").door != "open" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert wired.service.get("B08").attention is not None  # forced door flagged
    finally:
        wired.close()
        store.close()


def test_release_given_up_on_is_withdrawn_not_pulsed_later(sim: LockerBoardSim, station: Station) -> None:
    """The service stops waiting after `release_timeout_s`; a pulse still queued behind a busy bus
    must then never go out (the journal already says it did not happen)."""
    svc = station.svc
    c = svc.reserve("S", "CASE-T", "staff")
    gate = threading.Event()
    station.cab.supervisor.submit(lambda: gate.wait(10))  # the bus owner is busy
    svc.release_timeout_s = 0.2
    try:
        out = svc.release_for_deposit(c.id, "staff")
    finally:
        gate.set()
    assert not out.ok and out.result == "timeout" and "withdrawn" in out.detail
    assert station.cab.refresh().result(5).ok  # the queue has drained past the withdrawn release
    assert sim.releases(c.board, c.lock) == 0 and not sim.door_open(c.board, c.lock)
    assert svc.intents(c.id)[-1].outcome == "timeout"


def test_cancelled_release_completes_not_sent(sim: LockerBoardSim, station: Station) -> None:
    from kiosk.devices.base import ResultCode

    gate = threading.Event()
    station.cab.supervisor.submit(lambda: gate.wait(10))
    cmd = station.cab.release(1, 2)
    cmd.cancel()
    gate.set()
    done = cmd.result(5)
    assert done.code is ResultCode.CANCELED and done.data == "not_sent"
    assert station.cab.release(1, 3).result(5).data == "opened"  # the bus carries on
    assert sim.releases(1, 2) == 0 and sim.releases(1, 3) == 1


def test_echoing_adapter_configured_in_the_url(tmp_path: Path) -> None:
    """`echo=1` in the cabinet URL: the emulated adapter echoes and the device drops the echo."""
    from hw_sim.station.cabinet_wiring import wire_cabinet

    cfg = small_cabinet_config("serial://{sim}?protocol=8a80&baud=9600&echo=1")
    store = Store(tmp_path / "e.db")
    wired = wire_cabinet(cfg, store)
    try:
        assert wired.sim.echo and wired.device.bus.link.echo
        out = wired.service.technician_open("A02", reason="echo test", actor="tech")
        assert out.result == "opened" and wired.sim.door_open(1, 2)
        assert wired.device.bus.link.counters["echo_bytes"] > 0
    finally:
        wired.close()
        store.close()
    with pytest.raises(ValueError, match="echo="):
        open_cabinet("serial:///dev/null?protocol=8a80&echo=maybe", config=cfg)


def test_failed_wiring_closes_the_emulator_it_started(tmp_path: Path) -> None:
    from hw_sim.station.cabinet_wiring import wire_cabinet

    cfg = small_cabinet_config("serial://{sim}?protocol=8a80&baud=9600&echo=maybe")
    store = Store(tmp_path / "f.db")
    try:
        with pytest.raises(ValueError, match="echo="):
            wire_cabinet(cfg, store)
        deadline = time.monotonic() + 3
        while any(t.name == "locker-sim" for t in threading.enumerate()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not any(t.name == "locker-sim" for t in threading.enumerate())
    finally:
        store.close()
