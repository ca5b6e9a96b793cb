"""Apply: happy paths (print item, applied item with fee + drop-off) and every named failure."""

from __future__ import annotations

from kiosk.devices.base import Completion, ResultCode


def test_print_item_happy_path(world):
    f = world.start("apply")
    assert f.state == "choose"
    assert f.act("search", query="shbx")  # pinyin initials
    assert [m.code for m in f.results][:1] == ["SI-001"]
    assert f.act("select", code="SI-001")
    assert f.state == "guide"
    assert f.act("start")
    world.identify(f)
    assert f.state == "ecert_consent", f.history
    assert f.act("consent")
    world.wait_services(f)
    # the ID card is attached as an e-certificate: nothing left to scan, no fee -> submit
    world.wait_services(f)
    assert f.state in ("receipt", "done"), (f.state, f.history)
    world.pump(f)
    assert f.state == "done", f.history
    assert world.printer.printed and world.printer.printed[0][0] == "application"
    assert f.act("finish")
    assert f.outcome == "completed"
    assert not f.session.holds_personal_data()
