"""Query progress, staff deposit / retrieve and technician commissioning."""

from __future__ import annotations

import json
import zipfile

from hw_sim.identities import get_identity
from kiosk.flows.apply import receipt_qr
from tests.flows.conftest import STAFF_PIN, TECH_CARD, TECH_PIN
from tests.flows.test_collect import deposited


def _submitted_case(world, key="obama", matter="PS-002"):
    case = world.services.cases.open(matter, get_identity(key).id_number, promised_days=5)
    return case.case_no


# -- query --------------------------------------------------------------------------------------
def test_query_by_receipt_qr(world):
    case_no = _submitted_case(world)
    f = world.start("query")
    assert f.act("scan_receipt")
    # a receipt strip is no A4 page: the flow waits for a code, not for a page capture
    assert world.scanner.calls[-1][0] == "scan_code"
    world.scanner.code(receipt_qr(case_no, world.services.hasher))
    world.pump(f)
    world.wait_services(f)
    assert f.state == "timeline", f.history
    (row,) = f.view().data["cases"]
    assert row["case_no"] == case_no and row["timeline"][0]["status"] == "submitted"
    assert [b.key for b in f.view().body] == ["query.timeline.count"]
    assert f.act("finish") and f.act("skip") and f.outcome == "completed"  # 好差评 skipped


def test_query_with_back_office_offline_shows_local_timeline(world):
    case_no = _submitted_case(world)
    world.backoffice.cmd_offline(True)
    f = world.start("query")
    f.act("scan_receipt")
    world.scanner.code(receipt_qr(case_no, world.services.hasher))
    world.pump(f)
    world.wait_services(f)
    assert f.state == "timeline"
    assert f.view().body[-1].key == "query.timeline.stale"
    assert f.view().data["cases"][0]["case_no"] == case_no


def test_query_by_identity_lists_only_own_cases(world):
    mine = _submitted_case(world, "obama")
    _submitted_case(world, "biden")
    f = world.start("query")
    f.act("identify")
    world.identify(f, "obama")
    world.wait_services(f)
    assert [c["case_no"] for c in f.view().data["cases"]] == [mine]


def test_query_garbage_qr_then_give_up(world):
    f = world.start("query")
    f.act("scan_receipt")
    for text in ("https://evil.example/q/x", "\x00" * 500, "SIM0001-20261122-0001-Z"):
        world.scanner.code(text)
        world.pump(f)
        if f.state == "scan_receipt":
            assert f.error is not None
            f.act("retry")
    assert f.outcome == "not_found"


def test_query_unknown_person(world):
    f = world.start("query")
    f.act("identify")
    world.identify(f, "kit_harington")
    world.wait_services(f)  # the back office is asked for cases made elsewhere first
    assert f.outcome == "not_found"


# -- deposit ------------------------------------------------------------------------------------
def _ready_case(world, key="obama", matter="PS-002"):
    no = _submitted_case(world, key, matter)
    for s in ("accepted", "approved", "result_ready"):
        world.services.cases.set_status(no, s)
    return no


def test_deposit_notifies_citizen_with_working_code(world):
    case_no = _ready_case(world)
    # the simulated back office must know the case to have a phone number
    f = world.start("deposit")
    assert f.view().step == 1
    world.staff_sign_in(f)
    assert f.state == "scan_envelope"
    assert world.scanner.calls[-1][0] == "scan_code"
    world.scanner.code(case_no, "CODE128")
    world.pump(f)
    assert f.state == "deposit_close", (f.history, f.error)
    comp = f.view().data["compartment"]
    assert world.cabinet.comps[comp]["size"] == "S"
    world.cabinet.close_door(comp)
    f.tick()
    world.wait_services(f)
    world.pump(f)
    assert f.state == "deposit_done", f.history
    case = world.services.cases.get(case_no)
    assert case.status == "deposited" and case.compartment == comp
    assert world.services.codes.active_for_case(case_no)
    assert world.printer.printed[-1][0] == "deposit_slip"
    assert f.act("finish") and f.outcome == "completed"


