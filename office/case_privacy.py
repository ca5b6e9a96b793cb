"""What of a case's form answers the console shows: ID numbers and phone numbers masked.

A case's `form` holds the citizen's confirmed answers (`form.<key>`), among them the full ID number
and phone. Every `read` role sees the case; only the roles that decide cases (`case.decide`) need
the full values, so everyone else gets them masked. A value is masked when its field in the
matter's form definition is of type `id_number` or `phone`, or when its key says it is one
(`id_number`, `phone`, also without a form definition).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from kiosk.services.keyed_hash import mask_id_number

SENSITIVE_TYPES = ("id_number", "phone")


@lru_cache(maxsize=512)
def _typed_keys(matter_code: str) -> dict[str, str]:
    """form.<key> -> its sensitive type, from the matter's form definition (none if it has none)."""
    from kiosk.services.form_defs import forms_for_catalog
    from office.station_calls import catalog

    try:
        form = forms_for_catalog(catalog()).for_matter(matter_code)
    except Exception:  # a broken forms directory must not hide the case: the key names still mask
        return {}
    if form is None:
        return {}
    return {f"form.{f.key}": f.type for f in form.fields if f.type in SENSITIVE_TYPES}


def _kind(key: str, typed: dict[str, str]) -> str | None:
    if key in typed:
        return typed[key]
    name = key.rsplit(".", 1)[-1].lower()
    if "id_number" in name or name.endswith("id_no"):
        return "id_number"
    if "phone" in name or "mobile" in name:
        return "phone"
    return None


def mask_phone(value: str) -> str:
    digits = "".join(ch for ch in value if not ch.isspace())
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * len(digits)


def masked_form(matter_code: str, form: dict[str, Any]) -> dict[str, Any]:
    """The form with ID and phone values masked; keys starting with "_" (internal) left out."""
    typed = _typed_keys(matter_code)
    out: dict[str, Any] = {}
    for key, value in form.items():
        if key.startswith("_"):
            continue
        kind = _kind(key, typed)
        if kind is not None and isinstance(value, str):
            value = mask_id_number(value) if kind == "id_number" else mask_phone(value)
        out[key] = value
    return out
