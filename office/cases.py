"""Cases: the ledger per case (record + timeline + submitted files) and the approver's decisions.

Deadlines: `deadline_state` marks cases still waiting as due soon or overdue (限时办结).
A station's `submit_case` creates a case in state `submitted` (print items are completed at once,
as the station expects). An approver approves (-> `approved`, and for results collected from the
cabinet -> `result_ready`) or rejects with a reason. Each change is written to the timeline and,
for the station that submitted the case, to `station_messages`, which it reads with
`poll_events` (kinds `case_status` and `result_ready`, the same the simulator sends).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from office import auditlog
from office.schema import case_files, case_timeline, cases, station_messages
from office.util import dumps, now_iso

MAX_REASON = 500
DECIDABLE = ("submitted", "accepted")


class CaseError(ValueError):
    pass


def tell_station(conn: Connection, station: str, kind: str, case_no: str, **data: Any) -> None:
    conn.execute(station_messages.insert().values(station=station, event_id=uuid.uuid4().hex, kind=kind,
                                                  case_no=case_no, at=now_iso(), data=dumps(data), delivered=False))


def move(conn: Connection, case_no: str, station: str, status: str, note_zh: str, note_en: str, actor: str,
         tell: bool = True) -> None:
    at = now_iso()
    conn.execute(update(cases).where(cases.c.case_no == case_no).values(status=status, updated_at=at))
    conn.execute(case_timeline.insert().values(case_no=case_no, at=at, status=status, note_zh=note_zh,
                                               note_en=note_en, actor=actor))
    if tell:
        tell_station(conn, station, "case_status", case_no, status=status, note_zh=note_zh, note_en=note_en)


def get(conn: Connection, case_no: str) -> dict[str, Any] | None:
    row = conn.execute(select(cases).where(cases.c.case_no == case_no)).first()
    if row is None:
        return None
    out = dict(row._mapping)
    out.pop("document", None)
    out["form"] = json.loads(out["form"])
    out["timeline"] = [dict(r._mapping) for r in conn.execute(
        select(case_timeline).where(case_timeline.c.case_no == case_no).order_by(case_timeline.c.id))]
    out["files"] = [dict(r._mapping) for r in conn.execute(
        select(case_files.c.id, case_files.c.name, case_files.c.kind, case_files.c.media_type, case_files.c.sha256,
               case_files.c.pages).where(case_files.c.case_no == case_no).order_by(case_files.c.id))]
    return out


OPEN_STATUSES = ("submitted", "accepted")
DUE_SOON_DAYS = 1


def deadline_state(promised_date: str | None, status: str, today: date | None = None) -> str:
    """限时办结: "overdue" past the promised date, "due_soon" within DUE_SOON_DAYS, else "" —
    only for cases still waiting for a decision."""
    if not promised_date or status not in OPEN_STATUSES:
        return ""
    today = today or datetime.now(timezone.utc).date()
    left = (date.fromisoformat(promised_date) - today).days
    return "overdue" if left < 0 else "due_soon" if left <= DUE_SOON_DAYS else ""


def list_cases(conn: Connection, state: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    q = select(cases.c.case_no, cases.c.station, cases.c.matter_code, cases.c.applicant_masked, cases.c.status,
               cases.c.submitted_at, cases.c.updated_at, cases.c.promised_date, cases.c.reason,
               cases.c.via_cabinet).order_by(cases.c.submitted_at.desc()).limit(limit)
    if state:
        q = q.where(cases.c.status == state)
    today = datetime.now(timezone.utc).date()
    return [{**dict(r._mapping), "deadline": deadline_state(r.promised_date, r.status, today)}
            for r in conn.execute(q)]


def _decidable(conn: Connection, case_no: str) -> Any:
    row = conn.execute(select(cases).where(cases.c.case_no == case_no).with_for_update()).first()
    if row is None:
        raise CaseError(f"no case {case_no!r}")
    if row.status not in DECIDABLE:
        raise CaseError(f"case {case_no} is {row.status}; only a submitted case can be decided")
    return row


def approve(conn: Connection, case_no: str, user: str) -> str:
    row = _decidable(conn, case_no)
    actor = f"user:{user}"
    move(conn, case_no, row.station, "approved", "审核通过，已办结", "Approved", actor)
    status = "approved"
    if row.via_cabinet:
        move(conn, case_no, row.station, "result_ready", "办理结果已出具，待工作人员投柜",
             "Result issued; staff will deposit it", actor)
        tell_station(conn, row.station, "result_ready", case_no, result_size=row.result_size or "M",
                     matter_code=row.matter_code)
        status = "result_ready"
    auditlog.record(conn, actor, "case.approve", case_no, station=row.station, status=status)
    return status


def reject(conn: Connection, case_no: str, user: str, reason: str) -> str:
    reason = " ".join(str(reason).split())
    if not reason:
        raise CaseError("a rejection needs a reason (the citizen is told)")
    if len(reason) > MAX_REASON:
        raise CaseError(f"reason longer than {MAX_REASON} characters")
    row = _decidable(conn, case_no)
    conn.execute(update(cases).where(cases.c.case_no == case_no).values(reason=reason))
    move(conn, case_no, row.station, "rejected", f"不予受理：{reason}", f"Rejected: {reason}", f"user:{user}")
    auditlog.record(conn, f"user:{user}", "case.reject", case_no, station=row.station, reason=reason)
    return "rejected"