def test_deposit_keyed_in_case_and_sms_code_opens_the_door(world):
    from kiosk.services.backoffice import Applicant, CaseSubmission
    number = get_identity("obama").id_number
    case_no = _ready_case(world)
    world.backoffice.submit_case(CaseSubmission(case_no, "PS-002", "sim-0001",
                                                Applicant(number, "x", "1101****1234")))
    f = world.start("deposit")
    world.staff_sign_in(f)
    f.act("enter_case", case_no=case_no.lower())
    world.pump(f)
    comp = f.view().data["compartment"]
    world.cabinet.close_door(comp)
    f.tick()
    world.wait_services(f)
    sms = world.backoffice.cmd_last_sms()
    assert sms and sms["case_no"] == case_no
    code = sms["params"]["code"]
    g = world.start("collect")
    g.act("code")
    g.act("code", code=code)
    assert g.state == "identify_card"  # this item needs the ID card as well as the code
    world.identify(g, "obama", face=False)
    world.pump(g)
    assert g.state == "take", g.history


def test_deposit_refuses_case_not_ready_and_unknown(world):
    no = _submitted_case(world)
    f = world.start("deposit")
    world.staff_sign_in(f)
    f.act("enter_case", case_no=no)
    assert f.state == "scan_envelope" and f.error.key == "deposit.not_ready"
    f.act("enter_case", case_no="SIM0001-20261122-9999-X")
    assert f.error.key in ("deposit.unknown_case", "deposit.scan.bad_number")
    f.act("enter_case", case_no="'; DROP TABLE cases; --")
    assert f.error.key == "deposit.scan.bad_number"


def test_deposit_cabinet_full(world):
    no = _ready_case(world)
    for c in world.cabinet.comps.values():
        c["state"] = "loaded"
    f = world.start("deposit")
    world.staff_sign_in(f)
    f.act("enter_case", case_no=no)
    assert f.outcome == "no_compartment"


def test_not_staff_and_pin_lockout(world):
    f = world.start("deposit")
    world.identify(f, "obama", face=False)
    assert f.outcome == "not_staff"
    g = world.start("deposit")
    world.identify(g, "biden", face=False)
    for _ in range(4):
        g.act("pin", pin="000000")
        assert g.state == "staff_pin" and g.error.key == "staff.pin.wrong"
    g.act("pin", pin="000000")
    assert g.outcome == "staff_locked"
    h = world.start("deposit")
    world.identify(h, "biden", face=False)
    h.act("pin", pin=STAFF_PIN)  # right PIN, but locked out
    assert h.outcome == "staff_locked"


def test_staff_may_not_commission(world):
    f = world.start("commission")
    world.identify(f, "biden", face=False)
    assert f.outcome == "not_permitted"


# -- retrieve -----------------------------------------------------------------------------------
def test_retrieve_dropoffs_and_expired_results(world):
    drop = _submitted_case(world, "obama", "RE-003")
    world.services.cases.set_dropoff_compartment(drop, "A04")
    world.cabinet.comps["A04"]["state"] = "loaded"
    old_no, _code = deposited(world, "biden", comp="A02")
    world.clock.advance(31 * 86400)
    f = world.start("retrieve")
    world.staff_sign_in(f)
    items = f.view().data["items"]
    assert {(i["kind"], i["compartment"]) for i in items} == {("dropoff", "A04"), ("expired", "A02")}
    for comp in ("A04", "A02"):
        assert f.act("open", compartment=comp)
        world.pump(f)
        assert f.state == "retrieve_close"
        world.cabinet.close_door(comp)
        f.tick()
        assert f.state == "retrieve_list"
    assert f.view().data["items"] == []
    assert world.services.cases.get(old_no).status == "expired"
    assert world.services.codes.active_for_case(old_no) == []
    assert world.services.cases.get(drop).dropoff_compartment is None
    f.act("finish")
    assert f.outcome == "completed"


