"""Cases: the ledger per case (record + timeline + submitted files) and the approver's decisions.

Deadlines (`office.deadlines`): promised and statutory dates on the working-day calendar; cases
still waiting are marked due soon, overdue or past the statutory limit (限时办结).
A station's `submit_case` creates a case in state `submitted` (print items are completed at once,
as the station expects). An approver approves, rejects with a reason, or asks for a missing
material (`material_requested`: the item and the reason go to the timeline, the station and, by
SMS, the citizen; the case can then still be approved or rejected). Approving issues the result:
a result collected from the cabinet -> `result_ready` (the console sends the deposit task); an
electronic result (neither cabinet nor print) goes to the citizen by SMS with a verification
link (`verify_code`, checked at `/verify/{code}`). Each change is written to the timeline and,
for the station that submitted the case, to `station_messages`, which it reads with
`poll_events` (kinds `case_status` and `result_ready`, the same the simulator sends).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from office import auditlog
from office.case_privacy import masked_form
from office.deadlines import OPEN_STATUSES, deadline_state, today_local
from office.schema import case_files, case_timeline, cases, notifications, station_messages
from office.util import dumps, now_iso

_REEXPORTED = (OPEN_STATUSES, deadline_state)  # office.report and older callers import them from here

MAX_REASON = 500
MAX_MATERIAL = 60  # a material's name, as the catalog's name_zh
DECIDABLE = ("submitted", "accepted", "material_requested")
VERIFY_URL = "https://zwfw.example.gov.cn/verify/{code}"  # the public portal's check of an issued result


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


def get(conn: Connection, case_no: str, reveal: bool = False) -> dict[str, Any] | None:
    """The case for the console. `reveal` (roles that decide cases only): the form's ID and phone
    numbers in full; else masked (`office.case_privacy`). The applicant fingerprint is never in it."""
    row = conn.execute(select(cases).where(cases.c.case_no == case_no)).first()
    if row is None:
        return None
    out = dict(row._mapping)
    out.pop("document", None)
    out.pop("applicant_fp", None)
    form = {k: v for k, v in json.loads(out["form"]).items() if not k.startswith("_")}
    out["form"] = form if reveal else masked_form(out["matter_code"], form)
    out["deadline"] = deadline_state(out["promised_date"], out["status"], None, out["statutory_date"])
    out["electronic"] = not out["via_cabinet"] and not out["prints"]
    out["verify_code"] = verify_code(case_no, out["ref"]) if out["status"] == "approved" and out["electronic"] else None
    out["timeline"] = [dict(r._mapping) for r in conn.execute(
        select(case_timeline).where(case_timeline.c.case_no == case_no).order_by(case_timeline.c.id))]
    out["files"] = [dict(r._mapping) for r in conn.execute(
        select(case_files.c.id, case_files.c.name, case_files.c.kind, case_files.c.media_type, case_files.c.sha256,
               case_files.c.pages).where(case_files.c.case_no == case_no).order_by(case_files.c.id))]
    return out


def list_cases(conn: Connection, state: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    q = select(cases.c.case_no, cases.c.station, cases.c.matter_code, cases.c.applicant_masked, cases.c.status,
               cases.c.submitted_at, cases.c.updated_at, cases.c.promised_date, cases.c.statutory_date,
               cases.c.reason, cases.c.via_cabinet).order_by(cases.c.submitted_at.desc()).limit(limit)
    if state:
        q = q.where(cases.c.status == state)
    today = today_local()
    return [{**dict(r._mapping), "deadline": deadline_state(r.promised_date, r.status, today, r.statutory_date)}
            for r in conn.execute(q)]


def _decidable(conn: Connection, case_no: str) -> Any:
    row = conn.execute(select(cases).where(cases.c.case_no == case_no).with_for_update()).first()
    if row is None:
        raise CaseError(f"no case {case_no!r}")
    if row.status not in DECIDABLE:
        raise CaseError(f"case {case_no} is {row.status}; only a submitted case can be decided")
    return row


def verify_code(case_no: str, ref: str) -> str:
    """The code printed on / sent with an issued result; the same as on a printed certificate."""
    return hashlib.sha256((case_no + ref).encode()).hexdigest()[:12].upper()


def queue_sms(conn: Connection, case_no: str, kind: str, text_zh: str, text_en: str, **params: str) -> str:
    """Store a message to the citizen of this case (`office.sms.Sender` sends it) in this transaction."""
    phone = conn.execute(select(cases.c.phone_masked).where(cases.c.case_no == case_no)).scalar() or ""
    nid = "SMS" + uuid.uuid4().hex[:12].upper()
    conn.execute(notifications.insert().values(id=nid, case_no=case_no, kind=kind, to_masked=phone, text_zh=text_zh,
                                               text_en=text_en, params=dumps(params), at=now_iso(), status="queued",
                                               attempts=0))
    return nid


def approve(conn: Connection, case_no: str, user: str) -> str:
    row = _decidable(conn, case_no)
    actor = f"user:{user}"
    note_zh, note_en = "审核通过，已办结", "Approved"
    electronic = not row.via_cabinet and not row.prints
    if electronic:  # the result goes to the citizen with a code and a link to check it
        code = verify_code(case_no, row.ref)
        url = VERIFY_URL.format(code=code)
        note_zh += f"；电子结果已发送申请人（核验码 {code}）"
        note_en += f"; electronic result sent to the applicant (verification code {code})"
    move(conn, case_no, row.station, "approved", note_zh, note_en, actor)
    if electronic:  # /verify/{code} finds it by this indexed column
        conn.execute(update(cases).where(cases.c.case_no == case_no).values(verify_code=code, approved_at=now_iso()))
    status = "approved"
    if electronic:
        queue_sms(conn, case_no, "result_electronic",
                  f"【政务服务】您的办件{case_no}已办结，电子结果已发送，核验码{code}，查验：{url}",
                  f"[Gov Services] Case {case_no} is approved; your electronic result: verification code {code}, "
                  f"check it at {url}", code=code, url=url)
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


def _clean(text: Any, limit: int, what: str) -> str:
    text = " ".join(str(text or "").split())
    if not text:
        raise CaseError(f"{what} is empty (the citizen is told what is missing and why)")
    if len(text) > limit:
        raise CaseError(f"{what} longer than {limit} characters")
    return text


def request_material(conn: Connection, case_no: str, user: str, material: str, reason: str) -> str:
    """Ask the citizen for a missing or unusable material (补正): the case waits in
    `material_requested`; the station (its query shows the note) and the citizen (SMS) are told."""
    material = _clean(material, MAX_MATERIAL, "the missing material")
    reason = _clean(reason, MAX_REASON, "the reason")
    row = _decidable(conn, case_no)
    if row.status == "material_requested":  # the station merges by status: a second request would not reach it
        raise CaseError(f"case {case_no} already waits for a material; approve or reject it first")
    conn.execute(update(cases).where(cases.c.case_no == case_no).values(reason=f"{material}: {reason}"))
    move(conn, case_no, row.station, "material_requested", f"请补正材料：{material}（{reason}）",
         f"Missing material: {material} ({reason})", f"user:{user}")
    queue_sms(conn, case_no, "material_requested",
              f"【政务服务】您的办件{case_no}需补正材料：{material}。原因：{reason}。请携带材料到自助服务站或窗口办理。",
              f"[Gov Services] Case {case_no} needs a material: {material}. Reason: {reason}. "
              "Please bring it to a self-service station or the counter.", material=material[:60])
    auditlog.record(conn, f"user:{user}", "case.request_material", case_no, station=row.station,
                    material=material, reason=reason)
    return "material_requested"
