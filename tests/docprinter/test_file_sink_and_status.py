"""The file:// PDF sink backend and the IPP state -> status mapping."""

from __future__ import annotations

import pytest

from kiosk.devices.base import ResultCode
from kiosk.devices.docprinter.ipp_status import printer_state
from kiosk.devices.registry import create_device


def test_file_sink_prints_counts_and_faults(tmp_path, certificate):
    p = create_device("docprinter", f"file://{tmp_path}", name="docprinter")
    p.open()
    try:
        c = p.print_pdf(certificate, "certificate-SH01").result(10)
        assert c.ok and c.data.pages == 2 and c.data.output.endswith("certificate-SH01-job_1.pdf")
        assert not list(tmp_path.glob("*.part"))
        (tmp_path / ".status").write_text("jam")
        c = p.print_pdf(certificate, "certificate-SH02").result(10)
        assert c.code is ResultCode.DEVICE_NOT_READY and c.data.reason == "jammed"
        assert p.class_status["paper"] == "jammed"
        assert p.print_pdf(b"nope", "x").result(10).code is ResultCode.INVALID_DATA
    finally:
        p.close()
    gone = create_device("docprinter", f"file://{tmp_path}/missing", name="docprinter")
    gone.open()
    assert str(gone.status) == "no_device"
    gone.close()


@pytest.mark.parametrize("attrs, status, paper, toner, blocked", [
    ({"printer-state": 3, "printer-state-reasons": ["none"]}, "online", "ok", "unknown", None),
    ({"printer-state": 4, "printer-state-reasons": ["none"], "marker-levels": [50]}, "busy", "ok", "ok", None),
    ({"printer-state": 5, "printer-state-reasons": ["media-empty-error", "paused"]}, "hardware_error", "out",
     "unknown", "paper_out"),
    ({"printer-state": 3, "printer-state-reasons": ["media-needed-warning"]}, "hardware_error", "out", "unknown",
     "paper_out"),
    ({"printer-state": 5, "printer-state-reasons": ["media-jam-error"]}, "hardware_error", "jammed", "unknown", "jammed"),
    ({"printer-state": 3, "printer-state-reasons": ["media-low-report"], "marker-levels": [5]}, "online", "low", "low",
     None),
    ({"printer-state": 3, "printer-state-reasons": ["none"], "marker-levels": [0]}, "hardware_error", "ok", "out",
     "toner_out"),
    ({"printer-state": 3, "printer-state-reasons": ["offline-report"]}, "offline", "ok", "unknown", "offline"),
    ({"printer-state": 5, "printer-state-reasons": ["paused"]}, "hardware_error", "ok", "unknown", "stopped"),
    ({"printer-state": 3, "printer-state-reasons": ["none"], "printer-is-accepting-jobs": False}, "hardware_error",
     "ok", "unknown", "stopped"),
])
def test_ipp_state_mapping(attrs, status, paper, toner, blocked):
    st = printer_state(attrs)
    assert (st.status, st.paper, st.toner, st.blocked) == (status, paper, toner, blocked)


def test_simulated_station_falls_back_to_the_pdf_sink_without_cups(tmp_path, monkeypatch, caplog):
    """Where no private CUPS can run (here: no cupsd on PATH), the simulated station prints to
    file://OUT/certificates and says so in the log."""
    from hw_sim.control import ControlHub
    from kiosk.config.devices import DocPrinterConfig
    from hw_sim.station.simulators import start_docprinter_sim

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    hub = ControlHub()
    try:
        urls = start_docprinter_sim(DocPrinterConfig(url="cups://A4?server={sim}"), hub, tmp_path / "certs")
    finally:
        hub.close()
    assert urls == {"docprinter": f"file://{tmp_path / 'certs'}"}
    assert "printing certificates to file://" in caplog.text
