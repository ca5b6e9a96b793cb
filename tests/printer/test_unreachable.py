"""Absent, unreachable, silent and restarted printers, and the other backends (file, serial on a
pty, usb, cups): open never raises, printing says what is wrong."""

from __future__ import annotations

import sys

import socket
import threading

import pytest

from hw_sim.escpos.parser import EscposParser
from kiosk.devices.base import DeviceStatus, ResultCode
from kiosk.devices.printer.samples import sample
from kiosk.devices.registry import create_device


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_network_printer(open_printer):
    p = open_printer(f"tcp://127.0.0.1:{_free_port()}", connect_timeout_s=1.0)
    assert p.status is DeviceStatus.OFFLINE and "Connection refused" in p.snapshot()["detail"]
    done = p.print_document("application", sample("application")).result(10)
    assert done.code is ResultCode.DEVICE_NOT_READY and "Connection refused" in done.detail
    assert done.data["fallback"]["qr"] == sample("application")["query_url"]


def test_printer_restart_is_survived(sim, printer):
    assert printer.print_document("pickup", sample("pickup")).result(10).ok
    sim.drop_connections()  # power cycle: the old TCP connection is dead
    assert printer.print_document("pickup", sample("pickup")).result(10).ok
    assert len(sim.wait_receipts(2)) == 2 and sim.connections == 2


def test_printer_switched_off_between_jobs(sim, printer):
    assert printer.print_document("pickup", sample("pickup")).result(10).ok
    sim.close()
    done = printer.print_document("pickup", sample("pickup")).result(10)
    assert done.code is ResultCode.DEVICE_NOT_READY
    assert printer.status is DeviceStatus.OFFLINE


