"""Time limits of a case (限时办结) on the working-day calendar the stations use.

A matter in the catalog has a promised limit (承诺时限) and a statutory one (法定时限), both in
working days (`kiosk.services.workdays.WorkCalendar`: weekends, public holidays and 调休 make-up
days). Counting starts the working day after submission, in the authority's local time zone
(Asia/Shanghai), so the office computes the same promised date as the station prints on the
receipt. `deadline_state` names the warning a case still waiting for a decision carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.services.workdays import WorkCalendar

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar()
DUE_SOON_WORKING_DAYS = 1  # a warning this many working days (or fewer) before a limit
# statuses whose clock runs (a case waiting for a missing material is paused: 补正期间不计时 is not
# modelled beyond "no warning while the citizen has the ball")
OPEN_STATUSES = ("submitted", "accepted")
STATES = ("statutory_overdue", "overdue", "due_soon")


@dataclass(frozen=True)
class Limits:
    promised: str | None  # YYYY-MM-DD
    statutory: str | None


def today_local(now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(OFFICE_TZ).date()


def limits_for(matter: Any, now: datetime | None = None, calendar: WorkCalendar = CALENDAR) -> Limits:
    """The promised and statutory dates of a case of `matter` submitted `now` (None: no limit;
    an instant item has promised_days 0 and gets none)."""
    start = today_local(now)
    promised = calendar.add_working_days(start, matter.promised_days) if matter.promised_days else None
    statutory = calendar.add_working_days(start, matter.statutory_days) if matter.statutory_days else None
    return Limits(promised.isoformat() if promised else None, statutory.isoformat() if statutory else None)


def deadline_state(promised_date: str | None, status: str, today: date | None = None,
                   statutory_date: str | None = None, calendar: WorkCalendar = CALENDAR) -> str:
    """"statutory_overdue" past the statutory date, "overdue" past the promised date, "due_soon"
    when a limit is DUE_SOON_WORKING_DAYS working days away or less, else "" — only for cases
    still waiting for a decision."""
    if status not in OPEN_STATUSES:
        return ""
    today = today or today_local()
    statutory = date.fromisoformat(statutory_date) if statutory_date else None
    promised = date.fromisoformat(promised_date) if promised_date else None
    if statutory is not None and today > statutory:
        return "statutory_overdue"
    if promised is not None and today > promised:
        return "overdue"
    for limit in (promised, statutory):
        if limit is not None and calendar.working_days_between(today, limit) <= DUE_SOON_WORKING_DAYS:
            return "due_soon"
    return ""
