"""The service catalog: categories and matters (service guides), validated at load, searchable.

Data lives in `kiosk/catalog_data/` (package data: it ships in the wheel): `categories.json` (the categories, in screen order) and one
`<category>.json` per category holding its matters. A matter is a government service guide
(办事指南): code, names, legal basis, authority, type (instant 即办件 / promised 承诺件), time
limits in working days, place, required materials, fee, supervision and enquiry phones; a
matter the station completes itself carries a `station` block (print / apply / drop-off).

`load_catalog(dir)` validates every file strictly (unknown keys are errors) and raises
`CatalogError` naming the file and the key. `Catalog.search(text)` finds matters by Chinese
keyword or by pinyin (initials `sbjf` -> 社保缴费..., or full `hukou`), ranked exact < prefix
(or a whole keyword) < pinyin initials < substring, station items first on ties.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "catalog_data"  # shipped inside the package (and its wheel)


def catalog_dir(configured: str, root: Path) -> Path:
    """`[catalog] dir`: empty = the catalog shipped with the software; a relative path is under the
    station's root."""
    if not configured:
        return DEFAULT_DIR
    p = Path(configured)
    return p if p.is_absolute() else Path(root) / p
CATEGORIES_FILE = "categories.json"

PHONE_RE = re.compile(r"^(0\d{2,3}-\d{7,8}|1[3-9]\d{9}|12345|12366|12333|12329|12315|110|400-\d{3}-\d{4})$")
CODE_RE = re.compile(r"^[A-Z]{2}-\d{3}$")
CATEGORY_RE = re.compile(r"^[a-z][a-z_]{1,30}$")
ECERT_RE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class CatalogError(Exception):
    """The catalog cannot be used; the message names the file, the key and what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, str_strip_whitespace=True)


def _phone(v: str) -> str:
    if not PHONE_RE.match(v):
        raise ValueError("phone number must look like 0571-87654321, 12345 or 13812345678")
    return v


class Category(_Strict):
    code: str = Field(description="slug, e.g. social_insurance")
    name_zh: str = Field(min_length=1, max_length=20)
    name_en: str = Field(min_length=1, max_length=60)
    prefix: str = Field(description="two upper-case letters every matter code in it starts with")
    icon: str = ""

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if not CATEGORY_RE.match(v):
            raise ValueError("category code: lower-case letters and '_' (e.g. social_insurance)")
        return v

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}", v):
            raise ValueError("prefix: two upper-case letters")
        return v


class LegalBasis(_Strict):
    law_zh: str = Field(min_length=2, description="《中华人民共和国社会保险法》")
    law_en: str = ""  # "Social Insurance Law of the PRC" (required in shipped data)
    article_zh: str = ""  # "第五十八条"
    article_en: str = ""  # "Art. 58"

    @field_validator("law_zh")
    @classmethod
    def _quoted(cls, v: str) -> str:
        if not (v.startswith("《") and v.endswith("》")):
            raise ValueError("law name must be in 《》 brackets")
        return v


class Material(_Strict):
    name_zh: str = Field(min_length=1, max_length=60)
    name_en: str = Field(min_length=1, max_length=120)
    form: Literal["original", "copy", "original_and_copy", "electronic"]
    pages: int = Field(default=1, ge=1, le=100, description="pages (or copies) to hand in")
    required: bool = True
    ecert_replaceable: bool = False
    ecert_type: str | None = None
    note_zh: str = ""
    note_en: str = ""

    @model_validator(mode="after")
    def _ecert_consistent(self) -> "Material":
        if self.ecert_replaceable and not self.ecert_type:
            raise ValueError("ecert_replaceable is true but ecert_type is not given")
        if self.ecert_type and not self.ecert_replaceable:
            raise ValueError("ecert_type given but ecert_replaceable is false")
        if self.ecert_type and not ECERT_RE.match(self.ecert_type):
            raise ValueError("ecert_type: lower-case identifier, e.g. household_register")
        return self


class Fee(_Strict):
    amount_fen: int = Field(default=0, ge=0, le=10_000_000, description="fee in fen (1 yuan = 100 fen)")
    basis_zh: str = ""
    basis_en: str = ""
    note_zh: str = ""
    note_en: str = ""

    @model_validator(mode="after")
    def _basis_when_charged(self) -> "Fee":
        if self.amount_fen > 0 and not self.basis_zh:
            raise ValueError("a fee needs its basis (basis_zh)")
        return self

    @property
    def free(self) -> bool:
        return self.amount_fen == 0

    @property
    def yuan(self) -> str:
        return f"{self.amount_fen // 100}.{self.amount_fen % 100:02d}"


class StationService(_Strict):
    """What the station itself does for a station item."""

    action: Literal["print", "apply", "drop_off"]
    dropoff_compartment: bool = Field(default=False, description="paper originals may be left in a compartment")
    id_card_at_pickup: bool = Field(default=False, description="pickup code alone is not enough: show the ID card too")
    result_via_cabinet: bool = Field(default=False, description="the result is collected from the cabinet")
    result_size: Literal["S", "M", "L"] | None = None
    consent_ecerts: bool = True  # offer to fetch e-certificates the authority holds
    note_zh: str = ""
    note_en: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "StationService":
        if self.result_via_cabinet and self.result_size is None:
            raise ValueError("result_via_cabinet needs result_size (S, M or L)")
        if self.action == "print" and (self.result_via_cabinet or self.dropoff_compartment):
            raise ValueError("a print item hands its result over at once: no cabinet result, no drop-off")
        if self.action == "drop_off" and not self.dropoff_compartment:
            raise ValueError("a drop_off item must offer the drop-off compartment")
        return self


class Matter(_Strict):
    code: str
    category: str
    name_zh: str = Field(min_length=2, max_length=60)
    name_en: str = Field(min_length=2, max_length=160)
    audience: Literal["person", "legal_entity", "both"] = "person"
    legal_basis: list[LegalBasis] = Field(min_length=1)
    authority_zh: str = Field(min_length=2)
    authority_en: str = Field(min_length=2)
    type: Literal["instant", "promised"]
    statutory_days: int = Field(ge=0, le=180, description="statutory time limit, working days")
    promised_days: int = Field(ge=0, le=180, description="promised time limit, working days")
    place_zh: str = Field(min_length=2)
    place_en: str = Field(min_length=2)
    hours_zh: str = "周一至周五 9:00-12:00，13:30-17:00（法定节假日除外）"
    hours_en: str = "Mon-Fri 9:00-12:00 and 13:30-17:00 (closed on public holidays)"
    conditions_zh: str = ""
    conditions_en: str = ""
    materials: list[Material] = Field(default_factory=list)
    fee: Fee = Fee()
    supervision_zh: str = Field(min_length=2, description="where to complain (监督投诉渠道)")
    supervision_en: str = ""
    supervision_phone: str
    enquiry_phone: str
    online_zh: str = ""  # where to apply online, if anywhere
    online_en: str = ""
    keywords: list[str] = Field(default_factory=list)
    station: StationService | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if not CODE_RE.match(v):
            raise ValueError("matter code: two upper-case letters, '-', three digits (e.g. SI-001)")
        return v

    @field_validator("supervision_phone", "enquiry_phone")
    @classmethod
    def _phones(cls, v: str) -> str:
        return _phone(v)

    @model_validator(mode="after")
    def _limits(self) -> "Matter":
        if self.type == "instant" and self.promised_days != 0:
            raise ValueError("an instant matter (即办件) has promised_days 0")
        if self.type == "promised" and self.promised_days < 1:
            raise ValueError("a promised matter (承诺件) needs promised_days >= 1")
        if self.statutory_days and self.promised_days > self.statutory_days:
            raise ValueError("promised_days cannot exceed statutory_days")
        return self

    @property
    def is_station_item(self) -> bool:
        return self.station is not None

    @property
    def ecert_types(self) -> tuple[str, ...]:
        return tuple(m.ecert_type for m in self.materials if m.ecert_type)


class CategoryFile(_Strict):
    category: str
    matters: list[Matter]


class CategoriesFile(_Strict):
    categories: list[Category] = Field(min_length=1)


@dataclass(frozen=True)
class SearchHit:
    matter: Matter
    rank: int  # lower is better: 0 exact, 1 prefix/keyword, 2-3 pinyin initials, 4-5 substring
    match: Literal["exact", "prefix", "initials", "substring", "keyword"]  # how it matched


# --------------------------------------------------------------------------- search index

_PUNCT = re.compile(r"[\s\u3000（）()【】\[\]、，,。.·\-—/：:；;\"'“”‘’《》]+")


def _norm(text: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text)).lower()


def pinyin_keys(text: str) -> tuple[str, str]:
    """(initials, full pinyin) of a Chinese text, lower-case, punctuation dropped:
    '社会保险个人参保证明' -> ('shbxgrcbzm', 'shehuibaoxiangerencanbaozhengming')."""
    from pypinyin import Style, lazy_pinyin  # imported lazily: its dictionaries take a moment

    clean = _norm(text)
    syllables = lazy_pinyin(clean, style=Style.NORMAL, errors=lambda s: list(s.lower()))
    initials = "".join(s[0] for s in syllables if s)
    full = "".join(syllables)
    return initials, full


@dataclass(frozen=True)
class _Entry:
    matter: Matter
    name: str
    name_en: str
    initials: str
    full: str
    keywords: tuple[str, ...]
    kw_pinyin: tuple[tuple[str, str], ...]


class Catalog:
    def __init__(self, categories: list[Category], matters: list[Matter], source: str = "") -> None:
        self.source = source
        self.categories: tuple[Category, ...] = tuple(categories)
        self.matters: tuple[Matter, ...] = tuple(matters)
        self._by_code = {m.code: m for m in matters}
        self._by_category: dict[str, list[Matter]] = {c.code: [] for c in categories}
        for m in matters:
            if m.category not in self._by_category:
                raise CatalogError(f"matter {m.code}: category {m.category!r} is not among the categories")
            self._by_category[m.category].append(m)
        self._index: list[_Entry] = []
        for m in matters:
            initials, full = pinyin_keys(m.name_zh)
            keywords = tuple(_norm(k) for k in m.keywords if _norm(k))
            self._index.append(_Entry(m, _norm(m.name_zh), _norm(m.name_en), initials, full, keywords,
                                      tuple(pinyin_keys(k) for k in keywords)))

    def __len__(self) -> int:
        return len(self.matters)

    def get(self, code: str) -> Matter:
        """The matter with this code; `CatalogError` if there is none."""
        try:
            return self._by_code[code]
        except KeyError:
            raise CatalogError(f"no matter with code {code!r} in the catalog") from None

    def find(self, code: str) -> Matter | None:
        return self._by_code.get(code)

    def category(self, code: str) -> Category:
        for c in self.categories:
            if c.code == code:
                return c
        raise CatalogError(f"no category {code!r} (have: {', '.join(c.code for c in self.categories)})")

    def in_category(self, category: str, station_only: bool = False) -> list[Matter]:
        """The category's matters in catalog order, station items first."""
        if category not in self._by_category:
            self.category(category)  # raises with the list of categories
        items = self._by_category[category]
        ordered = [m for m in items if m.station] + [m for m in items if not m.station]
        return [m for m in ordered if m.station] if station_only else ordered

    def station_items(self, category: str | None = None) -> list[Matter]:
        return [m for m in self.matters if m.station and (category is None or m.category == category)]

    def search(self, text: str, limit: int = 20, category: str | None = None,
               station_only: bool = False) -> list[SearchHit]:
        """Matters matching every word of `text` (Chinese, English, pinyin or its initials, or a
        code), best first. Empty or punctuation-only text finds nothing."""
        if not isinstance(text, str):
            return []
        terms = [_norm(t) for t in text[:100].split()]
        terms = [t for t in terms if t]
        if not terms:
            return []
        hits: list[tuple[int, int, int, str, Matter, str]] = []
        for e in self._index:
            m = e.matter
            if (category and m.category != category) or (station_only and not m.station):
                continue
            worst: tuple[int, str] = (-1, "exact")
            for t in terms:
                r = _rank(e, t)
                if r is None:
                    break
                worst = max(worst, r)
            else:
                hits.append((worst[0], 0 if m.station else 1, len(m.name_zh), m.code, m, worst[1]))
        hits.sort(key=lambda h: h[:4])
        return [SearchHit(h[4], h[0], h[5]) for h in hits[: max(0, limit)]]  # type: ignore[arg-type]


