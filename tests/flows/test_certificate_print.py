"""Print items: the back office's certificate is printed on the A4 printer, its pages counted
back; paper out, a jam or no printer tell the citizen, offer the electronic copy by QR, no charge."""

from __future__ import annotations

from kiosk.devices.base import Completion, DeviceStatus, ResultCode
from kiosk.devices.docprinter import PrintFailure
from kiosk.flows.texts import render
from tests.flows import fakes


def _to_certificate(world):
    f = world.start("apply", matter_code="SI-001")
    assert f.act("start")
    world.identify(f)
    assert f.act("consent")
    world.wait_services(f)
    world.wait_services(f)
    world.pump(f)
    return f


def test_certificate_is_printed_and_its_pages_counted(world):
    doc = world.devices.docprinter = fakes.FakeDocPrinter()
    f = _to_certificate(world)
    assert "certificate" in f.history and f.state == "done", f.history
    assert doc.printed and doc.printed[0] == (f"certificate-{f.session.visit.case_no}", 1)
    assert [(d.kind, d.pages) for d in f.documents] == [("certificate", 1)]
    assert world.printer.printed[0][0] == "application"  # and the receipt as before
    assert f.act("finish") and f.act("skip") and f.outcome == "completed"  # 好差评 skipped
    assert not f.session.holds_personal_data()
    assert f.documents  # what was produced outlives the visit; it holds nothing personal
    printed = [r for r in world.services.audit.records() if r.action == "apply.certificate_printed"]
    assert len(printed) == 1 and printed[0].detail["pages"] == 1


def _failed_view(f):
    assert f.state == "certificate_failed", f.history
    vm = f.view()
    assert vm.data["qr"].startswith("https://") and vm.data["qr"].endswith(
        f.session.visit.apply.document.verify_code)
    return vm


def test_paper_out_before_printing_offers_the_electronic_copy_without_charge(world):
    doc = world.devices.docprinter = fakes.FakeDocPrinter()
    doc.set_status(DeviceStatus.HARDWARE_ERROR, "media-empty", paper="out")
    f = _to_certificate(world)
    vm = _failed_view(f)
    texts = [render(b, "zh") for b in vm.body]
    assert texts[0] == "打印机缺纸。" and "电子证明" in texts[1] and texts[2] == "本次打印不收费。"
    assert [render(b, "en") for b in vm.body][0] == "The printer is out of paper."
    assert [c[0] for c in doc.calls] == ["refused"] and not doc.printed  # nothing printed without paper
    assert f.act("continue")
    world.pump(f)
    assert f.state == "done" and not f.documents
    assert f.act("finish") and f.act("skip") and f.outcome == "completed"  # 好差评 skipped
    assert not f.session.holds_personal_data()


def test_a_jam_during_the_job_is_told_and_nothing_is_counted(world):
    doc = world.devices.docprinter = fakes.FakeDocPrinter(auto=False)
    f = _to_certificate(world)
    assert f.state == "certificate" and f.view().busy
    assert not f.cancellable()
    doc.complete_next(Completion(ResultCode.DEVICE_NOT_READY, "job 3: media-jam", PrintFailure("jammed", "media-jam", "3")))
    world.pump(f)
    vm = _failed_view(f)
    assert vm.data["reason"] == "jammed" and render(vm.body[0], "zh") == "打印机卡纸。"
    assert not f.documents


def test_a_printer_that_drops_pages_is_a_failure_too(world):
    doc = world.devices.docprinter = fakes.FakeDocPrinter(auto=False)
    f = _to_certificate(world)
    doc.complete_next(Completion(ResultCode.HARDWARE_ERROR, "0 of 1", PrintFailure("dropped", "0 of 1 pages", "4")))
    world.pump(f)
    assert _failed_view(f).data["reason"] == "dropped"


def test_no_document_printer_configured(world):
    world.devices.docprinter = None
    f = _to_certificate(world)
    assert _failed_view(f).data["reason"] == "unavailable"
