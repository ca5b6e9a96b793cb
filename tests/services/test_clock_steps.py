"""Clock tests (finding 13): every time window of the station against wall-clock steps of +-1 h,
+-8 days, to 2000-01-01 and back. A window started in this process lasts its monotonic length,
whatever the wall clock does; nothing is dropped or unlocked early, nothing stays locked for days."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from kiosk.core.clock import FakeClock
from kiosk.services.audit import AuditLog
from kiosk.services.keyed_hash import KeyedHasher, create_key
from kiosk.services.maintenance_pin import hash_pin
from kiosk.services.outbox import Outbox
from kiosk.services.pickup_codes import PickupCodes
from kiosk.services.staff import StaffRegistry
from kiosk.services.store import Store
from kiosk.services.technician_pad import TechnicianPad
from tests.services.test_pickup_codes import wrong_code

STEPS = {"+1h": 3600, "-1h": -3600, "+8d": 8 * 86400, "-8d": -8 * 86400, "to2000": "2000", "2000andback": "back"}


def _step(clock: FakeClock, how: object) -> None:
    if how == "2000":
        clock.step(to=datetime(2000, 1, 1, tzinfo=timezone.utc))
    elif how == "back":
        real = clock.now()
        clock.step(to=datetime(2000, 1, 1, tzinfo=timezone.utc))
        clock.step(to=real)
    else:
        clock.step(float(how))  # type: ignore[arg-type]


@pytest.fixture
def world(tmp_path):  # noqa: ANN201
    clock = FakeClock()
    store = Store(tmp_path / "s.db")
    create_key(tmp_path / "hash.key")
    hasher = KeyedHasher.from_file(tmp_path / "hash.key", tmp_path / "s.db")
    audit = AuditLog(store, clock)
    yield clock, store, hasher, audit
    store.close()


@pytest.mark.parametrize("step", STEPS)
def test_staff_lockout_lasts_its_length(world, step: str) -> None:  # noqa: ANN001
    clock, store, hasher, audit = world
    staff = StaffRegistry(store, hasher, audit, clock)
    staff.add("S1", "Desk 1", "staff", "310115196211200310", "246810")
    for _ in range(5):
        staff.check_pin("S1", "135791")
    _step(clock, STEPS[step])
    assert staff.check_pin("S1", "246810").reason == "locked"
    clock.advance(299)
    assert staff.check_pin("S1", "246810").reason == "locked"
    clock.advance(2)
    assert staff.check_pin("S1", "246810").ok


@pytest.mark.parametrize("step", STEPS)
def test_technician_pad_lockout_lasts_its_length(world, step: str) -> None:  # noqa: ANN001
    clock, store, hasher, audit = world
    staff = StaffRegistry(store, hasher, audit, clock)
    pad = TechnicianPad(store, staff, audit, clock, station_pin_hash=hash_pin("4711", iterations=1000))
    for _ in range(5):
        pad.check("0000")
    _step(clock, STEPS[step])
    assert pad.check("4711").reason == "locked"
    clock.advance(301)
    assert pad.check("4711").ok


@pytest.mark.parametrize("step", STEPS)
def test_pickup_code_wait_lasts_its_length(world, step: str) -> None:  # noqa: ANN001
    clock, store, hasher, audit = world
    codes = PickupCodes(store, hasher, audit, clock, ttl_s=30 * 86400, max_failures=5, window_s=600, lockout_s=900)
    issued = codes.issue(["C-1"])
    for n in range(6):
        codes.verify(wrong_code(issued.code), session=f"v{n}")
    wait = codes.verify(issued.code, session="owner")
    assert wait.outcome == "slow"
    _step(clock, STEPS[step])
    again = codes.verify(issued.code, session="owner")
    assert again.outcome == "slow" and again.retry_after_s <= wait.retry_after_s
    clock.advance(wait.retry_after_s + 0.01)
    check = codes.verify(issued.code, session="owner")
    assert check.ok, check  # (a 30-day code; an 8-day step leaves it valid)


@pytest.mark.parametrize("step", STEPS)
def test_outbox_keeps_every_event(world, step: str) -> None:  # noqa: ANN001
    clock, store, _hasher, _audit = world
    outbox = Outbox(store, clock, max_age_s=7 * 86400)
    outbox.add_now("cabinet.door", {"n": 1})
    if step == "2000andback":  # an event while the clock reads 2000, then NTP puts it right
        real = clock.now()
        clock.step(to=datetime(2000, 1, 1, tzinfo=timezone.utc))
        outbox.add_now("cabinet.door", {"n": 1.5})
        clock.step(to=real)
    else:
        _step(clock, STEPS[step])
    outbox.add_now("cabinet.door", {"n": 2})
    outbox.enforce_bounds()
    types = [e.type for e in outbox.pending(limit=100)]
    assert types.count("cabinet.door") == (3 if step == "2000andback" else 2) and "outbox.dropped" not in types
    assert "station.clock_step" in types
