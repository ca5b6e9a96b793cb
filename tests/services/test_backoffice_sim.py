"""The simulated back office: approval on the clock, results, e-certificates, payments, SMS, faults;
the interface's messages survive a JSON round trip and hostile payloads are refused clearly."""

from __future__ import annotations

import json
from datetime import date

import pytest

from hw_sim.backoffice import SimBackOffice
from hw_sim.control import ControlClient, ControlError, ControlHub
from hw_sim.identities import get_identity
from kiosk.services.backoffice import (
    Applicant,
    BackOffice,
    BackofficeError,
    CaseStatusReport,
    CaseSubmission,
    Consent,
    Notification,
    Rating,
    SubmitReceipt,
    SubmittedFile,
    from_dict,
    to_dict,
)
from kiosk.services.cases import format_case_number
from kiosk.services.keyed_hash import mask_id_number

OBAMA = get_identity("obama")
ALEX = get_identity("alex_lacamoire")  # photographs are PNG


def applicant(ident=OBAMA):
    return Applicant(ident.id_number, ident.name_zh, mask_id_number(ident.id_number))


def case_no(seq):
    return format_case_number("sim-0001", date(2026, 11, 22), seq)


@pytest.fixture
def bo(clock, catalog):
    return SimBackOffice(clock=clock, approve_after_s=30, pay_after_s=5, catalog=catalog)


def submit(bo, seq, matter, ident=OBAMA, files=()):
    return bo.submit_case(CaseSubmission(case_no(seq), matter, "sim-0001", applicant(ident), tuple(files)))


def test_is_a_back_office(bo):
    assert isinstance(bo, BackOffice)


def test_apply_item_accepted_then_approved_then_ready(bo, clock):
    import numpy as np

    from kiosk.services.material_pdf import material_pdf

    pdf = material_pdf([np.full((297, 210), 250, np.uint8)], "居民身份证")
    scan = SubmittedFile("居民身份证", "scan", pdf.media_type, pdf.content, 0, pages=pdf.pages)
    r = submit(bo, 1, "PS-001", files=[scan])
    assert r.accepted and r.status == "accepted" and r.document is None and r.backoffice_ref.startswith("BO")
    assert submit(bo, 1, "PS-001") == r  # idempotent repeat
    assert [e.data["status"] for e in bo.poll_events()] == ["accepted"]
    clock.advance(29)
    assert bo.poll_events() == []
    clock.advance(2)
    events = bo.poll_events()
    assert [(e.kind, e.data.get("status")) for e in events] == [
        ("case_status", "approved"), ("case_status", "result_ready"), ("result_ready", None)]
    assert events[-1].data["result_size"] == "S"
    assert len({e.event_id for e in events}) == 3
    report = bo.case_status(case_no(1))
    assert report.status == "result_ready"
    assert [e.status for e in report.timeline] == ["submitted", "accepted", "approved", "result_ready"]
    bo.report_status(case_no(1), "deposited", "已投柜")
    bo.report_status(case_no(1), "collected")
    assert bo.case_status(case_no(1)).status == "collected"
    assert bo.poll_events() == []  # the station's own reports are not echoed back


def test_print_item_comes_back_with_its_document(bo):
    r = submit(bo, 2, "SI-001")
    assert r.status == "approved" and r.document is not None
    assert r.document.content.startswith(b"%PDF-") and r.document.media_type == "application/pdf"
    assert r.document.verify_code
    assert r.document.title_zh == "社会保险个人参保证明"
    assert bo.get_result_document(case_no(2)) == r.document
    with pytest.raises(BackofficeError) as exc:
        bo.get_result_document(case_no(3))
    assert exc.value.code == "not_found"


def test_approve_now_reject_and_ready_commands(bo):
    submit(bo, 1, "ME-001")
    submit(bo, 2, "HF-002")
    assert bo.cmd_approve(case_no(1)) == [case_no(1)]
    assert bo.case_status(case_no(1)).status == "result_ready"
    assert bo.cmd_reject(case_no(2), "租赁合同不清晰") == "rejected"
    assert "租赁合同不清晰" in bo.case_status(case_no(2)).timeline[-1].note_zh
    with pytest.raises(ControlError, match="cannot approve"):
        bo.cmd_approve(case_no(2))
    submit(bo, 3, "HF-002")
    assert bo.cmd_ready(case_no(3), size="L") == "result_ready"
    with pytest.raises(ControlError, match="no case"):
        bo.cmd_ready("nope")


def test_zero_delay_approves_at_once(clock, catalog):
    bo = SimBackOffice(clock=clock, approve_after_s=0, catalog=catalog)
    assert submit(bo, 1, "PS-001").status == "result_ready"