def _rank(e: _Entry, t: str, split: bool = True) -> tuple[int, str] | None:
    """(rank, how) of one search term against one matter; None when it does not match."""
    code = e.matter.code.lower()
    if t == e.name or t == code or t == code.replace("-", "") or t == e.name_en:
        return 0, "exact"
    if e.name.startswith(t) or (len(t) >= 3 and e.name_en.startswith(t)):
        return 1, "prefix"
    if t in e.keywords:
        return 1, "keyword"
    if t.isascii():
        if e.initials.startswith(t) or e.full.startswith(t):
            return 2, "initials"
        if any(ki == t or kf == t for ki, kf in e.kw_pinyin):
            return 2, "initials"
        if t in e.initials or any(ki.startswith(t) or kf.startswith(t) for ki, kf in e.kw_pinyin):
            return 3, "initials"
    if t in e.name:
        return 4, "substring"
    if any(t in k for k in e.keywords):
        return 4, "keyword"
    if len(t) >= 3 and (t in e.name_en or (t.isascii() and t in e.full)):
        return 5, "substring"
    if split and not t.isascii() and 4 <= len(t) <= 16:
        # two Chinese words typed without a space (公积金提取 = 公积金 + 提取, in any order in the
        # name): each half of at least two characters must match on its own (one split only)
        for i in range(2, len(t) - 1):
            if _rank(e, t[:i], False) is not None and _rank(e, t[i:], False) is not None:
                return 6, "substring"
    return None


