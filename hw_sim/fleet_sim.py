"""N simulated stations in ONE process and ONE thread, for the city-scale simulation and bench.

Each simulated station is the real station code path: its own SQLite outbox (in memory) and a
real `FleetLink` in external-loop mode; one `selectors` loop serves every station's socket (paho's
external event loop: `loop_read` when readable, `tick()` = loop_misc/loop_write/drain/acks for each
station). There is no thread per station.

Stations produce realistic traffic: a retained health snapshot every `heartbeat_s` (printer paper,
doors, camera, reader, boards) and events at `events_per_min` per station drawn from what a
station reports (sessions, submissions, deposits, pickups, doors, paper), timestamps from the
clock. Usernames are the station ids; passwords come from `password_for(station_id)`.

    sim = FleetSim(broker_url, n=1000, password_for=lambda s: f"pw-{s}", reconnect_spread_s=15)
    sim.run(seconds=60)          # or sim.start() / sim.stop() on a thread of your own
"""

from __future__ import annotations

import logging
import random
import selectors
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.core.clock import Clock, SystemClock
from kiosk.services.audit import AuditLog
from kiosk.services.fleet.commands import CommandProcessor
from kiosk.services.fleet.link import FleetLink, LinkSettings
from kiosk.services.outbox import Outbox
from kiosk.services.store import Store

log = logging.getLogger(__name__)

EVENT_MIX: tuple[tuple[str, float], ...] = (
    ("session.started", 0.30), ("session.ended", 0.28), ("case.submitted", 0.12), ("receipt.printed", 0.10),
    ("compartment.loaded", 0.06), ("compartment.collected", 0.06), ("door.opened", 0.03), ("door.closed", 0.03),
    ("printer.paper_low", 0.01), ("rating.given", 0.01),
)


def station_ids(n: int, prefix: str = "sim") -> list[str]:
    return [f"{prefix}-{i:05d}" for i in range(n)]