@pytest.fixture
def silent_printer():
    """A real TCP peer that swallows everything and never answers a status request."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    conns = []

    def run():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            conns.append(c)

    threading.Thread(target=run, daemon=True).start()
    yield srv.getsockname()[1]
    srv.close()
    for c in conns:
        c.close()


def test_printer_that_never_answers_status(silent_printer, open_printer):
    p = open_printer(f"tcp://127.0.0.1:{silent_printer}", status_timeout_s=0.3)
    assert p.status is DeviceStatus.OFFLINE and "did not answer" in p.snapshot()["detail"]
    done = p.print_document("pickup", sample("pickup")).result(10)
    assert done.code is ResultCode.DEVICE_NOT_READY and "did not answer the status request" in done.detail


def test_status_not_required_prints_blind(silent_printer, open_printer):
    p = open_printer(f"tcp://127.0.0.1:{silent_printer}?require_status=0", status_timeout_s=0.2)
    assert p.status is DeviceStatus.ONLINE and p.class_status["paper"] == "unknown"
    assert p.print_document("pickup", sample("pickup")).result(10).ok


def test_garbled_status_reply(open_printer):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def run():
        c, _ = srv.accept()
        c.recv(64)
        c.sendall(b"\xff\x00\xff\x00")
        c.recv(64)

    threading.Thread(target=run, daemon=True).start()
    p = open_printer(f"tcp://127.0.0.1:{srv.getsockname()[1]}", status_timeout_s=0.5)
    srv.close()
    assert p.status is DeviceStatus.HARDWARE_ERROR and "garbled status reply" in p.snapshot()["detail"]


def test_file_backend_writes_the_job(tmp_path, open_printer):
    out = tmp_path / "lp0"
    p = open_printer(f"file://{out}")
    assert p.status is DeviceStatus.ONLINE and p.class_status["paper"] == "unknown"
    assert "paper_status" not in p.capabilities
    done = p.print_document("pickup", sample("pickup")).result(10)
    assert done.ok
    p.close()
    parser = EscposParser()
    parser.feed(out.read_bytes())
    parser.close()
    assert parser.receipts[0].texts[1] == "取件回执" and parser.receipts[0].cut == "full"


def test_missing_device_files(open_printer):
    assert open_printer("file:///nonexistent/usb/lp0").status is DeviceStatus.NO_DEVICE
    p = open_printer("serial:///dev/ttyNOPE9?baud=9600")
    assert p.status is DeviceStatus.NO_DEVICE
    assert p.print_document("pickup", sample("pickup")).result(10).code is ResultCode.DEVICE_NOT_READY


def test_usb_printer_absent(open_printer):
    p = open_printer("usb://04b8:0e28")
    assert p.status is DeviceStatus.NO_DEVICE
    assert p.print_document("pickup", sample("pickup")).result(10).code is ResultCode.DEVICE_NOT_READY


def test_cups_without_cups(open_printer, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # no lp command
    monkeypatch.setitem(sys.modules, "cups", None)  # and no pycups (it is installed for the A4 printer)
    pytest.importorskip("escpos")
    p = open_printer("cups://receipts")
    assert p.status is DeviceStatus.NO_DEVICE and "pycups or the lp command" in p.snapshot()["detail"]


@pytest.mark.parametrize("url", ["usb://zz", "tcp://", "tcp://:9100", "serial://", "file://"])
def test_bad_urls_are_config_errors(url):
    with pytest.raises(ValueError):
        create_device("printer", url)


def test_serial_printer_on_a_pty(sim, open_printer):
    path = sim.start_serial(baud=115200)
    p = open_printer(f"serial://{path}?baud=115200", status_timeout_s=0.5)
    assert p.status is DeviceStatus.ONLINE and p.class_status["paper"] == "ok"
    sim.cmd_set_paper("low")
    done = p.print_document("application", sample("application")).result(10)
    assert done.ok and done.data["paper"] == "low"
    assert sim.wait_receipts(1)[0].qr == [sample("application")["query_url"]]
    sim.cmd_set_paper("out")
    assert p.print_document("pickup", sample("pickup")).result(10).code is ResultCode.DEVICE_NOT_READY


def test_slow_serial_line_allows_for_the_job_transmission_time(sim, open_printer):
    """At 38400 baud a 3 KB receipt takes ~0.8 s on the wire; the status query after it queues
    behind the job and must not be mistaken for a silent printer."""
    path = sim.start_serial(baud=38400)
    p = open_printer(f"serial://{path}?baud=38400", status_timeout_s=0.5)
    done = p.print_document("pickup", sample("pickup")).result(15)
    assert done.ok, done.detail
    assert sim.wait_receipts(1)[0].cut == "full"


def test_cups_lp_queue_gets_exactly_one_job_per_receipt(open_printer, monkeypatch, tmp_path):
    """Through the `lp` command (no pycups) each receipt is one job. A stand-in `lp` (a real
    executable on PATH that spools stdin to a file, as CUPS would) shows that no spare `lp` is
    left waiting, after opening or after a job: closing it would submit a blank job (a stray
    line feed)."""
    import os
    import shutil as _shutil

    bin_dir, spool = tmp_path / "bin", tmp_path / "spool"
    bin_dir.mkdir()
    spool.mkdir()
    (bin_dir / "lpstat").write_text(
        "#!/bin/sh\n"
        'case "$1" in -e) echo receipts ;; -v) echo "device for receipts: socket://127.0.0.1:9100" ;; esac\n')
    (bin_dir / "lp").write_text(f"#!/bin/sh\ncat > \"$(mktemp {spool}/job-XXXXXX)\"\n")
    for f in ("lp", "lpstat"):
        os.chmod(bin_dir / f, 0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.path.dirname(_shutil.which('cat'))}")
    monkeypatch.setitem(sys.modules, "cups", None)  # the lp path: as where pycups is not installed

    idle = open_printer("cups://receipts")  # opened and closed without printing: no job at all
    assert idle.status is DeviceStatus.ONLINE
    idle.close()
    assert list(spool.iterdir()) == []
    missing = open_printer("cups://nosuchqueue")
    assert missing.status is DeviceStatus.NO_DEVICE and "no CUPS queue 'nosuchqueue'" in missing.snapshot()["detail"]

    p = open_printer("cups://receipts")
    assert p.status is DeviceStatus.ONLINE and p.class_status["paper"] == "unknown"
    for kind in ("pickup", "deposit_slip"):
        assert p.print_document(kind, sample(kind)).result(10).ok
    p.close()
    jobs = [f.read_bytes() for f in spool.iterdir()]
    assert len(jobs) == 2 and all(j.startswith(b"\x1b@\x1c&") for j in jobs), [j[:20] for j in jobs]
