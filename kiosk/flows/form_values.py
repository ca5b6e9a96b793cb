"""A form being filled: values pre-filled from the card and the OCR'd materials, checked as the
citizen confirms or corrects them. Pure Python (no UI, no device): the apply flow's form step
(`kiosk.flows.form`) and the form PDF (`kiosk.services.form_pdf`) use it.

`prefill(form_def, identity, readings)` gives a `FilledForm`; `check_value(field, raw, today,
applicant)` turns what the keypad or a touch list gave into the stored value or a `ValueProblem`
naming the rule (`id_check_digit`, `not_applicant`, `phone`, `date`, `number_range`,
`not_a_choice`, ...). Values are strings: dates ISO (YYYY-MM-DD), ID numbers upper-case, numbers
without leading zeros.

The identity document decides the fields sourced from it (`FieldDef.from_document`): their values
are the document's, re-taken at confirm (`take_document`), never keyed. The applicant's number
field holds whatever number the document has — the resident ID number (GB 11643) of a card, the
passport number of a passport (its MRZ check digit verified when it was read) — and nothing else
(`not_applicant`). A field the document does not carry (a passport has no address) is left empty
and not required (`FilledForm.not_on_document`): the citizen could never fill it here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kiosk.devices.idreader import mask_id_number
from kiosk.devices.scanner.doc_kinds import id_number_valid
from kiosk.services.form_defs import FieldDef, FormDef

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{9,11}$")  # area code + number, digits only (0571 87654321)
SEX_VALUES = {"M": "male", "F": "female"}
PASSPORT_NUMBER_RE = re.compile(r"^[A-Z0-9]{1,20}$")  # ICAO 9303 document number, fillers dropped
# the label of the applicant's number field when the document is not a resident ID card
DOC_NUMBER_LABELS: dict[str, tuple[str, str]] = {
    "passport": ("护照号码", "Passport number"),
    "id_card_td1": ("身份证件号码", "Identity card number"),
}


@dataclass(frozen=True)
class ValueProblem:
    """Why a keyed value was refused: `rule` names it, the texts say what to check."""

    rule: str
    zh: str
    en: str


@dataclass
class FieldValue:
    value: str = ""
    origin: str = ""  # "card" | "ocr" | "keyed" | "chosen" | "" (empty)
    confirmed: bool = False


@dataclass
class FilledForm:
    """The values of one form in one visit (personal: lives in the session only)."""

    form: FormDef
    values: dict[str, FieldValue] = field(default_factory=dict)
    doc_type: str = "cn_resident_id"  # the applicant's identity document
    not_on_document: set[str] = field(default_factory=set)  # document fields this document lacks

    def value(self, key: str) -> str:
        v = self.values.get(key)
        return v.value if v else ""

    def set(self, key: str, value: str, origin: str) -> None:
        self.values[key] = FieldValue(value, origin, True)

    def missing_required(self) -> list[FieldDef]:
        return [f for f in self.form.fields
                if f.required and not self.value(f.key) and f.key not in self.not_on_document]

    def label(self, f: FieldDef) -> tuple[str, str]:
        """The field's label (zh, en) for this applicant: the number field names the document."""
        if f.applicant_number and self.doc_type in DOC_NUMBER_LABELS:
            return DOC_NUMBER_LABELS[self.doc_type]
        return f.label_zh, f.label_en

    def take_document(self, identity: Any) -> None:
        """Set every document-sourced field from the identity document, whatever was there."""
        self.doc_type = str(getattr(identity, "doc_type", "") or "cn_resident_id")
        self.not_on_document.clear()
        for f in self.form.fields:
            if not f.from_document:
                continue
            self.values.pop(f.key, None)
            value = _card_value(f.source.card, identity)  # type: ignore[union-attr]
            if value and f.type not in ("text",):
                checked = check_value(f, value, applicant=identity)
                value = "" if isinstance(checked, ValueProblem) else checked
            if value:
                self.values[f.key] = FieldValue(value, "card", False)
            else:
                self.not_on_document.add(f.key)

    def shown(self, f: FieldDef, lang: str = "zh") -> str:
        """The value as a screen shows it: an ID number masked, a choice by its label."""
        raw = self.value(f.key)
        if not raw:
            return ""
        if f.type in ("id_number", "document_number") or f.applicant_number:
            return mask_id_number(raw)
        if f.type == "choice":
            c = next((c for c in f.choices if c.value == raw), None)
            return (c.en if lang == "en" else c.zh) if c else raw
        return raw

    def printed(self, f: FieldDef) -> str:
        """The value as the form PDF prints it (Chinese labels of choices; the full ID number:
        the office receives the applicant's number anyway)."""
        raw = self.value(f.key)
        if f.type == "choice":
            c = next((c for c in f.choices if c.value == raw), None)
            return c.zh if c else raw
        return raw

    def wipe(self) -> None:
        self.values.clear()


def _problem(rule: str, zh: str, en: str) -> ValueProblem:
    return ValueProblem(rule, zh, en)


