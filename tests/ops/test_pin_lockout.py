"""Security finding 3: PIN lock-outs escalate per card and survive restart; the technician pad needs
a card (or the station's own maintenance PIN), never locks other accounts, and is audited."""

from __future__ import annotations

from kiosk.core.clock import FakeClock
from kiosk.services.audit import AuditLog
from kiosk.services.keyed_hash import KeyedHasher
from kiosk.services.staff import StaffRegistry
from kiosk.services.store import Store
from tests.ops.conftest import STAFF_CARD, STAFF_PIN

TECH_CARD = "330106198702090626"
TECH_PIN = "864213"
TECH2_CARD = "110101196108040130"
TECH2_PIN = "975312"


def _registry(seeded, clock: FakeClock) -> tuple[Store, StaffRegistry]:  # noqa: ANN001
    store = Store(seeded.files.database)
    hasher = KeyedHasher.from_file(seeded.files.hash_key, seeded.files.database)
    return store, StaffRegistry(store, hasher, AuditLog(store, clock), clock)


def test_a_stolen_card_gets_few_guesses_in_a_week_even_across_restarts(seeded) -> None:  # noqa: ANN001
    """Old behaviour: 5 guesses every 5 minutes forever (1,440 a day). Now: escalating lock-outs,
    then the card is blocked until an administrator re-enrols it; each guess is made by a freshly
    started station (a new store and registry), so nothing may live in RAM only."""
    clock = FakeClock()
    guesses = 0
    pins = (f"{n:06d}" for n in range(135790, 999999, 7))
    for _ in range(7 * 24 * 12):  # every 5 minutes for a week
        store, staff = _registry(seeded, clock)
        try:
            for _attempt in range(5):
                check = staff.check_pin("S002", next(pins))
                if check.reason == "locked":
                    break
                guesses += 1
        finally:
            store.close()
        clock.advance(300)
    assert guesses <= 25, f"{guesses} PIN guesses in a week"
    store, staff = _registry(seeded, clock)
    try:
        assert staff.check_pin("S002", STAFF_PIN).reason == "locked"  # blocked: even the right PIN
        actions = [r.action for r in AuditLog(store, clock).records()]
        assert "staff.blocked" in actions
        staff.unlock("S002", actor="admin:1")
        assert staff.check_pin("S002", STAFF_PIN).ok
    finally:
        store.close()


def test_lockouts_escalate(seeded) -> None:  # noqa: ANN001
    clock = FakeClock()
    store, staff = _registry(seeded, clock)
    try:
        for _ in range(5):
            staff.check_pin("S002", "135791")
        clock.advance(301)
        assert staff.check_pin("S002", "135791").reason == "wrong_pin"  # the first lock-out was 5 minutes
        for _ in range(4):
            staff.check_pin("S002", "135791")
        clock.advance(301)
        assert staff.check_pin("S002", STAFF_PIN).reason == "locked"  # the second one is longer
        clock.advance(3600)
        assert staff.check_pin("S002", STAFF_PIN).ok
    finally:
        store.close()


def _with_technicians(seeded, clock: FakeClock) -> tuple[Store, StaffRegistry]:  # noqa: ANN001
    store, staff = _registry(seeded, clock)
    staff.add("T001", "Tech 1", "technician", TECH_CARD, TECH_PIN)
    staff.add("T002", "Tech 2", "technician", TECH2_CARD, TECH2_PIN)
    return store, staff


def test_cardless_pad_never_locks_technician_accounts(seeded) -> None:  # noqa: ANN001
    from kiosk.services.technician_pad import TechnicianPad

    clock = FakeClock()
    store, staff = _with_technicians(seeded, clock)
    try:
        pad = TechnicianPad(store, staff, AuditLog(store, clock), clock, station_pin_hash=None)
        for _ in range(20):
            check = pad.check("000111")
            assert not check.ok
        assert check.reason == "card_needed"
        assert not pad.check(TECH_PIN).ok  # no card: not even a technician's own PIN opens the pad
        # nobody's account was touched
        assert staff.check_pin("T001", TECH_PIN).ok and staff.check_pin("T002", TECH2_PIN).ok
        assert pad.check(TECH_PIN, card_number=TECH_CARD).ok
        assert not pad.check(STAFF_PIN, card_number=STAFF_CARD).ok  # staff, not a technician
        actions = [r.action for r in AuditLog(store, clock).records()]
        assert actions.count("technician.pad_refused") >= 21 and "technician.sign_in" in actions
    finally:
        store.close()


def test_pad_with_a_card_locks_only_that_card(seeded) -> None:  # noqa: ANN001
    from kiosk.services.technician_pad import TechnicianPad

    clock = FakeClock()
    store, staff = _with_technicians(seeded, clock)
    try:
        pad = TechnicianPad(store, staff, AuditLog(store, clock), clock, station_pin_hash=None)
        for _ in range(5):
            pad.check("000111", card_number=TECH_CARD)
        assert pad.check(TECH_PIN, card_number=TECH_CARD).reason == "locked"
        assert pad.check(TECH2_PIN, card_number=TECH2_CARD).ok
    finally:
        store.close()


def test_station_pin_pad_lockout_escalates_and_survives_restart(seeded) -> None:  # noqa: ANN001
    from kiosk.services.maintenance_pin import hash_pin
    from kiosk.services.technician_pad import TechnicianPad

    clock = FakeClock()
    stored = hash_pin("4711", iterations=1000)
    store, staff = _with_technicians(seeded, clock)
    pad = TechnicianPad(store, staff, AuditLog(store, clock), clock, station_pin_hash=stored)
    for _ in range(5):
        pad.check("1234")
    store.close()  # power cut
    store, staff = _registry(seeded, clock)
    try:
        pad = TechnicianPad(store, staff, AuditLog(store, clock), clock, station_pin_hash=stored)
        assert pad.check("4711").reason == "locked"
        clock.advance(301)
        assert pad.check("4711").ok
        assert staff.check_pin("T001", TECH_PIN).ok  # the station PIN's failures touch no account
    finally:
        store.close()
