"""The soak's runner: plays `visits` visits chosen at random from the visit registry, applies the
chosen faults, and for `kill9` forks a station process that plays a few visits and SIGKILLs itself
at a random SQL statement; the station then restarts (reconciliation) in this process. The soak's
own back office drains and acknowledges the outbox as it goes. At the end: staff round,
reconciliation, the invariants."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import random
import signal
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hw_sim.soak.faults import FAULTS
from hw_sim.soak.invariants import Invariants, check
from hw_sim.soak.office import SoakOffice
from hw_sim.soak.station import Outside, SoakStation
from hw_sim.soak.visits import VISITS, staff_round
from kiosk.core.clock import FakeClock
from kiosk.core.memory import resident_mb

KILL_SEGMENT_VISITS = 20  # visits a killed station process gets to play
KILL_AT_STATEMENT = (1, 400)
DRAIN_EVERY = 25  # visits between two back-office round trips
RESTART_GAP_S = 600.0


class Counters(ctypes.Structure):
    """Shared with the forked station processes (they die by SIGKILL: no way to report back)."""

    _fields_ = [("visits", ctypes.c_long), ("bus_opens_without_intent", ctypes.c_long)]


@dataclass
class SoakResult:
    visits: int
    wrong_door_opens: int
    double_releases: int
    lost_events: int
    lost_items: int
    unflagged_stuck: int
    rss_mb_start: float
    rss_mb_end: float
    ms: int
    seed: int
    faults: list[str]
    kills: int
    restarts: int
    events_received: int
    rss_mb_peak: float
    rss_mb_warm: float  # after the first tenth of the visits: SQLite's page caches are full by then

    @property
    def failed(self) -> list[str]:
        return [k for k in ("wrong_door_opens", "double_releases", "lost_events", "lost_items", "unflagged_stuck")
                if getattr(self, k)]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _visit(station: SoakStation, rng: random.Random, faults: tuple[str, ...]) -> None:
    station.clock.advance(rng.uniform(5, 120))
    station.tick_faults()
    for name in faults:
        fault = FAULTS[name]
        if rng.random() < fault.chance:
            fault.apply(station)
    VISITS[rng.choice(_KINDS)](station)


_KINDS = tuple(VISITS)


def _segment(root: str, seed: int, faults: tuple[str, ...], kill_at: int, wall: float, counters: Any,
             outside: Outside) -> None:
    """A station process that plays a few visits and SIGKILLs itself at SQL statement `kill_at`."""
    rng = random.Random(seed)
    station = SoakStation(Path(root), rng, FakeClock(datetime.fromtimestamp(wall, timezone.utc)), outside,
                          counters)
    n = 0

    def trace(_sql: str) -> None:
        nonlocal n
        n += 1
        if n == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    station.store.conn.set_trace_callback(trace)
    for _ in range(KILL_SEGMENT_VISITS):
        counters.visits += 1
        _visit(station, rng, faults)
    station.close()


def run_soak(visits: int, seed: int, faults: tuple[str, ...], root: Path, progress: Any = None) -> SoakResult:
    """Play `visits` visits; `progress(done, rss_mb)` is called now and then (for long runs)."""
    t0 = time.monotonic()
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    ctx = multiprocessing.get_context("fork")
    counters = ctx.Value(Counters, lock=False)
    clock = FakeClock()
    outside = Outside()
    office = SoakOffice(root / "office.db")
    station = SoakStation(root, rng, clock, outside, counters)
    rss_start = peak = round(resident_mb(), 1)
    kills = restarts = 0
    next_report = 0
    warm_at, rss_warm = max(1, visits // 10), 0.0
    while counters.visits < visits:
        if "kill9" in faults and rng.random() < FAULTS["kill9"].chance:
            office.drain(station.outbox)
            station.close()
            p = ctx.Process(target=_segment, args=(str(root), rng.randrange(10**9), faults,
                                                   rng.randint(*KILL_AT_STATEMENT), clock.now().timestamp(),
                                                   counters, outside))
            p.start()
            p.join()
            kills += p.exitcode == -signal.SIGKILL
            restarts += 1
            clock.advance(RESTART_GAP_S)
            outside.sms.clear()  # the phones' codes may have been replaced by the dead process: ask again
            station = SoakStation(root, rng, clock, outside, counters)
            continue
        counters.visits += 1
        _visit(station, rng, faults)
        if counters.visits % DRAIN_EVERY == 0:
            office.drain(station.outbox)
        if not rss_warm and counters.visits >= warm_at:
            rss_warm = round(resident_mb(), 1)
        if counters.visits >= next_report:
            peak = max(peak, round(resident_mb(), 1))
            if progress is not None:
                progress(counters.visits, peak)
            next_report = counters.visits + max(1000, visits // 100)
    for name, (_, toggle) in list(station.active.items()):
        toggle(False)
    station.active.clear()
    staff_round(station)
    station.cabinet_service.reconcile(0.01)
    office.drain(station.outbox)
    found: Invariants = check(station.store, str(office.path), counters.bus_opens_without_intent, office.gaps)
    station.close()
    office.close()
    end = round(resident_mb(), 1)
    return SoakResult(visits=counters.visits, **asdict(found), rss_mb_start=rss_start, rss_mb_end=end,
                      ms=round((time.monotonic() - t0) * 1000), seed=seed, faults=list(faults), kills=kills,
                      restarts=restarts, events_received=office.received, rss_mb_peak=max(peak, end), rss_mb_warm=rss_warm or end)
