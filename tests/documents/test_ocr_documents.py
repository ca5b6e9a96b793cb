"""Materials the station reads: OCR (rapidocr, models in the wheel) on generated pages, the
document kind from the fixed vocabulary, key fields, the cross-check rules, and `kiosk scan
--json` gaining `document{kind, confidence, fields, text}` per image."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import cv2
import pytest

from hw_sim.identities import get_identity
from hw_sim.material_pages import MATERIAL_KINDS, material_page, shadow
from kiosk.devices.scanner.crosscheck import CardFacts, cross_check, wanted_kinds
from kiosk.devices.scanner.doc_kinds import (KINDS, DocumentReading, classify, credit_code_valid, id_number_valid,
                                             read_document)
from kiosk.devices.scanner.ocr import OcrLine, read_lines

ROOT = Path(__file__).resolve().parents[2]
OBAMA = get_identity("obama")
CARD = CardFacts(OBAMA.id_number, OBAMA.name_zh)
TODAY = date(2026, 11, 22)


def _read(page) -> DocumentReading:
    lines, ms = read_lines(page)
    return read_document(lines, page.shape[1], page.shape[0], ms)


@pytest.fixture(scope="module")
def readings():
    """Every kind, flat, read once for the module (OCR takes ~1 s a page)."""
    out = {}
    for kind in MATERIAL_KINDS:
        page, truth = material_page(kind)
        out[kind] = (_read(page), truth)
    return out


def test_vocabulary_is_fixed():
    assert KINDS == MATERIAL_KINDS


@pytest.mark.parametrize("kind", MATERIAL_KINDS)
def test_every_kind_is_recognised_with_its_fields(readings, kind):
    reading, truth = readings[kind]
    assert reading.kind == kind, (reading.rule, reading.text)
    assert 0.5 <= reading.confidence <= 1.0
    for name, value in truth.fields.items():
        assert reading.fields.get(name) == value, (name, reading.fields)
    assert reading.text and all(isinstance(t, str) for t in reading.text)


def test_photographed_page_with_shadow_and_stamp_is_read():
    from hw_sim.documents import page_photo
    from kiosk.devices.scanner.analyse import PageAnalyzer, default_config

    page, truth = material_page("business_licence", stamp=True)
    frame, _ = page_photo("custom", page_image=shadow(page), skew=0.2, rotation=4.0)
    res = PageAnalyzer(default_config()).analyse(frame)
    assert res.page is not None
    reading = _read(res.page)
    assert reading.kind == "business_licence"
    assert reading.fields.get("credit_code") == truth.fields["credit_code"]


def test_cross_check_names_each_rule(readings):
    front, _ = readings["id_card_front"]
    assert cross_check(front, CARD, TODAY, wanted_kinds("居民身份证")) == []
    # a page of the wrong kind: refused with what is wanted instead
    form, _ = readings["application_form"]
    [wrong] = cross_check(form, CARD, TODAY, wanted_kinds("受托人居民身份证"))
    assert wrong.rule == "wrong_kind" and wrong.verdict == "refuse"
    assert "申请表" in wrong.zh and "居民身份证" in wrong.zh and "application form" in wrong.en
    # someone else's ID card
    other = _read(material_page("id_card_front", other_id=True)[0])
    assert [f.rule for f in cross_check(other, CARD, TODAY, ("id_card_front",))] == ["id_number_mismatch", "name_mismatch"]
    # an expired licence
    expired = _read(material_page("business_licence", expired=True)[0])
    rules = cross_check(expired, CARD, TODAY, wanted_kinds("营业执照"))
    assert [(f.rule, f.verdict) for f in rules] == [("expired", "refuse")] and "2019-03-11" in rules[0].zh
    # an unsigned form
    unsigned = _read(material_page("application_form", signed=False)[0])
    assert unsigned.fields["signature"] == "missing"
    assert [f.rule for f in cross_check(unsigned, CARD, TODAY, ("application_form",))] == ["signature_missing"]
    # a household register without the applicant
    register = _read(material_page("household_register", other_id=True)[0])
    assert "applicant_not_listed" in [f.rule for f in cross_check(register, CARD, TODAY, ("household_register",))]


def _line(text: str, y: float, x: float = 100.0) -> OcrLine:
    return OcrLine(text, ((x, y), (x + 30 * len(text), y), (x + 30 * len(text), y + 36), (x, y + 36)), 0.99)


def test_rules_on_synthetic_text():
    # the existing sample page (a real-estate application form) is a form, not a title certificate
    lines = [_line("不动产登记申请表", 100), _line("申请人：张三", 270), _line("联系电话：138****5678", 370),
             _line("申请事项：不动产权证书补发", 470)]
    assert classify(lines, 1240, 1754)[0] == "application_form"
    assert classify([_line("姓名 张三", 100)], 1240, 1754)[0] == "unknown"  # labels alone never make a kind
    assert classify([], 1240, 1754)[0] == "unknown"
    assert id_number_valid(OBAMA.id_number) and not id_number_valid(OBAMA.id_number[:17] + "9")
    assert not credit_code_valid("92110101MA01B2C3D0")


def test_scan_cli_json_gains_document(tmp_path):
    page, _ = material_page("household_register")
    img = tmp_path / "register.png"
    cv2.imwrite(str(img), page)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "kiosk", "scan", str(img), "--flatbed", "--json"],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr
    [entry] = json.loads(res.stdout)["images"]
    assert {"page_found", "quality", "codes", "document"} <= set(entry)
    doc = entry["document"]
    assert doc["kind"] == "household_register" and doc["fields"]["household_no"] == "110101234"
    assert set(doc) >= {"kind", "confidence", "fields", "text"} and any("常住人口登记卡" in t for t in doc["text"])
    res = subprocess.run([sys.executable, "-m", "kiosk", "scan", str(img), "--flatbed", "--json", "--no-ocr"],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert "document" not in json.loads(res.stdout)["images"][0]
