"""Fleet test fixtures (importable by other areas: `from tests.fleet.conftest import ...`).

- `broker_factory(**kw)` / `broker`: a real mosquitto on 127.0.0.1, free port, tmp dir, with the
  repository's ACL; users `backoffice` + the station ids in `STATIONS`. The broker object has
  `kill9()`, `terminate()`, `pause()` (SIGSTOP), `resume()` (SIGCONT), `start()`, `restart()`.
- `command_key`: a fresh Ed25519 key of the back office.
- `make_station(broker, kiosk_id, ...)`: a real station side (Store + Outbox + AuditLog +
  CommandProcessor + FleetLink) with short timeouts and a `RecordingTarget`.
- `make_backoffice(broker, ...)`: the simulated back office (`hw_sim.backoffice_mqtt`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kiosk.core.clock import SystemClock
from kiosk.services.audit import AuditLog
from kiosk.services.fleet import signing
from hw_sim.broker import LocalBroker
from kiosk.services.fleet.commands import CommandFailed, CommandProcessor
from kiosk.services.fleet.link import FleetLink, LinkSettings
from kiosk.services.outbox import Outbox
from kiosk.services.store import Store

STATIONS = ("sh-test-001", "sh-test-002", "sh-test-003")
PASSWORDS = {"backoffice": "bo-secret", **{s: f"pw-{s}" for s in STATIONS}}


class RecordingTarget:
    """A CommandTarget that records what it was asked to do; `fail_with` makes the next call fail."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail_with: Exception | None = None

    def _do(self, name: str, *args: Any) -> dict[str, Any]:
        self.calls.append((name, args))
        if self.fail_with is not None:
            exc, self.fail_with = self.fail_with, None
            raise exc
        return {"detail": f"{name} done", "args": list(args)}

    def open_compartment(self, compartment: str, reason: str) -> dict[str, Any]:
        if compartment == "Z99":
            raise CommandFailed("no compartment Z99")
        return self._do("open_compartment", compartment, reason)

    def assign_deposit(self, case: str, size: str) -> dict[str, Any]:
        return self._do("assign_deposit", case, size)

    def set_maintenance(self, on: bool) -> dict[str, Any]:
        return self._do("set_maintenance", on)

    def apply_config(self, patch: dict[str, Any]) -> dict[str, Any]:
        return self._do("apply_config", patch)

    def notify_update(self, info: dict[str, Any]) -> dict[str, Any]:
        return self._do("notify_update", info)

    def recall_pickup(self, case: str, compartment: str, reason: str) -> dict[str, Any]:
        return self._do("recall_pickup", case, compartment, reason)


@dataclass
class Station:
    kiosk_id: str
    store: Store
    outbox: Outbox
    audit: AuditLog
    target: RecordingTarget
    link: FleetLink
    produced: list[str] = field(default_factory=list)

    def emit(self, n: int, type_: str = "test.burst") -> None:
        for _ in range(n):
            self.produced.append(self.outbox.add_now(type_, {"n": len(self.produced)}).event_id)

    def close(self) -> None:
        self.link.stop()
        self.store.close()


def fast_settings(kiosk_id: str, broker: LocalBroker, **over: Any) -> LinkSettings:
    base = dict(kiosk_id=kiosk_id, broker=broker.url, username=kiosk_id, password=PASSWORDS.get(kiosk_id, "x"),
                keepalive_s=5, session_expiry_s=600, will_delay_s=1, reconnect_min_s=0.1, reconnect_max_s=0.5,
                reconnect_spread_s=0.3, connect_timeout_s=2.0, heartbeat_s=5.0, drain_batch=200, ack_timeout_s=1.5)
    base.update(over)
    return LinkSettings(**base)


@pytest.fixture
def broker_factory(tmp_path):
    made: list[LocalBroker] = []

    def make(users: dict[str, str] | None = None, **kw: Any) -> LocalBroker:
        b = LocalBroker(tmp_path / f"broker{len(made)}", users or PASSWORDS, **kw)
        b.start()
        made.append(b)
        return b

    yield make
    for b in made:
        b.stop()


@pytest.fixture
def broker(broker_factory):
    return broker_factory()


@pytest.fixture(scope="session")
def command_key():
    return signing.generate()


@pytest.fixture
def make_station(tmp_path, command_key):
    made: list[Station] = []

    def make(broker: LocalBroker, kiosk_id: str = STATIONS[0], *, clock: Any = None, db: Path | None = None,
             start: bool = True, public_key: Any = "default", **over: Any) -> Station:
        clock = clock or SystemClock()
        store = Store(db or tmp_path / f"{kiosk_id}-{len(made)}.db")
        outbox = Outbox(store, clock, max_events=over.pop("max_events", 100_000))
        audit = AuditLog(store, clock)
        target = RecordingTarget()
        key = command_key.public_key() if public_key == "default" else public_key
        proc = CommandProcessor(store, kiosk_id, key, target, audit, clock, outbox=outbox)
        link = FleetLink(fast_settings(kiosk_id, broker, **over), outbox, clock=clock, processor=proc,
                         health_source=lambda: {"printer": {"status": "online", "paper": "ok"}},
                         desired_handler=lambda s: s, desired_key=key, rng=random.Random(7))
        st = Station(kiosk_id, store, outbox, audit, target, link)
        if start:
            link.start()
        made.append(st)
        return st

    yield make
    for st in made:
        try:
            st.close()
        except Exception:
            pass


@pytest.fixture
def make_backoffice(tmp_path, command_key):
    from hw_sim.backoffice_mqtt import MqttBackOfficeSim

    made: list[MqttBackOfficeSim] = []

    def make(broker: LocalBroker, *, start: bool = True, db: str | None = None, **kw: Any) -> MqttBackOfficeSim:
        bo = MqttBackOfficeSim(broker.url, PASSWORDS["backoffice"], db_path=db or str(tmp_path / f"bo{len(made)}.db"),
                               signing_key=command_key, **kw)
        if start:
            bo.start()
        made.append(bo)
        return bo

    yield make
    for bo in made:
        try:
            bo.close()
        except Exception:
            pass
