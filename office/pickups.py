"""Pickups at the stations: the last 24 hours' collections, overdue results, reminders and recalls.

- `record(conn, station, event)`: a `compartment.emptied` event with `why = collected` is a pickup
  (stored once per event id) — the console lists the last 24 hours.
- The overdue period (days a result may wait in a compartment) is an office setting an operator
  changes in the console (`office_settings.pickup_days`, audited); `--pickup-days` is the default.
- `remind(...)`: a reminder SMS through the notification table (`office.sms` sends it, retries and
  resends it like any other). It carries the pickup code of the case's stored `pickup_code`
  notification, so the code the citizen needs is never lost; with no code on record the reminder
  is refused with a message saying to recall instead.
- `recall(...)`: a signed `recall_pickup` command: the station lists the compartment in the staff
  retrieve task (ADR 0237). The command is stored and published like every other.
- `remind_due(...)` (the `Reminders` thread): each overdue result gets one automatic reminder per
  stay in its compartment.
Every reminder and recall is a `pickup_actions` row and an audit record.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from office import auditlog, cabinets
from office import commands as cmd_ops
from office.schema import commands, compartments, notifications, office_settings, pickup_actions, pickups
from office.util import dumps, insert_ignore, now_iso

log = logging.getLogger(__name__)
PERIOD_KEY = "pickup_days"
MIN_DAYS, MAX_DAYS = 1, 90
COLLECTED_EVENT = "compartment.emptied"


class PickupError(ValueError):
    pass


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---- the overdue period ---------------------------------------------------------------------------
def period_days(conn: Connection, default: int) -> int:
    row = conn.execute(select(office_settings.c.value).where(office_settings.c.key == PERIOD_KEY)).first()
    try:
        return int(row.value) if row else default
    except ValueError:
        return default


def set_period_days(conn: Connection, days: Any, user: str) -> int:
    if isinstance(days, str) and days.strip().isdigit():
        days = int(days.strip())
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        raise PickupError(f"overdue period {str(days)[:20]!r}: a whole number of days from {MIN_DAYS} to {MAX_DAYS}")
    before = conn.execute(select(office_settings.c.value).where(office_settings.c.key == PERIOD_KEY)).first()
    values = dict(value=str(days), updated_by=user, updated_at=now_iso())
    if before is None:
        conn.execute(insert_ignore(conn, office_settings).values(key=PERIOD_KEY, **values))
    conn.execute(update(office_settings).where(office_settings.c.key == PERIOD_KEY).values(**values))
    auditlog.record(conn, f"user:{user}", "setting.pickup_days", PERIOD_KEY, days=days,
                    before=before.value if before else None)
    return days


# ---- pickups from the stations' events ---------------------------------------------------------------
def record(conn: Connection, station: str, ev: dict[str, Any]) -> bool:
    d = ev.get("data")
    if ev.get("type") != COLLECTED_EVENT or not isinstance(d, dict) or d.get("why") != "collected":
        return False
    comp = d.get("compartment")
    if not isinstance(comp, str) or not 1 <= len(comp) <= 8:
        return False
    case = d.get("case")
    res = conn.execute(insert_ignore(conn, pickups).values(station=station, event_id=ev["event_id"], compartment=comp,
                                                           case_no=str(case)[:64] if case else None, at=ev["ts"]))
    return bool(res.rowcount)


def recent(conn: Connection, hours: float = 24, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or datetime.now(timezone.utc)
    since = _iso(now - timedelta(hours=hours))
    return [dict(r._mapping) for r in conn.execute(select(pickups).where(pickups.c.at >= since)
                                                   .order_by(pickups.c.at.desc()).limit(2000))]


# ---- overdue results ------------------------------------------------------------------------------
def overdue(conn: Connection, days: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """Overdue pickups with their last reminder and recall (during this stay in the compartment)."""
    rows = cabinets.overdue_pickups(conn, days, now)
    cases = [r["case_no"] for r in rows if r["case_no"]]
    acts: dict[tuple[str, str, str], dict[str, Any]] = {}
    if cases:
        for a in conn.execute(select(pickup_actions).where(pickup_actions.c.case_no.in_(cases))
                              .order_by(pickup_actions.c.id)):
            acts[(a.station, a.case_no, a.action)] = dict(a._mapping)
    out = []
    for r in rows:
        d = {"station": r["station"], "compartment": r["id"], "case_no": r["case_no"], "since": r["since"],
             "size": r["size"]}
        for action in ("reminder", "recall"):
            a = acts.get((r["station"], r["case_no"] or "", action))
            d[f"{action}_at"] = a["at"] if a and a["at"] >= r["since"] else None
            d[f"{action}_ref"] = a["ref"] if a and a["at"] >= r["since"] else None
        out.append(d)
    return out


def _loaded(conn: Connection, station: str, compartment: str, case_no: str) -> None:
    row = conn.execute(select(compartments).where(compartments.c.station == station,
                                                  compartments.c.id == compartment)).first()
    if row is None or row.state != "loaded" or row.case_no != case_no:
        raise PickupError(f"{station} {compartment} does not hold case {case_no} (collected or moved meanwhile?)")


def reminder_text(case_no: str, p: dict[str, str]) -> tuple[str, str]:
    zh = (f"【政务服务】提醒：您的办件{case_no}办理结果仍在{p.get('station', '24小时自助服务站')}{p.get('compartment', '')}"
          f"号柜，取件码{p.get('code', '')}，请尽快领取，逾期将由工作人员取回窗口。")
    en = (f"[Gov Services] Reminder: the result of case {case_no} is still in compartment {p.get('compartment', '')} "
          f"at {p.get('station_en', 'the 24-hour self-service station')}. Pickup code {p.get('code', '')}. "
          "Please collect it soon; otherwise staff take it back to the service desk.")
    return zh, en


def remind(conn: Connection, station: str, compartment: str, case_no: str, actor: str) -> str:
    """Queue a reminder SMS carrying the case's pickup code; returns the notification id."""
    _loaded(conn, station, compartment, case_no)
    src = conn.execute(select(notifications).where(notifications.c.case_no == case_no,
                                                   notifications.c.kind == "pickup_code")
                       .order_by(notifications.c.at.desc()).limit(1)).first()
    params = json.loads(src.params) if src is not None else {}
    if not params.get("code"):
        raise PickupError(f"no pickup code on record for case {case_no}: a reminder without the code would not "
                          "help the citizen; recall the item for staff instead")
    params.setdefault("compartment", compartment)
    zh, en = reminder_text(case_no, params)
    nid = "SMS" + uuid.uuid4().hex[:12].upper()
    at = now_iso()
    conn.execute(notifications.insert().values(id=nid, case_no=case_no, kind="pickup_reminder",
                                               to_masked=src.to_masked, text_zh=zh, text_en=en, params=dumps(params),
                                               at=at, status="queued", attempts=0))
    conn.execute(pickup_actions.insert().values(station=station, compartment=compartment, case_no=case_no,
                                                action="reminder", ref=nid, actor=actor[:80], at=at))
    auditlog.record(conn, actor, "pickup.remind", case_no, station=station, compartment=compartment, sms=nid)
    return nid


