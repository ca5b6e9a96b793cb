"""Station wiring for the cabinet: device + service, with the emulated boards when the URL asks.

    wired = wire_cabinet(cfg.cabinet, store, audit, outbox=outbox, clock=clock, hub=hub)
    wired.service.reserve(...); wired.device.status; ...; wired.close()

When the cabinet URL contains `{sim}` (a developer's config), the board emulator is started in this
process, `{sim}` is replaced by its port path and the emulator is added to `hub` (the simulator
control API). For `kiosk cabinet ... --config` with a `{sim}` cabinet URL (a developer's shortcut);
the station itself is wired by kiosk/assembly.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SIM_PLACEHOLDER = "{sim}"


def needs_sim(url: str) -> bool:
    return SIM_PLACEHOLDER in url


def start_board_sim(cabinet_config: Any, **kw: Any) -> tuple[Any, str]:
    """Start `hw_sim.locker_board.LockerBoardSim` for this `[cabinet]` config in this process.
    Returns (simulator, device URL with `{sim}` replaced by the simulator's port path)."""
    from hw_sim.locker_board import LockerBoardSim

    sim = LockerBoardSim.from_config(cabinet_config, **kw)
    path = sim.start()
    return sim, cabinet_config.url.replace(SIM_PLACEHOLDER, path)


@dataclass
class WiredCabinet:
    device: Any  # kiosk.devices.cabinet.boards.BoardsCabinet
    service: Any  # kiosk.services.cabinet.CabinetService
    sim: Any = None  # hw_sim.locker_board.LockerBoardSim when simulated
    report: Any = None  # the start-up ReconcileReport

    def close(self) -> None:
        self.device.close()
        if self.sim is not None:
            self.sim.close()


def wire_cabinet(cabinet_config: Any, store: Any, audit: Any = None, *, outbox: Any = "auto", clock: Any = None,
                 hub: Any = None, start: bool = True) -> WiredCabinet:
    """Build the cabinet device (+ emulator if `{sim}`) and the service; with `start`, open the
    device and run the service's start-up (map sync, event subscription, reconciliation)."""
    from kiosk.devices.registry import create_device
    from kiosk.services.cabinet import CabinetService

    sim = None
    url = cabinet_config.url
    if needs_sim(url):
        sim, url = start_board_sim(cabinet_config)
        if hub is not None:
            hub.add(sim)
    try:
        device = create_device("cabinet", url, config=cabinet_config)
        kw: dict[str, Any] = {} if outbox == "auto" else {"outbox": outbox}
        service = CabinetService(store, device, cabinet_config, audit, clock=clock, **kw)
    except BaseException:
        if sim is not None:  # its pty and thread would outlive the failed wiring
            sim.close()
        raise
    wired = WiredCabinet(device, service, sim)
    if start:
        device.open()
        wired.report = service.start()
    return wired
