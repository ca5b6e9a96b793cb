"""The soak: many visits of every kind on the simulated station's services and instant devices,
a compressed clock, random faults and kill -9 restarts, then the invariants
(`kiosk soak`, reached through kiosk.simulation; `make soak`).

    from hw_sim.soak import run_soak, FAULTS
    result = run_soak(visits=1000, seed=1, faults=("kill9", "clock_step"), root=Path("/tmp/soak"))
"""

from hw_sim.soak.faults import FAULTS, FaultError, parse_faults
from hw_sim.soak.run import SoakResult, run_soak

__all__ = ["FAULTS", "FaultError", "SoakResult", "parse_faults", "run_soak"]
