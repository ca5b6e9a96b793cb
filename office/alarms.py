"""Alarms: raised from what stations report, acknowledged (and cleared) by operators.

Rules are registries, not if-chains:
- `EVENT_RULES`: station event type -> function(event data) -> alarms to raise (kind, compartment,
  detail). Raised once per event id (the alarm's unique `source` is `evt:STATION:EVENT_ID`).
- `HEALTH_RULES`: kind -> predicate over one device snapshot; an alarm is raised when a device of
  the station turns from not-matching to matching between two health messages.
- A retained `status` of `offline` with reason `will` (the broker published the last will)
  raises `station_offline`.
- An open alarm nobody acknowledges within the configured time is escalated (`Escalator`).
Inserting with a unique `source` makes raising idempotent across office processes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from office import auditlog
from office.schema import alarms
from office.util import insert_ignore, now_iso

log = logging.getLogger(__name__)
KINDS = ("forced_door", "door_left_open", "not_opened", "board_unreachable", "paper_out", "station_offline",
         "events_lost", "calendar_notice_missing", "audit_gap")
STATES = ("open", "acked", "cleared")


@dataclass(frozen=True)
class AlarmSpec:
    kind: str
    compartment: str | None = None
    detail: str = ""
    key: str | None = None  # one alarm per key (else one per event)


DOOR_EVENT_KINDS = {"uncommanded_open": "forced_door", "door_left_open": "door_left_open",
                    "not_opened": "not_opened"}


def _door(data: dict[str, Any]) -> list[AlarmSpec]:
    kind = DOOR_EVENT_KINDS.get(str(data.get("event")))
    if kind is None:
        return []
    comp = data.get("compartment")
    return [AlarmSpec(kind, comp if isinstance(comp, str) and len(comp) <= 8 else None,
                      f"{data.get('event')} board {data.get('board')} lock {data.get('lock')}")]


def _dropped(data: dict[str, Any]) -> list[AlarmSpec]:
    return [AlarmSpec("events_lost", None, f"station dropped events {data.get('from_seq')}..{data.get('to_seq')} "
                                           f"({data.get('count')}) from its bounded outbox")]


def _calendar(data: dict[str, Any]) -> list[AlarmSpec]:
    year = data.get("year")
    return [AlarmSpec("calendar_notice_missing", None,
                      f"no holiday notice for {year}: send it in the desired settings (holidays)", key=f"calendar:{year}")]


EVENT_RULES: dict[str, Callable[[dict[str, Any]], list[AlarmSpec]]] = {
    "cabinet.door": _door,
    "outbox.dropped": _dropped,
    "station.calendar_notice_missing": _calendar,
}

HEALTH_RULES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "paper_out": lambda dev: dev.get("paper") == "out",
    "board_unreachable": lambda dev: dev.get("bus") == "unreachable",
}


def raise_alarm(conn: Connection, station: str, spec: AlarmSpec, source: str) -> bool:
    res = conn.execute(insert_ignore(conn, alarms).values(
        station=station, kind=spec.kind, state="open", compartment=spec.compartment, detail=spec.detail[:500],
        source=source[:120], raised_at=now_iso()))
    return bool(res.rowcount)


def from_event(conn: Connection, station: str, ev: dict[str, Any]) -> int:
    rule = EVENT_RULES.get(ev["type"])
    if rule is None:
        return 0
    n = 0
    for i, spec in enumerate(rule(ev["data"])):
        source = f"{spec.key}:{station}" if spec.key else f"evt:{station}:{ev['event_id']}:{i}"
        n += raise_alarm(conn, station, spec, source)
    return n


def from_health(conn: Connection, station: str, before: dict[str, Any], after: dict[str, Any], ts: str) -> int:
    n = 0
    for kind, pred in HEALTH_RULES.items():
        for name, dev in after.items():
            if not isinstance(dev, dict) or not pred(dev):
                continue
            old = before.get(name)
            if isinstance(old, dict) and pred(old):
                continue  # already so in the previous snapshot
            n += raise_alarm(conn, station, AlarmSpec(kind, None, f"{name}: {dev.get('detail', '')}"[:500]),
                             f"health:{station}:{kind}:{name}:{ts}")
    return n


def list_alarms(conn: Connection, state: str | None = None, station: str | None = None,
                limit: int = 500) -> list[dict[str, Any]]:
    """Newest first, escalated ones before the others."""
    q = select(alarms).order_by(alarms.c.escalated_at.is_(None), alarms.c.id.desc()).limit(limit)
    if state:
        q = q.where(alarms.c.state == state)
    if station:
        q = q.where(alarms.c.station == station)
    return [dict(r._mapping) for r in conn.execute(q)]


def open_counts(conn: Connection) -> dict[str, int]:
    q = select(alarms.c.station, func.count()).where(alarms.c.state == "open").group_by(alarms.c.station)
    return {s: n for s, n in conn.execute(q)}


def escalate_due(conn: Connection, after_s: float, now: datetime | None = None) -> list[int]:
    """Open alarms nobody acknowledged within `after_s` are escalated once (audited; the console
    marks them and lists them first for supervisors)."""
    now = now or datetime.now(timezone.utc)
    cutoff = (now - timedelta(seconds=after_s)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    rows = conn.execute(select(alarms.c.id, alarms.c.station, alarms.c.kind).where(
        alarms.c.state == "open", alarms.c.escalated_at.is_(None), alarms.c.raised_at <= cutoff)).all()
    at = now_iso()
    for r in rows:
        res = conn.execute(update(alarms).where(alarms.c.id == r.id, alarms.c.escalated_at.is_(None))
                           .values(escalated_at=at))
        if res.rowcount:
            auditlog.record(conn, "system", "alarm.escalated", str(r.id), station=r.station, kind=r.kind,
                            after_s=after_s)
    return [r.id for r in rows]


class Escalator:
    """A thread that escalates overdue alarms every `every_s` seconds (one per office process;
    escalating is idempotent, so several processes may run it)."""

    def __init__(self, engine: Any, after_s: float, every_s: float = 15.0) -> None:
        self.engine, self.after_s, self.every_s = engine, after_s, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="office-escalate", daemon=True)

    def start(self) -> Escalator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                with self.engine.begin() as conn:
                    escalate_due(conn, self.after_s)
            except Exception:  # a database outage must not end the thread
                log.exception("alarm escalation failed; retrying")


class AlarmError(ValueError):
    pass


def acknowledge(conn: Connection, alarm_id: int, user: str) -> dict[str, Any]:
    row = conn.execute(select(alarms).where(alarms.c.id == alarm_id)).first()
    if row is None:
        raise AlarmError(f"no alarm {alarm_id}")
    if row.state != "open":
        raise AlarmError(f"alarm {alarm_id} is {row.state}, not open")
    conn.execute(update(alarms).where(alarms.c.id == alarm_id, alarms.c.state == "open")
                 .values(state="acked", acked_by=user, acked_at=now_iso()))
    auditlog.record(conn, f"user:{user}", "alarm.ack", str(alarm_id), station=row.station, kind=row.kind)
    return {**dict(row._mapping), "state": "acked", "acked_by": user}


def clear(conn: Connection, alarm_id: int, user: str) -> dict[str, Any]:
    """An acknowledged alarm whose cause is dealt with (door closed, paper loaded) is cleared."""
    row = conn.execute(select(alarms).where(alarms.c.id == alarm_id)).first()
    if row is None:
        raise AlarmError(f"no alarm {alarm_id}")
    if row.state != "acked":
        raise AlarmError(f"alarm {alarm_id} is {row.state}; acknowledge it before clearing it")
    conn.execute(update(alarms).where(alarms.c.id == alarm_id).values(state="cleared"))
    auditlog.record(conn, f"user:{user}", "alarm.clear", str(alarm_id), station=row.station, kind=row.kind)
    return {**dict(row._mapping), "state": "cleared"}


def acknowledge_many(conn: Connection, ids: list[int], user: str) -> list[int]:
    """Bulk acknowledge: every listed alarm still open is acknowledged (one audit record each)."""
    done = []
    for alarm_id in ids:
        try:
            acknowledge(conn, alarm_id, user)
            done.append(alarm_id)
        except AlarmError:
            pass  # acknowledged by someone else meanwhile, or unknown: reported by what is missing
    return done
