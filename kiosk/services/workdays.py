"""Working days: promised completion dates skip weekends and public holidays.

`WorkCalendar.add_working_days(day, n)` counts from the next working day after `day` (a case
submitted on Friday with a 1-day promise is due on Monday). A year with a State Council notice
(`kiosk.services.holiday_notices`: shipped in kiosk/config/holidays.toml, or sent by the back
office) uses exactly its days off and make-up working days (调休). A year with no notice uses the
statutory holidays the `holidays` package computes for mainland China, lunar ones included
(Spring Festival 2027 starts on 6 February), with weekend holidays observed on the next weekdays;
the make-up working days of such a year are unknown until the notice arrives, and the station
reports the missing notice from 1 December of the year before.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, timedelta
from typing import Any

from kiosk.services.holiday_notices import WARN_FROM, HolidayNotice, NoticeBook, shipped_notices

log = logging.getLogger(__name__)

# (month, day) of the statutory holidays whose date is fixed in the Gregorian calendar; the last
# resort when the `holidays` package is not installed
FIXED_STATUTORY: frozenset[tuple[int, int]] = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


@functools.lru_cache(maxsize=16)
def computed_holidays(year: int) -> frozenset[date]:
    """Mainland China's statutory holidays of `year` as the `holidays` package computes them."""
    try:
        import holidays as holidays_pkg
    except ImportError:  # pragma: no cover - a dependency; kept so a broken install still counts 元旦
        log.warning("the holidays package is missing: only fixed-date holidays count for %d", year)
        return frozenset(date(year, m, d) for m, d in FIXED_STATUTORY)
    return frozenset(holidays_pkg.country_holidays("CN", years=year))


class WorkCalendar:
    def __init__(self, extra_holidays: set[date] | None = None, extra_workdays: set[date] | None = None,
                 builtin: bool = True, book: NoticeBook | None = None) -> None:
        """`book`: the station's notices (re-read when it changes); else the shipped ones
        (`builtin`). `extra_holidays` makes its years known years, as a notice would."""
        self.book = book
        self._base = {} if book is not None or not builtin else shipped_notices()
        self._extra_holidays = set(extra_holidays or ())
        self._extra_workdays = set(extra_workdays or ())
        self._revision = -1
        self._refresh()

    def _refresh(self) -> None:
        revision = self.book.revision if self.book is not None else 0
        if revision == self._revision:
            return
        notices: dict[int, HolidayNotice] = dict(self._base)
        if self.book is not None:
            notices.update(self.book.notices())
        self.holidays = set(self._extra_holidays).union(*(n.holidays for n in notices.values()))
        self.workdays = set(self._extra_workdays).union(*(n.workdays for n in notices.values()))
        # years whose holidays are listed in full (a notice): no computed fallback there
        self.known_years = set(notices) | {d.year for d in self._extra_holidays}
        self._revision = revision

    def is_working_day(self, day: date) -> bool:
        self._refresh()
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if day.year not in self.known_years and day in computed_holidays(day.year):
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

    def missing_next_year(self, today: date) -> int | None:
        """Next year, from 1 December (`WARN_FROM`) on, while no notice for it is known."""
        self._refresh()
        if (today.month, today.day) >= WARN_FROM and today.year + 1 not in self.known_years:
            return today.year + 1
        return None

    def as_health(self, today: date) -> dict[str, Any]:
        return {"notice_years": sorted(self.known_years), "missing_notice": self.missing_next_year(today)}
