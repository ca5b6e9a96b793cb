"""Supervision (电子监察) figures for one day: per station and service item, the cases submitted,
approved and rejected that day, the share decided by the promised date, cases overdue and still
open, and the ratings (count, share of 4-5 stars). The console shows them and exports CSV.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Connection

from office.cases import deadline_state
from office.schema import case_timeline, cases, ratings


@dataclass
class ReportRow:
    station: str
    matter: str
    submitted: int = 0
    approved: int = 0
    rejected: int = 0
    decided_on_time: int = 0
    overdue_open: int = 0
    ratings: int = 0
    good_ratings: int = 0

    @property
    def on_time_rate(self) -> float | None:
        decided = self.approved + self.rejected
        return round(self.decided_on_time / decided, 3) if decided else None

    @property
    def satisfaction(self) -> float | None:
        return round(self.good_ratings / self.ratings, 3) if self.ratings else None


def daily(conn: Connection, day: date) -> list[ReportRow]:
    d = day.isoformat()
    rows: dict[tuple[str, str], ReportRow] = {}
    matter_of: dict[str, tuple[str, str]] = {}

    def row(station: str, matter: str) -> ReportRow:
        return rows.setdefault((station, matter), ReportRow(station, matter))

    for c in conn.execute(select(cases.c.case_no, cases.c.station, cases.c.matter_code, cases.c.status,
                                 cases.c.submitted_at, cases.c.promised_date)):
        matter_of[c.case_no] = (c.station, c.matter_code)
        if c.submitted_at.startswith(d):
            row(c.station, c.matter_code).submitted += 1
        if deadline_state(c.promised_date, c.status, day) == "overdue":
            row(c.station, c.matter_code).overdue_open += 1
    for e in conn.execute(select(case_timeline.c.case_no, case_timeline.c.status, case_timeline.c.at)
                          .where(case_timeline.c.status.in_(("approved", "rejected")),
                                 case_timeline.c.at.like(f"{d}%"))):
        station, matter = matter_of.get(e.case_no, ("?", "?"))
        r = row(station, matter)
        if e.status == "approved":
            r.approved += 1
        else:
            r.rejected += 1
        promised = conn.execute(select(cases.c.promised_date).where(cases.c.case_no == e.case_no)).scalar()
        if promised is None or e.at[:10] <= promised:
            r.decided_on_time += 1
    for rt in conn.execute(select(ratings.c.station, ratings.c.case_no, ratings.c.score)
                           .where(ratings.c.at.like(f"{d}%"))):
        station, matter = matter_of.get(rt.case_no, (rt.station, "?"))
        r = row(station, matter)
        r.ratings += 1
        r.good_ratings += rt.score >= 4
    return sorted(rows.values(), key=lambda r: (r.station, r.matter))


def to_csv(report: list[ReportRow]) -> str:
    out = io.StringIO()
    cols = [f.name for f in fields(ReportRow)] + ["on_time_rate", "satisfaction"]
    w = csv.writer(out)
    w.writerow(cols)
    for r in report:
        w.writerow([*asdict(r).values(), "" if r.on_time_rate is None else r.on_time_rate,
                    "" if r.satisfaction is None else r.satisfaction])
    return out.getvalue()
