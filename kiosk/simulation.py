"""The one place kiosk/ reaches hw_sim: the simulated station's far side, for the developer
commands that bring up or drive a station on simulators (`kiosk run` on a simulated config and
its headless scenario player, `kiosk scenario`, the simulator panel, `kiosk id read --sim`,
`kiosk fleet sim`, `kiosk cabinet` on `{sim}`, `kiosk soak`). The station itself never imports this: it is
built from device URLs, and a simulated station's URLs point at simulators running in their own
process (hw_sim/station/serve.py).

Names are looked up lazily, so importing kiosk never imports hw_sim.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "start_sim_station": "hw_sim.station.simulated",
    "stop_sim_station": "hw_sim.station.simulated",
    "enrol_sample_staff": "hw_sim.station.simulated",
    "prepare_sim_root": "hw_sim.station.simulated",
    "SimProcess": "hw_sim.station.process",
    "SimControls": "hw_sim.station.controls",
    "start_instant_station": "hw_sim.station.instant",
    "SimBackOffice": "hw_sim.backoffice",
    "ControlClient": "hw_sim.control",
    "ControlError": "hw_sim.control",
    "SAMPLE_IDENTITIES": "hw_sim.identities",
    "SamModuleSim": "hw_sim.sam_module",
    "LockerBoardSim": "hw_sim.locker_board",
    "MqttBackOfficeSim": "hw_sim.backoffice_mqtt",
    "FleetSim": "hw_sim.fleet_sim",
    "station_ids": "hw_sim.fleet_sim",
    "LocalBroker": "hw_sim.broker",
    "wire_cabinet": "hw_sim.station.cabinet_wiring",
    "run_soak": "hw_sim.soak",
    "parse_soak_faults": "hw_sim.soak",
    "SoakFaultError": "hw_sim.soak",
    "SOAK_FAULTS": "hw_sim.soak",
}
_ALIAS = {"parse_soak_faults": "parse_faults", "SoakFaultError": "FaultError", "SOAK_FAULTS": "FAULTS"}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"kiosk.simulation has no {name!r} (have: {', '.join(sorted(_WHERE))})")
    return getattr(importlib.import_module(module), _ALIAS.get(name, name))
