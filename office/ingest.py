"""Storing what stations publish: events (idempotent by event id), status, health; and the acks.

`Ingest.store_events(batch)` writes a batch of validated events in ONE transaction with
`INSERT ... ON CONFLICT DO NOTHING` (with `RETURNING` for the event types that raise alarms or
carry facts): only events not stored before raise alarms or apply facts (ratings, status reports) — a replay changes nothing. It then
moves the contiguous high-water mark (`upto`) of each (station, stream) and returns the acks to
publish (`{upto_seq, missing?, stream?}` per the contract). A stream is the station's store: a
reinstalled, restored or fresh store names a new one and is acknowledged from its own mark, never
from an old store's (`event_streams`; a station naming no stream counts as stream ''). Trackers
start from the database, and a tracker with a gap re-reads the database before naming missing
seqs, so several office processes sharing one fleet through a shared subscription ack what all
of them stored.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from kiosk.services.backoffice import BackofficeError, Rating, from_dict
from office import alarms, audit_heads, auditlog, cabinets, pickups, rating_store
from office import cases as case_ops
from office.schema import cases, event_streams, events, stations
from office.station_calls import STATION_REPORTABLE
from office.util import dumps, insert_ignore, now_iso

log = logging.getLogger(__name__)
DROPPED_EVENT = "outbox.dropped"
FACTS = ("backoffice.report_status", "backoffice.rating")
SPECIAL = (frozenset(alarms.EVENT_RULES) | frozenset(FACTS) | frozenset(cabinets.RULES)  # need "is it new?"
           | {audit_heads.EVENT})


@dataclass
class Track:
    upto: int = 0
    above: set[int] = field(default_factory=set)
    last_refresh: float = 0.0
    declared_lost: int = 0  # seqs the station said it dropped (outbox.dropped, its health's floor), this process

    def advance(self) -> None:
        while self.upto + 1 in self.above:
            self.upto += 1
            self.above.discard(self.upto)

    def missing(self, limit: int = 100) -> list[int]:
        if not self.above:
            return []
        top = max(self.above)
        return [s for s in range(self.upto + 1, top) if s not in self.above][:limit]


@dataclass
class IngestStats:
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    alarms: int = 0
    facts_failed: int = 0


class Ingest:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.tracks: dict[tuple[str, str], Track] = {}  # (station, stream)
        self.stats = IngestStats()
        self.lock = threading.Lock()

    # ---- events ---------------------------------------------------------------------------------------
    def store_events(self, batch: list[tuple[str, dict[str, Any]]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Store a batch; the acks to publish, by (station, stream)."""
        if not batch:
            return {}
        received = now_iso()
        rows = [{"station": st, "event_id": ev["event_id"], "seq": ev["seq"], "type": ev["type"], "ts": ev["ts"],
                 "boot_id": ev["boot_id"], "data": dumps(ev["data"]), "received_at": received,
                 "stream": ev.get("stream", "")} for st, ev in batch]
        by_key = {(st, ev["event_id"]): ev for st, ev in batch}
        # events that raise alarms or carry facts must know whether they are new (RETURNING);
        # the bulk of plain events goes through the driver's executemany, which is much cheaper
        special = [r for r in rows if r["type"] in SPECIAL]
        plain = [r for r in rows if r["type"] not in SPECIAL]
        touched = sorted({(st, ev.get("stream", "")) for st, ev in batch})
        try:
            return self._store(batch, rows, by_key, special, plain, touched)
        except Exception:
            # the marks moved in memory with the transaction that failed: forget them, so the next
            # batch reads them back from what the database really holds (an ack never covers
            # events that were not stored)
            with self.lock:
                for key in touched:
                    self.tracks.pop(key, None)
            raise

    def _store(self, batch: list[tuple[str, dict[str, Any]]], rows: list[dict[str, Any]],
               by_key: dict[tuple[str, str], dict[str, Any]], special: list[dict[str, Any]],
               plain: list[dict[str, Any]], touched: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        with self.engine.begin() as conn:
            stored = 0
            if plain:
                res = conn.execute(insert_ignore(conn, events), plain)
                stored += res.rowcount if res.rowcount >= 0 else len(plain)
            if special:
                stmt = insert_ignore(conn, events).returning(events.c.station, events.c.event_id)
                new = {(r.station, r.event_id) for r in conn.execute(stmt, special)}
                stored += len(new)
                for key in sorted(new, key=lambda k: (k[0], by_key[k]["seq"])):
                    ev = by_key[key]
                    self.stats.alarms += alarms.from_event(conn, key[0], ev)
                    cabinets.apply(conn, key[0], ev)
                    pickups.record(conn, key[0], ev)
                    self.stats.alarms += audit_heads.check(conn, key[0], ev)
                    if ev["type"] in FACTS:
                        self._apply_fact(conn, key[0], ev)
            self.stats.stored += stored
            self.stats.duplicates += len(batch) - stored
            with self.lock:
                for key in touched:
                    self._track(conn, key)
                for st, ev in batch:
                    t = self.tracks[(st, ev.get("stream", ""))]
                    if ev["seq"] > t.upto:
                        t.above.add(ev["seq"])
                    if ev["type"] == DROPPED_EVENT:
                        self._declare_lost(t, min(int(ev["data"].get("to_seq", 0)), ev["seq"] - 1))
                acks = {}
                for key in touched:
                    t = self.tracks[key]
                    t.advance()
                    if t.above and time.monotonic() - t.last_refresh > 0.5:
                        self._refresh(conn, key, t)
                    acks[key] = self._ack(t, key[1])
                self._save_upto(conn, {key: self.tracks[key].upto for key in touched})
        return acks

    def _track(self, conn: Connection, key: tuple[str, str]) -> Track:
        t = self.tracks.get(key)
        if t is None:
            station, stream = key
            row = conn.execute(select(event_streams.c.acked_upto).where(event_streams.c.station == station,
                                                                        event_streams.c.stream == stream)).first()
            if row is None and stream == "":  # a station naming no stream: its mark from before streams
                row = conn.execute(select(stations.c.acked_upto).where(stations.c.id == station)).first()
            t = self.tracks[key] = Track(upto=row.acked_upto if row else 0)
            self._refresh(conn, key, t)
        return t

    def _refresh(self, conn: Connection, key: tuple[str, str], t: Track) -> None:
        """Seqs above our mark stored by any office process (shared subscription) count too."""
        t.last_refresh = time.monotonic()
        for (seq,) in conn.execute(select(events.c.seq).where(events.c.station == key[0], events.c.stream == key[1],
                                                              events.c.seq > t.upto)):
            t.above.add(seq)
        t.advance()

    @staticmethod
    def _declare_lost(t: Track, floor: int) -> None:
        for s in range(t.upto + 1, floor + 1):
            if s not in t.above:
                t.above.add(s)
                t.declared_lost += 1
        t.advance()

    @staticmethod
    def _ack(t: Track, stream: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {"upto_seq": t.upto}
        missing = t.missing()
        if missing:
            body["missing"] = missing
        if stream:
            body["stream"] = stream
        return body

    def _save_upto(self, conn: Connection, uptos: dict[tuple[str, str], int]) -> None:
        for (st, stream), upto in uptos.items():
            res = conn.execute(update(event_streams).where(event_streams.c.station == st, event_streams.c.stream == stream,
                                                           event_streams.c.acked_upto < upto).values(acked_upto=upto))
            if res.rowcount == 0:
                conn.execute(insert_ignore(conn, event_streams).values(station=st, stream=stream, acked_upto=upto,
                                                                       started_at=now_iso()))
            # the station list shows the mark of the stream it heard last
            res = conn.execute(update(stations).where(stations.c.id == st).values(acked_upto=upto))
            if res.rowcount == 0:
                conn.execute(insert_ignore(conn, stations).values(id=st, state="unknown", online=False, boot_id="",
                                                                  sw="", health="{}", acked_upto=upto, events_lost=0))

    def _apply_fact(self, conn: Connection, station: str, ev: dict[str, Any]) -> None:
        """Facts the station reports as events, applied once (in the ingest transaction)."""
        try:
            d = ev["data"]
            if ev["type"] == "backoffice.report_status":
                if d["status"] not in STATION_REPORTABLE:
                    raise ValueError(f"the station cannot report {d['status']!r}")
                row = conn.execute(select(cases.c.station).where(cases.c.case_no == str(d["case_no"]))).first()
                if row is None:
                    raise ValueError(f"no case {str(d['case_no'])[:64]!r}")
                case_ops.move(conn, str(d["case_no"]), row.station, d["status"], str(d.get("note_zh", ""))[:500],
                              str(d.get("note_en", ""))[:500], f"station:{station}", tell=False)
            else:
                rating_store.store(conn, station, from_dict(Rating, d))
        except (BackofficeError, KeyError, TypeError, ValueError) as exc:
            self.stats.facts_failed += 1
            auditlog.record(conn, f"station:{station}", ev["type"], ev["event_id"], ok=False, detail=str(exc)[:300])

    # ---- status and health ------------------------------------------------------------------------------
    def store_status(self, station: str, body: dict[str, Any]) -> None:
        online = body["state"] in ("online", "maintenance")
        with self.engine.begin() as conn:
            values = dict(state=body["state"], online=online, last_seen=body["ts"], boot_id=body["boot_id"],
                          sw=body["sw"])
            res = conn.execute(update(stations).where(stations.c.id == station).values(**values))
            if res.rowcount == 0:
                conn.execute(insert_ignore(conn, stations).values(id=station, health="{}", acked_upto=0,
                                                                  events_lost=0, **values))
            if body["state"] == "offline" and body.get("reason") == "will":
                spec = alarms.AlarmSpec("station_offline", None, "the broker published the station's last will")
                if alarms.raise_alarm(conn, station, spec, f"status:{station}:{body['boot_id']}:{body['ts']}"):
                    self.stats.alarms += 1
                    auditlog.record(conn, "system", "station.offline", station, boot_id=body["boot_id"])

    @staticmethod
    def _summary(devices: dict[str, Any]) -> dict[str, str | None]:
        """Printer paper, lock-board bus state, ID reader and camera status, for the station list."""
        def first(key: str) -> str | None:
            v = next((d.get(key) for d in devices.values() if isinstance(d, dict) and key in d), None)
            return str(v)[:16] if v is not None else None

        def status(role: str) -> str | None:
            d = devices.get(role)
            return str(d["status"])[:16] if isinstance(d, dict) and d.get("status") is not None else None
        return {"paper": first("paper"), "boards": first("bus"), "reader": status("id_reader"),
                "camera": status("camera")}

    def store_health(self, station: str, body: dict[str, Any]) -> None:
        summary = self._summary(body["devices"])
        with self.engine.begin() as conn:
            row = conn.execute(select(stations.c.health, stations.c.last_seen).where(stations.c.id == station)).first()
            before = json.loads(row.health).get("devices", {}) if row else {}
            if row is None:
                conn.execute(insert_ignore(conn, stations).values(id=station, state="unknown", online=False,
                                                                  boot_id=body["boot_id"], sw="", health=dumps(body),
                                                                  acked_upto=0, events_lost=0, last_seen=body["ts"],
                                                                  **summary))
            else:
                # every heartbeat is a sign of life: "last seen" is the newest message, not the last
                # connection change (an older retained health delivered late does not move it back)
                seen = max(row.last_seen or "", body["ts"])
                conn.execute(update(stations).where(stations.c.id == station).values(health=dumps(body),
                                                                                     last_seen=seen, **summary))
            self.stats.alarms += alarms.from_health(conn, station, before, body["devices"], body["ts"])
        ob = body["outbox"]
        floor = (ob["first_seq"] - 1) if ob.get("first_seq") else ob["last_seq"]
        with self.lock, self.engine.connect() as conn:
            t = self._track(conn, (station, body.get("stream", "")))
            if floor > t.upto:
                self._declare_lost(t, floor)

    def ack_for(self, station: str, stream: str = "") -> dict[str, Any]:
        with self.lock:
            key = (station, stream)
            return self._ack(self.tracks[key], stream) if key in self.tracks else {"upto_seq": 0}
