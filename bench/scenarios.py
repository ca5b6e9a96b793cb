"""Station overhead per scripted visit: every scenario of `kiosk scenario --list` run on the real
Station (flows, services on SQLite, cabinet service, simulated back office) with INSTANT
in-memory devices, so what is measured is the station's own machine time, not card reads, face
checks or baud rates. Goal: <= 1 s per scenario.

    .venv/bin/python -m bench.scenarios [--repeat 5] [--sim]

Columns: wall ms (median and min of `--repeat` runs after one warm-up run), CPU ms of the
process (median; includes the back office and service threads), and the number of states.
`--sim` adds one run of each scenario on the simulated station (real drivers over ptys, TCP and
MJPEG; face checks with liveness) for comparison — it takes minutes, not seconds.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time

from bench._report import write


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench.scenarios")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sim", action="store_true", help="also one run of each on the simulated station")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    from kiosk.config import load_config
    from hw_sim.station.instant import start_instant_station
    from kiosk.scenarios.library import SCENARIOS
    from kiosk.scenarios.runner import ScenarioRunner

    config = load_config("config/sim.toml")
    rows = []
    starts = []
    for name, sc in SCENARIOS.items():
        # a fresh station per run: repeated visits of one person would otherwise find the
        # results earlier runs left in the cabinet (and fill it); the first run warms up
        walls, cpus, outcomes = [], [], set()
        states = 0
        for i in range(args.repeat + 1):
            t0 = time.perf_counter()
            station, controls, clock = start_instant_station(config, root=tempfile.mkdtemp(prefix="bench-scenarios-"))
            starts.append((time.perf_counter() - t0) * 1000)
            try:
                c0 = time.process_time()
                res = ScenarioRunner(station, controls, clock).run(sc)
                cpu = (time.process_time() - c0) * 1000
            finally:
                station.close()
            if i == 0:
                continue
            cpus.append(cpu)
            walls.append(res["ms"])
            outcomes.add(res["outcome"])
            states = len(res["states"])
        rows.append({"scenario": name, "outcome": ",".join(sorted(map(str, outcomes))),
                     "ok": outcomes == {sc.expect}, "median_ms": statistics.median(walls), "min_ms": min(walls),
                     "cpu_ms": statistics.median(cpus), "states": states})
    start_ms = statistics.median(starts)
    columns = ["scenario", "outcome", "ok", "median_ms", "min_ms", "cpu_ms", "states"]
    if args.sim:
        _sim_rows(rows, config)
        columns.append("sim_ms")
    worst = max(r["median_ms"] for r in rows)
    write("scenarios", rows, columns, devices="instant (in-memory interfaces)", repeat=args.repeat,
          station_start_ms=round(start_ms, 1), worst_median_ms=round(worst, 1), goal_ms=1000,
          goal_met=worst <= 1000, all_expected_outcomes=all(r["ok"] for r in rows))
    return 0 if all(r["ok"] for r in rows) else 1


def _sim_rows(rows: list[dict], config: object) -> None:
    from kiosk.scenarios.clock import OffsetClock
    from hw_sim.station.controls import SimControls
    from kiosk.scenarios.library import SCENARIOS
    from kiosk.scenarios.runner import ScenarioRunner
    from hw_sim.station.simulated import start_sim_station, stop_sim_station

    clock = OffsetClock()
    station, hub = start_sim_station(config, root=tempfile.mkdtemp(prefix="bench-sim-"), clock=clock)
    try:
        runner = ScenarioRunner(station, SimControls(hub, station), clock)
        by_name = {r["scenario"]: r for r in rows}
        for name, sc in SCENARIOS.items():
            res = runner.run(sc)
            by_name[name]["sim_ms"] = res["ms"] if res["ok"] else f"{res['ms']:.0f} ({res['outcome']})"
    finally:
        stop_sim_station(station, hub)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
