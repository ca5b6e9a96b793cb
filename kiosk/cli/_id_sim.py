"""`kiosk id read --url sim`: start a SAM module simulator in this process (the one place the id
CLI touches hw_sim; the module name says so) and return its `sam://` URL."""

from __future__ import annotations

from typing import Any


def start_sam_sim(identity: str) -> tuple[str, Any]:
    from kiosk import simulation
    SAMPLE_IDENTITIES = simulation.SAMPLE_IDENTITIES
    SamModuleSim = simulation.SamModuleSim

    if identity not in SAMPLE_IDENTITIES:
        raise ValueError(f"no sample identity {identity!r} (have: {', '.join(SAMPLE_IDENTITIES)})")
    sim = SamModuleSim(identity=identity)
    path = sim.start()
    return f"sam://{path}?baud=115200", sim
