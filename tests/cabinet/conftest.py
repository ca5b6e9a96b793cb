"""Fixtures of the cabinet tests: emulated boards on a real pty, a bus, a device, a service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hw_sim.locker_board import LockerBoardSim
from kiosk.config.cabinet import CabinetConfig
from locker_firmware_bridge import BoardSettings, LockerBus


@pytest.fixture
def sim() -> Iterator[LockerBoardSim]:
    s = LockerBoardSim("8a80", "1:24,2:8", baud=9600)
    s.start()
    yield s
    s.close()


@pytest.fixture
def ksim() -> Iterator[LockerBoardSim]:
    s = LockerBoardSim("kerong-cu", "0:16,3:12", baud=19200)
    s.start()
    yield s
    s.close()


def make_bus(path: str, protocol: str = "8a80", boards: list[BoardSettings] | None = None, **kw: object) -> LockerBus:
    kw.setdefault("reply_timeout_s", 0.1)
    kw.setdefault("reconnect_cooldown_s", 0.2)
    bus = LockerBus.create(path, protocol, boards or [BoardSettings(1, 24), BoardSettings(2, 8)], **kw)
    bus.link.open()
    return bus


@pytest.fixture
def bus(sim: LockerBoardSim) -> Iterator[LockerBus]:
    b = make_bus(sim.path)
    yield b
    b.close()


def small_cabinet_config(url: str = "serial://{sim}?protocol=8a80&baud=9600", **timing: object) -> CabinetConfig:
    """Board 1 (8 locks): A01-A03 S, A04-A05 M, A06 L; board 2 (8 locks): B01 M."""
    sizes = ["S", "S", "S", "M", "M", "L"]
    return CabinetConfig(
        url=url,
        boards=[{"address": 1, "locks": 8}, {"address": 2, "locks": 8}],
        compartments=[{"id": f"A0{i + 1}", "board": 1, "lock": i + 1, "size": s} for i, s in enumerate(sizes)]
        + [{"id": "B01", "board": 2, "lock": 1, "size": "M"}],
        **{"poll_interval_s": 0.05, "not_opened_after_s": 0.5, "left_open_after_s": 0.5,
           "unknown_after_failed_polls": 2, "open_pacing_s": 0.05, "reply_timeout_s": 0.1,
           "reconnect_cooldown_s": 0.2, **timing},
    )
