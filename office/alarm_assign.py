"""Assigning an alarm to the operator account that deals with it (audited, shown in the console).

Only open or acknowledged alarms can be assigned, only to an existing account whose role may
handle alarms (`HANDLER_ROLES`); assigning again moves it to the new person (both names are in the
audit trail). Assigning to "" (the console's "nobody" choice) takes the assignment away
(`alarm.unassign` in the audit trail). Assignment does not acknowledge: an assigned alarm nobody
acknowledges is still escalated.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from office import auditlog
from office.alarms import AlarmError
from office.schema import alarms, users
from office.util import now_iso

HANDLER_ROLES = frozenset({"operator", "supervisor", "admin"})


def handlers(conn: Connection) -> list[str]:
    """The accounts an alarm can be assigned to, by name."""
    return [r.name for r in conn.execute(select(users.c.name).where(users.c.role.in_(sorted(HANDLER_ROLES)))
                                         .order_by(users.c.name))]


def assign(conn: Connection, alarm_id: int, to: str, by: str) -> dict[str, Any]:
    row = conn.execute(select(alarms).where(alarms.c.id == alarm_id)).first()
    if row is None:
        raise AlarmError(f"no alarm {alarm_id}")
    if row.state == "cleared":
        raise AlarmError(f"alarm {alarm_id} is cleared; nothing left to assign")
    if to == "":
        conn.execute(update(alarms).where(alarms.c.id == alarm_id).values(assigned_to=None, assigned_at=None))
        auditlog.record(conn, f"user:{by}", "alarm.unassign", str(alarm_id), station=row.station, kind=row.kind,
                        before=row.assigned_to)
        return {**dict(row._mapping), "assigned_to": None, "assigned_at": None}
    user = conn.execute(select(users.c.role).where(users.c.name == to)).first()
    if user is None:
        raise AlarmError(f"no operator account {to[:64]!r}")
    if user.role not in HANDLER_ROLES:
        raise AlarmError(f"{to} has role {user.role}, which cannot handle alarms "
                         f"(one of {', '.join(sorted(HANDLER_ROLES))})")
    at = now_iso()
    conn.execute(update(alarms).where(alarms.c.id == alarm_id).values(assigned_to=to, assigned_at=at))
    auditlog.record(conn, f"user:{by}", "alarm.assign", str(alarm_id), station=row.station, kind=row.kind,
                    to=to, before=row.assigned_to)
    return {**dict(row._mapping), "assigned_to": to, "assigned_at": at}
