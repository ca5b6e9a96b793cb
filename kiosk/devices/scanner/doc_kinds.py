"""What a page is and what it says: document kind from a fixed vocabulary, and key fields.

Pure Python over OCR text boxes (`kiosk.devices.scanner.ocr.OcrLine` or anything with `text`,
`x`, `y`, `right`, `bottom`, `score`): flows and the back office may use it, tests feed it lines.

Kinds (`KINDS`): id_card_front, id_card_back, household_register, application_form,
marriage_certificate, business_licence, property_certificate, unknown. Each kind has rules:
title keywords (weight 3, the heading of the document), label keywords (weight 1, the printed
field labels) and a layout rule (an ID card copy's text sits in a card-sized block; a form or a
certificate fills the page). The kind with the highest score wins when it reaches `MIN_SCORE`;
confidence = its share of the kind's possible score, times the mean OCR score of its evidence,
lowered when another kind is close.

Fields (`DocumentReading.fields`, all strings): name, id_number (GB 11643 check character
verified; `id_numbers` lists every valid one on the page), dates (ISO, `dates` comma-separated),
valid_from / valid_until, and the register numbers of each kind: household_no,
credit_code (unified social credit code, GB 32100 check character verified), marriage_no,
property_no, issuer, signature ("present" | "missing" where the form has a signature box).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

KINDS: tuple[str, ...] = ("id_card_front", "id_card_back", "household_register", "application_form",
                          "marriage_certificate", "business_licence", "property_certificate", "unknown")

KIND_TEXT: dict[str, tuple[str, str]] = {
    "id_card_front": ("居民身份证（人像面）", "resident ID card (photo side)"),
    "id_card_back": ("居民身份证（国徽面）", "resident ID card (emblem side)"),
    "household_register": ("居民户口簿", "household register"),
    "application_form": ("申请表", "application form"),
    "marriage_certificate": ("结婚证", "marriage certificate"),
    "business_licence": ("营业执照", "business licence"),
    "property_certificate": ("不动产权证书", "real-estate title certificate"),
    "unknown": ("无法识别的材料", "an unrecognised document"),
}


@dataclass(frozen=True)
class KindRule:
    titles: tuple[str, ...]
    labels: tuple[str, ...]
    card_layout: bool | None = None  # True: text in a card-sized block; False: text fills the page


RULES: dict[str, KindRule] = {
    "id_card_front": KindRule(("公民身份号码",), ("姓名", "性别", "民族", "出生", "住址"), card_layout=True),
    "id_card_back": KindRule(("居民身份证", "签发机关"), ("中华人民共和国", "有效期限"), card_layout=True),
    "household_register": KindRule(("常住人口登记卡", "居民户口簿", "户口簿"),
                                   ("户号", "户主", "与户主关系", "户别", "籍贯", "公民身份证件编号", "登记日期"),
                                   card_layout=False),
    "application_form": KindRule(("申请表", "申请书", "登记表"), ("申请人", "签名", "签字", "联系电话", "申请事项", "日期"),
                                 card_layout=False),
    "marriage_certificate": KindRule(("结婚证",), ("持证人", "登记日期", "结婚证字号", "备注", "国籍"), card_layout=False),
    "business_licence": KindRule(("营业执照", "统一社会信用代码"), ("名称", "类型", "法定代表人", "经营者", "经营范围",
                                                            "成立日期", "营业期限", "登记机关", "住所", "经营场所"),
                                 card_layout=False),
    "property_certificate": KindRule(("不动产权证书", "不动产权第"), ("权利人", "共有情况", "坐落", "不动产单元号",
                                                               "权利类型", "用途", "面积"), card_layout=False),
}
MIN_SCORE = 3.0
# a title keyword inside a longer title that names another kind does not count for this kind
# ("不动产登记申请表" is a form, not a title certificate; "居民身份证复印件" can be either side)
TITLE_EXCLUDES: dict[str, tuple[str, ...]] = {
    "id_card_back": ("公民身份号码",),
}

ID_RE = re.compile(r"(?<![0-9])([1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx])(?![0-9])")
DATE_RE = re.compile(r"((?:19|20)\d{2})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?")
RANGE_RE = re.compile(r"((?:19|20)\d{2}[年.\-/]\d{1,2}[月.\-/]\d{1,2}日?)\s*(?:[-—~至到])\s*"
                      r"((?:19|20)\d{2}[年.\-/]\d{1,2}[月.\-/]\d{1,2}日?|长期)")
NAME_RE = re.compile(r"(?:姓名|持证人|申请人|权利人|经营者|法定代表人|户主姓名)\s*[:：]?\s*([\u4e00-\u9fff·]{2,8}?)"
                     r"(?=\s|$|性别|民族|出生|国籍|户主|户别|与户主|[,，;；(（]|公民|身份|证件|联系)")
NAME_SPACED_RE = re.compile(r"(?:姓名|持证人|申请人|权利人|经营者|法定代表人)\s*[:：]?\s*([\u4e00-\u9fff·]{2,8})(?=\s|$)")
CREDIT_RE = re.compile(r"(?<![0-9A-Z])([0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10})(?![0-9A-Z])")
HOUSEHOLD_RE = re.compile(r"户号\s*[:：]?\s*([0-9]{6,12})")
MARRIAGE_RE = re.compile(r"([JL]\d{6}-\d{4}-\d{6})")
PROPERTY_RE = re.compile(r"([\u4e00-\u9fff]\s*[(（]\s*\d{4}\s*[)）]\s*[\u4e00-\u9fff]{1,12}?不动产权第\s*\d{4,10}\s*号)")
ISSUER_RE = re.compile(r"(?:签发机关|登记机关|发证机关)\s*[:：]?\s*([\u4e00-\u9fff]{4,30})")
SIGN_RE = re.compile(r"(签名|签字)\s*[:：]?\s*(.*)$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@dataclass(frozen=True)
class DocumentReading:
    kind: str
    confidence: float
    fields: dict[str, str] = field(default_factory=dict)
    text: tuple[str, ...] = ()
    rule: str = ""  # what decided the kind, e.g. "title 营业执照 + 5 labels"
    ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "confidence": round(self.confidence, 3), "fields": dict(self.fields),
                "text": list(self.text), "rule": self.rule, "ms": round(self.ms, 1)}


def id_number_valid(number: str) -> bool:
    """GB 11643 check character (the last of 18)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == number[17].upper()


