"""The station builds its printer from the config: receipts carry the configured station name."""

from __future__ import annotations

from kiosk.config import load_config
from kiosk.devices.registry import create_device
from kiosk.station import device_plan


def test_receipts_name_the_configured_station(sim_config_path, tmp_path):
    from hw_sim.escpos_printer import PrinterSim

    sim = PrinterSim(port=0, out_dir=tmp_path)
    address = sim.start()
    try:
        cfg = load_config(sim_config_path)
        cls, url, kwargs = device_plan(cfg, {"printer": f"tcp://{address}"})["printer"]
        printer = create_device(cls, url, name="printer", **kwargs)
        printer.open()
        try:
            done = printer.print_document("test_page", {"printed_at": "2026-11-22T10:30:00+08:00"}, lang="zh").result(20)
            assert done.ok, done.detail
            (receipt,) = sim.wait_receipts(1, timeout=10)
            text = "".join(receipt.texts)
            # the name wraps on 80 mm paper, so compare without line breaks or spaces
            assert cfg.station.name_zh.replace(" ", "")[:12] in text.replace(" ", "")
        finally:
            printer.close()
    finally:
        sim.close()