class SimTarget:
    """The CommandTarget of a simulated station: does it at once and logs what it did."""

    def __init__(self, kiosk_id: str) -> None:
        self.kiosk_id = kiosk_id
        self.calls: list[tuple[str, Any]] = []
        self.maintenance = False

    def _did(self, name: str, detail: str, **result: Any) -> dict[str, Any]:
        self.calls.append((name, result))
        log.info("%s: %s", self.kiosk_id, detail)
        return {"detail": detail, **result}

    def open_compartment(self, compartment: str, reason: str) -> dict[str, Any]:
        return self._did("open_compartment", f"compartment {compartment} opened", compartment=compartment)

    def assign_deposit(self, case: str, size: str) -> dict[str, Any]:
        return self._did("assign_deposit", f"compartment A01 ({size}) reserved for {case}", compartment="A01")

    def set_maintenance(self, on: bool) -> dict[str, Any]:
        self.maintenance = on
        return self._did("set_maintenance", f"maintenance {'on' if on else 'off'}", maintenance=on)

    def apply_config(self, patch: dict[str, Any]) -> dict[str, Any]:
        return self._did("apply_config", f"config patch applied ({', '.join(patch)})", sections=sorted(patch))

    def notify_update(self, info: dict[str, Any]) -> dict[str, Any]:
        return self._did("notify_update", f"update {info.get('version')} noted", version=info.get("version"))

    def staff_add(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._did("staff_add", f"enrolment of {args.get('staff_no')} open", staff_no=args.get("staff_no"))

    def staff_disable(self, staff_no: str, reason: str) -> dict[str, Any]:
        return self._did("staff_disable", f"{staff_no} disabled", staff_no=staff_no)


@dataclass
class SimStation:
    kiosk_id: str
    store: Store
    outbox: Outbox
    link: FleetLink
    rng: random.Random
    next_event: float = 0.0
    produced: int = 0
    paper: str = "ok"
    target: SimTarget | None = None

    def health(self) -> dict[str, Any]:
        return {"printer": {"status": "online", "paper": self.paper}, "cabinet": {"status": "online", "doors_open": []},
                "camera": {"status": "online"}, "idreader": {"status": "online"}}

    def emit(self) -> None:
        r, acc = self.rng.random(), 0.0
        for type_, p in EVENT_MIX:
            acc += p
            if r <= acc:
                break
        data: dict[str, Any] = {"n": self.produced}
        if type_.startswith("compartment") or type_.startswith("door"):
            data["compartment"] = f"A{self.rng.randint(1, 24):02d}"
        if type_ == "printer.paper_low":
            self.paper = "low"
        self.outbox.add_now(type_, data)
        self.produced += 1


class FleetSim:
    def __init__(self, broker: str, n: int, *, password_for: Callable[[str], str], prefix: str = "sim",
                 events_per_min: float = 2.0, heartbeat_s: float = 60.0, reconnect_spread_s: float = 15.0,
                 reconnect_min_s: float = 1.0, reconnect_max_s: float = 30.0, keepalive_s: int = 60,
                 clock: Clock | None = None, seed: int = 1, ids: list[str] | None = None,
                 command_public_key: Any = None) -> None:
        self.clock = clock or SystemClock()
        self.events_per_min = events_per_min
        self.sel = selectors.DefaultSelector()
        self.stations: list[SimStation] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.paused_events = False
        rng = random.Random(seed)
        for kid in ids or station_ids(n, prefix):
            store = Store(":memory:")
            outbox = Outbox(store, self.clock)
            settings = LinkSettings(kiosk_id=kid, broker=broker, username=kid, password=password_for(kid),
                                    keepalive_s=keepalive_s, heartbeat_s=heartbeat_s, reconnect_spread_s=reconnect_spread_s,
                                    reconnect_min_s=reconnect_min_s, reconnect_max_s=reconnect_max_s,
                                    ack_timeout_s=30.0, drain_batch=100)
            st_rng = random.Random(rng.random())
            station = SimStation(kid, store, outbox, None, st_rng)  # type: ignore[arg-type]
            processor = None
            if command_public_key is not None:
                station.target = SimTarget(kid)
                processor = CommandProcessor(store, kid, command_public_key, station.target, AuditLog(store, self.clock),
                                             self.clock, outbox=outbox)
            link = FleetLink(settings, outbox, clock=self.clock, health_source=station.health, rng=st_rng,
                             external_loop=True, processor=processor)
            link._next_attempt = time.monotonic() + st_rng.uniform(0, min(reconnect_spread_s, 5.0))
            link.client.on_socket_open = lambda c, u, sock, s=station: self._register(s, sock)
            link.client.on_socket_close = lambda c, u, sock: self._unregister(sock)
            station.link = link
            station.next_event = time.monotonic() + st_rng.expovariate(events_per_min / 60.0) \
                if events_per_min > 0 else float("inf")
            self.stations.append(station)

    def _register(self, station: SimStation, sock: Any) -> None:
        try:
            self.sel.register(sock, selectors.EVENT_READ, station)
        except (KeyError, ValueError):
            pass

    def _unregister(self, sock: Any) -> None:
        try:
            self.sel.unregister(sock)
        except (KeyError, ValueError):
            pass

    # ---- the one loop ---------------------------------------------------------------------------
    def step(self, timeout: float = 0.01) -> None:
        for key, _mask in self.sel.select(timeout):
            station: SimStation = key.data
            try:
                station.link.client.loop_read(100)
            except Exception:
                log.exception("%s: read failed", station.kiosk_id)
        now = time.monotonic()
        for st in self.stations:
            if not self.paused_events and now >= st.next_event:
                st.emit()
                st.next_event = now + st.rng.expovariate(self.events_per_min / 60.0)
            st.link.tick()

    def run(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self._stop.is_set():
            self.step()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="fleet-sim", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:
                log.exception("fleet sim step failed; continuing")

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(10)
        for st in self.stations:
            try:
                st.link.client.disconnect()
            except Exception:
                pass

    # ---- figures --------------------------------------------------------------------------------
    def connected(self) -> int:
        return sum(1 for s in self.stations if s.link.connected)

    def produced(self) -> int:
        return sum(s.produced for s in self.stations)

    def pending(self) -> int:
        return sum(s.outbox.stats().pending for s in self.stations)
