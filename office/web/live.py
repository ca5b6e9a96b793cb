"""Live updates for the console: server-sent events that say "this part of the page changed".

`GET /api/live?topics=alarms,stations,grid:STATION` streams `event: change` with the topic as data
whenever the topic's fingerprint changes (checked every `every_s` seconds, one small aggregate
query per topic). The page's script (static/live.js) then fetches the page again and swaps the
parts marked `data-live` — the server renders everything, there is no client-side templating and
no build step. A stream ends after `max_s` (EventSource reconnects by itself) so no connection
outlives a restart for long. `FINGERPRINTS` is the registry of topics.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool

from office.schema import alarms, compartments, pickup_actions, pickups, stations

MAX_STREAMS_PER_SESSION = 6  # console tabs of one operator; each stream queries once a second


def _alarms(conn: Connection, _arg: str) -> tuple[Any, ...]:
    return tuple(conn.execute(select(
        func.count(), func.max(alarms.c.id), func.sum(case((alarms.c.state == "open", 1), else_=0)),
        func.sum(case((alarms.c.state == "cleared", 1), else_=0)), func.max(alarms.c.acked_at),
        func.max(alarms.c.escalated_at), func.max(alarms.c.assigned_at))).one())


def _stations(conn: Connection, _arg: str) -> tuple[Any, ...]:
    row = conn.execute(select(
        func.count(), func.max(stations.c.last_seen), func.sum(case((stations.c.online, 1), else_=0)),
        func.sum(case((stations.c.state == "maintenance", 1), else_=0)),
        func.sum(case((stations.c.paper == "ok", 1), else_=0)), func.sum(case((stations.c.paper == "low", 1), else_=0)),
        func.sum(case((stations.c.boards == "ok", 1), else_=0)),
        func.sum(case((stations.c.reader == "online", 1), else_=0)),
        func.sum(case((stations.c.camera == "online", 1), else_=0)),
        func.max(stations.c.sw))).one()
    return tuple(row) + _alarms(conn, "")[:3]  # the open-alarm badges are in the station list too


def _grid(conn: Connection, station: str) -> tuple[Any, ...]:
    c = compartments.c
    return tuple(conn.execute(select(func.count(), func.sum(c.seq), func.sum(c.door_seq))
                              .where(c.station == station)).one()) + _alarms(conn, "")[:3]


def _pickups(conn: Connection, _arg: str) -> tuple[Any, ...]:
    c = compartments.c
    return (tuple(conn.execute(select(func.count(), func.sum(c.seq))).one())
            + tuple(conn.execute(select(func.max(pickups.c.id))).one())
            + tuple(conn.execute(select(func.max(pickup_actions.c.id))).one()))


FINGERPRINTS: dict[str, Callable[[Connection, str], tuple[Any, ...]]] = {
    "alarms": _alarms,
    "stations": _stations,
    "grid": _grid,
    "pickups": _pickups,
}


def parse_topics(raw: str) -> list[tuple[str, str]]:
    """`alarms,grid:sh-0001` -> [("alarms", ""), ("grid", "sh-0001")]; unknown topics raise ValueError."""
    out = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        name, _, arg = part.partition(":")
        if name not in FINGERPRINTS or len(arg) > 40:
            raise ValueError(f"live topic {part[:60]!r}: one of {', '.join(FINGERPRINTS)} (grid:STATION)")
        out.append((name, arg))
    if not out or len(out) > 5:
        raise ValueError("topics: 1 to 5 of " + ", ".join(FINGERPRINTS))
    return out


def fingerprints(engine: Engine, topics: list[tuple[str, str]]) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as conn:
        return {f"{n}:{a}" if a else n: FINGERPRINTS[n](conn, a) for n, a in topics}


async def stream(engine: Engine, topics: list[tuple[str, str]], every_s: float = 1.0,
                 max_s: float = 300.0, allowed: Callable[[], bool] | None = None,
                 recheck_every: int = 5) -> AsyncIterator[str]:
    """Change notices for `topics`; `allowed()` (the session still signed in and permitted) is
    asked again every `recheck_every` ticks: after a logout or a lock-out the stream ends."""
    last = await run_in_threadpool(fingerprints, engine, topics)
    yield "retry: 2000\n\n"
    waited = 0.0
    ticks = 0
    while waited < max_s:
        await asyncio.sleep(every_s)
        waited += every_s
        ticks += 1
        if allowed is not None and ticks % recheck_every == 0 and not await run_in_threadpool(allowed):
            yield "event: logout\ndata: signed out\n\n"
            return
        try:
            now = await run_in_threadpool(fingerprints, engine, topics)
        except Exception:  # the database is away: say nothing, try again
            continue
        changed = [k for k, v in now.items() if last.get(k) != v]
        last = now
        for k in changed:
            yield f"event: change\ndata: {k}\n\n"
        if not changed and int(waited) % 15 == 0:
            yield ": keep-alive\n\n"
