"""Scenario scripts as data: what a scripted visit does, step by step.

A `Scenario` names a flow, an optional `setup` (seed data the visit needs: a result waiting in
the cabinet, a case to query; see `kiosk.scenarios.setups`), and a list of steps, each a plain
JSON-able dict — so a UI runner can replay the same script through the real screens and take a
screenshot per step:

| step | meaning |
|---|---|
| `{"act": ID, "args": {...}}` | a touch: `flow.act(ID, **args)` |
| `{"sim": [DEVICE, CMD], "args": {...}}` | a simulator control call (`ControlHub.call`) |
| `{"wait": STATE, "timeout": S}` | pump events until the flow is in STATE (`"ended"` = it ended) |
| `{"page": {"qr": TEXT, "barcode": TEXT}}` | the document camera now sees a page with these codes |
| `{"door": "close"}` | the person closes the door(s) of the compartment(s) the screen shows |
| `{"scan": N}` | the document camera sees a good page until N pages are captured |
| `{"advance": S}` | the station's clock moves S seconds (idle timeouts, approvals, payments) |
| `{"tick": true}` | one tick now (the app ticks once a second anyway) |
| `{"wait_idle": true}` | pump until no device command of the flow is running |

Strings may hold `{placeholders}` filled from the setup's context (`{case_no}`, `{receipt_qr}`,
`{code}`). `expect` is the outcome the visit must end with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCREEN_LOOKS = ("en", "elder")  # the other looks `kiosk run --also-shoot` captures a screen in


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    flow: str
    steps: tuple[dict[str, Any], ...]
    expect: str
    setup: str | None = None
    flow_args: dict[str, Any] = field(default_factory=dict)
    setup_args: dict[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] = ()  # device roles the visit cannot be played without (e.g. passport_reader)

    def missing(self, devices: Any) -> list[str]:
        """The device roles this visit needs that the station does not have."""
        return [role for role in self.needs if getattr(devices, role, None) is None]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "flow": self.flow, "setup": self.setup,
                "setup_args": dict(self.setup_args),
                "flow_args": dict(self.flow_args), "steps": [dict(s) for s in self.steps], "expect": self.expect}


def act(action: str, **args: Any) -> dict[str, Any]:
    return {"act": action, "args": args}


def sim(device: str, cmd: str, **args: Any) -> dict[str, Any]:
    return {"sim": [device, cmd], "args": args}


def wait(state: str, timeout: float = 30.0) -> dict[str, Any]:
    return {"wait": state, "timeout": timeout}


def page(qr: str | None = None, barcode: str | None = None) -> dict[str, Any]:
    return {"page": {k: v for k, v in (("qr", qr), ("barcode", barcode)) if v is not None}}


def close_door() -> dict[str, Any]:
    return {"door": "close"}


def scan_pages(n: int) -> dict[str, Any]:
    return {"scan": n}


def tick() -> dict[str, Any]:
    return {"tick": True}


def wait_idle(timeout: float = 30.0) -> dict[str, Any]:
    return {"wait_idle": True, "timeout": timeout}


def advance(seconds: float) -> dict[str, Any]:
    return {"advance": seconds}


def fill(value: Any, context: dict[str, Any]) -> Any:
    """Replace `{name}` placeholders in strings (recursively) with the setup's context values."""
    if isinstance(value, str):
        for k, v in context.items():
            if value == "{" + k + "}":
                return v  # a whole-value placeholder keeps its type (a board number stays an int)
            value = value.replace("{" + k + "}", str(v))
        return value
    if isinstance(value, list):
        return [fill(v, context) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, context) for k, v in value.items()}
    return value
