"""The State Council's yearly holiday notices (国务院办公厅关于部分节假日安排的通知) as data.

A notice covers one year: the days off (放假) and the weekend days that become working days
(调休上班). The notices the software ships are in `kiosk/config/holidays.toml` (one `[[notice]]`
table per year, TOML dates); a station also keeps the notices its back office sends in the signed
`desired` settings (`settings.holidays`, a list of notices as JSON), in its own store, where they
override a shipped notice of the same year. A year with no notice at all falls back to the lunar
holidays the `holidays` package computes (see `kiosk.services.workdays`).

    book = NoticeBook(store)                    # shipped notices + the ones the back office sent
    book.notices()[2026].holidays               # frozenset of dates
    book.receive([{"year": 2027, ...}], actor)  # validated, kept, audited by the caller
"""

from __future__ import annotations

import json
import threading
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from kiosk.services.store import Store, register_migrations

SHIPPED = "holidays.toml"
# the notice for next year is due in the autumn; from this day of December on its absence is reported
WARN_FROM = (12, 1)
MAX_SPAN_DAYS = 15


class NoticeError(ValueError):
    """A holiday notice that cannot be used; the message names the year and the field."""


@dataclass(frozen=True)
class HolidayNotice:
    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"year": self.year, "source": self.source,
                "holidays": [d.isoformat() for d in sorted(self.holidays)],
                "workdays": [d.isoformat() for d in sorted(self.workdays)]}


def _day(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise NoticeError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")


def parse_notice(raw: Any) -> HolidayNotice:
    """One notice from TOML or JSON: `year`, `source`, `holidays` (dates, or spans
    `{from, to, name}`), `workdays` (dates). Every date must fall in the notice's year, a make-up
    working day must be a weekend day and cannot also be a holiday."""
    if not isinstance(raw, dict):
        raise NoticeError(f"a holiday notice must be a table, not {type(raw).__name__}")
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise NoticeError(f"holiday notice: year {year!r} must be a whole number between 2000 and 2100")
    where = f"holiday notice {year}"
    unknown = set(raw) - {"year", "source", "holidays", "workdays"}
    if unknown:
        raise NoticeError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    holidays: set[date] = set()
    for i, item in enumerate(raw.get("holidays") or []):
        if isinstance(item, dict):
            start, end = _day(item.get("from"), f"{where} holidays[{i}].from"), _day(item.get("to"), f"{where} holidays[{i}].to")
            if end < start or (end - start).days >= MAX_SPAN_DAYS:
                raise NoticeError(f"{where} holidays[{i}]: {start} to {end} is not a span of 1 to {MAX_SPAN_DAYS} days")
            holidays |= {start + timedelta(days=n) for n in range((end - start).days + 1)}
        else:
            holidays.add(_day(item, f"{where} holidays[{i}]"))
    workdays = {_day(item, f"{where} workdays[{i}]") for i, item in enumerate(raw.get("workdays") or [])}
    if not holidays:
        raise NoticeError(f"{where}: no holidays listed")
    for d in sorted(holidays | workdays):
        if d.year != year:
            raise NoticeError(f"{where}: {d} is not in {year}")
    for d in sorted(workdays):
        if d.weekday() < 5:
            raise NoticeError(f"{where}: make-up working day {d} is not a Saturday or Sunday")
        if d in holidays:
            raise NoticeError(f"{where}: {d} is listed as both a holiday and a working day")
    source = raw.get("source", "")
    if not isinstance(source, str) or len(source) > 200:
        raise NoticeError(f"{where}: source must be a text of at most 200 characters")
    return HolidayNotice(year, frozenset(holidays), frozenset(workdays), source)


def load_notices(text: str, origin: str = SHIPPED) -> dict[int, HolidayNotice]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NoticeError(f"{origin}: not valid TOML: {exc}") from None
    out: dict[int, HolidayNotice] = {}
    for raw in doc.get("notice", []):
        notice = parse_notice(raw)
        if notice.year in out:
            raise NoticeError(f"{origin}: two notices for {notice.year}")
        out[notice.year] = notice
    return out


def shipped_notices() -> dict[int, HolidayNotice]:
    return load_notices(resources.files("kiosk.config").joinpath(SHIPPED).read_text(encoding="utf-8"))


register_migrations("holiday_notices", [
    """
    CREATE TABLE holiday_notices (
        year INTEGER PRIMARY KEY,
        notice TEXT NOT NULL,
        actor TEXT NOT NULL,
        received_at TEXT NOT NULL
    )
    """,
])


class NoticeBook:
    """The notices a station knows: shipped ones, overridden per year by those the back office sent."""

    def __init__(self, store: Store | None = None, shipped: dict[int, HolidayNotice] | None = None,
                 path: Path | None = None) -> None:
        self.store = store
        self._shipped = dict(shipped if shipped is not None else
                             (load_notices(path.read_text(encoding="utf-8"), str(path)) if path else shipped_notices()))
        self._lock = threading.Lock()
        self._cache: dict[int, HolidayNotice] | None = None
        self.revision = 0
        if store is not None:
            store.migrate("holiday_notices")

    def notices(self) -> dict[int, HolidayNotice]:
        with self._lock:
            if self._cache is None:
                merged = dict(self._shipped)
                if self.store is not None:
                    for (text,) in self.store.query("SELECT notice FROM holiday_notices ORDER BY year"):
                        notice = parse_notice(json.loads(text))
                        merged[notice.year] = notice
                self._cache = merged
            return self._cache

    def receive(self, raw_notices: Any, actor: str, now_iso: str) -> list[int]:
        """Keep the notices the back office sent (all or nothing); returns their years."""
        if not isinstance(raw_notices, list) or not raw_notices:
            raise NoticeError("holidays: a non-empty list of notices is expected")
        parsed = [parse_notice(raw) for raw in raw_notices]
        years = [n.year for n in parsed]
        if len(set(years)) != len(years):
            raise NoticeError(f"holidays: a year is listed twice ({years})")
        if self.store is None:
            raise NoticeError("holidays: this calendar has no store to keep notices in")
        with self.store.transaction() as conn:
            for n in parsed:
                conn.execute("INSERT INTO holiday_notices(year, notice, actor, received_at) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT(year) DO UPDATE SET notice = excluded.notice, actor = excluded.actor, "
                             "received_at = excluded.received_at",
                             (n.year, json.dumps(n.as_json(), ensure_ascii=False), actor, now_iso))
        with self._lock:
            self._cache = None
            self.revision += 1
        return years