def credit_code_valid(code: str) -> bool:
    """GB 32100 check character of a unified social credit code."""
    if len(code) != 18 or any(c not in _CREDIT_CHARS for c in code):
        return False
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(code[:17], _CREDIT_WEIGHTS))
    return _CREDIT_CHARS[(31 - total % 31) % 31] == code[17]


def rows(lines: list[Any]) -> list[str]:
    """OCR boxes joined into text rows: boxes whose vertical centres are within half a line
    height of each other are one row, read left to right."""
    groups: list[list[Any]] = []
    for ln in sorted(lines, key=lambda b: (b.y + b.bottom) / 2):
        centre = (ln.y + ln.bottom) / 2
        if groups:
            last = groups[-1]
            lc = sum((b.y + b.bottom) / 2 for b in last) / len(last)
            lh = max(b.bottom - b.y for b in last)
            if abs(centre - lc) <= 0.5 * max(lh, ln.bottom - ln.y):
                last.append(ln)
                continue
        groups.append([ln])
    return [" ".join(b.text.strip() for b in sorted(g, key=lambda b: b.x)) for g in groups]


def _norm(text: str) -> str:
    return text.replace(" ", "").replace("\u3000", "")


def _iso(y: str, m: str, d: str) -> str | None:
    try:
        from datetime import date

        return date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def _date_of(text: str) -> str | None:
    m = DATE_RE.search(text)
    return _iso(*m.groups()) if m else None


def _layout_is_card(lines: list[Any], page_w: float, page_h: float) -> bool | None:
    """True when the text sits in a card-sized block (an ID card copy: under a third of the page
    high and three quarters wide), False when it spreads further, None when too little text."""
    if len(lines) < 3 or page_w <= 0 or page_h <= 0:
        return None
    x0, x1 = min(b.x for b in lines), max(b.right for b in lines)
    y0, y1 = min(b.y for b in lines), max(b.bottom for b in lines)
    return (y1 - y0) < 0.33 * page_h and (x1 - x0) < 0.75 * page_w


