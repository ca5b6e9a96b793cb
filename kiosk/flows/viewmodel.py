"""What a flow hands the screen for its current state: everything to show, nothing to decide.

Texts are message keys (translated by the screen, so a language switch re-renders live) with
parameters; `data` carries state-specific values (masked ID, compartment id, timeline, ...).
A screen renders a ViewModel; a touch becomes `flow.act(action_id, **args)`.
Action ids are `kiosk.flows.actions.ActionId`s and `data` is a `kiosk.flows.view_data.ViewData`:
both are checked when the view model is built, so a typo fails loudly in the flow that made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiosk.flows.actions import action_id
from kiosk.flows.view_data import ViewData


@dataclass(frozen=True)
class Text:
    key: str  # gettext msgid, e.g. "identify.insert_card"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    id: str  # passed back to flow.act()
    label: Text
    kind: str = "primary"  # primary | secondary | danger | keypad | choice
    enabled: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", action_id(self.id))


@dataclass(frozen=True)
class ViewModel:
    flow: str  # "apply", "collect", ...
    state: str  # the flow's state name; screens are chosen by (flow, state) or by `screen`
    title: Text
    body: tuple[Text, ...] = ()
    actions: tuple[Action, ...] = ()
    step: int | None = None  # i of n on multi-step flows
    steps: int | None = None
    step_labels: tuple[Text, ...] = ()
    screen: str = "message"  # which screen template renders it: message, choose, keypad, camera, scan, ...
    illustration: str | None = None  # name of the picture/animation of the physical action
    data: dict[str, Any] = field(default_factory=dict)
    busy: bool = False  # a device is working; show progress, not a spinner without end
    error: Text | None = None
    final: bool = False  # the flow has ended; the app returns to the attract screen after it

    def __post_init__(self) -> None:
        if not isinstance(self.data, ViewData):
            object.__setattr__(self, "data", ViewData(self.data))
