"""The typed vocabulary of `ViewModel.data`: every key a flow may hand a screen, with its type.

`ViewModel.data` is a `ViewData`: building one with a key outside `VIEW_DATA` or a value of the
wrong type raises `UnknownViewKey` / `TypeError` at once (in the flow that built it), and a screen
reading a key outside the vocabulary (`vm.data["typo"]`, `vm.data.get("typo")`) raises
`UnknownViewKey` instead of quietly getting nothing. A key in the vocabulary that this state does
not carry reads as absent, as before (`.get()` default, `in` is False).
"""

from __future__ import annotations

from typing import Any

_LIST = (list, tuple)
_OPT_STR = (str, type(None))

# key -> accepted type(s). Lists of rows stay plain lists of dicts built from service data.
VIEW_DATA: dict[str, type | tuple[type, ...]] = {
    # base
    "timeout_in": int, "outcome": _OPT_STR,
    # apply: choose, guide, consent
    "categories": _LIST, "category": _OPT_STR, "query": str, "items": _LIST, "guide": dict, "ecerts": _LIST,
    # apply: scan, reading, missing
    "material": str, "material_en": str, "page": int, "pages": int, "feedback": _OPT_STR, "problems": _LIST,
    "remaining": _LIST, "missing": _LIST, "matter": str, "place_zh": str, "enquiry_phone": str,
    # apply: pay, certificate, receipt, done
    "qr": _OPT_STR, "amount_fen": int, "basis_zh": str, "case_no": str, "reason": str,
    "promised_date": _OPT_STR, "receipt_on_screen": bool,
    # apply: payment (kiosk.flows.payment)
    "amount_yuan": str, "code_camera": bool, "seconds_left": (int, type(None)), "order_id": str, "refunded": bool, "refusal": str,
    # cabinet screens
    "compartment": _OPT_STR, "compartments": _LIST,
    # keypads
    "digits": int, "mask": bool,
    # collect: rating; query / collect: case lists
    "scores": _LIST, "tags": _LIST, "cases": _LIST,
    # identification
    "id_masked": str, "challenge": _OPT_STR,
    # staff
    "deposited": _LIST, "retrieved": _LIST,
    # commission
    "rows": _LIST, "failed": _LIST, "bundle": _OPT_STR, "current": _OPT_STR, "preview": bool,
    # apply: the form step (kiosk.flows.form): the whole form, then one field
    "title_zh": str, "title_en": str, "fields": _LIST, "key": str, "label_zh": str, "label_en": str, "type": str,
    "value_zh": str, "value_en": str, "choices": _LIST, "x_key": bool,
    # the rating step (kiosk.flows.rating)
    "levels": _LIST, "service": str,
}


class UnknownViewKey(KeyError):
    """A view data key outside `kiosk.flows.view_data.VIEW_DATA`."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def _unknown(key: object) -> UnknownViewKey:
    return UnknownViewKey(f"view data key {key!r} is not in kiosk.flows.view_data.VIEW_DATA "
                          f"(a typo in the flow or screen, or a new key not declared there)")


class ViewData(dict[str, Any]):
    """A dict whose keys and value types are checked against `VIEW_DATA` (see module doc)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        for key, value in self.items():
            check(key, value)

    def __setitem__(self, key: str, value: Any) -> None:
        check(key, value)
        super().__setitem__(key, value)

    def update(self, *args: Any, **kw: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kw).items():
            self[key] = value

    def __getitem__(self, key: str) -> Any:
        if key not in VIEW_DATA:
            raise _unknown(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        if key not in VIEW_DATA:
            raise _unknown(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        if key not in VIEW_DATA:
            raise _unknown(key)
        return super().__contains__(key)


def check(key: object, value: Any) -> None:
    want = VIEW_DATA.get(key) if isinstance(key, str) else None
    if want is None:
        raise _unknown(key)
    if not isinstance(value, want):
        raise TypeError(f"view data {key!r} must be {want}, not {type(value).__name__} ({value!r:.60})")