# --------------------------------------------------------------------------- loading


def _format(path: Path, exc: ValidationError, matters: list | None = None) -> str:
    lines = [f"{path}: {exc.error_count()} problem(s):"]
    for err in exc.errors():
        loc = err["loc"]
        key = ""
        for part in loc:
            key += f"[{part}]" if isinstance(part, int) else (("." if key else "") + str(part))
        # name the matter by its code too: "matters[12] (SI-013).fee"
        if matters is not None and len(loc) >= 2 and loc[0] == "matters" and isinstance(loc[1], int):
            try:
                code = matters[loc[1]].get("code")
            except (IndexError, AttributeError):
                code = None
            if code:
                key = key.replace(f"matters[{loc[1]}]", f"matters[{loc[1]}] ({code})", 1)
        if err["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key; remove it or check its spelling")
        elif err["type"] == "missing":
            lines.append(f"  {key}: required key is missing")
        else:
            value = repr(err["input"])
            if len(value) > 60:
                value = value[:57] + "..."
            lines.append(f"  {key}: bad value {value}: {err['msg'].removeprefix('Value error, ')}")
    return "\n".join(lines)


def english_gaps(m: Matter) -> list[str]:
    """Keys of a matter whose Chinese text has no English counterpart (a citizen may read either)."""
    gaps = []
    pairs = [("hours", m.hours_zh, m.hours_en), ("conditions", m.conditions_zh, m.conditions_en),
             ("supervision", m.supervision_zh, m.supervision_en), ("online", m.online_zh, m.online_en),
             ("fee.basis", m.fee.basis_zh, m.fee.basis_en), ("fee.note", m.fee.note_zh, m.fee.note_en)]
    for i, b in enumerate(m.legal_basis):
        pairs += [(f"legal_basis[{i}].law", b.law_zh, b.law_en), (f"legal_basis[{i}].article", b.article_zh, b.article_en)]
    for i, mt in enumerate(m.materials):
        pairs.append((f"materials[{i}].note", mt.note_zh, mt.note_en))
    if m.station:
        pairs.append(("station.note", m.station.note_zh, m.station.note_en))
    for key, zh, en in pairs:
        if zh and not en:
            gaps.append(f"{key}_en")
    return gaps


