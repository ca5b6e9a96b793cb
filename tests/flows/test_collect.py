"""Collect: by identity and by pickup code; wrong person, expired code, nothing waiting, door that
does not open, photo attack, face mismatch, wrong codes and the station-wide lock-out."""

from __future__ import annotations

from hw_sim.identities import get_identity


def deposited(world, key="obama", matter="PS-002", comp="A01", needs_id=False):
    """A result waiting in compartment `comp` for identity `key`; returns (case_no, code)."""
    svc = world.services
    number = get_identity(key).id_number
    case = svc.cases.open(matter, number, promised_days=5)
    for status in ("accepted", "approved", "result_ready", "deposited"):
        svc.cases.set_status(case.case_no, status)
    svc.cases.set_compartment(case.case_no, comp)
    world.cabinet.comps[comp]["state"] = "loaded"
    world.cabinet.comps[comp]["content"] = case.case_no
    issued = svc.codes.issue([case.case_no], applicant_hash=svc.cases.applicant_hash(case.case_no),
                             id_card_required=needs_id)
    return case.case_no, issued.code


def _finish_pickup(world, f, comp):
    world.wait_services(f)  # by card + face the back office is asked for the person's cases first
    assert f.state == "take", f.history
    assert world.cabinet.comps[comp]["door"] == "open"
    world.cabinet.close_door(comp)
    f.tick()
    assert f.state == "confirm"
    assert f.act("taken")
    assert f.state == "rating"
    assert f.act("rate", score=5, tags=("fast", "<script>"))
    world.pump(f)
    assert f.state == "done", f.history
    assert f.act("finish")
    assert f.outcome == "completed"


def test_collect_by_identity(world):
    case_no, _ = deposited(world)
    f = world.start("collect")
    assert f.act("identify")
    world.identify(f)
    _finish_pickup(world, f, "A01")
    case = world.services.cases.get(case_no)
    assert case.status == "collected" and case.compartment is None
    assert world.cabinet.comps["A01"]["state"] == "empty"
    assert world.services.codes.active_for_case(case_no) == []
    assert world.printer.printed[-1][0] == "pickup"
    world.services.runner.call(lambda: None)
    assert world.backoffice.ratings and world.backoffice.ratings[0].tags == ("fast",)
    assert [o[1] for o in world.cabinet.opens] == ["pickup"]


def test_collect_by_code(world):
    case_no, code = deposited(world, comp="A03")
    f = world.start("collect")
    assert f.act("code")
    assert f.act("code", code=code)
    _finish_pickup(world, f, "A03")
    assert world.services.cases.get(case_no).status == "collected"
    # the code was used up: it opens nothing a second time
    g = world.start("collect")
    g.act("code")
    g.act("code", code=code)
    assert g.outcome == "code_used"
    assert len(world.cabinet.opens) == 1


def test_code_plus_id_card_where_required(world):
    case_no, code = deposited(world, needs_id=True)
    f = world.start("collect")
    f.act("code")
    f.act("code", code=code)
    assert f.state == "identify_card"
    world.identify(f, "obama", face=False)
    world.pump(f)
    assert f.state == "take", f.history
    _finish_pickup(world, f, "A01")


def test_wrong_person_with_code(world):
    case_no, code = deposited(world, needs_id=True)
    f = world.start("collect")
    f.act("code")
    f.act("code", code=code)
    world.identify(f, "biden", face=False)
    assert f.outcome == "wrong_person"
    assert world.cabinet.opens == []
    assert world.services.cases.get(case_no).status == "deposited"


def test_expired_code(world):
    case_no, code = deposited(world)
    world.clock.advance(8 * 86400)
    f = world.start("collect")
    f.act("code")
    f.act("code", code=code)
    assert f.outcome == "code_expired"
    assert world.cabinet.opens == []


def test_wrong_codes_then_station_lock_out(world):
    deposited(world)
    f = world.start("collect")
    f.act("code")
    for _ in range(4):
        f.act("code", code="000001")
        assert f.state == "code_entry" and f.error is not None
    f.act("code", code="000002")
    f.act("code", code="000003")
    assert f.outcome == "code_locked"
    assert any(r.action.startswith("pickup") and "lock" in r.action for r in world.services.audit.records())


def test_malformed_code_is_an_error(world):
    f = world.start("collect")
    f.act("code")
    f.act("code", code="12ab\x00" * 100)
    assert f.state == "code_entry" and f.error is not None


def test_nothing_to_collect(world):
    f = world.start("collect")
    f.act("identify")
    world.identify(f)
    world.wait_services(f)
    assert f.outcome == "nothing_to_collect"


def test_door_that_does_not_open(world):
    case_no, code = deposited(world)
    world.cabinet.jammed.add("A01")
    f = world.start("collect")
    f.act("code")
    f.act("code", code=code)
    world.pump(f)
    assert f.outcome == "door_not_opened"
    assert world.services.cases.get(case_no).status == "deposited"
    assert any(r.action == "collect.door_not_opened" for r in world.services.audit.records())
    assert len(world.cabinet.opens) == 1  # never retried automatically


def test_photo_attack_is_refused_and_audited(world):
    deposited(world)
    f = world.start("collect")
    f.act("identify")
    world.reader.insert(__import__("tests.flows.fakes", fromlist=["identity"]).identity("obama"))
    world.pump(f)
    assert f.state == "identify_face"
    world.face.spoof()
    world.pump(f)
    assert f.outcome == "fraud_attempt"
    assert world.cabinet.opens == []
    rec = [r for r in world.services.audit.records() if r.action == "identify.fraud_attempt"]
    assert rec and "*" in rec[0].detail["id_masked"]
    assert not world.camera.active


def test_face_mismatch_after_three_tries(world):
    deposited(world)
    f = world.start("collect")
    f.act("identify")
    from tests.flows.fakes import identity
    world.reader.insert(identity("obama"))
    world.pump(f)
    for i in range(3):
        assert f.state == "identify_face"
        world.face.no_match()
        world.pump(f)
        if i < 2:  # checked again at once, saying why
            assert f.error.key == "identify.face.no_match" and f.pending("face")
    assert f.outcome == "face_mismatch"
    assert world.cabinet.opens == []


def test_expired_and_invalid_cards(world):
    from tests.flows.fakes import identity
    for key, outcome in (("expired", "id_expired"), ("bad_check_digit", "id_invalid")):
        f = world.start("collect")
        f.act("identify")
        world.reader.insert(identity(key))
        world.pump(f)
        assert f.outcome == outcome
