"""Application forms as data (智能填表): what each catalog item's form asks, and where each answer
comes from.

A form definition is one JSON file per item in `<catalog dir>/forms/<matter code>.json` (the
shipped ones in `kiosk/catalog_data/forms/`), validated strictly at load like the catalog
(unknown keys are errors) and checked against the catalog it belongs to: the matter exists and
is a station item, keys are unique, a choice field has choices. A field has:

- `key`, `label_zh`, `label_en`, `required`;
- `type`: `text` (filled from the card or OCR only: confirmable, never typed), `choice` (a touch
  list of `choices`), `number` (keypad digits, `min`/`max`), `date` (keypad YYYYMMDD),
  `phone` (keypad, a mainland mobile or a landline), `id_number` (keypad, GB 11643 check digit),
  `document_number` (the applicant's identity document number: `{"card": "id_number"}` only — the
  resident ID number for a card holder, the passport number for a passport holder);
- `source` (optional): `{"card": "name" | "id_number" | "sex" | "birth_date" | "address" |
  "nation" | "issuer"}` or `{"ocr": <document kind>, "field": <DocumentReading field>}`: the
  value the station fills in before the citizen confirms it. A field with a `card` source is the
  identity document's own value: read-only at the station (`FieldDef.editable` is False), whatever
  its type; the identity document, not the citizen, is its source.

`load_forms(dir, catalog)` returns a `FormBook` (matter code -> `FormDef`) or raises `FormError`
naming the file and the key. `forms_for_catalog(catalog)` loads the forms beside a catalog read
from a directory (none for a catalog built in code).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kiosk.devices.scanner.doc_kinds import KINDS

FORMS_SUBDIR = "forms"
CARD_FIELDS = ("name", "id_number", "sex", "birth_date", "address", "nation", "issuer")
OCR_FIELDS = ("name", "id_number", "valid_from", "valid_until", "issuer", "household_no", "credit_code",
              "marriage_no", "registered_on", "property_no")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FieldType = Literal["text", "choice", "number", "date", "phone", "id_number", "document_number"]
KEYPAD_TYPES = ("number", "date", "phone", "id_number")


class FormError(Exception):
    """A form definition that cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Choice(_Strict):
    value: str = Field(min_length=1, max_length=40)
    zh: str = Field(min_length=1, max_length=30)
    en: str = Field(min_length=1, max_length=60)


class Source(_Strict):
    card: Literal["name", "id_number", "sex", "birth_date", "address", "nation", "issuer"] | None = None
    ocr: str | None = None  # a document kind (kiosk.devices.scanner.doc_kinds.KINDS)
    field: str | None = None  # the reading's field

    @model_validator(mode="after")
    def _one(self) -> "Source":
        if (self.card is None) == (self.ocr is None):
            raise ValueError("a source is either {\"card\": ...} or {\"ocr\": kind, \"field\": ...}")
        if self.ocr is not None:
            if self.ocr not in KINDS or self.ocr == "unknown":
                raise ValueError(f"ocr: unknown document kind {self.ocr!r} (have: {', '.join(KINDS[:-1])})")
            if self.field not in OCR_FIELDS:
                raise ValueError(f"field: OCR gives no field {self.field!r} (have: {', '.join(OCR_FIELDS)})")
        elif self.field is not None:
            raise ValueError("field belongs to an ocr source")
        return self


class FieldDef(_Strict):
    key: str
    label_zh: str = Field(min_length=1, max_length=30)
    label_en: str = Field(min_length=1, max_length=60)
    type: FieldType = "text"
    required: bool = False
    source: Source | None = None
    choices: tuple[Choice, ...] = ()
    min: int | None = None
    max: int | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "FieldDef":
        if not KEY_RE.match(self.key):
            raise ValueError("key: lower-case letters, digits and '_' (e.g. phone)")
        if self.type == "choice" and len(self.choices) < 2:
            raise ValueError("a choice field needs at least two choices")
        if self.type != "choice" and self.choices:
            raise ValueError("choices belong to a choice field")
        if self.type == "text" and self.source is None:
            raise ValueError("a text field must come from the card or OCR (the station has no Chinese typing)")
        if self.type == "document_number" and (self.source is None or self.source.card != "id_number"):
            raise ValueError('a document_number field is the applicant\'s own: source {"card": "id_number"}')
        if (self.min is not None or self.max is not None) and self.type != "number":
            raise ValueError("min/max belong to a number field")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        if len({c.value for c in self.choices}) != len(self.choices):
            raise ValueError("choice values must be unique")
        return self

    @property
    def keypad(self) -> bool:
        return self.type in KEYPAD_TYPES

    @property
    def from_document(self) -> bool:
        """Filled from the applicant's identity document (name, ID number, sex, ...): never changed here."""
        return self.source is not None and self.source.card is not None

    @property
    def applicant_number(self) -> bool:
        """The applicant's own document number: only the identified applicant's number fits it."""
        return self.source is not None and self.source.card == "id_number"

    @property
    def editable(self) -> bool:
        """May the citizen change it at the station (keypad or touch list)?"""
        return self.type not in ("text", "document_number") and not self.from_document


class FormDef(_Strict):
    matter: str
    title_zh: str = Field(min_length=2, max_length=40)
    title_en: str = Field(min_length=2, max_length=100)
    fields: tuple[FieldDef, ...] = Field(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _unique(self) -> "FormDef":
        keys = [f.key for f in self.fields]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"field key(s) {dup} used twice")
        return self

    def field(self, key: str) -> FieldDef | None:
        return next((f for f in self.fields if f.key == key), None)


@dataclass(frozen=True)
class FormBook:
    """The form definitions of one catalog, by matter code."""

    forms: dict[str, FormDef] = field(default_factory=dict)

    def for_matter(self, code: str) -> FormDef | None:
        return self.forms.get(code)


def _where(exc: ValidationError) -> str:
    e = exc.errors()[0]
    loc = ".".join(str(p) for p in e["loc"]) or "(file)"
    return f"{loc}: {e['msg']}"


def load_forms(directory: str | Path, catalog: Any = None) -> FormBook:
    """Every `<code>.json` in `directory` (a missing directory is no forms). With `catalog`, each
    form's matter must be one of its station items."""
    d = Path(directory)
    if not d.is_dir():
        return FormBook()
    forms: dict[str, FormDef] = {}
    for path in sorted(d.glob("*.json")):
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FormError(f"{path}: cannot read the form definition: {exc}") from None
        try:
            form = FormDef.model_validate(data)
        except ValidationError as exc:
            raise FormError(f"{path}: {_where(exc)}") from None
        if form.matter != path.stem:
            raise FormError(f"{path}: matter: the file says {form.matter!r}, its name says {path.stem!r}")
        if catalog is not None:
            m = catalog.find(form.matter)
            if m is None:
                raise FormError(f"{path}: matter: {form.matter!r} is not in the catalog")
            if m.station is None:
                raise FormError(f"{path}: matter: {form.matter} is guidance only (no station block): "
                                "nobody fills a form for it here")
        forms[form.matter] = form
    return FormBook(forms)


def forms_for_catalog(catalog: Any) -> FormBook:
    """The forms beside a catalog loaded from a directory (`<dir>/forms/`); none otherwise."""
    source = getattr(catalog, "source", "") or ""
    if not source or not Path(source).is_dir():
        return FormBook()
    return load_forms(Path(source) / FORMS_SUBDIR, catalog)