def _read_json(path: Path) -> object:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(f"{path}: file not found") from None
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def load_catalog(directory: str | Path | None = None) -> Catalog:
    """Read and validate the whole catalog; `CatalogError` says which file and key is wrong."""
    d = Path(directory) if directory is not None else DEFAULT_DIR
    if not d.is_dir():
        raise CatalogError(f"{d}: catalog directory not found")
    cpath = d / CATEGORIES_FILE
    data = _read_json(cpath)
    try:
        cats = CategoriesFile.model_validate(data).categories
    except ValidationError as exc:
        raise CatalogError(_format(cpath, exc)) from None
    seen: set[str] = set()
    for i, c in enumerate(cats):
        if c.code in seen:
            raise CatalogError(f"{cpath}: categories[{i}].code: category {c.code!r} is listed twice")
        seen.add(c.code)
    prefixes = {c.code: c.prefix for c in cats}
    matters: list[Matter] = []
    where: dict[str, Path] = {}
    for c in cats:
        path = d / f"{c.code}.json"
        data = _read_json(path)
        try:
            cf = CategoryFile.model_validate(data)
        except ValidationError as exc:
            raw = data.get("matters") if isinstance(data, dict) else None
            raise CatalogError(_format(path, exc, raw if isinstance(raw, list) else None)) from None
        if cf.category != c.code:
            raise CatalogError(f"{path}: category: file says {cf.category!r}, expected {c.code!r}")
        for i, m in enumerate(cf.matters):
            key = f"{path}: matters[{i}] ({m.code})"
            if m.category != c.code:
                raise CatalogError(f"{key}.category: {m.category!r} does not match the file's category {c.code!r}")
            if not m.code.startswith(prefixes[c.code] + "-"):
                raise CatalogError(f"{key}.code: must start with {prefixes[c.code]}- in category {c.code}")
            if m.code in where:
                raise CatalogError(f"{key}.code: {m.code} is already used in {where[m.code]}")
            gaps = english_gaps(m)
            if gaps:
                raise CatalogError(f"{key}.{gaps[0]}: missing: the Chinese text has no English "
                                   f"counterpart (every text a citizen sees exists in both)"
                                   + (f"; also {', '.join(gaps[1:])}" if gaps[1:] else ""))
            where[m.code] = path
            matters.append(m)
    extra = sorted(p.name for p in d.glob("*.json") if p.stem not in seen and p.name != CATEGORIES_FILE)
    if extra:
        raise CatalogError(f"{d}: file(s) {', '.join(extra)} belong to no category in {CATEGORIES_FILE}")
    return Catalog(cats, matters, source=str(d))
