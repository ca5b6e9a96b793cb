"""Test helpers: a case submission as a station sends it, a logged-in API client."""

from __future__ import annotations

from typing import Any

from kiosk.services.backoffice import Applicant, CaseSubmission, SubmittedFile


def submission(case_no: str = "SH001-20261205-0001-A", station: str = "sh-test-001",
               matter: str = "SI-003") -> CaseSubmission:
    return CaseSubmission(case_no=case_no, matter_code=matter, station_id=station,
                          applicant=Applicant(id_number="110101199003070021", name="张三", id_masked="1101**********0021"),
                          files=(SubmittedFile("居民身份证", "scan", "application/pdf", b"%PDF-1.4 test", 0, 1),),
                          form={"purpose": "test"}, submitted_at="2026-12-05T08:00:00+08:00")


def login(client: Any, user: str, password: str) -> str:
    r = client.post("/api/login", json={"user": user, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["csrf"]
