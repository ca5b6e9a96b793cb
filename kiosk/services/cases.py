"""Cases: what the station applied for, for whom (masked), where it stands, and when it is due.

A case is opened when the station submits an application (or prints a certificate). It keeps
the matter code, the applicant as a masked ID plus a keyed hash (`kiosk.services.keyed_hash`:
never the full number, no name, no photo), the status timeline, the promised completion date in
working days (`kiosk.services.workdays`), the compartment holding its result, and receipt data.

Case numbers are readable and checkable: `SIM0001-20261122-0042-K` = station (its id without
'-', upper-case), local date, sequence of the day, and a check character (Luhn mod 36 over the
other characters) that catches any single mistyped character and any swap of neighbours but
`0`<->`Z` (Luhn mod N's blind pair; Z can only occur in the station part).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from datetime import timezone as dt_timezone
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.core.clock import Clock, SystemClock
from kiosk.services.backoffice import CaseStatusName, CaseStatusReport, TimelineEntry
from kiosk.services.keyed_hash import KeyedHasher, mask_id_number, normalize_id_number
from kiosk.services.store import Store, register_migrations
from kiosk.services.workdays import WorkCalendar

STATUSES: tuple[str, ...] = (
    "submitted", "accepted", "approved", "rejected", "result_ready", "deposited", "collected",
    "expired", "withdrawn", "material_requested",
)
# status -> statuses it may move to (a repeat of the same status is refused too)
TRANSITIONS: dict[str, frozenset[str]] = {
    "submitted": frozenset({"accepted", "approved", "rejected", "withdrawn", "material_requested"}),
    "accepted": frozenset({"approved", "rejected", "withdrawn", "material_requested"}),
    # the reviewer asked for a missing material (补正); the timeline note names it and why
    "material_requested": frozenset({"accepted", "approved", "rejected", "withdrawn"}),
    "approved": frozenset({"result_ready", "collected"}),
    "result_ready": frozenset({"deposited", "collected"}),
    "deposited": frozenset({"collected", "expired"}),
    "expired": frozenset({"collected"}),  # collected later at the hall counter
    "rejected": frozenset({"deposited", "collected"}),  # returned paper originals
    "collected": frozenset(),
    "withdrawn": frozenset(),
}
FINAL_STATUSES = frozenset({"collected", "withdrawn"})

STATUS_TEXT: dict[str, tuple[str, str]] = {
    "submitted": ("已提交", "Submitted"),
    "accepted": ("已受理", "Accepted"),
    "approved": ("已办结", "Approved"),
    "rejected": ("不予受理/不予批准", "Rejected"),
    "result_ready": ("结果已出具，待投柜", "Result issued, awaiting deposit"),
    "deposited": ("已投柜，待领取", "In the cabinet, ready to collect"),
    "collected": ("已领取", "Collected"),
    "expired": ("逾期未领取，已转窗口", "Not collected in time; moved to the counter"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "material_requested": ("需补正材料", "A material is missing"),
}

CASE_NO_RE = re.compile(r"^([A-Z0-9]{1,40})-(\d{8})-(\d{4})-([0-9A-Z])$")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# a looks-like-an-ID-number guard for free-form receipt data
_ID_LIKE = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")

register_migrations("cases", [
    """
    CREATE TABLE cases (
        case_no TEXT PRIMARY KEY,
        matter_code TEXT NOT NULL,
        station_id TEXT NOT NULL,
        applicant_masked TEXT NOT NULL,
        applicant_hash TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        promised_date TEXT,
        backoffice_ref TEXT,
        compartment TEXT,
        dropoff_compartment TEXT,
        payment_order_id TEXT,
        receipt TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX cases_applicant ON cases(applicant_hash);
    CREATE INDEX cases_status ON cases(status);
    CREATE TABLE case_timeline (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        case_no TEXT NOT NULL REFERENCES cases(case_no),
        at TEXT NOT NULL,
        status TEXT NOT NULL,
        note_zh TEXT NOT NULL DEFAULT '',
        note_en TEXT NOT NULL DEFAULT '',
        actor TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX case_timeline_case ON case_timeline(case_no, id);
    CREATE TABLE case_sequence (
        day TEXT PRIMARY KEY,
        last INTEGER NOT NULL
    )
    """,
])


class CaseError(Exception):
    """A case operation that cannot be done; `reason` is machine-readable."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # not_found | bad_transition | bad_case_number | personal_data | invalid


# --------------------------------------------------------------------------- case numbers


def check_char(body: str) -> str:
    """Luhn mod 36 check character over the alphanumeric characters of `body`."""
    n = len(_ALPHABET)
    chars = [c for c in body.upper() if c != "-"]
    factor = 2
    total = 0
    for ch in reversed(chars):
        code = _ALPHABET.index(ch) * factor
        total += code // n + code % n
        factor = 1 if factor == 2 else 2
    return _ALPHABET[(n - total % n) % n]


def station_part(station_id: str) -> str:
    part = re.sub(r"[^A-Z0-9]", "", station_id.upper())
    if not part:
        raise CaseError("invalid", f"station id {station_id!r} gives no case-number prefix")
    return part


def format_case_number(station_id: str, day: date, seq: int) -> str:
    if not 1 <= seq <= 9999:
        raise CaseError("invalid", f"sequence {seq} out of range 1-9999 for one day")
    body = f"{station_part(station_id)}-{day:%Y%m%d}-{seq:04d}"
    return f"{body}-{check_char(body)}"


@dataclass(frozen=True)
class CaseNumber:
    station: str
    day: date
    seq: int

    def __str__(self) -> str:
        body = f"{self.station}-{self.day:%Y%m%d}-{self.seq:04d}"
        return f"{body}-{check_char(body)}"


def parse_case_number(text: str) -> CaseNumber:
    """Parse and check a case number typed or scanned (spaces ignored, case-insensitive);
    `CaseError("bad_case_number")` saying what is wrong."""
    if not isinstance(text, str) or len(text) > 80:
        raise CaseError("bad_case_number", "not a case number")
    t = re.sub(r"\s+", "", text).upper()
    m = CASE_NO_RE.match(t)
    if not m:
        raise CaseError("bad_case_number", f"{text[:60]!r} is not a case number (form: SIM0001-20261122-0042-K)")
    station, day_s, seq_s, check = m.groups()
    try:
        day = datetime.strptime(day_s, "%Y%m%d").date()
    except ValueError:
        raise CaseError("bad_case_number", f"{day_s} is not a date") from None
    if check_char(f"{station}-{day_s}-{seq_s}") != check:
        raise CaseError("bad_case_number", f"{t}: check character does not match (mistyped?)")
    if int(seq_s) == 0:
        raise CaseError("bad_case_number", f"{t}: sequence 0000 is never issued")
    return CaseNumber(station, day, int(seq_s))


def _mask_ids(text: str) -> str:
    """Notes from the back office are stored: a full ID number in one is kept masked only."""
    return _ID_LIKE.sub(lambda m: mask_id_number(m.group()), text) if isinstance(text, str) else ""


def is_valid_case_number(text: str) -> bool:
    try:
        parse_case_number(text)
    except CaseError:
        return False
    return True


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    case_no: str
    matter_code: str
    station_id: str
    applicant_masked: str
    status: CaseStatusName
    created_at: str
    updated_at: str
    promised_date: str | None  # YYYY-MM-DD, local
    backoffice_ref: str | None
    compartment: str | None  # compartment holding the result
    dropoff_compartment: str | None  # compartment holding dropped-off paper originals
    payment_order_id: str | None
    receipt: dict[str, Any]
    timeline: tuple[TimelineEntry, ...]

    @property
    def status_zh(self) -> str:
        return STATUS_TEXT[self.status][0]

    @property
    def status_en(self) -> str:
        return STATUS_TEXT[self.status][1]


class CaseStore:
    """Cases in the station's SQLite file. Thread-safe through `Store`'s lock."""

    def __init__(self, store: Store, hasher: KeyedHasher, clock: Clock | None = None,
                 station_id: str = "sim-0001", timezone: str = "Asia/Shanghai",
                 calendar: WorkCalendar | None = None) -> None:
        self.store = store
        self.hasher = hasher
        self.clock = clock or SystemClock()
        self.station_id = station_id
        self.tz = ZoneInfo(timezone)
        self.calendar = calendar or WorkCalendar()
        station_part(station_id)  # fail early on a station id that gives no prefix
        store.migrate("cases")

    @classmethod
    def from_config(cls, store: Store, hasher: KeyedHasher, config: Any, clock: Clock | None = None,
                    calendar: WorkCalendar | None = None) -> "CaseStore":
        """Built from a `StationConfig` (`[station] id` and `timezone`)."""
        return cls(store, hasher, clock, station_id=config.station.id, timezone=config.station.timezone,
                   calendar=calendar)

    @staticmethod
    def _id(id_number: Any) -> str:
        if not isinstance(id_number, str):
            raise CaseError("invalid", "ID number must be text")
        number = normalize_id_number(id_number)
        if not 6 <= len(number) <= 40:
            raise CaseError("invalid", "ID number too short or too long")
        return number

    # -- time helpers
    def _now(self) -> str:
        return self.clock.now().isoformat(timespec="seconds")

    def today(self) -> date:
        return self.clock.now().astimezone(self.tz).date()

    def calendar_health(self) -> dict[str, Any]:
        """The holiday notices known and the one missing (next year's, from 1 December)."""
        return self.calendar.as_health(self.today())

    def promised_date(self, working_days: int, start: date | None = None) -> date:
        return self.calendar.add_working_days(start or self.today(), working_days)

    # -- writing
    def open(self, matter_code: str, id_number: str, *, promised_days: int | None,
             status: CaseStatusName = "submitted", note_zh: str = "", note_en: str = "",
             actor: str = "station", receipt: dict[str, Any] | None = None,
             dropoff_compartment: str | None = None, payment_order_id: str | None = None) -> Case:
        """Open a case for the person with this ID number (kept masked + keyed hash only).
        `promised_days` None = no promised date (e.g. an instant print)."""
        if status not in ("submitted", "accepted", "approved"):
            raise CaseError("bad_transition", f"a new case starts as submitted, accepted or approved, not {status!r}")
        if not isinstance(matter_code, str) or not re.fullmatch(r"[A-Z]{2}-\d{3}", matter_code):
            raise CaseError("invalid", f"bad matter code {matter_code!r}")
        number = self._id(id_number)
        receipt = dict(receipt or {})
        self._check_no_personal(receipt)
        if promised_days is not None and promised_days < 0:
            raise CaseError("invalid", "promised_days must be >= 0")
        now = self._now()
        today = self.today()
        promised = self.promised_date(promised_days, today).isoformat() if promised_days is not None else None
        with self.store.transaction() as conn:
            day_key = today.strftime("%Y%m%d")
            row = conn.execute("SELECT last FROM case_sequence WHERE day = ?", (day_key,)).fetchone()
            seq = (row[0] if row else 0) + 1
            case_no = format_case_number(self.station_id, today, seq)
            conn.execute("INSERT INTO case_sequence(day, last) VALUES (?, ?) "
                         "ON CONFLICT(day) DO UPDATE SET last = excluded.last", (day_key, seq))
            conn.execute(
                "INSERT INTO cases(case_no, matter_code, station_id, applicant_masked, applicant_hash, status, "
                "created_at, updated_at, promised_date, dropoff_compartment, payment_order_id, receipt) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (case_no, matter_code, self.station_id, mask_id_number(number), self.hasher.hash_id(number),
                 status, now, now, promised, dropoff_compartment, payment_order_id,
                 json.dumps(receipt, ensure_ascii=False, sort_keys=True)),
            )
            conn.execute("INSERT INTO case_timeline(case_no, at, status, note_zh, note_en, actor) VALUES (?,?,?,?,?,?)",
                         (case_no, now, status, note_zh, note_en, actor))
        return self.get(case_no)

    def adopt(self, report: CaseStatusReport, id_number: str | None = None) -> Case:
        """Keep a record of a case made at another station, from the back office's report, so it
        can be queried, deposited and collected here. `id_number`: the person the back office
        named as its applicant (card + face at this station); without it the applicant is
        unknown (empty hash) until `bind_applicant`. A case already here is returned as it is."""
        found = self.find(report.case_no)
        if found is not None:
            return found
        number = parse_case_number(report.case_no)
        if report.status not in STATUSES or report.status == "withdrawn":
            raise CaseError("invalid", f"case {report.case_no}: cannot adopt status {report.status!r}")
        if not isinstance(report.matter_code, str) or not re.fullmatch(r"[A-Z]{2}-\d{3}", report.matter_code):
            raise CaseError("invalid", f"bad matter code {report.matter_code!r}")
        masked = _mask_ids(report.applicant_masked or "")[:40] or "****"
        digest = self.hasher.hash_id(self._id(id_number)) if id_number else ""
        now = self._now()
        entries = list(report.timeline) or [TimelineEntry(now, report.status, "", "", "backoffice")]
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO cases(case_no, matter_code, station_id, applicant_masked, applicant_hash, status, "
                "created_at, updated_at, promised_date, receipt) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (str(number), report.matter_code, (report.station_id or number.station)[:40], masked, digest,
                 report.status, self._their_time(entries[0].at), now, report.promised_date,
                 json.dumps({"made_elsewhere": True}, sort_keys=True)))
            for e in entries:
                conn.execute("INSERT INTO case_timeline(case_no, at, status, note_zh, note_en, actor) "
                             "VALUES (?,?,?,?,?,?)", (str(number), self._their_time(e.at), e.status,
                                                      _mask_ids(e.note_zh)[:500], _mask_ids(e.note_en)[:500],
                                                      (e.actor or "backoffice")[:60]))
        return self.get(str(number))

    def bind_applicant(self, case_no: str, id_number: str) -> bool:
        """Name the applicant of an adopted case whose applicant was unknown (the back office
        listed it among this person's cases). A case with an applicant keeps it."""
        with self.store.transaction() as conn:
            cur = conn.execute("UPDATE cases SET applicant_hash = ? WHERE case_no = ? AND applicant_hash = ''",
                               (self.hasher.hash_id(self._id(id_number)), case_no))
        return bool(cur.rowcount)

    def set_status(self, case_no: str, status: CaseStatusName, note_zh: str = "", note_en: str = "",
                   actor: str = "station", at: str | None = None) -> Case:
        """Move a case along its timeline; `CaseError("bad_transition")` for a move not allowed."""
        if status not in STATUSES:
            raise CaseError("invalid", f"unknown status {status!r}")
        with self.store.transaction() as conn:
            row = conn.execute("SELECT status FROM cases WHERE case_no = ?", (case_no,)).fetchone()
            if row is None:
                raise CaseError("not_found", f"no case {case_no!r}")
            if status not in TRANSITIONS[row[0]]:
                raise CaseError("bad_transition", f"case {case_no}: cannot go from {row[0]} to {status}")
            when = at or self._now()
            conn.execute("UPDATE cases SET status = ?, updated_at = ? WHERE case_no = ?", (status, when, case_no))
            conn.execute("INSERT INTO case_timeline(case_no, at, status, note_zh, note_en, actor) VALUES (?,?,?,?,?,?)",
                         (case_no, when, status, note_zh, note_en, actor))
        return self.get(case_no)

    def add_note(self, case_no: str, note_zh: str, note_en: str, actor: str = "station") -> Case:
        """A timeline entry without a status change (e.g. drop-off papers collected by staff)."""
        self._check_no_personal({"zh": note_zh, "en": note_en})
        with self.store.transaction() as conn:
            row = conn.execute("SELECT status FROM cases WHERE case_no = ?", (case_no,)).fetchone()
            if row is None:
                raise CaseError("not_found", f"no case {case_no!r}")
            now = self._now()
            conn.execute("INSERT INTO case_timeline(case_no, at, status, note_zh, note_en, actor) VALUES (?,?,?,?,?,?)",
                         (case_no, now, row[0], note_zh, note_en, actor))
            conn.execute("UPDATE cases SET updated_at = ? WHERE case_no = ?", (now, case_no))
        return self.get(case_no)

    def set_compartment(self, case_no: str, compartment: str | None) -> Case:
        return self._update(case_no, compartment=compartment)

    def set_dropoff_compartment(self, case_no: str, compartment: str | None) -> Case:
        return self._update(case_no, dropoff_compartment=compartment)

    def set_backoffice_ref(self, case_no: str, ref: str) -> Case:
        return self._update(case_no, backoffice_ref=ref)

    def set_payment_order(self, case_no: str, order_id: str | None) -> Case:
        return self._update(case_no, payment_order_id=order_id)

    def update_receipt(self, case_no: str, **values: Any) -> Case:
        """Merge values into the receipt data (printed/shown on the receipt; nothing personal)."""
        self._check_no_personal(values)
        with self.store.transaction() as conn:
            row = conn.execute("SELECT receipt FROM cases WHERE case_no = ?", (case_no,)).fetchone()
            if row is None:
                raise CaseError("not_found", f"no case {case_no!r}")
            receipt = json.loads(row[0])
            receipt.update(values)
            conn.execute("UPDATE cases SET receipt = ?, updated_at = ? WHERE case_no = ?",
                         (json.dumps(receipt, ensure_ascii=False, sort_keys=True), self._now(), case_no))
        return self.get(case_no)

    def merge_report(self, report: CaseStatusReport) -> Case:
        """Bring a case up to the back office's report: append the timeline entries the station
        has not seen (by status) where the move is allowed; ignores what does not fit."""
        case = self.get(report.case_no)
        seen = {e.status for e in case.timeline}
        for entry in report.timeline:
            if entry.status in seen:
                continue
            current = self.get(report.case_no).status
            if entry.status in TRANSITIONS.get(current, frozenset()):
                self.set_status(report.case_no, entry.status, _mask_ids(entry.note_zh), _mask_ids(entry.note_en),
                                actor=entry.actor or "backoffice", at=self._their_time(entry.at))
                seen.add(entry.status)
        return self.get(report.case_no)

    def _their_time(self, at: Any) -> str:
        """A back-office timestamp as the station stores its own (aware ISO, UTC): a time without
        an offset is the station's local time; one that is not a time at all becomes now (the
        timeline is read with datetime arithmetic, e.g. `overdue_pickups`)."""
        try:
            t = datetime.fromisoformat(at)
        except (TypeError, ValueError):
            return self._now()
        if t.tzinfo is None:
            t = t.replace(tzinfo=self.tz)
        return t.astimezone(dt_timezone.utc).isoformat(timespec="seconds")

    def _update(self, case_no: str, **cols: Any) -> Case:
        sets = ", ".join(f"{k} = ?" for k in cols)
        with self.store.transaction() as conn:
            cur = conn.execute(f"UPDATE cases SET {sets}, updated_at = ? WHERE case_no = ?",
                               (*cols.values(), self._now(), case_no))
            if cur.rowcount == 0:
                raise CaseError("not_found", f"no case {case_no!r}")
        return self.get(case_no)

    @staticmethod
    def _check_no_personal(values: dict[str, Any]) -> None:
        try:
            text = json.dumps(values, ensure_ascii=False, default=str)
        except (TypeError, ValueError) as exc:
            raise CaseError("invalid", f"receipt data is not serialisable: {exc}") from None
        if _ID_LIKE.search(text):
            raise CaseError("personal_data", "receipt data contains what looks like a full ID number")
        if len(text) > 16_000:
            raise CaseError("invalid", "receipt data larger than 16 kB")

    # -- reading
    def find(self, case_no: str) -> Case | None:
        if not isinstance(case_no, str):
            return None
        rows = self.store.query("SELECT * FROM cases WHERE case_no = ?", (case_no.strip().upper(),))
        return self._load(rows[0]) if rows else None

    def get(self, case_no: str) -> Case:
        case = self.find(case_no)
        if case is None:
            raise CaseError("not_found", f"no case {case_no!r}")
        return case

    def for_applicant(self, id_number: str, statuses: tuple[str, ...] | None = None) -> list[Case]:
        """This person's cases, newest first (matched by keyed hash)."""
        digest = self.hasher.hash_id(self._id(id_number))
        rows = self.store.query("SELECT * FROM cases WHERE applicant_hash = ? ORDER BY created_at DESC, case_no DESC",
                                (digest,))
        cases = [self._load(r) for r in rows]
        return [c for c in cases if statuses is None or c.status in statuses]

    def awaiting_pickup(self, id_number: str) -> list[Case]:
        """This person's results waiting in the cabinet."""
        return [c for c in self.for_applicant(id_number, ("deposited",)) if c.compartment]

    def is_applicant(self, case_no: str, id_number: str) -> bool:
        rows = self.store.query("SELECT applicant_hash FROM cases WHERE case_no = ?", (case_no,))
        return bool(rows) and self.hasher.matches("id", self._id(id_number), rows[0][0])

    def applicant_hash(self, case_no: str) -> str:
        rows = self.store.query("SELECT applicant_hash FROM cases WHERE case_no = ?", (case_no,))
        if not rows:
            raise CaseError("not_found", f"no case {case_no!r}")
        return str(rows[0][0])

    def by_status(self, *statuses: str) -> list[Case]:
        marks = ",".join("?" * len(statuses))
        rows = self.store.query(f"SELECT * FROM cases WHERE status IN ({marks}) ORDER BY created_at, case_no",
                                statuses)
        return [self._load(r) for r in rows]

    def in_compartment(self, compartment: str) -> list[Case]:
        rows = self.store.query("SELECT * FROM cases WHERE compartment = ? OR dropoff_compartment = ? "
                                "ORDER BY created_at", (compartment, compartment))
        return [self._load(r) for r in rows]

    def overdue_pickups(self, older_than_days: int) -> list[Case]:
        """Deposited results not collected for more than `older_than_days` calendar days."""
        now = self.clock.now()
        out = []
        for c in self.by_status("deposited"):
            deposited = [e.at for e in c.timeline if e.status == "deposited"]
            if deposited and (now - datetime.fromisoformat(deposited[-1])).days > older_than_days:
                out.append(c)
        return out

    def _load(self, row: Any) -> Case:
        events = self.store.query(
            "SELECT at, status, note_zh, note_en, actor FROM case_timeline WHERE case_no = ? ORDER BY id",
            (row["case_no"],))
        return Case(
            case_no=row["case_no"], matter_code=row["matter_code"], station_id=row["station_id"],
            applicant_masked=row["applicant_masked"], status=row["status"], created_at=row["created_at"],
            updated_at=row["updated_at"], promised_date=row["promised_date"], backoffice_ref=row["backoffice_ref"],
            compartment=row["compartment"], dropoff_compartment=row["dropoff_compartment"],
            payment_order_id=row["payment_order_id"], receipt=json.loads(row["receipt"]),
            timeline=tuple(TimelineEntry(e["at"], e["status"], e["note_zh"], e["note_en"], e["actor"]) for e in events),
        )
