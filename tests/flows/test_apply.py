"""Apply: happy paths (print item, applied item with fee + drop-off) and every named failure."""

from __future__ import annotations

import pytest

from kiosk.devices.base import Completion, ResultCode
from kiosk.flows.actions import UnknownAction


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
    assert f.act("finish") and f.state == "rating"
    assert f.act("skip")  # 好差评: one touch to skip
    assert f.outcome == "completed"
    assert not f.session.holds_personal_data()


def _to_identify(world, code):
    f = world.start("apply")
    assert f.act("category", code=world.services.catalog.find(code).category)
    assert code in [m.code for m in f.results]
    assert f.act("select", code=code)
    assert f.act("start")
    return f


def test_fee_item_scans_pays_submits_and_drops_off_originals(world):
    f = _to_identify(world, "RE-003")
    assert f.view().step == 2 and f.view().steps == 5
    world.identify(f)
    assert f.act("decline")  # no e-certificates: scan the ID card too
    assert f.state == "scan"
    vm = f.view()
    assert vm.data["material"] == "居民身份证" and vm.screen == "scan"
    # live feedback from the scanner reaches the view
    from kiosk.devices.base import DeviceEvent
    assert f.handle(DeviceEvent("scanner", "feedback", {"key": "glare"}))
    assert any(b.key == "scan.feedback.glare" for b in f.view().body)
    world.scanner.page(ok=False, problems=("blur",))
    world.pump(f)
    assert f.state == "scan" and f.error.key == "apply.scan.quality"
    assert f.act("retake")
    world.scanner.page()
    world.pump(f)
    assert f.view().data["material"] == "查询申请书"
    world.scanner.page()
    world.pump(f)
    world.wait_services(f)
    assert f.state == "pay", f.history
    order = f.view().data
    assert order["amount_fen"] == 2000 and order["qr"]
    world.clock.advance(6)  # the simulated payer pays after 5 s
    f.tick()
    world.wait_services(f)
    assert f.state in ("submit", "receipt", "dropoff_offer"), f.history
    world.wait_services(f)
    world.pump(f)
    assert f.state == "dropoff_offer", f.history
    assert f.act("dropoff")
    world.pump(f)
    assert f.state == "dropoff_close"
    comp = f.view().data["compartment"]
    assert world.cabinet.comps[comp]["state"] == "reserved"
    world.cabinet.close_door(comp)
    f.tick()
    assert f.state == "done"
    case_no = f.view().data["case_no"]
    case = world.services.cases.get(case_no)
    assert case.dropoff_compartment == comp and case.status == "accepted"
    assert world.cabinet.comps[comp]["state"] == "loaded"
    submitted = world.backoffice.cases[case_no]
    assert submitted.status == "accepted"
    assert f.act("finish") and f.act("skip") and f.outcome == "completed"  # 好差评 skipped


def test_missing_material_gives_one_time_notice(world):
    f = _to_identify(world, "PS-002")
    world.identify(f)
    assert f.act("consent")
    world.wait_services(f)
    assert f.state == "scan", f.history
    assert f.view().data["material"] == "申请表"
    assert f.act("skip")
    assert f.act("skip")
    assert f.state == "missing"
    vm = f.view()
    assert [m["name_zh"] for m in vm.data["missing"]] == ["申请表", "户口簿"]
    assert vm.body[0].key == "apply.missing.list"
    assert f.act("finish")
    assert f.outcome == "missing_material"
    assert world.store.query("SELECT COUNT(*) FROM cases")[0][0] == 0
    assert world.services.audit.records()[-1].action == "apply.missing_notice"


def test_guidance_only_matter_ends_after_guide(world):
    f = world.start("apply")
    assert f.act("select", code="TX-004")
    assert "start" not in f.actions()
    assert f.view().data["guide"]["place_zh"]
    assert f.act("finish")
    assert f.outcome == "guided"


def test_unknown_and_hostile_selection_is_an_error_not_a_crash(world):
    f = world.start("apply")
    assert f.act("select", code="../../etc/passwd")
    assert f.state == "choose" and f.error.key == "apply.choose.unknown"
    assert f.act("select", code=None)
    assert f.state == "choose"
    with pytest.raises(UnknownAction, match="no_such_action"):  # a typo is an error, not a quiet no-op
        f.act("no_such_action")
    assert not f.act("taken")  # a known action this state does not offer stays a quiet False
    assert f.act("search", query="")
    assert f.error.key == "apply.choose.no_results"


def test_printer_out_of_paper_shows_receipt_on_screen(world):
    world.printer.set_status(world.printer.status, paper="out")
    f = _to_identify(world, "SI-001")
    world.identify(f)
    assert f.act("consent")
    world.wait_services(f)
    world.wait_services(f)
    assert f.state == "receipt_on_screen", f.history
    vm = f.view()
    assert vm.data["qr"].rsplit(".", 1)[0].endswith(vm.data["case_no"])  # + the query tag (finding 16)
    # the case is submitted: the receipt offers no "cancel", which would misstate the outcome
    assert [a.id for a in vm.actions if a.id != "more_time"] == ["continue"]
    assert not f.act("cancel") and f.state == "receipt_on_screen"
    assert f.act("continue")
    assert f.state == "done" and f.view().data["receipt_on_screen"]


def test_printer_failing_mid_print_falls_back_to_screen(world):
    world.printer.queue(Completion(ResultCode.HARDWARE_ERROR, "jammed"))
    f = _to_identify(world, "SI-001")
    world.identify(f)
    f.act("consent")
    world.wait_services(f)
    world.wait_services(f)
    world.pump(f)
    assert f.state == "receipt_on_screen", f.history


def test_submit_failure_withdraws_case(world):
    world.backoffice.cmd_fail_next(call="submit_case", code="offline")
    f = _to_identify(world, "SI-001")
    world.identify(f)
    f.act("consent")
    world.wait_services(f)
    world.wait_services(f)
    assert f.outcome == "submit_failed", f.history
    (row,) = world.store.query("SELECT status FROM cases")
    assert row["status"] == "withdrawn"


def test_payment_canceled_when_visit_times_out_in_pay(world):
    world.backoffice.cmd_set_auto_pay(on=False)
    f = _to_identify(world, "RE-003")
    world.identify(f)
    f.act("consent")
    world.wait_services(f)
    world.scanner.page()
    world.pump(f)
    world.wait_services(f)
    assert f.state == "pay", f.history
    world.clock.advance(61)
    f.tick()
    assert f.outcome == "timeout"
    world.services.runner.call(lambda: None)  # the cancel call ran
    orders = [world.backoffice.payment_status(oid) for oid in world.backoffice.orders]
    assert orders and all(o.status == "canceled" for o in orders)
    (row,) = world.store.query("SELECT status FROM cases")
    assert row["status"] == "withdrawn"


def test_dropoff_door_that_does_not_open(world):
    world.cabinet.jammed = set(world.cabinet.comps)
    f = _to_identify(world, "RE-003")
    world.identify(f)
    f.act("consent")
    world.wait_services(f)
    world.scanner.page()
    world.pump(f)
    world.wait_services(f)
    world.clock.advance(6)
    f.tick()
    world.wait_services(f)
    world.wait_services(f)
    world.pump(f)
    assert f.state == "dropoff_offer", f.history
    f.act("dropoff")
    world.pump(f)
    assert f.state == "done" and f.error.key == "apply.dropoff.door_failed"
    assert all(c["state"] == "empty" for c in world.cabinet.comps.values())
