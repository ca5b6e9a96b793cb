"""The office's audit trail: one row per operator action, refusal and security event.

Append-only from the code's side (no update or delete exists here). A record names the actor
(`user:NAME`, `station:ID`, `system`), the action, the target and a JSON detail.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from office.schema import audit
from office.util import dumps, now_iso


def record(conn: Connection, actor: str, action: str, target: str = "", ok: bool = True, **detail: Any) -> None:
    conn.execute(audit.insert().values(at=now_iso(), actor=actor[:80], action=action[:80], target=str(target)[:120],
                                       ok=ok, detail=dumps(detail)))


def record_now(engine: Engine, actor: str, action: str, target: str = "", ok: bool = True, **detail: Any) -> None:
    """In its own transaction (for refusals, which must be recorded although the action is not done)."""
    with engine.begin() as conn:
        record(conn, actor, action, target, ok, **detail)


def recent(engine: Engine, limit: int = 200, action: str | None = None) -> list[dict[str, Any]]:
    q = select(audit).order_by(audit.c.id.desc()).limit(limit)
    if action:
        q = q.where(audit.c.action == action)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
