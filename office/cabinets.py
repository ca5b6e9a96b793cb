"""The cabinet grid per station, kept from the station's compartment events.

`RULES` (a registry): event type -> function(event data) -> the columns that event sets on its
compartment. Applied once per new event, and only when the event's seq is newer than the one that
last set the compartment (events of one station may be stored by different office processes in a
different order). Overdue pickups: a loaded compartment older than `pickup_days`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from office.schema import compartments
from office.util import insert_ignore

COMPARTMENT_RE_LEN = 8
DOOR = {"door_opened": "open", "uncommanded_open": "open", "door_closed": "closed", "door_unknown": "unknown"}

RULES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "compartment.reserved": lambda d: {"state": "reserved", "size": d.get("size"), "case_no": d.get("case")},
    "compartment.loaded": lambda d: {"state": "loaded", "case_no": d.get("case")},
    "compartment.emptied": lambda d: {"state": "empty", "case_no": None},
    "compartment.out_of_service": lambda d: {"state": "out_of_service", "attention": str(d.get("reason", ""))[:500]},
    "compartment.in_service": lambda d: {"state": "empty", "attention": None},
    "compartment.attention": lambda d: {"attention": str(d.get("why", ""))[:500]},
    "cabinet.door": lambda d: {"door": DOOR[d["event"]]} if d.get("event") in DOOR else {},
}


def apply(conn: Connection, station: str, ev: dict[str, Any]) -> bool:
    rule = RULES.get(ev["type"])
    cid = ev["data"].get("compartment")
    if rule is None or not isinstance(cid, str) or not 1 <= len(cid) <= COMPARTMENT_RE_LEN:
        return False
    values = {k: v for k, v in rule(ev["data"]).items()}
    if "size" in values and values["size"] not in ("S", "M", "L"):
        values.pop("size")
    if "case_no" in values and values["case_no"] is not None:
        values["case_no"] = str(values["case_no"])[:64]
    if not values:
        return False
    conn.execute(insert_ignore(conn, compartments).values(station=station, id=cid, state="empty", since=ev["ts"],
                                                           seq=0, door_seq=0))
    # the door and the rest are guarded separately: a door event must not block an older
    # reservation that is stored after it, nor the other way round
    guard, mark = (compartments.c.door_seq, "door_seq") if set(values) == {"door"} else (compartments.c.seq, "seq")
    if "state" in values:
        values["since"] = ev["ts"]
    res = conn.execute(update(compartments).where(compartments.c.station == station, compartments.c.id == cid,
                                                  guard < ev["seq"]).values(**{mark: ev["seq"]}, **values))
    return bool(res.rowcount)


def grid(conn: Connection, station: str, pickup_days: int = 7, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or datetime.now(timezone.utc)
    cutoff = (now - timedelta(days=pickup_days)).isoformat()
    out = []
    for r in conn.execute(select(compartments).where(compartments.c.station == station).order_by(compartments.c.id)):
        d = dict(r._mapping)
        d["overdue"] = d["state"] == "loaded" and d["since"] < cutoff
        out.append(d)
    return out


def overdue_pickups(conn: Connection, pickup_days: int = 7, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or datetime.now(timezone.utc)
    cutoff = (now - timedelta(days=pickup_days)).isoformat()
    return [dict(r._mapping) for r in conn.execute(select(compartments).where(
        compartments.c.state == "loaded", compartments.c.since < cutoff).order_by(compartments.c.since))]
