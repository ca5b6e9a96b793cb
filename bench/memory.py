"""Station memory across many visits: does the station process keep growing (a leak) or settle?

Every scripted visit (as `make run` plays them, passports aside) is played round after round on
one simulated station (real drivers, OCR and face models, no window); after each round the
process's resident size is read as it is, after a garbage collection, and after `malloc_trim(0)`
returns freed heap pages to the system (what stays after the trim is memory still held).
The anchor is the station just started, and the first round: a leak shows as growth from round
to round after the first; caches and model arenas show as one step in round 1. After each round
the station is left idle for a minute (its clock moved), when it returns freed memory itself.

    .venv/bin/python -m bench.memory [--rounds 4]

Columns: round, visits as expected, RSS MB (as is / after the trim), Python objects, threads,
open file descriptors, and the object types that grew most since round 1.
"""

from __future__ import annotations

import argparse
import collections
import gc
import logging
import os
import sys
import tempfile
import time
from typing import Any

from bench._report import write
from kiosk.core.memory import release_freed_memory, resident_mb


def _wait_for_trim(timeout: float = 10.0) -> None:
    import threading

    deadline = time.monotonic() + timeout
    while any(t.name == "malloc-trim" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)


def _types() -> collections.Counter[str]:
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


def _sample(label: str, ok: str, base_types: collections.Counter[str] | None) -> tuple[dict[str, Any], collections.Counter[str]]:
    as_is = resident_mb()
    gc.collect()
    release_freed_memory()
    types = _types()
    grew = ""
    if base_types is not None:
        diff = (types - base_types).most_common(4)
        grew = ", ".join(f"{name} +{n}" for name, n in diff)
    row = {"round": label, "visits_ok": ok, "rss_mb": round(as_is, 1), "rss_trimmed_mb": round(resident_mb(), 1),
           "objects": sum(types.values()), "threads": len(os.listdir("/proc/self/task")),
           "fds": len(os.listdir("/proc/self/fd")), "grew_most": grew}
    return row, types


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench.memory")
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    from hw_sim.station.controls import SimControls
    from hw_sim.station.simulated import start_sim_station, stop_sim_station
    from kiosk.config import load_config
    from kiosk.scenarios.clock import OffsetClock
    from kiosk.scenarios.library import INSTANT_ONLY, SCENARIOS
    from kiosk.scenarios.runner import ScenarioRunner

    visits = [sc for name, sc in SCENARIOS.items() if name not in INSTANT_ONLY and not name.startswith("passport")]
    before = resident_mb()
    clock = OffsetClock()
    station, hub = start_sim_station(load_config("config/sim.toml"), root=tempfile.mkdtemp(prefix="bench-memory-"),
                                     clock=clock)
    rows: list[dict[str, Any]] = []
    try:
        row, _ = _sample("started", "", None)
        rows.append(row)
        runner = ScenarioRunner(station, SimControls(hub, station), clock)
        base: collections.Counter[str] | None = None
        t0 = time.perf_counter()
        for r in range(1, args.rounds + 1):
            ok = sum(1 for sc in visits if runner.run(sc)["ok"])
            station.tick()  # the station sees the last visit ended ...
            clock.advance(station.IDLE_TRIM_S + 1)  # ... and stays idle for a minute (ADR 0288)
            station.tick()
            _wait_for_trim()
            row, types = _sample(str(r), f"{ok}/{len(visits)}", base)
            base = base if base is not None else types
            rows.append(row)
            print(f"round {r}: {row['rss_mb']} MB ({row['rss_trimmed_mb']} MB trimmed), {ok}/{len(visits)} ok",
                  file=sys.stderr, flush=True)
        seconds = time.perf_counter() - t0
    finally:
        stop_sim_station(station, hub)
    first, last = rows[1], rows[-1]
    per_round = (last["rss_trimmed_mb"] - first["rss_trimmed_mb"]) / max(1, len(rows) - 2)
    write("memory", rows, ["round", "visits_ok", "rss_mb", "rss_trimmed_mb", "objects", "threads", "fds", "grew_most"],
          python_before_station_mb=round(before, 1), visits_per_round=len(visits), rounds=args.rounds,
          seconds=round(seconds, 1), growth_per_round_after_first_mb=round(per_round, 1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
