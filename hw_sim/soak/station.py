"""The soak's station: the station's own services (cabinet with its intent journal, cases,
pickup codes, outbox, audit) on one SQLite file, the simulated station's instant cabinet and
receipt printer (hw_sim.station.instant), and a compressed clock. One object per station process
life: the kill -9 runner builds a new one after each restart, as a real station restarts."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from hw_sim.station.instant import InstantCabinet, InstantPrinter
from kiosk.config.cabinet import CabinetConfig
from kiosk.core.clock import FakeClock
from kiosk.services.audit import AuditLog
from kiosk.services.cabinet import CabinetService
from kiosk.services.cases import CaseStore
from kiosk.services.keyed_hash import KeyedHasher, create_key
from kiosk.services.outbox import Outbox
from kiosk.services.pickup_codes import PickupCodes
from kiosk.services.reconciliation import restore_codes_without_intent
from kiosk.services.store import Store

STATION_ID = "soak-0001"
FAULT_VISITS = (2, 12)  # a device fault lasts this many visits


def cabinet_config() -> CabinetConfig:
    """The simulated station's cabinet shape: board 1 with 12 locks (S/M/L), board 2 with 4 (M)."""
    sizes = ["S"] * 6 + ["M"] * 4 + ["L"] * 2
    return CabinetConfig(
        url="serial:///dev/null?protocol=8a80&baud=9600",
        boards=[{"address": 1, "locks": 12}, {"address": 2, "locks": 4}],
        compartments=[{"id": f"A{i + 1:02d}", "board": 1, "lock": i + 1, "size": s} for i, s in enumerate(sizes)]
        + [{"id": f"B{i + 1:02d}", "board": 2, "lock": i + 1, "size": "M"} for i in range(4)],
    )


@dataclass
class Outside:
    """What lives outside the station and survives its restarts, each bounded: the codes on the
    citizens' phones (one per loaded compartment at most), results the back office made ready
    for a deposit, recent applicants who come back to ask about their case."""

    sms: dict[str, str] = field(default_factory=dict)
    ready: deque = field(default_factory=lambda: deque(maxlen=64))
    recent: deque = field(default_factory=lambda: deque(maxlen=64))


class WatchedCabinet(InstantCabinet):
    """The instant cabinet that also counts doors opened with no open journal entry for them
    (the journal is written before every send): the soak's "wrong door opens" on the bus."""

    def __init__(self, config: CabinetConfig, counters: Any) -> None:
        super().__init__(config)
        self.counters = counters
        self.store: Store | None = None

    def release(self, board: int, lock: int) -> Any:
        if self.store is not None and not self.store.query(
                "SELECT 1 FROM intents WHERE board = ? AND lock = ? AND closed_at IS NULL LIMIT 1", (board, lock)):
            self.counters.bus_opens_without_intent += 1
        return super().release(board, lock)


class SoakStation:
    def __init__(self, root: Path, rng: random.Random, clock: FakeClock, outside: Outside, counters: Any) -> None:
        self.root, self.rng, self.clock = root, rng, clock
        self.outside = outside
        self.sms = outside.sms  # case -> the code the citizen's phone received
        self.sms_fails_next = False
        self.skew_s = 0.0  # how far the wall clock is off; NTP steps it back
        self.ntp_in = 0
        self.active: dict[str, tuple[int, Callable[[bool], Any]]] = {}
        key = root / "hash.key"
        if not key.exists():
            create_key(key)
        db = root / "station.db"
        self.store = Store(db)
        hasher = KeyedHasher.from_file(key, db)
        self.cabinet_config = cabinet_config()
        self.cabinet = WatchedCabinet(self.cabinet_config, counters)
        self.cabinet.store = self.store
        self.printer = InstantPrinter()
        self.audit = AuditLog(self.store, clock)
        self.outbox = Outbox(self.store, clock)  # the station's bounds: 100,000 events, 7 days
        self.cabinet_service = CabinetService(self.store, self.cabinet, self.cabinet_config, self.audit, clock,
                                              outbox=self.outbox)
        self.cases = CaseStore(self.store, hasher, clock, station_id=STATION_ID)
        # wrong codes at random would otherwise close pickup by code for the rest of each day
        self.codes = PickupCodes(self.store, hasher, self.audit, clock, daily_max_failures=10**9)
        self.cabinet_service.start(0.01)
        restore_codes_without_intent(self.store, self.audit, clock)

    def close(self) -> None:
        self.store.close()

    # -- faults -------------------------------------------------------------------------------------
    def devices_fault(self, name: str, toggle: Callable[[bool], Any]) -> None:
        if name in self.active:
            return
        toggle(True)
        self.active[name] = (self.rng.randint(*FAULT_VISITS), toggle)

    def tick_faults(self) -> None:
        for name, (left, toggle) in list(self.active.items()):
            if left <= 1:
                toggle(False)
                del self.active[name]
            else:
                self.active[name] = (left - 1, toggle)
        if self.skew_s and self.ntp_in <= 0:
            self.clock.step(-self.skew_s)  # NTP sets the clock right again
            self.skew_s = 0.0
        self.ntp_in -= 1

    def step_clock(self, seconds: float | None) -> None:
        """Step the wall clock (`None`: the RTC lost the date and reads 2000-01-01)."""
        from hw_sim.soak.faults import RTC_LOST

        if self.skew_s:
            return
        before = self.clock.now()
        self.clock.step(to=RTC_LOST) if seconds is None else self.clock.step(seconds)
        self.skew_s = (self.clock.now() - before).total_seconds()
        self.ntp_in = self.rng.randint(1, 5)
