"""The simulated back office on a real broker: a thin test double over the office's own MQTT service.

`MqttBackOfficeSim` IS `office.mqtt_service.OfficeMqtt` — the same network loop, contract checks,
event storage (de-duplicated by event id, acknowledged per (station, stream) with gap detection and
declared losses: `office.ingest`), RPC serving and answer signing — on its own SQLite file with the
office's schema. What the double changes, for the fleet tests and `kiosk fleet backoffice`:

- station calls (`rpc/req`) are answered by an in-process `BackOffice` delegate (typically
  `hw_sim.backoffice.SimBackOffice`) instead of the office's `StationCalls`; without one every call
  is answered `offline`; reference photos still pass the office's `PhotoGuard`;
- a persistent session (`session_expiry_s`: messages queue on the broker while it is stopped) and
  plain, unshared subscriptions, `reported` included;
- what tests look at: the last status/health/reported per station, command results as they come
  (`wait_result`), the stored events (`event_ids`, `seqs`, `count`, `db`), marks (`track`, `wait_upto`);
- signed commands and desired documents sent without the office's command table.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import func, select

from kiosk.services.backoffice import BackOffice, BackofficeError, Rating, from_dict
from kiosk.services.fleet import signing, topics
from kiosk.services.outbox import uuid7
from office.db import create_engine
from office.ingest import Ingest, Track
from office.mqtt_service import OfficeMqtt
from office.schema import events, metadata

log = logging.getLogger(__name__)


@dataclass
class StationView:
    """One station as the double saw it: its current stream's mark, and its last retained messages."""
    upto: int = 0
    above: set[int] = field(default_factory=set)
    declared_lost: int = 0
    status: dict[str, Any] | None = None
    health: dict[str, Any] | None = None
    reported: dict[str, Any] | None = None

    def missing(self, limit: int = 100) -> list[int]:
        return Track(self.upto, set(self.above)).missing(limit)


class _DelegateCalls:
    """The delegate's calls for one station; a reference photo only past the office's guard."""

    def __init__(self, sim: MqttBackOfficeSim, station: str) -> None:
        self.sim, self.station = sim, station

    def __getattr__(self, method: str) -> Any:
        delegate = self.sim.delegate
        if delegate is None:
            raise BackofficeError("offline", "no back-office service behind the broker")
        fn = getattr(delegate, method)
        if method != "reference_photo":
            return fn

        def guarded(applicant: Any, session: str = "") -> Any:
            self.sim.photo_guard.check(self.station, applicant.id_number, session)
            return fn(applicant, session=session)
        return guarded


class _FactsToDelegate(Ingest):
    """The office's ingest, with the facts stations report as events (status reports, ratings)
    applied to the delegate instead of the office's tables — once per event id, as the office does."""

    def __init__(self, engine: Any, sim: MqttBackOfficeSim) -> None:
        super().__init__(engine)
        self.sim = sim

    def store_events(self, batch: list[tuple[str, dict[str, Any]]]) -> dict[tuple[str, str], dict[str, Any]]:
        # under the double's lock: a test that reads a mark (`track`, `wait_upto`) then the rows finds them committed
        with self.sim.lock:
            return super().store_events(batch)

    def _apply_fact(self, conn: Any, station: str, ev: dict[str, Any]) -> None:
        delegate = self.sim.delegate
        if delegate is None:
            return
        try:
            d = ev["data"]
            if ev["type"] == "backoffice.report_status":
                delegate.report_status(d["case_no"], d["status"], d.get("note_zh", ""), d.get("note_en", ""))
            else:
                delegate.submit_rating(from_dict(Rating, d))
        except Exception as exc:  # a fact the back office cannot apply is logged, still stored
            self.stats.facts_failed += 1
            log.warning("station %s: %s %s not applied: %s", station, ev["type"], ev["event_id"], exc)