def test_ecertificates_need_consent(bo, clock):
    consent = bo.request_consent(applicant(), ("household_register", "marriage_certificate", "degree_certificate"))
    certs = bo.fetch_ecertificates(applicant(), consent)
    assert {c.type for c in certs} == {"household_register", "marriage_certificate"}  # obama has no degree on file
    assert all(c.content.startswith(b"\x89PNG") and "*" in c.number_masked for c in certs)
    # the consent is for this person only
    with pytest.raises(BackofficeError) as exc:
        bo.fetch_ecertificates(applicant(ALEX), consent)
    assert exc.value.code == "consent_required"
    forged = Consent("f" * 32, consent.id_hash, consent.ecert_types, consent.given_at, consent.expires_at)
    with pytest.raises(BackofficeError):
        bo.fetch_ecertificates(applicant(), forged)
    clock.advance(601)
    with pytest.raises(BackofficeError, match="expired"):
        bo.fetch_ecertificates(applicant(), consent)


def test_unknown_person_has_no_ecertificates_and_no_photo(bo):
    stranger = Applicant("440305198612260512", "路人", "4403**********0512")
    consent = bo.request_consent(stranger, ("resident_id",))
    assert bo.fetch_ecertificates(stranger, consent) == []
    assert bo.reference_photo(stranger) is None
    with pytest.raises(BackofficeError) as exc:
        bo.request_consent(stranger, ())
    assert exc.value.code == "invalid"


def test_reference_photo_is_jpeg(bo, samples):
    jpg = bo.reference_photo(applicant(OBAMA))
    assert jpg == (samples / OBAMA.face_files[0]).read_bytes()
    converted = bo.reference_photo(applicant(ALEX))  # source is PNG
    assert converted[:3] == b"\xff\xd8\xff"


def test_payment_paid_after_delay_or_on_command(bo, clock):
    order = bo.create_payment(case_no(1), 1000, "不动产权证书工本费")
    assert order.status == "pending" and order.amount_fen == 1000 and order.pay_url.endswith(order.order_id)
    clock.advance(4)
    assert bo.payment_status(order.order_id).status == "pending"
    clock.advance(2)
    assert bo.payment_status(order.order_id).status == "paid"
    assert [e.kind for e in bo.poll_events()] == ["payment_paid"]
    bo.cmd_set_auto_pay(on=False)
    o2 = bo.create_payment(case_no(2), 2000, "工本费")
    clock.advance(100)
    assert bo.payment_status(o2.order_id).status == "pending"
    assert bo.cmd_pay() == o2.order_id
    assert bo.payment_status(o2.order_id).paid_at
    o3 = bo.create_payment(case_no(3), 2000, "工本费")
    assert bo.cancel_payment(o3.order_id).status == "canceled"
    with pytest.raises(ControlError, match="no pending"):
        bo.cmd_pay()


@pytest.mark.parametrize("amount", [0, -5, 10.5, True, "100", 10**9])
def test_payment_amount_checked(bo, amount):
    with pytest.raises(BackofficeError) as exc:
        bo.create_payment(case_no(1), amount, "x")
    assert exc.value.code == "invalid"


def test_sms_with_pickup_code_is_readable(bo):
    submit(bo, 1, "PS-001")
    assert bo.cmd_last_sms() is None
    receipt = bo.notify(Notification(case_no(1), "pickup_code", params={"code": "493021", "compartment": "A03"}))
    assert receipt.accepted and receipt.to_masked.startswith("138****")
    sms = bo.cmd_last_sms()
    assert sms["params"]["code"] == "493021" and "493021" in sms["text_zh"] and "A03" in sms["text_zh"]
    assert "493021" in sms["text_en"] and "compartment A03" in sms["text_en"]
    assert sms["case_no"] == case_no(1)
    with pytest.raises(BackofficeError) as exc:
        bo.notify(Notification(case_no(9), "pickup_code"))
    assert exc.value.code == "not_found"


@pytest.mark.parametrize("params,text", [({"code": "1" * 201}, ""), ({str(i): "x" for i in range(21)}, ""),
                                         ({"code": 123456}, ""), ({}, "长" * 501)])
def test_hostile_notifications_refused(bo, params, text):
    submit(bo, 1, "PS-001")
    with pytest.raises(BackofficeError) as exc:
        bo.notify(Notification(case_no(1), "pickup_code", params=params, text_zh=text))
    assert exc.value.code == "invalid"
    assert bo.cmd_last_sms() is None


def test_ratings_validated(bo):
    bo.submit_rating(Rating(case_no(1), 5, ("fast",), "很方便"))
    assert bo.cmd_ratings()[0]["score"] == 5
    for bad in (0, 6, True):
        with pytest.raises(BackofficeError):
            bo.submit_rating(Rating(case_no(1), bad))
    with pytest.raises(BackofficeError):
        bo.submit_rating(Rating(case_no(1), 3, comment="x" * 501))


def test_offline_and_injected_faults(bo):
    bo.cmd_offline(True)
    with pytest.raises(BackofficeError) as exc:
        submit(bo, 1, "PS-001")
    assert exc.value.code == "offline"
    assert bo.ping().online is False
    bo.cmd_online()
    assert bo.ping().online
    bo.cmd_fail_next(call="submit_case", code="timeout")
    bo.ping()  # other calls are not affected
    with pytest.raises(BackofficeError) as exc:
        submit(bo, 1, "PS-001")
    assert exc.value.code == "timeout"
    assert submit(bo, 1, "PS-001").accepted  # only the next one failed
    with pytest.raises(ControlError, match="code must be one of"):
        bo.cmd_fail_next(code="explode")
    with pytest.raises(ControlError, match="no call 'launch'"):
        bo.cmd_fail_next(call="launch")


