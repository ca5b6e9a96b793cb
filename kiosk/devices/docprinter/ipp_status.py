"""IPP printer state -> the station's status model (pure functions, no CUPS library).

`printer-state` (3 idle, 4 processing, 5 stopped), `printer-state-reasons` (RFC 8011 keywords
with an optional `-error` / `-warning` / `-report` suffix) and `marker-levels` (0-100, -1..-3
unknown) become a `PrinterState`: device status, paper, toner, and why the printer cannot print.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PAPER_OUT = ("media-empty", "media-needed")
PAPER_LOW = ("media-low",)
JAM = ("media-jam",)
TONER_OUT = ("toner-empty", "marker-supply-empty")
TONER_LOW = ("toner-low", "marker-supply-low")
OFFLINE = ("offline", "connecting-to-device", "shutdown")
TONER_LOW_LEVEL = 10
IPP_JOB_STATES = {3: "pending", 4: "held", 5: "processing", 6: "stopped", 7: "canceled", 8: "aborted", 9: "completed"}


@dataclass(frozen=True)
class PrinterState:
    status: str  # DeviceStatus value
    paper: str
    toner: str
    accepting: bool
    blocked: str | None  # FailureReason when the printer cannot print now, else None
    detail: str


def _base(reason: str) -> str:
    for suffix in ("-error", "-warning", "-report"):
        if reason.endswith(suffix):
            return reason[: -len(suffix)]
    return reason


def printer_state(attrs: dict[str, Any]) -> PrinterState:
    reasons_raw = attrs.get("printer-state-reasons") or []
    if isinstance(reasons_raw, str):
        reasons_raw = [reasons_raw]
    reasons = {_base(str(r)) for r in reasons_raw} - {"none"}
    state = int(attrs.get("printer-state", 3))
    accepting = bool(attrs.get("printer-is-accepting-jobs", True))
    paper = "out" if reasons & set(PAPER_OUT) else "jammed" if reasons & set(JAM) else \
        "low" if reasons & set(PAPER_LOW) else "ok"
    levels = [int(v) for v in (attrs.get("marker-levels") or []) if isinstance(v, int) and v >= 0]
    if reasons & set(TONER_OUT) or (levels and min(levels) == 0):
        toner = "out"
    elif reasons & set(TONER_LOW) or (levels and min(levels) <= TONER_LOW_LEVEL):
        toner = "low"
    elif levels:
        toner = "ok"
    else:
        toner = "unknown"
    message = str(attrs.get("printer-state-message") or "")
    blocked: str | None = None
    status = "online" if state != 4 else "busy"
    if paper == "out":
        blocked = "paper_out"
    elif paper == "jammed":
        blocked = "jammed"
    elif toner == "out":
        blocked = "toner_out"
    elif reasons & set(OFFLINE):
        blocked, status = "offline", "offline"
    elif state == 5 or not accepting:
        blocked = "stopped"
    if blocked in ("paper_out", "jammed", "toner_out", "stopped"):
        status = "hardware_error"  # as the receipt printer reports paper out / jam
    detail = ", ".join(sorted(reasons)) or "ready"
    if message:
        detail += f" ({message})"
    return PrinterState(status, paper, toner, accepting, blocked, detail)