def classify(lines: list[Any], page_w: float = 0.0, page_h: float = 0.0) -> tuple[str, float, str]:
    """(kind, confidence 0..1, the rule that decided) for the OCR boxes of one page."""
    joined = [_norm(r) for r in rows(lines)]
    full = "".join(joined)
    heading = "".join(joined[:2])
    card = _layout_is_card(lines, page_w, page_h)
    mean_score = sum(b.score for b in lines) / len(lines) if lines else 0.0
    scores: dict[str, tuple[float, float, str]] = {}
    for kind, rule in RULES.items():
        titles = [t for t in rule.titles if t in full]
        if kind in TITLE_EXCLUDES and any(x in full for x in TITLE_EXCLUDES[kind]):
            titles = []
        if kind == "property_certificate" and "申请" in full and "不动产权证书" not in full:
            titles = []
        if kind == "id_card_front" and not ID_RE.search(full):
            titles = []
        labels = [lb for lb in rule.labels if lb in full]
        score = 3.0 * len(titles) + 1.0 * len(labels)
        if any(t in heading for t in titles) and kind != "id_card_front":
            score += 2.0  # the document's own heading (ID card front has none)
        if titles and rule.card_layout is not None and card is not None:
            score += 1.5 if card == rule.card_layout else -1.5
        possible = 3.0 * len(rule.titles) + len(rule.labels) + (1.5 if rule.card_layout is not None else 0) + 2.0
        if not titles:
            score = min(score, MIN_SCORE - 0.5)  # labels alone never make a kind
        why = (f"title {'/'.join(titles)}" if titles else "no title") + f" + {len(labels)} label(s)"
        if card is not None and rule.card_layout is not None and titles:
            why += ", card layout" if card else ", page layout"
        scores[kind] = (score, possible, why)
    best = max(scores, key=lambda k: scores[k][0])
    score, possible, why = scores[best]
    if score < MIN_SCORE:
        return "unknown", round(max(0.0, 1.0 - score / MIN_SCORE) * mean_score, 3), "no kind's title found"
    runner_up = max((s for k, (s, _, _) in scores.items() if k != best), default=0.0)
    margin = min(1.0, (score - runner_up) / 3.0) if runner_up > 0 else 1.0
    confidence = min(1.0, 0.5 + 0.5 * score / possible) * (0.6 + 0.4 * margin) * mean_score
    return best, round(confidence, 3), why


def extract_fields(kind: str, lines: list[Any]) -> dict[str, str]:
    text_rows = rows(lines)
    norm_rows = [_norm(r) for r in text_rows]
    full = "\n".join(norm_rows)
    out: dict[str, str] = {}
    ids = list(dict.fromkeys(m.upper() for m in ID_RE.findall(full.replace("\n", " ")) if id_number_valid(m)))
    if ids:
        out["id_number"] = ids[0]
        out["id_numbers"] = ",".join(ids)
    for raw, r in zip(text_rows, norm_rows):
        m = NAME_SPACED_RE.search(raw) or NAME_RE.search(r)
        if m and "name" not in out:
            out["name"] = m.group(1)
    dates = []
    for r in norm_rows:
        for y, mo, d in DATE_RE.findall(r):
            iso = _iso(y, mo, d)
            if iso and iso not in dates:
                dates.append(iso)
    if dates:
        out["dates"] = ",".join(dates)
    rng = RANGE_RE.search(full.replace("\n", ""))
    if rng:
        start = _date_of(rng.group(1))
        if start:
            out["valid_from"] = start
        out["valid_until"] = "long_term" if rng.group(2) == "长期" else (_date_of(rng.group(2)) or "")
    for r in norm_rows:
        m = ISSUER_RE.search(r)
        if m:
            out["issuer"] = m.group(1)
            break
    if kind == "household_register":
        m = HOUSEHOLD_RE.search(full)
        if m:
            out["household_no"] = m.group(1)
    if kind == "business_licence":
        for code in CREDIT_RE.findall(full.replace("\n", " ")):
            if credit_code_valid(code):
                out["credit_code"] = code
                break
    if kind == "marriage_certificate":
        m = MARRIAGE_RE.search(full)
        if m:
            out["marriage_no"] = m.group(1)
        for r in norm_rows:
            if "登记日期" in r and _date_of(r):
                out["registered_on"] = _date_of(r) or ""
    if kind == "property_certificate":
        m = PROPERTY_RE.search(full.replace("\n", ""))
        if m:
            out["property_no"] = _norm(m.group(1)).replace("（", "(").replace("）", ")")
    if kind == "application_form":
        for r in norm_rows:
            m = SIGN_RE.search(r)
            if m:
                rest = re.sub(r"[:：\s_\-—.]", "", re.split(r"日期|时间|年月日", m.group(2))[0])
                out["signature"] = "present" if rest else "missing"
                break
    return out


def read_document(lines: list[Any], page_w: float = 0.0, page_h: float = 0.0, ms: float = 0.0) -> DocumentReading:
    kind, confidence, why = classify(lines, page_w, page_h)
    return DocumentReading(kind, confidence, extract_fields(kind, lines), tuple(rows(lines)), why, ms)
