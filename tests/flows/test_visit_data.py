"""The typed visit data: a misspelt name is an error, and a wipe leaves every field at its default."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields

import pytest

from kiosk.core.clock import FakeClock
from kiosk.flows.session import Session
from kiosk.flows.visit_data import _GROUPS, VisitData, default_of
from kiosk.flows.visit_records import Deposit, PickupItem, Retrieval


def _leaves(data, path=""):
    """(holder, field, dotted name) of every field that is not a group, in every group."""
    for f in fields(data):
        value = getattr(data, f.name)
        if isinstance(value, _GROUPS):
            yield from _leaves(value, f"{path}{f.name}.")
        else:
            yield data, f, path + f.name


def _something(default):
    """A value that is not the default, of the default's kind where it has one."""
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return default + 1
    if isinstance(default, list):
        return ["110101199003071234"]
    if isinstance(default, set):
        return {"110101199003071234"}
    if isinstance(default, dict):
        return {"id": "110101199003071234"}
    return "110101199003071234"  # a None default: any value is "present"


def test_an_unknown_name_is_an_error_not_a_new_key():
    visit = VisitData()
    with pytest.raises(AttributeError):
        visit.case_number = "A1"  # misspelt case_no
    with pytest.raises(AttributeError):
        visit.payment.odrer = object()  # misspelt order
    with pytest.raises(AttributeError):
        visit.personal = {}  # no string-keyed bag to fall back on
    assert not hasattr(Session(FakeClock()), "personal")
    assert not hasattr(Session(FakeClock()), "codes")  # the pickup code is visit.collect.pickup_code
    assert visit.is_blank()


def test_every_field_counts_as_personal_and_every_one_is_wiped():
    session = Session(FakeClock())
    assert not session.holds_personal_data()
    held = []
    for holder, f, name in _leaves(session.visit):
        value = _something(default_of(f))
        setattr(holder, f.name, value)
        if isinstance(value, (list, set, dict)):
            held.append((name, value))  # a reference someone else might still hold
        assert session.holds_personal_data(), f"{name} set: the session must count it as personal"
        lone = VisitData()
        lone_holder = lone
        for part in name.split(".")[:-1]:
            lone_holder = getattr(lone_holder, part)
        setattr(lone_holder, f.name, value)
        assert not lone.is_blank(), f"{name} alone must make the visit data non-blank"
    assert len(list(_leaves(session.visit))) > 40  # the groups were walked, not only the top
    session.wipe()
    assert not session.holds_personal_data()
    for holder, f, name in _leaves(session.visit):
        assert getattr(holder, f.name) == default_of(f), f"{name} survived the wipe"
    for name, value in held:
        assert not value, f"{name}: the collection was not emptied in place"


def test_an_empty_list_where_none_is_the_default_is_present():
    """`case_nos == []` ("the person has no cases") differs from None ("not asked yet")."""
    visit = VisitData()
    visit.query.case_nos = []
    assert not visit.is_blank()
    visit.query.case_nos = None
    visit.apply.ecert_count = 0
    assert not visit.is_blank()


def test_list_items_are_frozen_records_and_screens_get_the_same_dicts_as_before():
    item = PickupItem("SIM0001-20261122-0042-P", "A01", "PS-002")
    with pytest.raises(FrozenInstanceError):
        item.compartment = "A02"
    with pytest.raises(TypeError):
        PickupItem("SIM0001-20261122-0042-P", "A01")  # a missing part is an error, not a missing key
    assert Deposit("C1", "A01", False).as_view() == {"case_no": "C1", "compartment": "A01", "notified": False}
    assert Deposit("C1", "A01", True, "printed").as_view()["slip"] == "printed"
    assert Retrieval("recalled", "C2", "A02").as_view() == {"kind": "recalled", "case_no": "C2", "compartment": "A02"}
    session = Session(FakeClock())
    session.visit.collect.items.append(item)
    assert session.holds_personal_data()
    held = session.visit.collect.items
    session.wipe()
    assert not held and not session.holds_personal_data()
