"""Supervision (电子监察) figures for one day, per station and service item:

- cases submitted, approved, rejected and sent back for a missing material that day;
- the share decided by the promised date (按时办结率);
- warnings on cases still open (限时办结): due soon, past the promised date, past the statutory date;
- materials handed in with the cases submitted that day, how many of them were e-certificates
  (a paper document the citizen did not have to bring) and their share;
- status queries served to citizens (the stations' own refreshes are not counted);
- refunds made; ratings (好差评: count and share of 4-5 stars).
The console shows them (`/report`, `/api/report`) and exports CSV (`/report.csv`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from office.deadlines import deadline_state
from office.schema import case_files, case_queries, case_timeline, cases, payments, ratings

RATES = ("on_time_rate", "satisfaction", "ecert_share")


@dataclass
class ReportRow:
    station: str
    matter: str
    submitted: int = 0
    approved: int = 0
    rejected: int = 0
    material_requested: int = 0
    decided_on_time: int = 0
    due_soon_open: int = 0
    overdue_open: int = 0
    statutory_overdue_open: int = 0
    materials: int = 0
    ecert_materials: int = 0
    queries: int = 0
    refunds: int = 0
    ratings: int = 0
    good_ratings: int = 0

    @property
    def on_time_rate(self) -> float | None:
        decided = self.approved + self.rejected
        return round(self.decided_on_time / decided, 3) if decided else None

    @property
    def satisfaction(self) -> float | None:
        return round(self.good_ratings / self.ratings, 3) if self.ratings else None

    @property
    def ecert_share(self) -> float | None:
        return round(self.ecert_materials / self.materials, 3) if self.materials else None

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), **{k: getattr(self, k) for k in RATES}}


def daily(conn: Connection, day: date) -> list[ReportRow]:
    d = day.isoformat()
    rows: dict[tuple[str, str], ReportRow] = {}
    case_of: dict[str, tuple[str, str, str | None]] = {}

    def row(station: str, matter: str) -> ReportRow:
        return rows.setdefault((station, matter), ReportRow(station, matter))

    for c in conn.execute(select(cases.c.case_no, cases.c.station, cases.c.matter_code, cases.c.status,
                                 cases.c.submitted_at, cases.c.promised_date, cases.c.statutory_date)):
        case_of[c.case_no] = (c.station, c.matter_code, c.promised_date)
        if c.submitted_at.startswith(d):
            row(c.station, c.matter_code).submitted += 1
        state = deadline_state(c.promised_date, c.status, day, c.statutory_date)
        if state:
            r = row(c.station, c.matter_code)
            if state == "due_soon":
                r.due_soon_open += 1
            elif state == "overdue":
                r.overdue_open += 1
            else:
                r.statutory_overdue_open += 1
    for e in conn.execute(select(case_timeline.c.case_no, case_timeline.c.status, case_timeline.c.at)
                          .where(case_timeline.c.status.in_(("approved", "rejected", "material_requested")),
                                 case_timeline.c.at.like(f"{d}%"))):
        station, matter, promised = case_of.get(e.case_no, ("?", "?", None))
        r = row(station, matter)
        if e.status == "material_requested":
            r.material_requested += 1
            continue
        if e.status == "approved":
            r.approved += 1
        else:
            r.rejected += 1
        if promised is None or e.at[:10] <= promised:
            r.decided_on_time += 1
    for f in conn.execute(select(cases.c.station, cases.c.matter_code, case_files.c.kind, func.count())
                          .select_from(case_files.join(cases, cases.c.case_no == case_files.c.case_no))
                          .where(cases.c.submitted_at.like(f"{d}%"), case_files.c.kind.in_(("scan", "ecert")))
                          .group_by(cases.c.station, cases.c.matter_code, case_files.c.kind)):
        r = row(f.station, f.matter_code)
        r.materials += f[3]
        if f.kind == "ecert":
            r.ecert_materials += f[3]
    for q in conn.execute(select(case_queries.c.station, case_queries.c.case_no)
                          .where(case_queries.c.kind == "query", case_queries.c.at.like(f"{d}%"))):
        station, matter, _ = case_of.get(q.case_no, (q.station, "?", None))
        row(q.station, matter).queries += 1
    for p in conn.execute(select(payments.c.station, payments.c.case_no)
                          .where(payments.c.status == "refunded", payments.c.refunded_at.like(f"{d}%"))):
        station, matter, _ = case_of.get(p.case_no, (p.station or "?", "?", None))
        row(station, matter).refunds += 1
    for rt in conn.execute(select(ratings.c.station, ratings.c.case_no, ratings.c.score)
                           .where(ratings.c.at.like(f"{d}%"))):
        station, matter, _ = case_of.get(rt.case_no, (rt.station, "?", None))
        r = row(station, matter)
        r.ratings += 1
        r.good_ratings += rt.score >= 4
    return sorted(rows.values(), key=lambda r: (r.station, r.matter))


def totals(report: list[ReportRow]) -> ReportRow:
    """The day over all stations and items (the rates recomputed from the sums)."""
    out = ReportRow("*", "*")
    for r in report:
        for f in fields(ReportRow):
            if f.type in ("int", int):
                setattr(out, f.name, getattr(out, f.name) + getattr(r, f.name))
    return out


def to_csv(report: list[ReportRow]) -> str:
    out = io.StringIO()
    cols = [f.name for f in fields(ReportRow)] + list(RATES)
    w = csv.writer(out)
    w.writerow(cols)
    for r in report:
        d = r.as_dict()
        w.writerow(["" if d[c] is None else d[c] for c in cols])
    return out.getvalue()
