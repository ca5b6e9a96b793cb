"""Security finding 8: every opened intent ends confirmed or flagged for staff, and a station fault
does not burn the citizen's pickup code.

- a door released and never confirmed (power cut before "taken") is flagged at the next start;
- a pickup code used up with no door intent after it (a crash between the two writes) is given
  back to the citizen at start, audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hw_sim.locker_board import LockerBoardSim
from kiosk.core.clock import FakeClock
from kiosk.services.audit import AuditLog
from kiosk.services.keyed_hash import KeyedHasher, create_key
from kiosk.services.pickup_codes import PickupCodes
from kiosk.services.store import Store
from tests.cabinet.test_service import Station


@pytest.fixture
def sim() -> Iterator[LockerBoardSim]:
    s = LockerBoardSim("8a80", "1:8,2:8", baud=9600)
    s.start()
    yield s
    s.close()


def _loaded(sim: LockerBoardSim, st: Station, case: str) -> str:
    c = st.svc.reserve("S", case, "staff")
    st.svc.release_for_deposit(c.id, "staff")
    st.wait_door(c.id, "open")
    sim.cmd_close_door(c.board, c.lock)
    st.wait_door(c.id, "closed")
    st.svc.confirm_closed(c.id, "staff")
    return c.id


def test_pickup_released_but_never_confirmed_is_flagged_at_start(sim: LockerBoardSim, tmp_path: Path) -> None:
    st = Station(sim, tmp_path / "s.db")
    cid = _loaded(sim, st, "CASE-1")
    assert st.svc.release_for_pickup(cid, "auth-1", "citizen").ok
    st.wait_door(cid, "open")
    c = st.svc.get(cid)
    sim.cmd_close_door(c.board, c.lock)  # the citizen shut the door; the power went before "taken"
    st.close()

    st = Station(sim, tmp_path / "s.db")  # restart
    try:
        flagged = {f["compartment"]: f["why"] for f in st.report.flagged}
        assert cid in flagged and "never confirmed" in flagged[cid]
        assert "never confirmed" in (st.svc.get(cid).attention or "")
        assert "cabinet.reconcile.unconfirmed" in st.actions()
    finally:
        st.close()
    st = Station(sim, tmp_path / "s.db")  # a second restart does not flag it again
    try:
        assert cid not in {f["compartment"] for f in st.report.flagged}
    finally:
        st.close()


def test_deposit_released_but_never_confirmed_is_flagged_at_start(sim: LockerBoardSim, tmp_path: Path) -> None:
    st = Station(sim, tmp_path / "s.db")
    c = st.svc.reserve("S", "CASE-2", "staff")
    assert st.svc.release_for_deposit(c.id, "staff").ok
    st.wait_door(c.id, "open")
    sim.cmd_close_door(c.board, c.lock)
    st.close()
    st = Station(sim, tmp_path / "s.db")
    try:
        assert c.id in {f["compartment"] for f in st.report.flagged}
    finally:
        st.close()


def test_confirmed_releases_are_not_flagged(sim: LockerBoardSim, tmp_path: Path) -> None:
    st = Station(sim, tmp_path / "s.db")
    _loaded(sim, st, "CASE-3")
    st.close()
    st = Station(sim, tmp_path / "s.db")
    try:
        assert st.report.flagged == []
    finally:
        st.close()


def test_code_used_up_without_a_door_intent_is_given_back(tmp_path: Path) -> None:
    from kiosk.services.reconciliation import restore_codes_without_intent

    clock = FakeClock()
    store = Store(tmp_path / "s.db")
    create_key(tmp_path / "hash.key")
    hasher = KeyedHasher.from_file(tmp_path / "hash.key", tmp_path / "s.db")
    audit = AuditLog(store, clock)
    codes = PickupCodes(store, hasher, audit, clock)
    store.migrate("cabinet")
    issued = codes.issue(["CASE-9"])
    used = codes.issue(["CASE-8"])
    check = codes.verify(issued.code)
    assert codes.consume(check.code_id)  # ... and the station died before journaling the open
    check8 = codes.verify(used.code)
    assert codes.consume(check8.code_id)
    with store.transaction() as conn:  # CASE-8's door did open: its intent exists
        conn.execute("INSERT INTO compartments(id, board, lock, size, created_at, updated_at) "
                     "VALUES ('A01', 1, 1, 'S', 'x', 'x')")
        conn.execute("INSERT INTO intents(compartment, board, lock, purpose, auth_id, actor, created_at, closed_at, "
                     "outcome) VALUES ('A01', 1, 1, 'pickup', ?, 'citizen', 'x', 'x', 'opened')",
                     (f"pickup-code:{check8.code_id}:A01",))
    restored = restore_codes_without_intent(store, audit, clock)
    assert restored == [check.code_id]
    assert codes.verify(issued.code).outcome == "ok"  # the citizen's code works again
    assert codes.verify(used.code).outcome == "used"
    assert "pickup_code.restored" in [r.action for r in audit.records()]
    assert restore_codes_without_intent(store, audit, clock) == []  # once
    store.close()
