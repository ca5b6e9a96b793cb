"""The working-day calendar: the shipped State Council notice checked day by day against the
`chinese-calendar` package (which encodes the published notices), the computed fallback for a
year with no notice, notices received from the back office, and every bad notice refused whole."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from kiosk.services.holiday_notices import NoticeBook, NoticeError, load_notices, parse_notice, shipped_notices
from kiosk.services.store import Store
from kiosk.services.workdays import WorkCalendar

NOTICE_2027 = {  # a made-up notice for the tests (the real 2027 notice is not in the package yet)
    "year": 2027, "source": "test notice",
    "holidays": [{"from": "2027-02-05", "to": "2027-02-13"}, "2027-01-01"],
    "workdays": ["2027-01-31", "2027-02-20"],
}


def _days(year: int):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def test_shipped_2026_matches_the_published_notice_day_by_day():
    cal = WorkCalendar()
    wrong = [d for d in _days(2026) if cal.is_working_day(d) != chinese_calendar.is_workday(d)]
    assert wrong == []
    assert 2026 in shipped_notices() and "2026" in shipped_notices()[2026].source


def test_a_year_without_notice_counts_the_computed_lunar_holidays_and_is_reported_from_december():
    cal = WorkCalendar()
    # Spring Festival 2027: eve 5 Feb, 6-8 Feb, the weekend days observed on 9-10 Feb
    assert [d.day for d in _days(2027) if d.month == 2 and not cal.is_working_day(d) and d.weekday() < 5] == [
        5, 8, 9, 10]
    assert cal.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 11)
    assert cal.missing_next_year(date(2026, 11, 30)) is None
    assert cal.missing_next_year(date(2026, 12, 1)) == 2027
    assert cal.as_health(date(2026, 12, 5)) == {"notice_years": [2026], "missing_notice": 2027}


def test_notices_from_the_back_office_are_kept_and_followed(tmp_path):
    store = Store(tmp_path / "s.db")
    book = NoticeBook(store)
    cal = WorkCalendar(book=book)
    assert cal.is_working_day(date(2027, 2, 11)) and not cal.is_working_day(date(2027, 1, 31))
    assert book.receive([NOTICE_2027], "backoffice:ops:li", "2026-12-05T10:00:00+08:00") == [2027]
    # followed at once: 11 Feb is now a holiday, Sunday 31 Jan a working day; the missing notice is gone
    assert not cal.is_working_day(date(2027, 2, 11)) and cal.is_working_day(date(2027, 1, 31))
    assert cal.missing_next_year(date(2026, 12, 5)) is None
    store.close()
    again = WorkCalendar(book=NoticeBook(Store(tmp_path / "s.db")))  # kept across a restart
    assert again.is_working_day(date(2027, 1, 31)) and not again.is_working_day(date(2027, 2, 12))
    assert not again.is_working_day(date(2026, 2, 16))  # the shipped 2026 notice still counts


@pytest.mark.parametrize("notice, words", [
    ({**NOTICE_2027, "workdays": ["2027-02-01"]}, "not a Saturday or Sunday"),
    ({**NOTICE_2027, "holidays": ["2028-01-01"]}, "not in 2027"),
    ({**NOTICE_2027, "holidays": ["2027-13-01"]}, "is not a date"),
    ({**NOTICE_2027, "holidays": [{"from": "2027-02-10", "to": "2027-02-01"}]}, "not a span"),
    ({**NOTICE_2027, "holidays": []}, "no holidays"),
    ({**NOTICE_2027, "workdays": ["2027-02-06"]}, "both a holiday and a working day"),
    ({**NOTICE_2027, "year": "2027"}, "whole number"),
    ({**NOTICE_2027, "extra": 1}, "unknown field"),
])
def test_a_bad_notice_is_refused_with_its_reason_and_nothing_is_kept(tmp_path, notice, words):
    book = NoticeBook(Store(tmp_path / "s.db"))
    with pytest.raises(NoticeError, match=words):
        book.receive([{**NOTICE_2027, "year": 2028, "holidays": ["2028-01-01"], "workdays": []}, notice],
                     "backoffice", "2026-12-05T10:00:00+08:00")
    assert sorted(book.notices()) == [2026]  # all or nothing: the good 2028 notice was not kept either


def test_bad_lists_and_files_are_refused(tmp_path):
    book = NoticeBook(Store(tmp_path / "s.db"))
    for bad in ([], "2027", [NOTICE_2027, NOTICE_2027]):
        with pytest.raises(NoticeError):
            book.receive(bad, "backoffice", "now")
    with pytest.raises(NoticeError, match="holidays.toml: not valid TOML"):
        load_notices("[[notice]\nyear = 2027")
    with pytest.raises(NoticeError, match="two notices for 2026"):
        load_notices("[[notice]]\nyear = 2026\nholidays = [2026-01-01]\n[[notice]]\nyear = 2026\nholidays = [2026-01-02]")
    assert parse_notice({"year": 2027, "holidays": ["2027-01-01"]}).workdays == frozenset()
