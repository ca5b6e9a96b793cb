"""Fixtures for the printer tests: a simulated ESC/POS printer on a free TCP port and real
python-escpos backends pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hw_sim.escpos_printer import PrinterSim
from kiosk.devices.registry import create_device

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[PrinterSim]:
    s = PrinterSim(port=0, out_dir=tmp_path / "receipts")
    s.start()
    yield s
    s.close()


@pytest.fixture
def open_printer():
    made = []

    def make(url: str, **kw):
        p = create_device("printer", url, **kw)
        p.open()
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


@pytest.fixture
def printer(sim: PrinterSim, open_printer):
    return open_printer(f"tcp://{sim.address}", status_timeout_s=0.5)
