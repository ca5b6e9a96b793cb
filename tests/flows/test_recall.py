"""A result the back office recalls (`recall_pickup`) is in the staff retrieve list before the
station's own expiry period; taking it out expires the case and revokes its codes."""

from __future__ import annotations

import pytest

from kiosk.services.fleet.commands import CommandFailed
from kiosk.services.recalls import Recalls
from kiosk.services.station_commands import StationCommands
from tests.flows.test_collect import deposited


def test_recalled_result_is_listed_for_staff_and_taken_back(world):
    svc = world.services
    svc.recalls = Recalls(svc.audit.store, svc.audit, world.clock)
    no, _code = deposited(world, "biden", comp="A02")
    other, _ = deposited(world, "obama", comp="A03")
    assert svc.recalls.add(no, "A02", "overdue pickup", "backoffice:user:alice")
    assert not svc.recalls.add(no, "A02", "again", "backoffice:user:alice")  # once
    svc.recalls.add(other, "A01", "stale compartment", "backoffice:user:alice")  # not where the case is
    f = world.start("retrieve")
    world.staff_sign_in(f)
    assert [(i["kind"], i["compartment"]) for i in f.view().data["items"]] == [("recalled", "A02")]
    assert f.act("open", compartment="A02")
    world.pump(f)
    world.cabinet.close_door("A02")
    f.tick()
    assert f.state == "retrieve_list" and f.view().data["items"] == []
    assert svc.cases.get(no).status == "expired" and svc.codes.active_for_case(no) == []
    assert [r.case_no for r in svc.recalls.pending()] == [other]


def test_recall_command_needs_the_cabinet_and_the_recall_store(world):
    target = StationCommands(cabinet=None, cases=world.services.cases, mode=None, get_config=lambda: None,
                             set_config=lambda c: None)
    with pytest.raises(CommandFailed, match="keeps no recalls"):
        target.recall_pickup("SH-1-X", "A01", "")
    target.recalls = Recalls(world.services.audit.store, world.services.audit, world.clock)
    with pytest.raises(CommandFailed, match="no working cabinet"):
        target.recall_pickup("SH-1-X", "A01", "")