class MqttBackOfficeSim(OfficeMqtt):
    PLAIN = ("evt/#", "status", "health", "res", "rpc/req", "reported")

    def __init__(self, broker: str, password: str, *, username: str = "backoffice", db_path: str = ":memory:",
                 signing_key: Any = None, delegate: BackOffice | None = None, ack_interval_s: float = 0.05,
                 session_expiry_s: int = 3600, ca_file: str | None = None,
                 client_cert: tuple[str, str] | None = None, photos_per_hour: int = 60) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="sim-bo-") if db_path == ":memory:" else None
        path = Path(self._tmp.name) / "bo.db" if self._tmp else Path(db_path)
        engine = create_engine(f"sqlite:///{path}")
        metadata.create_all(engine)  # the office's schema (a double needs no migration history)
        super().__init__(engine, broker, username, password, ca_file=ca_file, ack_interval_s=ack_interval_s,
                         signing_key=signing_key, photos_per_hour=photos_per_hour,
                         session_expiry_s=session_expiry_s, client_cert=client_cert)
        self.key = signing_key
        self.delegate = delegate
        self.ingest = _FactsToDelegate(engine, self)
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)  # for tests' raw reads
        self.lock = threading.RLock()
        self.seen: dict[str, dict[str, Any]] = defaultdict(dict)  # station -> kind -> last body
        self.results: dict[str, list[dict[str, Any]]] = defaultdict(list)

    # ---- what differs from an office process ---------------------------------------------------
    def subscriptions(self) -> list[tuple[str, int]]:
        return [(f"k/v1/+/{t}", 1) for t in self.PLAIN]

    def calls_for(self, station: str) -> Any:
        return _DelegateCalls(self, station)

    def _store_state(self, station: str, kind: str, body: dict[str, Any]) -> None:
        with self.lock:
            self.seen[station][kind] = body
        super()._store_state(station, kind, body)

    def _store_result(self, station: str, body: dict[str, Any]) -> None:
        self.stats.results += 1
        with self.lock:
            self.results[str(body.get("cmd_id"))].append(body)

    def close(self) -> None:
        self.stop()
        self.db.close()
        self.engine.dispose()
        if self._tmp is not None:
            self._tmp.cleanup()

    @property
    def contract_violations(self) -> list[str]:
        return self.refusals

    @property
    def rpc_served(self) -> int:
        return self.stats.rpc_served

    # ---- commands and settings (any thread) ----------------------------------------------------
    def build_command(self, station: str, name: str, args: dict[str, Any], *, operator: str = "ops:sim",
                      ttl_s: int = 300, issued_at: int | None = None, cmd_id: str | None = None,
                      key: Any = None) -> dict[str, Any]:
        issued = int(time.time()) if issued_at is None else issued_at
        cmd = {"cmd_id": cmd_id or uuid7(), "kiosk_id": station, "name": name, "operator": operator,
               "issued_at": issued, "expires_at": issued + ttl_s, "args": args}
        k = key or self.key
        if k is not None:
            cmd["sig"] = signing.sign(cmd, k)
        return cmd

    def send_raw(self, station: str, name: str, payload: bytes, correlation: bytes | None = None,
                 ttl_s: int = 300) -> None:
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = topics.result(station)
        if correlation is not None:
            props.CorrelationData = correlation
        props.MessageExpiryInterval = ttl_s
        self.publish(topics.command(station, name), payload, 1, False, props)

    def send_command(self, station: str, name: str, args: dict[str, Any], **kw: Any) -> dict[str, Any]:
        cmd = self.build_command(station, name, args, **kw)
        self.send_raw(station, name, json.dumps(cmd, ensure_ascii=False).encode(), cmd["cmd_id"].encode(),
                      ttl_s=max(1, cmd["expires_at"] - int(time.time())))
        return cmd

    def set_desired(self, station: str, version: int, settings: dict[str, Any], key: Any = None) -> dict[str, Any]:
        doc = {"kiosk_id": station, "version": version, "settings": settings}
        doc["sig"] = signing.sign_document(doc, key or self.key)
        self.publish(topics.desired(station), json.dumps(doc).encode(), 1, True)
        return doc

    def wait_result(self, cmd_id: str, status: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for r in self.results.get(cmd_id, []):
                    if status is None or r["status"] == status:
                        return r
            time.sleep(0.01)
        raise TimeoutError(f"no res {status or ''} for command {cmd_id} within {timeout} s "
                           f"(have {self.results.get(cmd_id)})")

    # ---- what the back office holds (any thread) -----------------------------------------------
    @property
    def tracks(self) -> dict[str, StationView]:
        stations = {st for st, _ in list(self.ingest.tracks)} | set(self.seen)
        return {st: self.track(st) for st in stations}

    def track(self, station: str) -> StationView:
        """The station's current stream (the one its last status/health/event named) and what it said."""
        with self.lock:
            seen = dict(self.seen.get(station, {}))
        stream = next((b["stream"] for b in (seen.get("health"), seen.get("status")) if b and "stream" in b), None)
        with self.lock, self.ingest.lock:
            keys = [k for k in self.ingest.tracks if k[0] == station]
            key = (station, stream) if (station, stream) in self.ingest.tracks else (keys[-1] if keys else None)
            t = self.ingest.tracks.get(key) if key else None
            view = StationView(t.upto, set(t.above), t.declared_lost) if t else StationView()
        view.status, view.health, view.reported = seen.get("status"), seen.get("health"), seen.get("reported")
        return view

    def event_ids(self, station: str) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(events.c.event_id).where(events.c.station == station)).scalars())

    def seqs(self, station: str) -> list[int]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(events.c.seq).where(events.c.station == station).distinct()
                                     .order_by(events.c.seq)).scalars())

    def count(self, station: str | None = None) -> int:
        q = select(func.count()).select_from(events)
        if station is not None:
            q = q.where(events.c.station == station)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def wait_upto(self, station: str, seq: int, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.track(station).upto >= seq:
                return True
            time.sleep(0.02)
        return False
