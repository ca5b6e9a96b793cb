"""Cross-check a read material against the applicant's card and against what the item wants.

Pure Python. `cross_check(reading, card, today, wanted)` returns `Finding`s, each naming its rule:

| rule | verdict | when |
|---|---|---|
| `wrong_kind` | refuse | the page is not the kind the material asks for (`wanted`) |
| `id_number_mismatch` | refuse | an identity document or form carries a valid ID number that is not the applicant's |
| `applicant_not_listed` | refuse | a household register page lists ID numbers, none of them the applicant's |
| `expired` | refuse | the document's validity ended before `today` |
| `name_mismatch` | flag | the name read differs from the card's (OCR may misread: staff check it) |
| `signature_missing` | flag | the application form's signature box is empty |
| `unrecognised` | flag | the page's kind could not be told (OCR must not block: staff check it) |

`wanted_kinds(material_name_zh)` maps a catalog material name to the kinds that answer it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from kiosk.devices.scanner.doc_kinds import KIND_TEXT, DocumentReading

Verdict = Literal["refuse", "flag"]

RULE_TEXT: dict[str, tuple[str, str]] = {
    "wrong_kind": ("材料类型不符：这是{got}，需要的是{want}", "Wrong document: this is {got}, {want} is needed"),
    "id_number_mismatch": ("材料上的身份证号码不是申请人本人的", "The ID number on the document is not the applicant's"),
    "applicant_not_listed": ("户口簿上没有申请人本人", "The applicant is not listed on this household register"),
    "expired": ("材料已过有效期（{until}）", "The document expired on {until}"),
    "name_mismatch": ("材料上的姓名与身份证不一致，请工作人员核对", "The name differs from the ID card: staff will check it"),
    "signature_missing": ("申请表未签名", "The application form is not signed"),
    "unrecognised": ("未能识别材料类型，请工作人员核对", "The document could not be recognised: staff will check it"),
}

# material name keywords -> kinds that answer it (first match wins)
WANTED: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("身份证",), ("id_card_front", "id_card_back")),
    (("户口",), ("household_register",)),
    (("申请表", "申请书", "登记表"), ("application_form",)),
    (("结婚证",), ("marriage_certificate",)),
    (("营业执照",), ("business_licence",)),
    (("不动产权证", "房产证", "房屋所有权证"), ("property_certificate",)),
)
PERSONAL_KINDS = ("id_card_front", "application_form", "marriage_certificate")


@dataclass(frozen=True)
class CardFacts:
    """What the applicant's card says (held in the session; never stored)."""

    id_number: str
    name: str


@dataclass(frozen=True)
class Finding:
    rule: str
    verdict: Verdict
    zh: str
    en: str


def wanted_kinds(material_name_zh: str) -> tuple[str, ...] | None:
    """The kinds that answer a catalog material, or None when no rule knows it (not checked)."""
    for words, kinds in WANTED:
        if any(w in material_name_zh for w in words):
            return kinds
    return None


def _finding(rule: str, verdict: Verdict, **params: str) -> Finding:
    zh, en = RULE_TEXT[rule]
    return Finding(rule, verdict, zh.format(**{k: v[0] if isinstance(v, tuple) else v for k, v in params.items()}),
                   en.format(**{k: v[1] if isinstance(v, tuple) else v for k, v in params.items()}))


def cross_check(reading: DocumentReading, card: CardFacts | None, today: date,
                wanted: tuple[str, ...] | None = None) -> list[Finding]:
    out: list[Finding] = []
    if reading.kind == "unknown":  # OCR could not tell: a person decides, the page is not refused
        return [_finding("unrecognised", "flag")]
    if wanted is not None and reading.kind not in wanted:
        out.append(_finding("wrong_kind", "refuse", got=KIND_TEXT[reading.kind],
                            want=(" / ".join(KIND_TEXT[k][0] for k in wanted),
                                  " or ".join(KIND_TEXT[k][1] for k in wanted))))
        return out  # the other rules are about the right document
    f = reading.fields
    ids = [i for i in f.get("id_numbers", "").split(",") if i]
    mine = card.id_number.strip().upper() if card else ""
    if card is not None and ids:
        if reading.kind == "household_register" and mine not in ids:
            out.append(_finding("applicant_not_listed", "refuse"))
        elif reading.kind in PERSONAL_KINDS and mine not in ids:
            out.append(_finding("id_number_mismatch", "refuse"))
    until = f.get("valid_until", "")
    if until and until != "long_term":
        try:
            if date.fromisoformat(until) < today:
                out.append(_finding("expired", "refuse", until=until))
        except ValueError:
            pass
    if card is not None and f.get("name") and reading.kind in PERSONAL_KINDS + ("household_register",):
        if f["name"] != card.name and reading.kind != "household_register":
            out.append(_finding("name_mismatch", "flag"))
    if reading.kind == "application_form" and f.get("signature") == "missing":
        out.append(_finding("signature_missing", "flag"))
    return out
