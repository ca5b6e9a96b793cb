"""Example data for every receipt kind: used by `kiosk print sample`, tests, the benchmark and
the docs. Personal data here is fictitious and already masked."""

from __future__ import annotations

from typing import Any

SAMPLES: dict[str, dict[str, Any]] = {
    "application": {
        "case_number": "SQ20261122-000123",
        "service_item": "城乡居民基本医疗保险参保登记",
        "applicant_id_masked": "110101********1234",
        "applicant_name_masked": "张*明",
        "materials": [
            {"name": "居民身份证", "pages": 2, "form": "scan"},
            {"name": "户口簿（户主页及本人页）", "pages": 2, "form": "scan"},
            {"name": "结婚证", "pages": 0, "form": "e-cert"},
            {"name": "参保登记表原件", "pages": 1, "form": "paper"},
        ],
        "promised_date": "2026-11-29",
        "fee_yuan": "20.00",
        "fee_paid": True,
        "query_url": "https://zwfw.example.gov.cn/progress?case=SQ20261122-000123",
        "issued_at": "2026-11-22T10:30:00",
    },
    "pickup": {
        "case_number": "SQ20261115-000042",
        "compartment": "A07",
        "items": ["不动产权证书", "缴费收据"],
        "picked_up_at": "2026-11-22T21:15:00",
        "applicant_id_masked": "110101********1234",
    },
    "deposit_slip": {
        "case_number": "SQ20261115-000042",
        "compartment": "A07",
        "staff_id": "S0123",
        "deposited_at": "2026-11-22T09:05:00",
        "items": ["不动产权证书", "缴费收据"],
        "notified_phone_masked": "138****5678",
        "pickup_deadline": "2026-12-06",
    },
    "test_page": {"printed_at": "2026-11-22T08:00:00", "technician": "T-007"},
}

SAMPLES_EN_OVERRIDES: dict[str, dict[str, Any]] = {
    "application": {
        "service_item": "Basic medical insurance registration for urban and rural residents",
        "applicant_name_masked": "Zhang *ming",
        "materials": [
            {"name": "Resident ID card", "pages": 2, "form": "scan"},
            {"name": "Household register (head and own page)", "pages": 2, "form": "scan"},
            {"name": "Marriage certificate", "pages": 0, "form": "e-cert"},
            {"name": "Registration form, original", "pages": 1, "form": "paper"},
        ],
    },
    "pickup": {"items": ["Real estate title certificate", "Payment receipt"]},
    "deposit_slip": {"items": ["Real estate title certificate", "Payment receipt"]},
}


def sample(kind: str, lang: str = "zh") -> dict[str, Any]:
    data = dict(SAMPLES[kind])
    if lang == "en":
        data.update(SAMPLES_EN_OVERRIDES.get(kind, {}))
    return data
