"""The `DocumentScanner` device class: page capture with quality checks, and barcode reading."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiosk.devices.base import Command, Device

BACKENDS: dict[str, str] = {
    "camera": "kiosk.devices.scanner.capture:open_scanner",
}


@dataclass(frozen=True)
class Code:
    type: str  # "QRCODE", "CODE128", ...
    text: str
    engine: str = ""


@dataclass
class PageResult:
    page_found: bool
    corners: list[tuple[float, float]] | None
    ok: bool
    problems: list[str] = field(default_factory=list)  # blur, glare, cut_off, too_dark, too_small, skewed
    metrics: dict[str, float] = field(default_factory=dict)
    page: Any = None  # corrected upright page image (numpy BGR) when found
    codes: list[Code] = field(default_factory=list)
    ms: float = 0.0


class DocumentScanner(Device):
    """Events while capturing: `feedback` {key: hold_still | move_closer | glare | page_found | ...}."""

    device_class = "document_scanner"

    def analyse(self, image: Any) -> PageResult:
        raise NotImplementedError

    def capture(self, timeout: float = 60.0) -> Command[PageResult]:
        """Watch the camera until a good page is steady, then complete with it."""
        raise NotImplementedError

    def read_codes(self, image: Any) -> list[Code]:
        raise NotImplementedError