def recall(conn: Connection, station: str, compartment: str, case_no: str, user: str, key: Any,
           reason: str = "") -> dict[str, Any]:
    """A signed `recall_pickup` for staff; returns {cmd_id, state, command} (the caller publishes)."""
    if key is None:
        raise PickupError("the office has no signing key (--signing-key): it cannot send commands")
    _loaded(conn, station, compartment, case_no)
    args = {"case": case_no, "compartment": compartment, "reason": (reason or "overdue pickup")[:200]}
    try:
        cmd = cmd_ops.build(station, "recall_pickup", args, f"user:{user}", key)
    except Exception as exc:  # the contract refuses what the station would refuse
        raise PickupError(f"recall for {station} {compartment}: {exc}") from None
    at = now_iso()
    conn.execute(commands.insert().values(cmd_id=cmd["cmd_id"], station=station, name="recall_pickup",
                                          args=dumps(args), operator=user, approver=None, state="sent",
                                          document=dumps(cmd), result=None, created_at=at, updated_at=at))
    conn.execute(pickup_actions.insert().values(station=station, compartment=compartment, case_no=case_no,
                                                action="recall", ref=cmd["cmd_id"], actor=f"user:{user}", at=at))
    auditlog.record(conn, f"user:{user}", "command.send", cmd["cmd_id"], station=station, name="recall_pickup",
                    case=case_no, compartment=compartment)
    return {"cmd_id": cmd["cmd_id"], "state": "sent", "command": cmd}


def remind_due(conn: Connection, days: int, now: datetime | None = None) -> list[str]:
    """One automatic reminder per overdue result and stay; a result without a code is skipped (logged)."""
    done = []
    for o in overdue(conn, days, now):
        if o["reminder_at"] or not o["case_no"]:
            continue
        try:
            with conn.begin_nested():
                done.append(remind(conn, o["station"], o["compartment"], o["case_no"], "system"))
        except PickupError as exc:
            log.warning("no automatic reminder: %s", exc)
    return done


class Reminders:
    """A thread that sends the automatic reminders every `every_s` seconds."""

    def __init__(self, engine: Any, default_days: int, every_s: float = 300.0) -> None:
        self.engine, self.default_days, self.every_s = engine, default_days, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="office-pickup-reminders", daemon=True)

    def start(self) -> Reminders:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                with self.engine.begin() as conn:
                    remind_due(conn, period_days(conn, self.default_days))
            except Exception:  # a database outage must not end the thread
                log.exception("pickup reminders failed; retrying")
