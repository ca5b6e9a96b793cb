"""The live hints a flow shows while the document camera watches a page (`feedback` events).

`ScanHint` lists every feedback key the scanner can emit (`kiosk.devices.scanner.FEEDBACK_TEXT`);
each is shown as the message `scan.feedback.<hint>` (zh/en in flows.po). A test fails when the
scanner gains a hint this enum does not list, so no hint is dropped on the way to the screen.
"""

from __future__ import annotations

import logging
from enum import StrEnum

log = logging.getLogger(__name__)


class ScanHint(StrEnum):
    NO_PAGE = "no_page"
    MOVE_INTO_VIEW = "move_into_view"
    MOVE_CLOSER = "move_closer"
    STRAIGHTEN = "straighten"
    TOO_DARK = "too_dark"
    GLARE = "glare"
    SHADOW = "shadow"
    SCREEN = "screen"
    HOLD_STILL = "hold_still"
    PAGE_FOUND = "page_found"
    CAPTURED = "captured"
    NEXT_PAGE = "next_page"
    NO_CODE = "no_code"

    @property
    def message_key(self) -> str:
        return f"scan.feedback.{self.value}"


class UnknownScanHint(ValueError):
    """The scanner sent a hint the flows do not know: add it to `ScanHint` and to flows.po."""


def scan_hint(key: object) -> ScanHint:
    """`key` of a scanner `feedback` event as a `ScanHint`; `UnknownScanHint` naming it otherwise."""
    try:
        return ScanHint(key)
    except ValueError:
        raise UnknownScanHint(f"scanner hint {key!r} is not in kiosk.flows.scan_hints.ScanHint: add it there "
                              f"and translate scan.feedback.{key} in kiosk/locale/*/LC_MESSAGES/flows.po") from None
