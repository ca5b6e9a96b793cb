"""Working days: promised completion dates skip weekends and public holidays.

`WorkCalendar.add_working_days(day, n)` counts from the next working day after `day` (a case
submitted on Friday with a 1-day promise is due on Monday). The built-in calendar knows the
mainland public holidays and the weekend make-up working days (调休) of 2026; extend it with
`WorkCalendar(extra_holidays=..., extra_workdays=...)` when the State Council publishes the next
year's notice. For a year no notice covers, the fixed-date statutory holidays (元旦 1 January,
劳动节 1-2 May, 国庆节 1-3 October; 全国年节及纪念日放假办法 as amended in 2024) still count, so a
promise made in late December never lands on New Year's Day; the lunar holidays and 调休 of
such a year are unknown until the notice is added.
"""

from __future__ import annotations

from datetime import date, timedelta


def _span(y: int, m: int, d: int, days: int) -> set[date]:
    start = date(y, m, d)
    return {start + timedelta(days=i) for i in range(days)}


HOLIDAYS_2026: set[date] = (
    _span(2026, 1, 1, 3)      # 元旦
    | _span(2026, 2, 15, 9)   # 春节
    | _span(2026, 4, 4, 3)    # 清明节
    | _span(2026, 5, 1, 5)    # 劳动节
    | _span(2026, 6, 19, 3)   # 端午节
    | _span(2026, 9, 25, 3)   # 中秋节
    | _span(2026, 10, 1, 7)   # 国庆节
)
MAKEUP_WORKDAYS_2026: set[date] = {
    date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
    date(2026, 9, 20), date(2026, 10, 10),
}


# (month, day) of the statutory holidays whose date is fixed in the Gregorian calendar
FIXED_STATUTORY: frozenset[tuple[int, int]] = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})
BUILTIN_YEARS = frozenset({2026})


class WorkCalendar:
    def __init__(self, extra_holidays: set[date] | None = None, extra_workdays: set[date] | None = None,
                 builtin: bool = True) -> None:
        self.holidays = (set(HOLIDAYS_2026) if builtin else set()) | set(extra_holidays or ())
        self.workdays = (set(MAKEUP_WORKDAYS_2026) if builtin else set()) | set(extra_workdays or ())
        # years whose holidays are listed in full (a notice): no fixed-date fallback there
        self.known_years = (set(BUILTIN_YEARS) if builtin else set()) | {d.year for d in extra_holidays or ()}

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if day.year not in self.known_years and (day.month, day.day) in FIXED_STATUTORY:
            return False
        return day.weekday() < 5

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n = 0: `day` itself)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        current = day
        left = n
        while left > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                left -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 if end <= start)."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count
