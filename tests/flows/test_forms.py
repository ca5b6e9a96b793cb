"""智能填表 in the apply flow: the item's form is pre-filled from the card and the OCR'd materials,
corrected by keypad or touch list (never typed Chinese), refused while a required field is empty
or a keyed value fails its rule (ID check digit, phone, date), and travels to the back office as
an A4 PDF of kind `form` whose text reads back. Also: the shipped form definitions load against
the shipped catalog, and a bad definition is refused naming the file and the key."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from hw_sim.identities import get_identity
from kiosk.devices.scanner.doc_kinds import DocumentReading
from kiosk.flows.form_values import check_value
from kiosk.flows.texts import render
from kiosk.services.form_defs import FieldDef, FormBook, FormDef, FormError, load_forms

PS002_FORM = {
    "matter": "PS-002", "title_zh": "无犯罪记录证明申请表", "title_en": "No-criminal-record application",
    "fields": [
        {"key": "name", "label_zh": "申请人姓名", "label_en": "Name", "source": {"card": "name"}, "required": True},
        {"key": "id_number", "label_zh": "公民身份号码", "label_en": "ID number", "type": "id_number",
         "source": {"card": "id_number"}, "required": True},
        {"key": "birth_date", "label_zh": "出生日期", "label_en": "Date of birth", "type": "date",
         "source": {"card": "birth_date"}},
        {"key": "household_no", "label_zh": "户号", "label_en": "Household no.", "required": True,
         "source": {"ocr": "household_register", "field": "household_no"}},
        {"key": "phone", "label_zh": "联系电话", "label_en": "Phone", "type": "phone", "required": True},
        {"key": "purpose", "label_zh": "用途", "label_en": "Purpose", "type": "choice", "required": True,
         "choices": [{"value": "employment", "zh": "就业", "en": "Employment"},
                     {"value": "abroad", "zh": "出国（境）", "en": "Going abroad"}]},
    ],
}


def _to_form(world):
    """PS-002 with its form: ID card as e-certificate, 申请表 (1 page), 户口簿 (2 pages, OCR'd)."""
    world.services.extra["forms"] = FormBook({"PS-002": FormDef.model_validate(PS002_FORM)})
    f = world.start("apply", matter_code="PS-002")
    assert f.act("start")
    world.identify(f)
    assert f.act("consent")
    world.wait_services(f)
    world.scanner.page()  # 申请表: not read -> accepted, flagged
    world.pump(f)
    for _ in range(2):
        world.scanner.readings.append(DocumentReading("household_register", 0.8, {"household_no": "330106012"}))
        world.scanner.page()
        world.pump(f)
    assert f.state == "form", f.history
    return f


def _key(f, field: str, value: str) -> None:
    assert f.act("edit", key=field) and f.state == "form_edit"
    assert f.act("set", value=value)


def _row(f, key: str) -> dict:
    return next(r for r in f.view().data["fields"] if r["key"] == key)


def test_form_prefilled_from_card_and_ocr_corrected_by_keypad_sent_as_pdf(world):
    f = _to_form(world)
    me = get_identity("obama")
    assert _row(f, "name")["value_zh"] == me.name_zh and _row(f, "name")["origin"] == "card"
    assert _row(f, "id_number")["value_zh"] == me.id_number[:4] + "*" * 10 + me.id_number[-4:]  # masked on screen
    assert _row(f, "household_no") == {**_row(f, "household_no"), "value_zh": "330106012", "origin": "ocr"}
    assert _row(f, "birth_date")["value_zh"] == me.birth_date.isoformat()
    assert not _row(f, "name")["editable"]  # text: no typing at the station
    # the citizen corrects the birth date with the keypad, keys the phone, chooses the purpose
    _key(f, "birth_date", "19800229")
    assert f.state == "form" and _row(f, "birth_date") == {**_row(f, "birth_date"), "value_zh": "1980-02-29",
                                                           "origin": "keyed"}
    _key(f, "phone", "13800138000")
    assert f.act("edit", key="purpose") and f.view().data["choices"][1]["value"] == "abroad"
    assert f.act("set", value="abroad") and _row(f, "purpose")["value_en"] == "Going abroad"
    assert f.act("confirm") and f.state == "form_render"
    world.wait_services(f)
    world.wait_services(f)
    world.pump(f)
    assert f.state in ("receipt", "done"), (f.state, f.outcome, f.history)
    case = world.backoffice.cases[f.session.personal["case_no"]]
    forms = [x for x in case.files if x.kind == "form"]
    assert len(forms) == 1 and forms[0].media_type == "application/pdf" and forms[0].name == "无犯罪记录证明申请表"
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=forms[0].content, capture_output=True,
                          check=True).stdout.decode("utf-8")
    for words in ("无犯罪记录证明申请表", "1980-02-29", "13800138000", "330106012", "出国（境）", me.name_zh):
        assert words in text, (words, text)
    assert f.form_answers()["form.phone"] == "13800138000"  # machine-readable beside the PDF
    assert [r.action for r in world.services.audit.records()].count("form.corrected") == 3


