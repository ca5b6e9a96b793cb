"""The station's vocabulary of touch actions: every `Action.id` a flow offers and every
`flow.act()` a screen or a scripted visit sends is an `ActionId`.

An id outside the vocabulary is a programming error (a typo in a template, a scenario, a flow),
so `Flow.act()` raises `UnknownAction` for it; an id in the vocabulary that the current state does
not offer (a late touch on a button that just went away) stays a quiet `False`.
A `StrEnum` compares equal to its string, so `action_id == "finish"` in a flow keeps working.
"""

from __future__ import annotations

from enum import StrEnum


class UnknownAction(ValueError):
    """An action id no flow knows: check the spelling against `kiosk.flows.actions.ActionId`."""


class ActionId(StrEnum):
    BACK = "back"
    CANCEL = "cancel"
    CANCEL_PAYMENT = "cancel_payment"
    CATEGORY = "category"
    CHECK = "check"
    CODE = "code"
    CONFIRM = "confirm"
    CONSENT = "consent"
    CONTINUE = "continue"
    DECLINE = "decline"
    DROPOFF = "dropoff"
    EDIT = "edit"
    ENTER_CASE = "enter_case"
    FINISH = "finish"
    HOME = "home"
    IDENTIFY = "identify"
    MORE_TIME = "more_time"
    NEXT = "next"
    NOT_TAKEN = "not_taken"
    OK = "ok"
    OPEN = "open"
    PASSPORT = "passport"
    PIN = "pin"
    RATE = "rate"
    REPEAT = "repeat"
    RESCAN = "rescan"
    RETAKE = "retake"
    RETRY = "retry"
    SCAN_RECEIPT = "scan_receipt"
    SEARCH = "search"
    SELECT = "select"
    SET = "set"
    SKIP = "skip"
    START = "start"
    TAKEN = "taken"


def action_id(value: object) -> ActionId:
    """`value` as an `ActionId`; `UnknownAction` naming the value and where to add it otherwise."""
    try:
        return ActionId(value)
    except ValueError:
        raise UnknownAction(f"unknown action {value!r}: not in kiosk.flows.actions.ActionId "
                            f"(a typo in the screen, scenario or flow, or a new action not added there)") from None
