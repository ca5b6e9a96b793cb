"""Cases: readable checkable numbers, working-day promises, timelines, and nothing identifying on disk."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.clock import FakeClock
from kiosk.services.backoffice import CaseStatusReport, TimelineEntry
from kiosk.services.cases import (
    CaseError,
    CaseStore,
    check_char,
    format_case_number,
    is_valid_case_number,
    parse_case_number,
)
from kiosk.services.keyed_hash import mask_id_number
from kiosk.services.workdays import WorkCalendar

ID = "11010119610804013X"
OTHER = "310115196211200314"


@pytest.fixture
def cases(store, hasher, clock):
    return CaseStore(store, hasher, clock, station_id="sim-0001")


# --------------------------------------------------------------------------- numbers


def test_case_number_format_and_sequence(cases):
    a = cases.open("PS-001", ID, promised_days=1)
    b = cases.open("SI-003", ID, promised_days=5)
    # FakeClock starts 2026-11-22 01:00 UTC = 09:00 in Shanghai
    assert a.case_no.startswith("SIM0001-20261122-0001-")
    assert b.case_no.startswith("SIM0001-20261122-0002-")
    assert parse_case_number(a.case_no).seq == 1
    assert parse_case_number(" " + a.case_no.lower() + " ").seq == 1


def test_case_number_sequence_restarts_each_local_day(store, hasher):
    clock = FakeClock(datetime(2026, 11, 23, 15, 30, tzinfo=timezone.utc))  # 23:30 Shanghai
    cs = CaseStore(store, hasher, clock)
    assert "-20261123-0001-" in cs.open("PS-001", ID, promised_days=1).case_no
    clock.advance(3600)  # 00:30 next local day
    assert "-20261124-0001-" in cs.open("PS-001", ID, promised_days=1).case_no


def test_check_char_catches_single_errors_and_swaps():
    no = format_case_number("sim-0001", date(2026, 11, 22), 42)
    body = no[:-2]
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for i, ch in enumerate(body):
        if ch == "-":
            continue
        for other in alphabet:
            if other != ch:
                wrong = body[:i] + other + body[i + 1:] + no[-2:]
                assert not is_valid_case_number(wrong), wrong
    chars = list(body)
    for i in range(len(chars) - 1):
        if "-" in (chars[i], chars[i + 1]) or chars[i] == chars[i + 1]:
            continue
        swapped = chars.copy()
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        assert not is_valid_case_number("".join(swapped) + no[-2:]), "".join(swapped)


@given(st.text(max_size=120))
@settings(max_examples=300, deadline=None)
def test_parse_never_crashes_on_garbage(text):
    try:
        n = parse_case_number(text)
    except CaseError as exc:
        assert exc.reason == "bad_case_number"
    else:
        assert check_char(str(n)[:-2]) == str(n)[-1]


@pytest.mark.parametrize("text", [None, 42, "", "SIM0001-20261322-0001-A", "SIM0001-20261122-0000-" + check_char("SIM0001-20261122-0000"),
                                  "x" * 1000, "SIM0001-20261122-0001"])
def test_bad_case_numbers(text):
    with pytest.raises(CaseError) as exc:
        parse_case_number(text)  # type: ignore[arg-type]
    assert exc.value.reason == "bad_case_number"


# --------------------------------------------------------------------------- working days


def test_promised_date_skips_weekend_and_holidays():
    cal = WorkCalendar()
    fri = date(2026, 11, 20)
    assert cal.add_working_days(fri, 1) == date(2026, 11, 23)  # Monday
    assert cal.add_working_days(fri, 0) == fri
    # National Day week: 1-7 Oct 2026 off, Sat 10 Oct is a make-up working day
    assert cal.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cal.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert cal.working_days_between(date(2026, 11, 20), date(2026, 11, 27)) == 5
    with pytest.raises(ValueError):
        cal.add_working_days(fri, -1)


def test_promise_across_the_year_boundary_skips_new_years_day():
    """2027 has no holiday notice built in, yet its statutory holidays (lunar ones too) are computed."""
    cal = WorkCalendar()
    # Mon 28 Dec 2026 + 4: 29, 30, 31 Dec, (Fri 1 Jan holiday, weekend), Mon 4 Jan 2027
    assert cal.add_working_days(date(2026, 12, 28), 4) == date(2027, 1, 4)
    assert not cal.is_working_day(date(2027, 1, 1))
    assert not cal.is_working_day(date(2027, 10, 1)) and not cal.is_working_day(date(2027, 5, 2))
    # the lunar holidays of a year with no notice come from the `holidays` package: Spring Festival
    # 2027 begins on 6 February (eve on the 5th), Labour Day's weekend days are observed on 3-4 May
    assert not cal.is_working_day(date(2027, 2, 5)) and not cal.is_working_day(date(2027, 2, 8))
    assert not cal.is_working_day(date(2027, 5, 3)) and cal.is_working_day(date(2027, 5, 6))
    # a year given in full by a notice is taken as given (here: 1 Jan 2027 made a working day)
    noticed = WorkCalendar(extra_holidays={date(2027, 2, 6)}, extra_workdays={date(2027, 1, 1)})
    assert noticed.is_working_day(date(2027, 1, 1)) and not noticed.is_working_day(date(2027, 2, 6))


def test_case_promised_date(store, hasher):
    clock = FakeClock(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc))  # Friday 10:00 Shanghai
    cs = CaseStore(store, hasher, clock)
    assert cs.open("PS-001", ID, promised_days=1).promised_date == "2026-11-23"
    assert cs.open("RE-002", ID, promised_days=10).promised_date == "2026-12-04"
    assert cs.open("SI-001", ID, promised_days=None).promised_date is None


# --------------------------------------------------------------------------- timeline


def test_timeline_follows_allowed_moves(cases):
    c = cases.open("PS-001", ID, promised_days=1, note_zh="自助终端提交")
    cases.set_status(c.case_no, "accepted", "已受理", "Accepted", actor="backoffice")
    cases.set_status(c.case_no, "approved")
    cases.set_status(c.case_no, "result_ready")
    cases.set_compartment(c.case_no, "A03")
    c = cases.set_status(c.case_no, "deposited", actor="staff:S***1")
    assert [e.status for e in c.timeline] == ["submitted", "accepted", "approved", "result_ready", "deposited"]
    assert c.timeline[1].actor == "backoffice" and c.timeline[0].note_zh == "自助终端提交"
    assert c.status_zh == "已投柜，待领取" and c.compartment == "A03"
    with pytest.raises(CaseError, match="cannot go from deposited to accepted") as exc:
        cases.set_status(c.case_no, "accepted")
    assert exc.value.reason == "bad_transition"
    cases.set_status(c.case_no, "collected")
    with pytest.raises(CaseError, match="cannot go from collected"):
        cases.set_status(c.case_no, "collected")
    with pytest.raises(CaseError, match="unknown status"):
        cases.set_status(c.case_no, "teleported")  # type: ignore[arg-type]
    with pytest.raises(CaseError) as exc:
        cases.set_status("SIM0001-20261122-0099-X", "accepted")
    assert exc.value.reason == "not_found"


def test_note_without_status_change(cases):
    c = cases.open("MI-002", ID, promised_days=20, dropoff_compartment="A07")
    c = cases.add_note(c.case_no, "纸质材料已由工作人员取走", "Papers collected by staff", actor="staff:S***1")
    assert c.status == "submitted" and [e.status for e in c.timeline] == ["submitted", "submitted"]
    assert c.timeline[-1].note_en == "Papers collected by staff"
    assert cases.set_dropoff_compartment(c.case_no, None).dropoff_compartment is None
    with pytest.raises(CaseError) as exc:
        cases.add_note(c.case_no, f"身份证{ID}", "x")
    assert exc.value.reason == "personal_data"


def test_new_case_cannot_start_late(cases):
    with pytest.raises(CaseError, match="starts as"):
        cases.open("PS-001", ID, promised_days=1, status="deposited")
    with pytest.raises(CaseError, match="bad matter code"):
        cases.open("'; DROP TABLE cases", ID, promised_days=1)
    with pytest.raises(CaseError, match="too short"):
        cases.open("PS-001", "12", promised_days=1)
    with pytest.raises(CaseError, match="must be text"):
        cases.for_applicant(None)  # type: ignore[arg-type]
    with pytest.raises(CaseError, match="too long"):
        cases.open("PS-001", "1" * 41, promised_days=1)


def test_built_from_config(store, hasher, clock, sim_config_path, catalog, audit):
    from hw_sim.backoffice import SimBackOffice
    from kiosk.config import load_config
    from kiosk.services.pickup_codes import PickupCodes

    cfg = load_config(sim_config_path)
    cs = CaseStore.from_config(store, hasher, cfg, clock)
    assert cs.open("PS-001", ID, promised_days=1).case_no.startswith("SIM0001-")
    assert SimBackOffice.from_config(cfg, clock, catalog).approve_after_s == cfg.backoffice.approve_after_s
    codes = PickupCodes.from_config(store, hasher, audit, clock, cfg.pickup)
    assert codes.ttl_s == cfg.pickup.code_ttl_h * 3600 and codes.max_failures == cfg.pickup.max_failures
    assert codes.daily_max_failures == cfg.pickup.daily_max_failures == 20


def test_find_by_applicant_and_pickup(cases):
    mine = cases.open("PS-001", ID, promised_days=1)
    cases.open("SI-001", OTHER, promised_days=None)
    for s in ("accepted", "approved", "result_ready"):
        cases.set_status(mine.case_no, s)
    cases.set_compartment(mine.case_no, "B02")
    cases.set_status(mine.case_no, "deposited")
    assert [c.case_no for c in cases.awaiting_pickup(ID.lower())] == [mine.case_no]
    assert cases.awaiting_pickup(OTHER) == []
    assert len(cases.for_applicant(OTHER)) == 1
    assert cases.is_applicant(mine.case_no, ID) and not cases.is_applicant(mine.case_no, OTHER)
    assert [c.case_no for c in cases.in_compartment("B02")] == [mine.case_no]
    assert cases.by_status("deposited")[0].case_no == mine.case_no


def test_overdue_pickups(cases, clock):
    c = cases.open("PS-001", ID, promised_days=1)
    for s in ("accepted", "approved", "result_ready", "deposited"):
        cases.set_status(c.case_no, s)
    assert cases.overdue_pickups(7) == []
    clock.advance(8 * 86400)
    assert [x.case_no for x in cases.overdue_pickups(7)] == [c.case_no]


def test_merge_back_office_report(cases):
    c = cases.open("PS-001", ID, promised_days=1)
    report = CaseStatusReport(c.case_no, "PS-001", "result_ready", (
        TimelineEntry("2026-11-22T01:00:00+00:00", "submitted"),
        TimelineEntry("2026-11-22T01:05:00+00:00", "accepted", "已受理"),
        TimelineEntry("2026-11-22T02:00:00+00:00", "approved", "审核通过"),
        TimelineEntry("2026-11-22T02:00:00+00:00", "result_ready"),
        TimelineEntry("2026-11-22T02:00:00+00:00", "withdrawn"),  # does not fit after result_ready: ignored
    ))
    merged = cases.merge_report(report)
    assert merged.status == "result_ready"
    assert [e.status for e in merged.timeline] == ["submitted", "accepted", "approved", "result_ready"]
    assert merged.timeline[2].note_zh == "审核通过" and merged.timeline[2].actor == "backoffice"


def test_merged_report_times_and_notes_are_stored_safely(cases, clock):
    """A back office that sends local times without an offset, a time that is not one, or a
    note quoting the applicant's ID number: the timeline stays usable and nothing personal lands."""
    c = cases.open("PS-001", ID, promised_days=1)
    report = CaseStatusReport(c.case_no, "PS-001", "deposited", (
        TimelineEntry("2026-11-22T10:05:00", "accepted", f"申请人{ID}已受理"),  # Shanghai local
        TimelineEntry("soon", "approved"),
        TimelineEntry("2026-11-22T03:00:00Z", "result_ready"),
        TimelineEntry("2026-11-22T11:30:00+08:00", "deposited"),
    ))
    merged = cases.merge_report(report)
    assert [e.at for e in merged.timeline[1:]] == [
        "2026-11-22T02:05:00+00:00", clock.now().isoformat(timespec="seconds"),
        "2026-11-22T03:00:00+00:00", "2026-11-22T03:30:00+00:00"]
    assert ID not in merged.timeline[1].note_zh and mask_id_number(ID) in merged.timeline[1].note_zh
    clock.advance(9 * 86400)
    assert [x.case_no for x in cases.overdue_pickups(7)] == [c.case_no]  # no naive/aware TypeError


