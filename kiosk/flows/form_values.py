"""A form being filled: values pre-filled from the card and the OCR'd materials, checked as the
citizen confirms or corrects them. Pure Python (no UI, no device): the apply flow's form step
(`kiosk.flows.form`) and the form PDF (`kiosk.services.form_pdf`) use it.

`prefill(form_def, identity, readings)` gives a `FilledForm`; `check_value(field, raw)` turns
what the keypad or a touch list gave into the stored value or a `ValueProblem` naming the rule
(`id_check_digit`, `phone`, `date`, `number_range`, `not_a_choice`, ...). Values are strings:
dates ISO (YYYY-MM-DD), ID numbers upper-case, numbers without leading zeros.
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

    def value(self, key: str) -> str:
        v = self.values.get(key)
        return v.value if v else ""

    def set(self, key: str, value: str, origin: str) -> None:
        self.values[key] = FieldValue(value, origin, True)

    def missing_required(self) -> list[FieldDef]:
        return [f for f in self.form.fields if f.required and not self.value(f.key)]

    def shown(self, f: FieldDef, lang: str = "zh") -> str:
        """The value as a screen shows it: an ID number masked, a choice by its label."""
        raw = self.value(f.key)
        if not raw:
            return ""
        if f.type == "id_number":
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


def check_value(f: FieldDef, raw: Any, today: date | None = None) -> str | ValueProblem:
    """The value to store, or why it is refused."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        return _problem("empty", "没有输入内容", "Nothing was entered")
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
    if f.type == "id_number":
        number = text.upper()
        if len(number) != 18 or not number[:17].isdigit():
            return _problem("id_length", "公民身份号码应为18位", "A resident ID number has 18 characters")
        if not id_number_valid(number):
            return _problem("id_check_digit", "公民身份号码校验位不对，请逐位核对",
                            "The ID number's check digit is wrong: check each digit")
        return number
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
    for f in form.fields:
        src = f.source
        if src is None:
            continue
        if src.card is not None:
            value, origin = _card_value(src.card, identity), "card"
        else:
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