def _resident_id_problem(number: str) -> ValueProblem | None:
    if len(number) != 18 or not number[:17].isdigit():
        return _problem("id_length", "公民身份号码应为18位", "A resident ID number has 18 characters")
    if not id_number_valid(number):
        return _problem("id_check_digit", "公民身份号码校验位不对，请逐位核对",
                        "The ID number's check digit is wrong: check each digit")
    return None


def _mrz_number_problem(number: str) -> ValueProblem | None:
    # the MRZ check digit was verified when the document was read; here only the shape
    if not PASSPORT_NUMBER_RE.match(number):
        return _problem("document_number", "证件号码只含字母和数字", "A document number has letters and digits only")
    return None


# how each identity document's number is checked (the IdentityRecord's doc_type)
DOC_NUMBER_RULES = {"cn_resident_id": _resident_id_problem, "passport": _mrz_number_problem,
                    "id_card_td1": _mrz_number_problem}


def _applicant_number(number: str, applicant: Any) -> str | ValueProblem:
    """The applicant's own document number: the identified document's, by its own rule."""
    own = str(getattr(applicant, "id_number", "") or "").upper() if applicant is not None else ""
    if not own:
        return _problem("no_applicant", "还没有核验身份，不能填写本人证件号码",
                        "Nobody is identified yet: the applicant's document number cannot be filled")
    rule = DOC_NUMBER_RULES.get(str(getattr(applicant, "doc_type", "") or "cn_resident_id"), _mrz_number_problem)
    problem = rule(number)
    if problem is not None:
        return problem
    if number != own:
        return _problem("not_applicant", "只能填写本人（刷证人）证件上的号码",
                        "Only the number on your own identity document can be used")
    return number


def check_value(f: FieldDef, raw: Any, today: date | None = None, applicant: Any = None) -> str | ValueProblem:
    """The value to store, or why it is refused. `applicant` is the identified person's identity
    record: the applicant's number field (`FieldDef.applicant_number`) takes that number only."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        return _problem("empty", "没有输入内容", "Nothing was entered")
    if f.applicant_number and f.type in ("id_number", "document_number"):
        return _applicant_number(text.upper(), applicant)
    if f.type == "choice":
        if text not in {c.value for c in f.choices}:
            return _problem("not_a_choice", "请从列表中选择", "Please choose from the list")
        return text
    if f.type == "number":
        if not text.isdigit() or len(text) > 9:
            return _problem("number", "请输入数字", "Please enter digits only")
        n = int(text)
        if (f.min is not None and n < f.min) or (f.max is not None and n > f.max):
            lo = f.min if f.min is not None else 0
            hi = f.max if f.max is not None else "∞"
            return _problem("number_range", f"数值应在{lo}到{hi}之间", f"The number must be from {lo} to {hi}")
        return str(n)
    if f.type == "date":
        digits = text.replace("-", "")
        if len(digits) != 8 or not digits.isdigit():
            return _problem("date", "日期请按年月日输入8位数字，如20240131", "Enter the date as 8 digits, e.g. 20240131")
        try:
            d = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            return _problem("date", "没有这个日期，请检查年月日", "There is no such date: check year, month and day")
        if d.year < 1900 or (today is not None and d.year > today.year + 50):
            return _problem("date", "日期的年份不合理，请检查", "The year looks wrong: please check it")
        return d.isoformat()
    if f.type == "phone":
        if not (MOBILE_RE.match(text) or LANDLINE_RE.match(text)):
            return _problem("phone", "电话号码应为11位手机号或区号加座机号（只输数字）",
                            "A phone number is an 11-digit mobile or an area code and number (digits only)")
        return text
    if f.type == "id_number":  # another person's number (a spouse's, ...): its check digit only
        number = text.upper()
        return _resident_id_problem(number) or number
    if f.type == "document_number":  # unreachable: a document_number field is the applicant's own
        return _problem("no_applicant", "还没有核验身份", "Nobody is identified yet")
    return text  # text fields: only ever filled from the card or OCR


def _card_value(source: str, identity: Any) -> str:
    if identity is None:
        return ""
    if source == "id_number":
        return str(identity.id_number or "").upper()
    if source == "birth_date":
        return identity.birth_date.isoformat() if identity.birth_date else ""
    if source == "sex":
        return SEX_VALUES.get(identity.sex, "")
    if source == "nation":
        return identity.nation_name_zh or ""
    return str(getattr(identity, source, "") or "")


def prefill(form: FormDef, identity: Any, readings: list[Any]) -> FilledForm:
    """Fill what the card and the read materials say; a pre-filled value that does not pass the
    field's own check (an OCR misread) is left empty for the citizen to key or choose."""
    filled = FilledForm(form)
    filled.take_document(identity)
    for f in form.fields:
        src = f.source
        if src is None or src.card is not None:
            continue
        value = next((r.fields.get(src.field or "", "") for r in readings
                      if getattr(r, "kind", "") == src.ocr and r.fields.get(src.field or "")), "")
        origin = "ocr"
        if not value:
            continue
        if f.type != "text":
            checked = check_value(f, value)
            if isinstance(checked, ValueProblem):
                continue
            value = checked
        filled.values[f.key] = FieldValue(value, origin, False)
    return filled