def test_receipt_data_refuses_id_numbers(cases):
    c = cases.open("PS-001", ID, promised_days=1, receipt={"matter": "无犯罪记录证明"})
    c = cases.update_receipt(c.case_no, printed=True)
    assert c.receipt == {"matter": "无犯罪记录证明", "printed": True}
    with pytest.raises(CaseError) as exc:
        cases.update_receipt(c.case_no, note=f"for {ID}")
    assert exc.value.reason == "personal_data"
    with pytest.raises(CaseError) as exc:
        cases.open("PS-001", ID, promised_days=1, receipt={"who": OTHER})
    assert exc.value.reason == "personal_data"
    with pytest.raises(CaseError, match="larger than 16 kB"):
        cases.update_receipt(c.case_no, blob="x" * 20_000)


def test_no_full_id_number_anywhere_on_disk(cases, store, db_path, tmp_path):
    for i in range(5):
        c = cases.open("PS-001", ID, promised_days=1, receipt={"n": i})
        cases.set_status(c.case_no, "accepted")
    cases.open("SI-001", OTHER, promised_days=None)
    store.conn.execute("PRAGMA wal_checkpoint(FULL)")
    blobs = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".key")
    for number in (ID, OTHER, ID.lower()):
        assert number.encode() not in blobs
        assert number[4:-4].encode() not in blobs  # not even the hidden middle (birth date + sequence)
    assert b"1101**********013X" in blobs  # the masked form is there, so the check would see it
    row = store.query("SELECT applicant_hash FROM cases LIMIT 1")[0][0]
    import hashlib
    assert row != hashlib.sha256(ID.encode()).hexdigest()  # keyed, not a plain hash


def test_bad_station_id():
    from kiosk.services.store import Store
    from kiosk.services.keyed_hash import KeyedHasher
    with pytest.raises(CaseError, match="no case-number prefix"):
        CaseStore(Store(":memory:"), KeyedHasher(b"k" * 32), station_id="---")


def test_concurrent_opens_get_distinct_numbers(db_path, hasher, clock):
    """Two connections (as two processes would have) and several threads: no number twice."""
    import threading

    from kiosk.services.store import Store

    stores = [Store(db_path), Store(db_path)]
    css = [CaseStore(s, hasher, clock) for s in stores]
    got: list[str] = []
    lock = threading.Lock()

    def work(cs):
        for _ in range(15):
            n = cs.open("PS-001", ID, promised_days=1).case_no
            with lock:
                got.append(n)

    threads = [threading.Thread(target=work, args=(css[i % 2],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 60 and len(set(got)) == 60
    assert sorted(parse_case_number(n).seq for n in got) == list(range(1, 61))
    for s in stores:
        s.close()
