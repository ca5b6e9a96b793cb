"""The audit-gap alarm: a station's audit chain must only grow (ADR 0199, ADR 0236).

A station sends its audit chain's head as an `audit.head` event `{seq, hash}`. Ordered by the
event's own seq, heads of one station must never go back (a lower audit seq: records were deleted
or the store was rolled back) nor change at the same audit seq (a different hash: records were
rewritten). Every stored `audit.head` is compared with its neighbours by event seq (the one
before and the one after, since office processes may store events out of order); a broken pair
raises one `audit_gap` alarm, idempotent by the pair's event ids.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from office.alarms import AlarmSpec, raise_alarm
from office.schema import events

EVENT = "audit.head"


def _head(data: Any) -> tuple[int, str] | None:
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    if not isinstance(data, dict):
        return None
    seq, h = data.get("seq"), data.get("hash")
    if isinstance(seq, bool) or not isinstance(seq, int) or not isinstance(h, str):
        return None
    return seq, h[:128]


def broken(older: tuple[int, str], newer: tuple[int, str]) -> str | None:
    """Why the newer head cannot follow the older one, or None."""
    if newer[0] < older[0]:
        return f"audit chain went back from record {older[0]} to {newer[0]}: records deleted or store rolled back"
    if newer[0] == older[0] and newer[1] != older[1]:
        return f"audit record {newer[0]} changed its hash: records rewritten"
    return None


def check(conn: Connection, station: str, ev: dict[str, Any]) -> int:
    """Compare a newly stored `audit.head` event with its neighbours; returns alarms raised."""
    if ev.get("type") != EVENT:
        return 0
    mine = _head(ev.get("data"))
    if mine is None:
        return 0
    base = select(events.c.event_id, events.c.seq, events.c.data).where(
        events.c.station == station, events.c.type == EVENT)
    before = conn.execute(base.where(events.c.seq < ev["seq"]).order_by(events.c.seq.desc()).limit(1)).first()
    after = conn.execute(base.where(events.c.seq > ev["seq"]).order_by(events.c.seq).limit(1)).first()
    pairs = []
    if before is not None:
        pairs.append((_head(before.data), mine, before.event_id, ev["event_id"], before.seq, ev["seq"]))
    if after is not None:
        pairs.append((mine, _head(after.data), ev["event_id"], after.event_id, ev["seq"], after.seq))
    n = 0
    for older, newer, id_a, id_b, seq_a, seq_b in pairs:
        why = broken(older, newer) if older is not None and newer is not None else None
        if why:
            spec = AlarmSpec("audit_gap", None, f"{why} (events {seq_a} and {seq_b})")
            n += raise_alarm(conn, station, spec, f"audit:{station}:{id_a}:{id_b}"[:120])
    return n
