"""Cases made at another station (query by identity or receipt, staff deposit) and a failed
pickup-code SMS (the code on the staff's slip, shown to the citizen after card + face)."""

from __future__ import annotations

from hw_sim.identities import get_identity
from kiosk.flows.apply import receipt_qr
from kiosk.flows.texts import render
from kiosk.services.keyed_hash import KeyedHasher


def _deposit(world, case_no: str):
    f = world.start("deposit")
    world.staff_sign_in(f)
    f.act("enter_case", case_no=case_no)
    world.wait_services(f)
    world.pump(f)
    assert f.state == "deposit_close", (f.history, f.error and render(f.error, "en"))
    comp = f.view().data["compartment"]
    world.cabinet.close_door(comp)
    f.tick()
    world.wait_services(f)
    world.pump(f)
    assert f.state == "deposit_done", f.history
    return f, comp


def test_query_by_identity_finds_a_case_made_elsewhere(world):
    no = world.backoffice.cmd_add_case("obama", matter="PS-002", status="accepted", station="sim-0002")
    world.backoffice.cmd_add_case("biden", matter="PS-002", status="accepted", station="sim-0002")
    assert world.services.cases.find(no) is None
    f = world.start("query")
    f.act("identify")
    world.identify(f, "obama")
    world.wait_services(f)
    world.wait_services(f)
    assert f.state == "timeline", f.history
    rows = f.view().data["cases"]
    assert [r["case_no"] for r in rows] == [no], "only this person's case"
    assert [e["status"] for e in rows[0]["timeline"]] == ["submitted", "accepted"]
    kept = world.services.cases.get(no)
    assert kept.station_id == "sim-0002" and "*" in kept.applicant_masked
    assert world.services.cases.is_applicant(no, get_identity("obama").id_number)


def test_receipt_from_another_station_needs_the_applicants_card_and_face(world):
    no = world.backoffice.cmd_add_case("obama", matter="PS-002", status="accepted", station="sim-0002")
    other_station_key = KeyedHasher(b"o" * 32)
    for key, outcome in (("biden", "not_found"), ("obama", None)):
        f = world.start("query")
        f.act("scan_receipt")
        world.scanner.code(receipt_qr(no, other_station_key))
        world.pump(f)
        assert f.state == "identify_card" and f.error.key == "query.elsewhere", f.history
        world.identify(f, key)
        world.wait_services(f)
        world.wait_services(f)
        assert f.outcome == outcome, (key, f.history)
        if outcome is None:
            assert [r["case_no"] for r in f.view().data["cases"]] == [no]


def test_staff_deposit_of_a_case_made_elsewhere(world):
    no = world.backoffice.cmd_add_case("obama", matter="PS-002", status="result_ready", station="sim-0002")
    f, comp = _deposit(world, no)
    case = world.services.cases.get(no)
    assert case.status == "deposited" and case.compartment == comp
    assert world.backoffice.cases[no].status == "deposited"  # reported back
    sms = world.backoffice.cmd_last_sms()
    assert sms["case_no"] == no
    # the citizen collects with the SMS code
    g = world.start("collect")
    g.act("code")
    g.act("code", code=sms["params"]["code"])
    world.pump(g)
    assert g.state == "take", g.history


def _collect_by_card_and_face(world, key: str):
    asked = world.backoffice.calls.count("cases_for_applicant")
    g = world.start("collect")
    g.act("identify")
    world.identify(g, key)
    # the lookup runs in the background and may already be answered here: wait, then check it ran
    world.wait_services(g)
    assert "finding" in g.history, g.history
    assert world.backoffice.calls.count("cases_for_applicant") == asked + 1, world.backoffice.calls
    return g


