"""The small records the visit data keeps in its lists: one typed value per item instead of a
string-keyed dict (`kiosk.flows.visit_data`, ADR 0270).

Each is a frozen slots dataclass built where the data comes in (the case store, the pickup-code
service, the recall list). Screens still get plain dicts in `ViewModel.data`
(`kiosk.flows.view_data`): a record that goes to a screen says how with `as_view()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RetrievalKind = Literal["dropoff", "expired", "recalled"]
SlipState = Literal["printing", "printed", "failed"]


@dataclass(frozen=True, slots=True)
class PickupItem:
    """A result the person may take from the cabinet, as it was when the pickup was authorised."""

    case_no: str
    compartment: str
    matter_code: str


@dataclass(frozen=True, slots=True)
class ShownCode:
    """A fresh pickup code shown on screen because the case's pickup SMS failed (kiosk.flows.query)."""

    case_no: str
    code: str
    compartment: str
    expires: str  # YYYY-MM-DD


@dataclass(frozen=True, slots=True)
class Deposit:
    """One envelope put into the cabinet during a staff deposit visit."""

    case_no: str
    compartment: str
    notified: bool  # the pickup-code SMS was accepted
    slip: SlipState | None = None  # the deposit slip (None: no printer, none printed)

    def as_view(self) -> dict[str, object]:
        view: dict[str, object] = {"case_no": self.case_no, "compartment": self.compartment, "notified": self.notified}
        if self.slip is not None:
            view["slip"] = self.slip
        return view


@dataclass(frozen=True, slots=True)
class Retrieval:
    """A compartment staff may empty: a dropped-off original, or a result expired or recalled."""

    kind: RetrievalKind
    case_no: str
    compartment: str

    def as_view(self) -> dict[str, str]:
        return {"kind": self.kind, "case_no": self.case_no, "compartment": self.compartment}
