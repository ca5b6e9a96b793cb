"""Security finding 3 at the pad: the maintenance entry reads the technician's card on the ID
reader first, then takes that technician's PIN; a staff card or a wrong PIN locks nobody else out;
without a card only a station with its own maintenance PIN lets the PIN pad be used."""

from __future__ import annotations

from pathlib import Path

import pytest

from hw_sim.identities import get_identity
from hw_sim.station.instant import InstantReader
from kiosk.core.clock import FakeClock
from kiosk.flows.maintenance_entry import MaintenanceEntry
from kiosk.services.audit import AuditLog
from kiosk.services.keyed_hash import KeyedHasher, create_key
from kiosk.services.staff import StaffRegistry
from kiosk.services.store import Store
from kiosk.services.technician_pad import TechnicianPad

TECH_PIN, STAFF_PIN = "864213", "975312"


@pytest.fixture
def world(tmp_path: Path):
    clock = FakeClock()
    db = tmp_path / "station.db"
    create_key(tmp_path / "hash.key")
    store = Store(db)
    audit = AuditLog(store, clock)
    staff = StaffRegistry(store, KeyedHasher.from_file(tmp_path / "hash.key", db), audit, clock)
    staff.add("T001", "Tech 1", "technician", get_identity("biden").id_number, TECH_PIN)
    staff.add("S001", "Staff 1", "staff", get_identity("rose_leslie").id_number, STAFF_PIN)
    reader = InstantReader()
    yield store, staff, audit, clock, reader
    store.close()


def _entry(world, station_pin_hash: str | None = None) -> MaintenanceEntry:
    store, staff, audit, clock, reader = world
    entry = MaintenanceEntry(TechnicianPad(store, staff, audit, clock, station_pin_hash=station_pin_hash), reader)
    entry.start()
    return entry


def test_card_then_pin_opens_technician_mode_and_is_audited(world) -> None:
    store, staff, audit, _clock, reader = world
    entry = _entry(world)
    assert entry.view().state == "card" and entry.view().message == "ui.maint.insert_card"
    assert not entry.submit(TECH_PIN).ok  # a PIN before any card is not even tried
    assert entry.view().state == "card"
    entry.tick()
    assert entry.view().state == "card"  # no card yet
    reader.insert("biden")
    entry.tick()
    assert entry.view().state == "pin"
    check = entry.submit("000000")
    assert not check.ok and entry.view().message == "ui.maint.wrong_pin" and entry.view().params["left"] >= 1
    assert entry.submit(TECH_PIN).ok and entry.view().state == "open" and entry.staff_no == "T001"
    actions = [r.action for r in audit.records()]
    assert "technician.pad_refused" in actions and "technician.sign_in" in actions


def test_a_staff_card_does_not_open_it_and_locks_nobody(world) -> None:
    _store, staff, _audit, _clock, reader = world
    entry = _entry(world)
    reader.insert("rose_leslie")
    entry.tick()
    assert entry.view().state == "pin"
    assert entry.submit(STAFF_PIN).reason == "not_technician"
    assert entry.view().state == "card" and entry.view().message == "ui.maint.card_needed"
    assert staff.check_pin("S001", STAFF_PIN).ok and staff.check_pin("T001", TECH_PIN).ok


def test_no_card_station_pin_only_where_the_station_has_one(world) -> None:
    from kiosk.services.maintenance_pin import hash_pin

    entry = _entry(world)
    assert not entry.use_station_pin() and entry.view().message == "ui.maint.card_needed"
    entry = _entry(world, station_pin_hash=hash_pin("24680135"))
    assert entry.view().station_pin_offered and entry.use_station_pin()
    assert entry.submit("24680135").ok
    entry.stop()