def test_collect_by_card_and_face_of_a_result_filed_elsewhere_and_deposited_here(world):
    no = world.backoffice.cmd_add_case("obama", matter="PS-002", status="result_ready", station="sim-0002")
    elsewhere = world.backoffice.cmd_add_case("obama", matter="PS-002", status="accepted", station="sim-0003")
    _f, comp = _deposit(world, no)
    assert world.services.cases.applicant_hash(no) == "", "adopted at deposit: applicant unknown"
    # someone else's card + face: the back office does not list it as theirs, nothing opens
    g = _collect_by_card_and_face(world, "biden")
    assert g.outcome == "nothing_to_collect" and world.services.cases.applicant_hash(no) == ""
    assert not [o for o in world.cabinet.opens if o[1] == "pickup"]
    g = _collect_by_card_and_face(world, "obama")
    assert g.state == "take" and g.view().data["compartments"] == [comp], g.history
    assert world.services.cases.is_applicant(no, get_identity("obama").id_number)
    assert world.services.cases.find(elsewhere) is None, "a case kept elsewhere is not adopted by collect"


def test_collect_by_card_and_face_without_the_back_office_uses_local_records(world):
    from tests.flows.test_collect import deposited

    deposited(world, comp="A02")
    no = world.backoffice.cmd_add_case("obama", matter="PS-002", status="result_ready", station="sim-0002")
    _deposit(world, no)
    world.backoffice.cmd_offline(True)
    g = _collect_by_card_and_face(world, "obama")
    assert g.state == "take" and g.view().data["compartments"] == ["A02"], "the local result only"
    assert world.services.cases.applicant_hash(no) == ""


def test_deposit_of_a_number_nobody_knows(world):
    f = world.start("deposit")
    world.staff_sign_in(f)
    from datetime import date

    from kiosk.services.cases import format_case_number

    f.act("enter_case", case_no=format_case_number("sim-0009", date(2026, 11, 22), 42))
    world.wait_services(f)
    assert f.state == "scan_envelope" and f.error.key == "deposit.unknown_anywhere"
    world.backoffice.cmd_offline(True)
    f.act("enter_case", case_no=format_case_number("sim-0009", date(2026, 11, 22), 43))
    world.wait_services(f)
    assert f.state == "scan_envelope" and f.error.key == "deposit.backoffice_unavailable"


def test_failed_sms_code_on_the_slip_and_shown_after_card_and_face(world):
    no = world.backoffice.cmd_add_case("obama", matter="PS-002", status="result_ready", station="sim-0002")
    world.backoffice.cmd_fail_next(call="notify", code="offline")
    f, comp = _deposit(world, no)
    body = " ".join(render(b, "en") for b in f.view().body)
    assert "printed on the deposit slip" in body and "retr" not in body.lower()
    kind, slip = world.printer.printed[-1]
    assert kind == "deposit_slip" and len(slip["pickup_code"]) == 6
    assert world.services.codes.verify(slip["pickup_code"]).ok
    assert world.services.cases.get(no).receipt.get("sms_failed") is True
    f.act("finish")

    q = world.start("query")
    q.act("identify")
    world.identify(q, "obama")
    world.wait_services(q)
    world.wait_services(q)
    assert q.state == "timeline", q.history
    shown = [b for b in q.view().body if b.key == "query.pickup_code"]
    assert len(shown) == 1 and shown[0].params["compartment"] == comp
    code = shown[0].params["code"]
    # the applicant is known now (card + face): this item's code needs the ID card as well
    assert world.services.codes.verify(code).outcome == "id_required"
    assert world.services.codes.verify(code, get_identity("obama").id_number).ok
    q.act("finish")
    assert q.session.visit.is_blank(), "the code is gone with the visit"

    g = world.start("collect")
    g.act("code")
    g.act("code", code=code)
    assert g.state == "identify_card"
    world.identify(g, "obama", face=False)
    world.pump(g)
    assert g.state == "take", g.history


def test_failed_sms_is_not_shown_by_receipt_alone(world):
    from tests.flows.test_collect import deposited

    no, _ = deposited(world)
    world.services.cases.update_receipt(no, sms_failed=True)
    f = world.start("query")
    f.act("scan_receipt")
    world.scanner.code(receipt_qr(no, world.services.hasher))
    world.pump(f)
    world.wait_services(f)
    assert f.state == "timeline"
    assert not [b for b in f.view().body if b.key == "query.pickup_code"]