# -- commission ---------------------------------------------------------------------------------
def _commission(world):
    f = world.start("commission")
    world.staff_sign_in(f, TECH_CARD, TECH_PIN)
    assert f.state == "selftest", f.history
    for step in ("selftest", "bus_scan", "door_test", "printer_test", "camera_check", "link_check", "export"):
        world.wait_services(f)
        world.pump(f)
        assert f.state == step, (f.state, step)
        assert f.act("next"), (step, f.actions())
    assert f.state == "report"
    return f


def test_commission_all_checks_and_clean_bundle(world):
    deposited(world)
    f = _commission(world)
    rows = f.view().data["rows"]
    checks = {r["check"] for r in rows}
    assert checks == {"selftest", "bus_scan", "door_test", "printer_test", "camera_check", "link_check", "export"}
    assert not [r for r in rows if not r["ok"]], [r for r in rows if not r["ok"]]
    assert [r["target"] for r in rows if r["check"] == "door_test"] == ["A02", "A03", "A04", "A05"]
    assert world.printer.printed[-1][0] == "test_page"
    bundle = f.view().data["bundle"]
    f.act("finish")
    assert f.outcome == "completed"
    with zipfile.ZipFile(bundle) as zf:
        blob = "".join(zf.read(n).decode() for n in zf.namelist())
        assert json.loads(zf.read("audit.json"))["intact"]
    for key in ("obama", "biden", TECH_CARD):
        ident = get_identity(key)
        assert ident.id_number not in blob and ident.name_zh not in blob
    assert "SIM0001-" not in blob  # no case numbers either


def test_commission_reports_board_offline_and_failures(world):
    world.cabinet.offline = True
    world.printer.set_status(world.printer.status, paper="out")
    world.backoffice.cmd_offline(True)
    f = _commission(world)
    failed = {(r["check"], r["target"]) for r in f.view().data["failed"]}
    assert ("bus_scan", "board 1") in failed and ("printer_test", "printer") in failed
    assert ("link_check", "backoffice") in failed
    assert any(c == "door_test" for c, _ in failed)



def test_deposit_uses_the_compartment_the_back_office_reserved(world):
    case_no = _ready_case(world)
    # the back office assigned a compartment for this case before staff arrived (assign_deposit)
    assigned = world.cabinet.reserve("M", case_no, "assign_deposit")
    assert assigned is not None
    f = world.start("deposit")
    world.staff_sign_in(f)
    assert world.scanner.calls[-1][0] == "scan_code"
    world.scanner.code(case_no, "CODE128")
    world.pump(f)
    assert f.state == "deposit_close", (f.history, f.error)
    assert f.view().data["compartment"] == assigned.id
    reserved = [cid for cid, c in world.cabinet.comps.items() if c["content"] == case_no]
    assert reserved == [assigned.id]


def test_deposit_whose_load_confirmation_fails_issues_no_code(world):
    """Security finding 8: a failed `loaded()` (the store write failed; a mock, as that fault cannot be
    produced here otherwise) must not mark the case deposited nor send the citizen a code that would
    be used up later for an empty compartment."""
    case_no = _ready_case(world)
    world.cabinet.loaded = lambda cid, case: None  # the confirmation did not take
    f = world.start("deposit")
    world.staff_sign_in(f)
    world.scanner.code(case_no, "CODE128")
    world.pump(f)
    assert f.state == "deposit_close", (f.history, f.error)
    comp = f.view().data["compartment"]
    world.cabinet.close_door(comp)
    f.tick()
    world.wait_services(f)
    world.pump(f)
    case = world.services.cases.get(case_no)
    assert case.status != "deposited"
    assert not world.services.codes.active_for_case(case_no)
    assert f.outcome == "not_loaded", (f.state, f.outcome, f.history)
    assert "deposit.not_loaded" in [r.action for r in world.services.audit.records()]