@pytest.mark.parametrize("bad_no", ["", "x", "../../etc", "SIM0001-20261122-0001", 42, "A" * 200])
def test_hostile_submissions_refused(bo, bad_no):
    with pytest.raises(BackofficeError) as exc:
        bo.submit_case(CaseSubmission(bad_no, "PS-001", "sim-0001", applicant()))  # type: ignore[arg-type]
    assert exc.value.code == "invalid"


def test_unknown_matter_and_oversized_files(bo):
    with pytest.raises(BackofficeError) as exc:
        bo.submit_case(CaseSubmission(case_no(1), "ZZ-999", "sim-0001", applicant()))
    assert exc.value.code == "rejected"
    huge = SubmittedFile("x", "scan", "application/pdf", b"\0" * (51 * 1024 * 1024))
    with pytest.raises(BackofficeError, match="files total"):
        bo.submit_case(CaseSubmission(case_no(2), "PS-001", "sim-0001", applicant(), (huge,)))


def test_unknown_case_queries(bo):
    for call in (lambda: bo.case_status(case_no(7)), lambda: bo.report_status(case_no(7), "collected"),
                 lambda: bo.payment_status("PO-nope"), lambda: bo.cancel_payment("PO-nope")):
        with pytest.raises(BackofficeError) as exc:
            call()
        assert exc.value.code == "not_found"
    submit(bo, 1, "PS-001")
    with pytest.raises(BackofficeError, match="cannot report"):
        bo.report_status(case_no(1), "approved")


def test_control_over_the_socket(bo, tmp_path, clock):
    hub = ControlHub()
    hub.add(bo)
    sock = hub.serve(tmp_path / "sim.sock")
    try:
        client = ControlClient(sock)
        submit(bo, 1, "PS-001")
        assert client.call("backoffice", "approve") == [case_no(1)]
        bo.notify(Notification(case_no(1), "pickup_code", params={"code": "000123"}))
        assert client.call("backoffice", "last_sms")["params"]["code"] == "000123"
        assert client.call("backoffice", "state")["cases"] == 1
        assert "fail_next" in client.call("hub", "describe")["backoffice"]
        with pytest.raises(ControlError, match="unknown command"):
            client.call("backoffice", "self_destruct")
        assert client.call("backoffice", "offline", on=True) is True
        assert bo.ping().online is False
    finally:
        hub.close()


# --------------------------------------------------------------------------- serialisation


def test_round_trip_through_json(bo):
    sub = CaseSubmission(case_no(1), "PS-001", "sim-0001", applicant(),
                         (SubmittedFile("居民身份证", "scan", "application/pdf", b"\x00\xffPDF", 1, 2),),
                         {"purpose": "出国"}, None, "A05", "2026-11-22T09:00:00+08:00")
    wire = json.dumps(to_dict(sub), ensure_ascii=False)
    assert from_dict(CaseSubmission, json.loads(wire)) == sub
    receipt = submit(bo, 2, "SI-001")
    assert from_dict(SubmitReceipt, json.loads(json.dumps(to_dict(receipt)))) == receipt
    report = bo.case_status(case_no(2))
    assert from_dict(CaseStatusReport, json.loads(json.dumps(to_dict(report)))) == report


@pytest.mark.parametrize("payload,where", [
    ([], "expected an object"),
    ({"case_no": "x"}, "missing"),
    ({"case_no": 5, "accepted": True, "backoffice_ref": "r", "status": "accepted"}, "expected str"),
    ({"case_no": "x", "accepted": "yes", "backoffice_ref": "r", "status": "accepted"}, "expected bool"),
    ({"case_no": "x", "accepted": True, "backoffice_ref": "r", "status": "teleported"}, "not one of"),
    ({"case_no": "x", "accepted": True, "backoffice_ref": "r", "status": "accepted", "evil": 1}, "unknown field"),
    ({"case_no": "x", "accepted": True, "backoffice_ref": "r", "status": "accepted",
      "document": {"case_no": "x", "title_zh": "t", "title_en": "t", "media_type": "m", "content": {"b64": "!!"}}},
     "base64"),
])
def test_hostile_payloads_refused_with_the_field_named(payload, where):
    with pytest.raises(BackofficeError) as exc:
        from_dict(SubmitReceipt, payload)
    assert exc.value.code == "invalid" and where in str(exc.value)


def test_applicant_repr_hides_the_full_id_number_and_name():
    """A submission logged with %r or shown in a traceback must not carry the person's data."""
    person = Applicant("440305198612260512", "路人甲", "4403**********0512")
    for text in (repr(person), str(person), repr([person]), f"{person!r}"):
        assert "440305198612260512" not in text and "路人甲" not in text
        assert "4403**********0512" in text
