"""材料智审 in the apply flow: every captured page is read (OCR, kind, fields) before it is
accepted; a page of the wrong kind or with another person's ID number is refused with the rule
and what is wanted; doubtful pages are accepted and flagged for staff; OCR never blocks."""

from __future__ import annotations

import time

import numpy as np

from hw_sim.identities import get_identity
from hw_sim.material_pages import material_page
from kiosk.devices.base import Completion, ResultCode
from kiosk.devices.scanner import DocumentScanner, PageResult
from kiosk.devices.scanner.doc_kinds import DocumentReading
from kiosk.flows.texts import render
from tests.flows import fakes


def _to_form_scan(world):
    """PS-002: ID card as e-certificate, then 申请表 (1 page) and 户口簿 (2 pages) to scan."""
    f = world.start("apply", matter_code="PS-002")
    assert f.act("start")
    world.identify(f)
    assert f.act("consent")
    world.wait_services(f)
    assert f.state == "scan" and f.view().data["material"] == "申请表", f.history
    return f


def test_a_page_of_the_wrong_kind_is_refused_naming_what_is_wanted(world):
    f = _to_form_scan(world)
    world.scanner.readings.append(DocumentReading("business_licence", 0.92, rule="title 营业执照"))
    world.scanner.page()
    world.pump(f)
    assert f.state == "scan" and f.view().data["material"] == "申请表"  # not accepted
    assert f.error.key == "apply.scan.refused" and f.last_problems == ["wrong_kind"]
    zh, en = render(f.error, "zh"), render(f.error, "en")
    assert "营业执照" in zh and "申请表" in zh and "business licence" in en and "application form" in en
    assert not f.session.pages.get("1")
    refused = [r for r in world.services.audit.records() if r.action == "apply.material_refused"]
    assert refused and refused[0].detail["rule"] == "wrong_kind"
    # the right document is accepted
    world.scanner.readings.append(DocumentReading("application_form", 0.8, {"signature": "present"}))
    assert f.act("retake")
    world.scanner.page()
    world.pump(f)
    assert f.view().data["material"] == "户口簿" and f.error is None


def test_another_persons_household_register_is_refused(world):
    f = _to_form_scan(world)
    world.scanner.page()  # 申请表: unread -> accepted, flagged
    world.pump(f)
    other = get_identity("biden").id_number
    world.scanner.readings.append(DocumentReading("household_register", 0.8, {"id_numbers": other, "id_number": other}))
    world.scanner.page()
    world.pump(f)
    assert f.error.key == "apply.scan.refused" and f.last_problems == ["applicant_not_listed"]
    assert "户口簿上没有申请人本人" in render(f.error, "zh")


def test_doubtful_pages_are_flagged_for_staff_and_ocr_never_blocks(world):
    f = _to_form_scan(world)
    mine = get_identity("obama")
    world.scanner.readings.append(DocumentReading("application_form", 0.8, {"signature": "missing"}))
    world.scanner.page()
    world.pump(f)
    world.scanner.readings.append(Completion(ResultCode.DEVICE_NOT_READY, "OCR needs rapidocr"))
    world.scanner.page()
    world.pump(f)
    world.scanner.readings.append(DocumentReading("household_register", 0.8, {"id_numbers": mine.id_number}))
    world.scanner.page()
    world.pump(f)
    world.wait_services(f)
    world.wait_services(f)
    world.pump(f)
    assert f.state in ("receipt", "done"), (f.state, f.history)
    case = world.backoffice.cases[f.session.visit.case_no]
    assert case.status == "accepted"
    # what staff see with the case: the material index and the rules that flagged it
    assert f.session.visit.apply.flags == {1: {"signature_missing"}, 2: {"not_read"}}


class ReadingScanner(fakes.FakeScanner):
    """The fake camera, but pages are read by the real interface method (rapidocr)."""

    read_document = DocumentScanner.read_document


def _deliver(world, f, page) -> None:
    world.scanner.complete_next(Completion.success(PageResult(True, None, True, [], page=page)))
    world.pump(f)
    deadline = time.monotonic() + 60
    while f.pending("read") and time.monotonic() < deadline:
        world.pump(f)
        time.sleep(0.01)
    world.pump(f)


def test_real_ocr_refuses_a_licence_offered_as_the_form(world):
    world.devices.scanner = world.scanner = ReadingScanner()
    f = _to_form_scan(world)
    licence, _ = material_page("business_licence")
    _deliver(world, f, licence)
    assert f.error is not None and f.last_problems == ["wrong_kind"], f.error
    form, _ = material_page("application_form", person="obama")
    assert f.act("retake")
    _deliver(world, f, form)
    assert f.view().data["material"] == "户口簿" and f.error is None
    assert isinstance(form, np.ndarray)


def test_the_one_time_notice_is_printed_with_every_missing_item_and_why(world):
    from kiosk.devices.printer.receipts import parse_receipt
    from kiosk.devices.printer.templates import build_receipt

    f = _to_form_scan(world)
    world.scanner.readings.append(DocumentReading("business_licence", 0.92))
    world.scanner.page()
    world.pump(f)
    assert f.act("skip") and f.act("skip")  # the refused form, then the register
    world.pump(f)
    assert f.state == "missing"
    kind, data = world.printer.printed[-1]
    assert kind == "missing_notice"
    notice = parse_receipt(kind, data)  # what the real printer validates
    assert [(i.name, i.reason) for i in notice.items] == [
        ("申请表", "材料类型不符：这是营业执照，需要的是申请表"), ("户口簿", "未提供")]
    build_receipt(kind, data, "zh")  # and lays out
    texts = [render(b, "zh") for b in f.view().body]
    assert "一次性告知单已打印，请取走。" in texts
    assert any(t.startswith("申请表未通过审核：材料类型不符") for t in texts)
