"""Review findings on personal data in the back office: the applicant fingerprint is keyed with
the office secret and kept out of the case the console sees; ID and phone numbers in a case's
form are masked for roles that do not decide cases. SQLite only (no dialect-specific code)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import stat

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from office import accounts, applicant_key, ecerts
from office.db import create_engine, migrate
from office.schema import cases as cases_t
from office.station_calls import StationCalls
from office.web.app import Console, build_app
from tests.office.helpers import login, submission

PW = "correct-horse-battery"
ID = "110101199003070021"
FORM = {"form.name": "张三", "form.id_number": ID, "form.phone": "13800138000", "purpose": "test"}


@pytest.fixture
def sq(tmp_path):
    e = create_engine(f"sqlite:///{tmp_path}/office.db")
    migrate(e)
    yield e
    e.dispose()


@pytest.fixture
def key(tmp_path):
    return applicant_key.load_or_create(tmp_path / "keys" / "applicant-fp.key")


def _submit(engine, key, case_no="SH001-20261205-0001-A", station="sh-test-001"):
    sub = dataclasses.replace(submission(case_no, station), form=FORM)
    return StationCalls(engine, station, applicant_key=key).submit_case(sub).case_no


def test_the_fingerprint_is_keyed_kept_in_its_own_column_and_never_shown(sq, key, tmp_path):
    case_no = _submit(sq, key)
    with sq.connect() as conn:
        row = conn.execute(select(cases_t).where(cases_t.c.case_no == case_no)).one()
    unsalted = hashlib.sha256(("office-consent:" + ID).encode()).hexdigest()
    assert row.applicant_fp == ecerts.fingerprint(ID, key) != unsalted
    assert ecerts.fingerprint(ID, applicant_key.load_or_create(tmp_path / "other.key")) != row.applicant_fp
    assert unsalted not in row.form and row.applicant_fp not in row.form and "_applicant_fp" not in row.form
    # the key file: made once, private, the same key when loaded again
    path = tmp_path / "keys" / "applicant-fp.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ecerts.fingerprint(ID, applicant_key.load_or_create(path)) == row.applicant_fp
    # the station's lookup by the keyed fingerprint still finds the case
    [found] = StationCalls(sq, "sh-test-002", applicant_key=key).cases_for_applicant(submission().applicant)
    assert found.case_no == case_no


def test_form_id_and_phone_are_masked_except_for_deciding_roles(sq, key):
    case_no = _submit(sq, key)
    for name, role in (("alice", "operator"), ("bob", "approver"), ("carol", "auditor")):
        accounts.add_user(sq, name, role, PW)
    with TestClient(build_app(Console(sq))) as client:
        seen = {}
        for name in ("alice", "carol", "bob"):
            login(client, name, PW)
            got = client.get(f"/api/cases/{case_no}").json()["case"]
            page = client.get(f"/cases/{case_no}").text
            seen[name] = got, page
    for name in ("alice", "carol"):
        got, page = seen[name]
        assert got["form"]["form.id_number"] == "1101**********0021"
        assert got["form"]["form.phone"] == "138****8000"
        assert ID not in json.dumps(got) and "13800138000" not in json.dumps(got) and ID not in page
        assert "13800138000" not in page and "_applicant_fp" not in got["form"] and "applicant_fp" not in got
    got, page = seen["bob"]  # an approver decides the case on the full answers
    assert got["form"]["form.id_number"] == ID and got["form"]["form.phone"] == "13800138000"
    assert "applicant_fp" not in got and "_applicant_fp" not in got["form"]


def test_a_damaged_key_file_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "applicant-fp.key"
    bad.write_bytes(b"short")
    bad.chmod(0o600)
    with pytest.raises(applicant_key.KeyFileError, match="applicant-fp.key.*5 bytes"):
        applicant_key.load_or_create(bad)


def test_default_key_path_is_next_to_a_sqlite_database(tmp_path):
    assert applicant_key.default_path(f"sqlite:///{tmp_path}/o.db") == tmp_path / "applicant-fp.key"
    assert applicant_key.default_path("postgresql://u@h:5432/office") is None
