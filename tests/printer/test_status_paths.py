"""Paper low/out, a jam, an offline printer and paper running out mid-receipt, read through
DLE EOT from the simulator, end in clear completions with a screen fallback."""

from __future__ import annotations

import time

import pytest

from kiosk.devices.base import DeviceStatus, ResultCode
from kiosk.devices.printer.samples import sample
from kiosk.devices.printer.status import PrinterState, StatusByteError, decode

APP = sample("application")
QR = APP["query_url"]


def test_open_reads_status(sim, printer):
    snap = printer.snapshot()
    assert (snap["status"], snap["paper"]) == ("online", "ok")
    assert "paper_status" in snap["capabilities"]
    assert sim.status_requests == 4  # DLE EOT 1..4


def test_paper_low_prints_and_warns(sim, printer):
    events = []
    printer.subscribe(events.append)
    sim.cmd_set_paper("low")
    done = printer.print_document("application", APP).result(10)
    assert done.ok and done.data["paper"] == "low" and "paper low" in done.data["detail"]
    assert printer.class_status["paper"] == "low" and printer.status is DeviceStatus.ONLINE
    assert any(e.kind == "status_changed" and e.data.get("paper") == "low" for e in events)
    assert len(sim.wait_receipts(1)) == 1


@pytest.mark.parametrize(
    "inject, detail, status, paper",
    [
        (lambda s: s.cmd_set_paper("out"), "paper out", DeviceStatus.OFFLINE, "out"),
        (lambda s: s.cmd_jam(True), "paper jam", DeviceStatus.HARDWARE_ERROR, "jammed"),
        (lambda s: s.cmd_offline(True), "cover open", DeviceStatus.OFFLINE, "ok"),
    ],
    ids=["paper_out", "jam", "offline"],
)
def test_not_ready_refuses_before_printing(sim, printer, inject, detail, status, paper):
    inject(sim)
    done = printer.print_document("application", APP).result(10)
    assert done.code is ResultCode.DEVICE_NOT_READY
    assert detail in done.detail
    assert done.data["fallback"]["qr"] == QR
    assert "受理回执" in done.data["fallback"]["lines"]
    assert printer.status is status and printer.class_status["paper"] == paper
    assert sim.receipts == []  # nothing was sent, nothing lost


def test_recovers_when_paper_is_loaded(sim, printer):
    sim.cmd_set_paper("out")
    assert printer.print_document("pickup", sample("pickup")).result(10).code is ResultCode.DEVICE_NOT_READY
    sim.cmd_set_paper("ok")
    assert printer.print_document("pickup", sample("pickup")).result(10).ok
    assert printer.status is DeviceStatus.ONLINE and printer.class_status["paper"] == "ok"


def test_paper_running_out_mid_receipt_is_reported(sim, printer):
    sim.cmd_set_paper("out", after_lines=6)
    done = printer.print_document("application", APP).result(10)
    assert done.code is ResultCode.DEVICE_NOT_READY
    assert "while printing" in done.detail and "incomplete" in done.detail
    assert done.data["fallback"]["qr"] == QR
    (r,) = sim.wait_receipts(1)
    assert r.lost == "paper out" and len(r.lines) == 6 and r.qr == [] and r.cut is None


def test_check_status_command(sim, printer):
    sim.cmd_jam(True)
    snap = printer.check_status().result(5).data
    assert (snap["status"], snap["paper"]) == ("hardware_error", "jammed")
    sim.cmd_jam(False)
    assert printer.check_status().result(5).data["status"] == "online"


@pytest.mark.parametrize(
    "replies, expected",
    [
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}, PrinterState(True, "ok")),
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E}, PrinterState(True, "low")),
        ({1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E}, PrinterState(False, "out")),
        ({1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12}, PrinterState(False, "jammed", jammed=True)),
        ({1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12}, PrinterState(False, "ok", cover_open=True)),
        ({1: 0x12}, PrinterState(True, "unknown")),
    ],
)
def test_status_bytes_decode(replies, expected):
    assert decode(replies) == expected


def test_status_byte_noise_is_rejected():
    with pytest.raises(StatusByteError, match="not a status byte"):
        decode({1: 0x00})


def test_background_poll_notices_recovery_without_printing(sim, open_printer):
    p = open_printer(f"tcp://{sim.address}?poll=0.1", status_timeout_s=0.5)
    sim.cmd_set_paper("out")
    assert p.check_status().result(5).data["paper"] == "out"
    sim.cmd_set_paper("ok")
    deadline = time.monotonic() + 5
    while p.status is not DeviceStatus.ONLINE and time.monotonic() < deadline:
        time.sleep(0.02)
    assert p.status is DeviceStatus.ONLINE and p.class_status["paper"] == "ok"
    assert sim.receipts == []


def test_status_is_answered_while_the_simulator_draws_the_png(sim, open_printer, monkeypatch):
    """A real printer answers DLE EOT at once while it prints. The simulator draws each PNG off
    the connection's thread, so a slow render (a loaded CI machine) never looks like a silent
    printer to the status read after the job."""
    import hw_sim.escpos_printer as sim_module

    real_save = sim_module.save_png

    def slow_save(receipt, path):
        time.sleep(2.0)
        real_save(receipt, path)

    monkeypatch.setattr(sim_module, "save_png", slow_save)
    p = open_printer(f"tcp://{sim.address}", status_timeout_s=0.3)
    for kind in ("pickup", "deposit_slip"):
        done = p.print_document(kind, sample(kind)).result(10)
        assert done.ok, done.detail
    first, second = sim.wait_receipts(2, timeout=15)
    assert first.texts[1] == "取件回执" and second.qr == [f"CASE:{sample('deposit_slip')['case_number']}"]
    assert first.png.endswith("receipt-0001.png") and second.png.endswith("receipt-0002.png")


@pytest.mark.parametrize("s3, problem", [(0x32, "unrecoverable printer error"),
                                         (0x52, "print head overheated (recovers by itself)")])
def test_an_error_bit_stops_printing_even_when_the_online_bit_says_online(s3, problem):
    state = decode({1: 0x12, 2: 0x12, 3: s3, 4: 0x12})
    assert state.online and not state.ready and state.problem() == problem
