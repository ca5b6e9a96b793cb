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
from kiosk.flows.form_values import ValueProblem, check_value
from kiosk.flows.texts import render
from kiosk.services.form_defs import FieldDef, FormBook, FormDef, FormError, load_forms

PS002_FORM = {
    "matter": "PS-002", "title_zh": "无犯罪记录证明申请表", "title_en": "No-criminal-record application",
    "fields": [
        {"key": "name", "label_zh": "申请人姓名", "label_en": "Name", "source": {"card": "name"}, "required": True},
        {"key": "id_number", "label_zh": "公民身份号码", "label_en": "ID number", "type": "document_number",
         "source": {"card": "id_number"}, "required": True},
        {"key": "birth_date", "label_zh": "出生日期", "label_en": "Date of birth", "type": "date",
         "source": {"card": "birth_date"}},
        {"key": "address", "label_zh": "户籍地址", "label_en": "Registered address", "required": True,
         "source": {"card": "address"}},
        {"key": "lost_on", "label_zh": "遗失日期", "label_en": "Date lost", "type": "date"},
        {"key": "household_no", "label_zh": "户号", "label_en": "Household no.", "required": True,
         "source": {"ocr": "household_register", "field": "household_no"}},
        {"key": "phone", "label_zh": "联系电话", "label_en": "Phone", "type": "phone", "required": True},
        {"key": "purpose", "label_zh": "用途", "label_en": "Purpose", "type": "choice", "required": True,
         "choices": [{"value": "employment", "zh": "就业", "en": "Employment"},
                     {"value": "abroad", "zh": "出国（境）", "en": "Going abroad"}]},
    ],
}


def _to_form(world, document=None):
    """PS-002 with its form: ID card as e-certificate, 申请表 (1 page), 户口簿 (2 pages, OCR'd).
    `document`: the identity record the reader gives (default: obama's resident ID card)."""
    world.services.extra["forms"] = FormBook({"PS-002": FormDef.model_validate(PS002_FORM)})
    f = world.start("apply", matter_code="PS-002")
    assert f.act("start")
    if document is None:
        world.identify(f)
    else:
        world.reader.insert(document)
        world.pump(f)
        world.face.match()
        world.pump(f)
    assert f.act("consent")
    world.wait_services(f)
    if document is not None and f.state == "scan" and f.session.visit.apply.attached.get(0) is None:
        world.scanner.page()  # no e-certificate for a passport: its data page is scanned instead
        world.pump(f)
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
    return _row_of(f.view(), key)


def _row_of(view, key: str) -> dict:
    return next(r for r in view.data["fields"] if r["key"] == key)


def test_form_prefilled_from_card_and_ocr_corrected_by_keypad_sent_as_pdf(world):
    f = _to_form(world)
    me = get_identity("obama")
    assert _row(f, "name")["value_zh"] == me.name_zh and _row(f, "name")["origin"] == "card"
    assert _row(f, "id_number")["value_zh"] == me.id_number[:4] + "*" * 10 + me.id_number[-4:]  # masked on screen
    assert _row(f, "household_no") == {**_row(f, "household_no"), "value_zh": "330106012", "origin": "ocr"}
    assert _row(f, "birth_date")["value_zh"] == me.birth_date.isoformat()
    assert not _row(f, "name")["editable"]  # text: no typing at the station
    # the citizen keys a date and the phone with the keypad, chooses the purpose
    _key(f, "lost_on", "20240229")
    assert f.state == "form" and _row(f, "lost_on") == {**_row(f, "lost_on"), "value_zh": "2024-02-29",
                                                        "origin": "keyed"}
    _key(f, "phone", "13800138000")
    assert f.act("edit", key="purpose") and f.view().data["choices"][1]["value"] == "abroad"
    assert f.act("set", value="abroad") and _row(f, "purpose")["value_en"] == "Going abroad"
    assert f.act("confirm") and f.state == "form_render"
    world.wait_services(f)
    world.wait_services(f)
    world.pump(f)
    assert f.state in ("receipt", "done"), (f.state, f.outcome, f.history)
    case = world.backoffice.cases[f.session.visit.case_no]
    forms = [x for x in case.files if x.kind == "form"]
    assert len(forms) == 1 and forms[0].media_type == "application/pdf" and forms[0].name == "无犯罪记录证明申请表"
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=forms[0].content, capture_output=True,
                          check=True).stdout.decode("utf-8")
    for words in ("无犯罪记录证明申请表", "2024-02-29", "13800138000", "330106012", "出国（境）", me.name_zh,
                  me.birth_date.isoformat(), me.id_number):
        assert words in text, (words, text)
    assert f.form_answers()["form.phone"] == "13800138000"  # machine-readable beside the PDF
    assert [r.action for r in world.services.audit.records()].count("form.corrected") == 3
    assert f.form_answers()["form.id_number"] == me.id_number and f.form_answers()["form.address"] == me.address


