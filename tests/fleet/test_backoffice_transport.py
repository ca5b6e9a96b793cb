"""The station's BackOffice interface over the fleet link (MQTT 5 request/response with
correlation data) against the simulated back office on a real broker; and its failure modes."""

from __future__ import annotations

import time

import pytest

from hw_sim.backoffice import SimBackOffice
from hw_sim.identities import get_identity
from kiosk.services.backoffice import Applicant, BackofficeError, Rating
from kiosk.services.fleet.backoffice_mqtt import MqttBackOffice


@pytest.fixture
def wired(broker, make_station, make_backoffice):
    delegate = SimBackOffice(approve_after_s=0)
    bo = make_backoffice(broker, delegate=delegate)
    st = make_station(broker)
    assert st.link.wait_connected(5)
    return st, bo, delegate, MqttBackOffice(st.link, st.outbox, timeout_s=3.0)


def test_calls_round_trip_with_typed_results(wired):
    st, bo, delegate, mbo = wired
    assert mbo.ping().online
    ident = get_identity("obama")
    applicant = Applicant(ident.id_number, ident.name_zh, "1101**********0134")
    consent = mbo.request_consent(applicant, ("resident_id", "marriage_certificate"))
    certs = mbo.fetch_ecertificates(applicant, consent)
    assert {c.type for c in certs} == {"resident_id", "marriage_certificate"}
    assert certs[0].content.startswith(b"\x89PNG")  # bytes survive the JSON transport
    with pytest.raises(BackofficeError) as exc:
        mbo.case_status("NOPE-20261122-0001-X")
    assert exc.value.code == "not_found"
    assert isinstance(mbo.poll_events(), list)
    assert bo.rpc_served >= 4 and not bo.contract_violations
    # the personal data of those calls never went into the outbox
    assert all(ident.id_number not in str(e.data) and ident.name_zh not in str(e.data)
               for e in st.outbox.pending(0, 1000))


def test_reported_facts_travel_as_durable_events(wired):
    st, bo, delegate, mbo = wired
    mbo.submit_rating(Rating("NOPE-20261122-0001-X", 5, ("fast",), "很好"))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not delegate.ratings:
        time.sleep(0.02)
    assert delegate.ratings and delegate.ratings[0].score == 5
    # the back office cannot apply a status for an unknown case: still stored once, never lost
    mbo.report_status("NOPE-20261122-0001-X", "collected")
    assert bo.wait_upto(st.kiosk_id, st.outbox.stats().last_seq, 5)


def test_offline_and_timeout_are_clear_errors(broker, make_station, make_backoffice):
    st = make_station(broker, start=False)
    mbo = MqttBackOffice(st.link, st.outbox, timeout_s=0.5)
    with pytest.raises(BackofficeError) as exc:
        mbo.case_status("X-20261122-0001-X")
    assert exc.value.code == "offline"
    st.link.start()
    assert st.link.wait_connected(5)
    with pytest.raises(BackofficeError) as exc:  # connected, but no back office answers
        mbo.case_status("X-20261122-0001-X")
    assert exc.value.code == "timeout"
    assert mbo.ping().online is False


def test_hostile_response_is_invalid_not_a_crash(wired):
    st, bo, delegate, mbo = wired
    # a response that breaks the contract, injected under the correlation data of a live call
    import json
    import threading
    orig = mbo._call
    got: list[Exception] = []

    def call():
        try:
            orig("ping")
        except BackofficeError as e:
            got.append(e)
    bo.stop()  # nobody answers the real request
    t = threading.Thread(target=call)
    t.start()
    deadline = time.monotonic() + 2
    while not mbo._waiters and time.monotonic() < deadline:
        time.sleep(0.01)
    call_id = next(iter(mbo._waiters))
    mbo._on_response(json.dumps({"call_id": call_id, "ok": "yes"}).encode(), call_id.encode())
    t.join(5)
    assert got and got[0].code == "invalid"
    mbo._on_response(b"\x00garbage", b"nobody")  # unknown / garbage: ignored
    assert st.link.connected


def test_a_case_submitted_over_mqtt_is_approved_and_its_result_announced(broker, make_station, make_backoffice):
    import numpy as np

    from kiosk.services.backoffice import CaseSubmission, SubmittedFile
    from kiosk.services.material_pdf import material_pdf
    pdf = material_pdf([np.full((297, 210), 250, np.uint8)], "居民身份证")  # the office refuses anything else
    delegate = SimBackOffice(approve_after_s=3600)
    bo = make_backoffice(broker, delegate=delegate)
    st = make_station(broker)
    assert st.link.wait_connected(5)
    mbo = MqttBackOffice(st.link, st.outbox, timeout_s=3.0)
    ident = get_identity("obama")
    sub = CaseSubmission(case_no="SH01-20261122-0001-7", matter_code="SI-003", station_id=st.kiosk_id,
                         applicant=Applicant(ident.id_number, ident.name_zh, "1101**********0134"),
                         files=(SubmittedFile("居民身份证", "scan", pdf.media_type, pdf.content, pages=pdf.pages),),
                         submitted_at="2026-11-22T03:00:00+00:00")
    receipt = mbo.submit_case(sub)
    assert receipt.accepted and receipt.status == "accepted"
    assert mbo.submit_case(sub) == receipt  # idempotent on case_no across the transport
    assert delegate.cases["SH01-20261122-0001-7"].status == "accepted"
    delegate.cmd_approve("SH01-20261122-0001-7")  # the officer approves; the result goes via the cabinet
    report = mbo.case_status("SH01-20261122-0001-7")
    assert report.status in ("approved", "result_ready")
    assert [t.status for t in report.timeline][:2] == ["submitted", "accepted"]
    kinds = {e.kind for e in mbo.poll_events()}
    assert kinds & {"case_status", "result_ready"}
