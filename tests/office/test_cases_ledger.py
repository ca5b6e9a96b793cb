"""The case ledger beyond approve/reject, on SQLite and PostgreSQL: deadlines on the working-day
calendar, asking for a missing material (the station and the citizen are told), electronic
results with a public check, refunds of paid orders with no case, e-certificates per person,
and the supervision figures (e-certificate share, queries served) in JSON, page and CSV."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update
from starlette.testclient import TestClient

from kiosk.services.backoffice import Applicant, CaseStatusReport, SubmittedFile, from_dict, to_dict
from office import accounts, ecerts, payments
from office.deadlines import deadline_state, limits_for
from office.schema import audit, case_queries, cases as cases_t, notifications
from office.station_calls import StationCalls
from office.web.app import Console, build_app
from tests.office.helpers import login, submission

PW = "correct-horse-battery"
ST = "sh-test-001"


@pytest.fixture
def office(engine):
    """One supervisor (decides cases, refunds, reads the report) signed in on the API."""
    accounts.add_user(engine, "sam", "supervisor", PW)
    with TestClient(build_app(Console(engine))) as client:
        yield engine, client, {"X-CSRF-Token": login(client, "sam", PW)}


def _count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


@dataclass
class _Matter:
    promised_days: int
    statutory_days: int


def test_deadlines_count_working_days_and_warn():
    # submitted on Tuesday 29 September 2026 (Shanghai): 中秋/国庆 holidays 1-7 October, 10 October a make-up day
    now = datetime(2026, 9, 29, 2, 0, tzinfo=timezone.utc)
    lim = limits_for(_Matter(3, 5), now)
    assert (lim.promised, lim.statutory) == ("2026-10-09", "2026-10-12")
    assert limits_for(_Matter(0, 0), now).promised is None  # an instant item has no limit
    # Shanghai's date, not UTC's: 23:00 UTC on Thursday is Friday in Shanghai: one working day -> Monday
    assert limits_for(_Matter(1, 1), datetime(2026, 12, 3, 23, 0, tzinfo=timezone.utc)).promised == "2026-12-07"
    d = date.fromisoformat
    # eight calendar days but one working day (the holidays between): due soon
    assert deadline_state("2026-10-08", "submitted", d("2026-09-30"), "2026-10-12") == "due_soon"
    assert deadline_state("2026-10-09", "submitted", d("2026-09-30"), "2026-10-12") == ""  # two working days
    assert deadline_state("2026-10-09", "submitted", d("2026-10-08"), "2026-10-12") == "due_soon"
    assert deadline_state("2026-10-09", "accepted", d("2026-10-10"), "2026-10-12") == "overdue"
    assert deadline_state("2026-10-09", "submitted", d("2026-10-13"), "2026-10-12") == "statutory_overdue"
    assert deadline_state("2026-10-09", "material_requested", d("2026-10-13"), "2026-10-12") == ""  # citizen's turn
    assert deadline_state("2026-10-09", "approved", d("2026-10-13"), "2026-10-12") == ""


def test_asking_for_a_missing_material_tells_the_station_and_the_citizen(office):
    engine, client, h = office
    calls = StationCalls(engine, ST)
    case_no = calls.submit_case(submission()).case_no
    with engine.connect() as conn:
        row = conn.execute(select(cases_t).where(cases_t.c.case_no == case_no)).one()
    assert row.promised_date and row.statutory_date and row.statutory_date > row.promised_date
    evil = '<script>alert("x")</script> 照片页不清晰'
    for bad in ({"material": "", "reason": "x"}, {"material": "户口簿", "reason": " "},
                {"material": "户" * 61, "reason": "x"}):
        r = client.post(f"/api/cases/{case_no}/request_material", json=bad, headers=h)
        assert r.status_code == 409 and ("material" in r.json()["message"] or "reason" in r.json()["message"])
    assert _count(engine, notifications) == 0 and calls.case_status(case_no).status == "submitted"  # nothing half-stored
    r = client.post(f"/api/cases/{case_no}/request_material", json={"material": "居民户口簿", "reason": evil}, headers=h)
    assert r.json() == {"case_no": case_no, "status": "material_requested"}
    [ev] = calls.poll_events()
    assert (ev.kind, ev.data["status"]) == ("case_status", "material_requested") and "居民户口簿" in ev.data["note_zh"]
    with engine.connect() as conn:
        [sms] = conn.execute(select(notifications)).all()
    assert sms.kind == "material_requested" and "居民户口簿" in sms.text_zh and sms.status == "queued"
    assert _count(engine, audit, audit.c.action == "case.request_material") == 1
    page = client.get(f"/cases/{case_no}").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "待补正材料" in page
    # the station reads the report through the contract's types and shows the note in its query
    report = from_dict(CaseStatusReport, json.loads(json.dumps(to_dict(calls.case_status(case_no)))))
    assert report.status == "material_requested"
    again = client.post(f"/api/cases/{case_no}/request_material", json={"material": "x", "reason": "y"}, headers=h)
    assert again.status_code == 409 and "already waits" in again.json()["message"]
    # the page form checks the CSRF token like every other
    assert client.post(f"/cases/{case_no}/request_material", data={"csrf_token": "forged", "material": "x",
                                                                   "reason": "y"}).status_code == 403
    # approving from there still works (the citizen brought the material to the counter)
    assert client.post(f"/api/cases/{case_no}/approve", headers=h).json()["status"] == "result_ready"


def test_the_station_store_takes_the_material_request(tmp_path):
    from kiosk.services.cases import CaseStore
    from kiosk.services.backoffice import TimelineEntry
    from kiosk.services.keyed_hash import KeyedHasher
    from kiosk.services.store import Store

    store = CaseStore(Store(tmp_path / "s.db"), KeyedHasher(b"k" * 32), station_id=ST)
    case = store.open("SI-003", "110101199003070021", promised_days=5)
    report = CaseStatusReport(case.case_no, "SI-003", "material_requested", (
        TimelineEntry("2026-12-05T08:00:00Z", "material_requested", "请补正材料：居民户口簿（照片页不清晰）",
                      "Missing material: household register (photo page unreadable)", "user:sam"),))
    got = store.merge_report(report)
    assert got.status == "material_requested" and got.status_zh == "需补正材料"
    assert "居民户口簿" in got.timeline[-1].note_zh
    assert store.set_status(case.case_no, "approved").status == "approved"


def test_an_electronic_result_goes_to_the_citizen_with_a_checkable_code(office):
    engine, client, h = office
    case_no = StationCalls(engine, ST).submit_case(submission("SH001-20261205-0002-A", matter="SI-004")).case_no
    assert client.post(f"/api/cases/{case_no}/approve", headers=h).json()["status"] == "approved"
    code = client.get(f"/api/cases/{case_no}").json()["case"]["verify_code"]
    with engine.connect() as conn:
        [sms] = conn.execute(select(notifications).where(notifications.c.kind == "result_electronic")).all()
    assert code in sms.text_zh and f"/verify/{code}" in sms.text_zh
    qr = client.get(f"/cases/{case_no}/result-qr.png")
    assert qr.status_code == 200 and qr.content[:8] == b"\x89PNG\r\n\x1a\n"
    with TestClient(build_app(Console(engine))) as anyone:  # the public check needs no sign-in
        assert anyone.get(f"/api/verify/{code}").json()["matter_code"] == "SI-004"
        assert anyone.get("/api/verify/0123456789AB").status_code == 404
        assert anyone.get("/api/verify/%25").status_code == 404
        assert "核验通过" in anyone.get(f"/verify/{code}").text
        assert anyone.get(f"/cases/{case_no}/result-qr.png", follow_redirects=False).status_code in (303, 401)


def test_a_paid_order_whose_case_never_arrives_is_refunded(office):
    engine, client, h = office
    calls = StationCalls(engine, ST, pay_after_s=0)
    lost = calls.create_payment("SH001-20261205-0007-A", 2000, "证照工本费")
    kept = calls.create_payment("SH001-20261205-0001-A", 2000, "证照工本费")
    withdrawn = calls.create_payment("SH001-20261205-0003-A", 500, "证照工本费")
    assert {calls.payment_status(o.order_id).status for o in (lost, kept, withdrawn)} == {"paid"}
    calls.submit_case(submission("SH001-20261205-0001-A"))
    calls.submit_case(submission("SH001-20261205-0003-A"))
    calls.report_status("SH001-20261205-0003-A", "withdrawn")
    provider = payments.SimulatedProvider(pay_after_s=0)
    assert payments.refund_unsubmitted(engine, provider, 1800) == [withdrawn.order_id]  # the lost one: not yet
    later = datetime.now(timezone.utc) + timedelta(seconds=1801)
    refusing = payments.SimulatedProvider(refuse_refunds=True)
    assert payments.refund_unsubmitted(engine, refusing, 1800, later) == []  # the provider said no: stays paid
    assert _count(engine, audit, audit.c.action == "payment.refund", audit.c.ok.is_(False)) == 1
    assert payments.refund_unsubmitted(engine, provider, 1800, later) == [lost.order_id]
    assert payments.refund_unsubmitted(engine, provider, 1800, later) == []  # once
    listed = {p["order_id"]: p["status"] for p in client.get("/api/payments").json()["payments"]}
    assert listed == {lost.order_id: "refunded", kept.order_id: "paid", withdrawn.order_id: "refunded"}
    assert calls.payment_status(lost.order_id).status == "refunded"  # the station can tell the citizen
    # a supervisor refunds by hand, with a reason; an approver may not
    assert client.post(f"/api/payments/{kept.order_id}/refund", json={"reason": ""}, headers=h).status_code == 409
    r = client.post(f"/api/payments/{kept.order_id}/refund", json={"reason": "<b>重复缴费</b>"}, headers=h)
    assert r.json()["status"] == "refunded"
    assert client.post(f"/api/payments/{kept.order_id}/refund", json={"reason": "again"}, headers=h).status_code == 409
    page = client.get("/payments").text
    assert "&lt;b&gt;重复缴费&lt;/b&gt;" in page and "已退款" in page
    with engine.connect() as conn:  # the citizens of known cases are told
        kinds = conn.execute(select(notifications.c.case_no).where(notifications.c.kind == "refund")).scalars().all()
    assert sorted(kinds) == ["SH001-20261205-0001-A", "SH001-20261205-0003-A"]
    accounts.add_user(engine, "bob", "approver", PW)
    hb = {"X-CSRF-Token": login(client, "bob", PW)}
    assert client.post(f"/api/payments/{lost.order_id}/refund", json={"reason": "x"}, headers=hb).status_code == 403


def test_e_certificates_reach_the_station_with_consent(engine, tmp_path):
    from hw_sim import ecert_seed
    from hw_sim.identities import SAMPLE_IDENTITIES

    seed = tmp_path / "ecerts.json"
    n = ecert_seed.write(seed)
    assert ecerts.import_records(engine, seed) == n
    assert ecerts.import_records(engine, seed) == n  # a repeat replaces, never doubles
    with engine.connect() as conn:
        assert sum(ecerts.counts(conn).values()) == n
    obama = SAMPLE_IDENTITIES["obama"]
    person = Applicant(obama.id_number, obama.name_zh, "1101**********0130")
    calls = StationCalls(engine, ST)
    consent = calls.request_consent(person, ("marriage_certificate", "household_register", "business_license"))
    got = calls.fetch_ecertificates(person, consent)
    assert [c.type for c in got] == ["marriage_certificate", "household_register"]  # not held: not answered
    assert got[0].content[:8] == b"\x89PNG\r\n\x1a\n" and "****" in got[0].number_masked
    other = Applicant("110101199003070021", "张三", "1101**********0021")
    from kiosk.services.backoffice import BackofficeError

    with pytest.raises(BackofficeError, match="consent"):
        calls.fetch_ecertificates(other, consent)  # another person's consent
    bad = json.loads(seed.read_text())[:3]
    bad[2]["content_b64"] = "not base64!"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    before = _count(engine, ecerts.ecertificates)
    with pytest.raises(ecerts.EcertError, match=r"record\[2\]\.content_b64"):
        ecerts.import_records(engine, tmp_path / "bad.json")
    assert _count(engine, ecerts.ecertificates) == before


def test_ecert_import_cli_refuses_a_bad_file(tmp_path):
    (tmp_path / "bad.json").write_text('[{"id_number": "110101199003070021", "type": "Bad Type"}]')
    r = subprocess.run([sys.executable, "-m", "office.cli", "ecert", "import", "--db", f"sqlite:///{tmp_path}/o.db",
                        str(tmp_path / "bad.json")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "record[0].type" in r.stderr and "nothing was imported" in r.stderr


def test_supervision_counts_e_certificates_and_queries(office):
    engine, client, h = office
    calls = StationCalls(engine, ST)
    sub = submission("SH001-20261205-0005-A", matter="SI-004")
    files = sub.files + (SubmittedFile("营业执照", "ecert", "image/png", b"\x89PNG e-cert", 1, 1),
                         SubmittedFile("申请表", "form", "application/pdf", b"%PDF form", None, 1))
    from dataclasses import replace

    case_no = calls.submit_case(replace(sub, files=files)).case_no
    assert [r.case_no for r in calls.cases_for_applicant(sub.applicant)] == [case_no]  # a collect visit's lookup
    calls.cases_for_applicant(sub.applicant)  # a query visit's lookup ...
    calls.case_status(case_no)  # ... then it asks for the case it shows: one query served
    client.post(f"/api/cases/{case_no}/approve", headers=h)
    calls.poll_events()
    calls.case_status(case_no)  # the station's own refresh after the news: not a query served
    with engine.connect() as conn:
        kinds = conn.execute(select(case_queries.c.kind).order_by(case_queries.c.id)).scalars().all()
    assert kinds == ["query", "sync"]
    with engine.begin() as conn:  # one more case, past its statutory limit
        calls.submit_case(submission("SH001-20261205-0006-A", matter="SI-004"))
        conn.execute(update(cases_t).where(cases_t.c.case_no == "SH001-20261205-0006-A")
                     .values(promised_date="2026-01-05", statutory_date="2026-01-20"))
    rep = client.get("/api/report").json()
    [row] = rep["rows"]
    # three materials (a scan in each case and the e-certificate; the form is no material), one by e-certificate
    assert (row["materials"], row["ecert_materials"], row["ecert_share"]) == (3, 1, 0.333)
    assert (row["queries"], row["approved"], row["statutory_overdue_open"]) == (1, 1, 1)
    assert rep["totals"]["submitted"] == 2
    lines = client.get("/report.csv").text.splitlines()
    assert lines[0].endswith("on_time_rate,satisfaction,ecert_share") and "queries" in lines[0] and len(lines) == 2
    page = client.get("/report").text
    assert "电子证照占比" in page and "33%" in page and "进度查询" in page
    listed = client.get("/cases?state=submitted").text
    assert "超法定时限" in listed