def test_a_missing_required_field_keeps_the_citizen_on_the_form_naming_it(world):
    f = _to_form(world)
    assert f.act("confirm")
    assert f.state == "form" and f.error.key == "form.missing"
    zh, en = render(f.error, "zh"), render(f.error, "en")
    assert "联系电话" in zh and "用途" in zh and "Phone" in en and "姓名" not in zh and "地址" not in zh
    assert f.session.visit.form.form_pdf is None and not world.backoffice.cases


def _valid_id(body: str) -> str:
    w, c = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], "10X98765432"
    return body + c[sum(int(a) * b for a, b in zip(body, w)) % 11]


def test_the_identity_documents_fields_cannot_be_changed_at_the_station(world):
    f = _to_form(world)
    me = get_identity("obama")
    other = _valid_id("11010119850505123")  # a real-looking number of somebody else
    for key in ("id_number", "birth_date", "name", "address"):
        assert not _row(f, key)["editable"], key
        assert f.act("edit", key=key) and f.state == "form" and f.error.key == "form.from_document", key
    assert "form.document_note" in [b.key for b in f.view().body]
    # even a flow pushed into the field's editor keeps the card's number
    f.session.visit.form.form_field = "id_number"
    f.go("form_edit")
    assert f.act("set", value=other) and f.state == "form" and f.error.key == "form.from_document"
    assert f.session.visit.form.form.value("id_number") == me.id_number
    # and the values at confirm are the card's, whatever was put in the session
    f.session.visit.form.form.values["id_number"].value = other
    _key(f, "phone", "13800138000")
    _key(f, "purpose", "employment")
    assert f.act("confirm") and f.state == "form_render"
    assert f.session.visit.form.form.value("id_number") == me.id_number


def test_the_applicants_number_takes_only_the_identified_persons_number():
    from hw_sim.station.instant import passport_record
    from tests.flows import fakes

    card = fakes.identity("obama")
    f = FormDef.model_validate(PS002_FORM).field("id_number")
    other = _valid_id("11010119850505123")
    assert isinstance(check_value(f, other), ValueProblem)  # nobody identified: no number fits
    assert check_value(f, other, applicant=card).rule == "not_applicant"
    assert check_value(f, other).rule == "no_applicant"
    bad = card.id_number[:17] + ("0" if card.id_number[17] != "0" else "1")
    problem = check_value(f, bad, applicant=card)
    assert problem.rule == "id_check_digit" and "校验位" in problem.zh and "check digit" in problem.en
    assert check_value(f, card.id_number.lower(), applicant=card) == card.id_number  # lower-case x is X
    # the same field of a passport holder takes the passport number (its MRZ checks passed at the read)
    pp = passport_record("obama")
    assert check_value(f, pp.id_number, applicant=pp) == pp.id_number
    assert check_value(f, card.id_number, applicant=pp).rule == "not_applicant"
    # an id_number field that is not the applicant's own (a spouse's) is keyed, check digit only
    spouse = FieldDef.model_validate({"key": "spouse_id", "label_zh": "配偶身份号码", "label_en": "Spouse's ID",
                                      "type": "id_number"})
    assert spouse.editable and check_value(spouse, other, applicant=card) == other


def test_a_passport_holder_fills_the_form_with_the_passport_number(world):
    from hw_sim.station.instant import passport_record

    pp = passport_record("obama")
    number = pp.id_number
    f = _to_form(world, pp)
    _key(f, "phone", "13800138000")
    _key(f, "purpose", "abroad")
    view = f.view()
    assert f.act("confirm") and f.state == "form_render", f.error  # not stuck on the number or the address
    assert _row_of(view, "id_number")["label_zh"] == "护照号码"
    assert _row_of(view, "id_number")["label_en"] == "Passport number"
    assert _row_of(view, "id_number")["origin"] == "card" and not _row_of(view, "id_number")["editable"]
    assert _row_of(view, "name")["value_en"] == pp.name
    # a passport has no registered address: not asked (it could never be filled here), said so
    addr = _row_of(view, "address")
    assert addr["not_on_document"] and not addr["required"] and not addr["value_zh"]
    notes = [b for b in view.body if b.key == "form.not_on_document"]
    assert notes and "户籍地址" in render(notes[0], "zh") and "Registered address" in render(notes[0], "en")
    world.wait_services(f)
    world.wait_services(f)
    world.pump(f)
    assert f.state in ("receipt", "done"), (f.state, f.outcome, f.history)
    case = world.backoffice.cases[f.session.visit.case_no]
    pdf = next(x for x in case.files if x.kind == "form")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.content, capture_output=True,
                          check=True).stdout.decode("utf-8")
    assert number in text and "护照号码" in text, text
    assert f.form_answers()["form.id_number"] == number


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