def test_a_missing_required_field_keeps_the_citizen_on_the_form_naming_it(world):
    f = _to_form(world)
    assert f.act("confirm")
    assert f.state == "form" and f.error.key == "form.missing"
    zh, en = render(f.error, "zh"), render(f.error, "en")
    assert "联系电话" in zh and "用途" in zh and "Phone" in en and "姓名" not in zh
    assert "form_pdf" not in f.session.personal and not world.backoffice.cases


def test_an_id_number_with_a_wrong_check_digit_is_refused(world):
    f = _to_form(world)
    good = get_identity("obama").id_number
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    _key(f, "id_number", bad)
    assert f.state == "form_edit" and f.error.key == "form.refused"
    assert "校验位" in render(f.error, "zh") and "check digit" in render(f.error, "en")
    _key_again = f.act("set", value=good.lower())  # a lower-case x is the same check character
    assert _key_again and f.state == "form" and _row(f, "id_number")["origin"] == "keyed"


@pytest.mark.parametrize("ftype,raw,rule", [
    ("phone", "1380013800", "phone"), ("phone", "23800138000", "phone"), ("date", "20230230", "date"),
    ("date", "2023013", "date"), ("number", "12a", "number"), ("number", "1000", "number_range"),
    ("choice", "nope", "not_a_choice"), ("id_number", "11010119900307", "id_length"),
])
def test_keyed_values_refused_by_their_rule(ftype, raw, rule):
    extra = {"choices": [{"value": "a", "zh": "甲", "en": "A"}, {"value": "b", "zh": "乙", "en": "B"}]} \
        if ftype == "choice" else {"min": 1, "max": 999} if ftype == "number" else {}
    f = FieldDef.model_validate({"key": "x", "label_zh": "项", "label_en": "item", "type": ftype, **extra})
    assert check_value(f, raw).rule == rule


def test_the_shipped_forms_load_against_the_shipped_catalog():
    from kiosk.services.catalog import load_catalog
    from kiosk.services.form_defs import forms_for_catalog

    book = forms_for_catalog(load_catalog())
    assert {"ME-001", "PS-001"} <= set(book.forms)
    for form in book.forms.values():
        assert all(f.type != "text" or f.source is not None for f in form.fields)


@pytest.mark.parametrize("change,words", [
    (lambda d: d["fields"][0].update(type="text", source=None), "fields.0: Value error, a text field must come"),
    (lambda d: d["fields"][0].update(colour="red"), "fields.0.colour: Extra inputs"),
    (lambda d: d.update(matter="XX-999"), "the file says 'XX-999'"),
    (lambda d: d["fields"][3].update(source={"ocr": "passport", "field": "household_no"}), "unknown document kind"),
])
def test_a_bad_form_definition_is_refused_naming_file_and_key(tmp_path: Path, change, words):
    data = json.loads(json.dumps(PS002_FORM))
    change(data)
    (tmp_path / "PS-002.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(FormError) as exc:
        load_forms(tmp_path)
    assert "PS-002.json" in str(exc.value) and words in str(exc.value), str(exc.value)
