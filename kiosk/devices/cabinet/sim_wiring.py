"""Simulated-station wiring for the cabinet: start the emulated boards and point the URL at them.

Only this module (and other `*sim*`/`*wiring*` modules) may import `hw_sim` from `kiosk`.
"""

from __future__ import annotations

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
