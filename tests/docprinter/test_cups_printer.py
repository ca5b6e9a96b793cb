"""The A4 document printer through a real (private) CUPS: print a certificate, read back the PDF
the printer produced (pdftotext) and the pages it counted; paper out, a jam (before and during a
job), toner, bad input, a missing queue, an unreachable server."""

from __future__ import annotations

import subprocess

import pytest

from kiosk.devices.base import ResultCode
from kiosk.devices.docprinter import PrintFailure, PrintedJob
from kiosk.devices.registry import create_device


def _printer(url: str):
    p = create_device("docprinter", url, name="docprinter")
    p.open()
    return p


def _text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _pages(path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


@pytest.mark.parametrize("scheme", ["cups", "ipp"])
def test_certificate_printed_and_read_back(cups, certificate, scheme):
    p = _printer(cups.url("A4") if scheme == "cups" else cups.ipp_url("A4"))
    try:
        assert str(p.status) == "online" and p.class_status["paper"] == "ok"
        c = p.print_pdf(certificate, "certificate-SH01-20261122-0001-7").result(60)
        assert c.ok, c
        job: PrintedJob = c.data
        assert job.expected_pages == 2 and job.pages == 2  # counted by CUPS (job-impressions-completed)
        out = cups.output_for(int(job.job_id))
        assert _pages(out) == 2  # and the PDF the printer produced has them
        text = _text(out)
        assert "社会保险个人参保证明" in text and "奥*马" in text and "1101**********0134" in text
        assert "奥巴马" not in text  # the full name never reaches paper
        assert p.class_status["toner"] == "ok"  # marker-levels reported by the printer
    finally:
        p.close()


def test_paper_out_is_known_before_sending(cups, certificate):
    p = _printer(cups.url("A4"))
    try:
        before = len(cups.outputs())
        cups.set_fault("A4", "paper_out")
        assert p.check_status().result(10).data["paper"] == "out"
        assert not p.ready()
        c = p.print_pdf(certificate, "certificate-x").result(30)
        assert c.code is ResultCode.DEVICE_NOT_READY and isinstance(c.data, PrintFailure)
        assert c.data.reason == "paper_out" and c.data.job_id is None  # nothing was sent
        assert len(cups.outputs()) == before
    finally:
        p.close()


@pytest.mark.parametrize("fault, reason, paper", [("paper_out", "paper_out", "out"), ("jam", "jammed", "jammed")])
def test_fault_during_the_job_cancels_it(cups, certificate, fault, reason, paper):
    p = _printer(cups.url("A4"))
    try:
        before = len(cups.outputs())
        (cups.fault_dir / cups.instance).write_text(fault)  # the printer finds out only when it prints
        c = p.print_pdf(certificate, "certificate-y").result(30)
        assert c.code is ResultCode.DEVICE_NOT_READY, c
        assert c.data.reason == reason and c.data.job_id
        assert p.class_status["paper"] == paper and str(p.status) == "hardware_error"
        # the job is cancelled: it will not come out later for whoever stands there then
        pending = cups.lp("lpstat", "-o", "A4", check=False).stdout
        assert f"A4-{c.data.job_id}" not in pending
        assert len(cups.outputs()) == before
        cups.set_fault("A4", "clear")  # paper refilled: the next job prints
        assert p.print_pdf(certificate, "certificate-z").result(30).ok
    finally:
        p.close()


def test_toner_low_still_prints_toner_out_does_not(cups, certificate):
    p = _printer(cups.url("A4"))
    try:
        cups.set_fault("A4", "toner_low")
        assert p.check_status().result(10).data["toner"] == "low"
        assert p.print_pdf(certificate, "certificate-t").result(30).ok
        cups.set_fault("A4", "toner_out")
        c = p.print_pdf(certificate, "certificate-u").result(30)
        assert c.code is ResultCode.DEVICE_NOT_READY and c.data.reason == "toner_out"
    finally:
        p.close()


def test_not_a_pdf_is_refused_before_anything_is_sent(cups):
    p = _printer(cups.url("A4"))
    try:
        c = p.print_pdf(b"\x89PNG not a pdf", "x").result(10)
        assert c.code is ResultCode.INVALID_DATA and "not a PDF" in c.detail
    finally:
        p.close()


def test_missing_queue_and_unreachable_server(cups, certificate):
    p = _printer(f"cups://NOPE?server={cups.server}")
    try:
        assert str(p.status) == "no_device" and "nope" in p.snapshot()["detail"].lower()
        c = p.print_pdf(certificate, "x").result(10)
        assert c.code is ResultCode.DEVICE_NOT_READY
    finally:
        p.close()
    p = _printer(f"cups://A4?server={cups.root}/no-such.sock")
    try:
        assert str(p.status) in ("offline", "no_device")
        assert p.print_pdf(certificate, "x").result(10).code is ResultCode.DEVICE_NOT_READY
    finally:
        p.close()


@pytest.mark.parametrize("url, message", [("ipp://host/queue-without-printers", "ipp://HOST"),
                                          ("cups://", "cups://QUEUE"), ("lpt://x", "known: cups://, file://, ipp://")])
def test_bad_urls_are_named(url, message):
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        create_device("docprinter", url)


def test_control_commands(cups):
    from hw_sim.control import ControlError

    with pytest.raises(ControlError, match="fault must be one of"):
        cups.handle("fault", {"kind": "on_fire"})
    with pytest.raises(ControlError, match="no queue 'B5'"):
        cups.handle("fault", {"kind": "jam", "queue": "B5"})
    assert cups.handle("state", {})["running"] is True
