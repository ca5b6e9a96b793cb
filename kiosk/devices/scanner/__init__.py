"""The `DocumentScanner` device class: page capture with quality checks, and barcode reading.

This module imports no device or image library: flows may import it (and `payloads`) freely.
The words a citizen sees for every quality problem and feedback key live here, in Simplified
Chinese and English, so screens and flows share them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiosk.devices.base import Command, Device

BACKENDS: dict[str, str] = {
    "camera": "kiosk.devices.scanner.capture:open_scanner",
}

# Quality problems, in the order a citizen should fix them (the first one is what feedback says).
# `screen` (a photo of a display) cannot be fixed by moving the page: it comes first.
PROBLEMS: tuple[str, ...] = ("screen", "cut_off", "too_small", "skewed", "too_dark", "shadow", "glare", "blur")

PROBLEM_TEXT: dict[str, tuple[str, str]] = {
    "screen": ("这是屏幕上的图像，请放置纸质材料原件或复印件",
               "This is a screen, not paper: place the paper document or a paper copy"),
    "cut_off": ("页面超出画面，请把整页放进框内", "The page is cut off: move the whole page into the frame"),
    "too_small": ("页面太远，请靠近一些", "The page is too far away: bring it closer"),
    "skewed": ("页面太斜，请放平放正", "The page is at too steep an angle: lay it flat and straight"),
    "too_dark": ("光线太暗，请放到灯光下", "It is too dark: move the page into the light"),
    "shadow": ("页面上有阴影遮住文字，请移开遮挡物或移到灯光下",
               "A shadow hides text on the page: move your hand or the object away, or move the page into the light"),
    "glare": ("页面反光看不清文字，请稍微倾斜页面", "Glare hides text on the page: tilt it slightly"),
    "blur": ("图像模糊，请保持不动", "The image is blurred: hold still"),
}

# Live feedback keys (the `key` of a `feedback` event), one per camera frame.
FEEDBACK_TEXT: dict[str, tuple[str, str]] = {
    "no_page": ("请将材料放在扫描区", "Place the page in the scanning area"),
    "move_into_view": PROBLEM_TEXT["cut_off"],
    "move_closer": PROBLEM_TEXT["too_small"],
    "straighten": PROBLEM_TEXT["skewed"],
    "too_dark": PROBLEM_TEXT["too_dark"],
    "glare": PROBLEM_TEXT["glare"],
    "shadow": PROBLEM_TEXT["shadow"],
    "screen": PROBLEM_TEXT["screen"],
    "hold_still": ("请保持不动", "Hold still"),
    "page_found": ("已找到页面，请保持不动", "Page found: hold still"),
    "captured": ("已拍摄", "Captured"),
    "next_page": ("这一页已拍好，请取走或换下一页", "This page is done: take it away or lay down the next one"),
    "no_code": ("请将二维码或条码对准摄像头", "Hold the QR code or barcode up to the camera"),
}

PROBLEM_TO_FEEDBACK: dict[str, str] = {
    "screen": "screen",
    "cut_off": "move_into_view",
    "too_small": "move_closer",
    "skewed": "straighten",
    "too_dark": "too_dark",
    "shadow": "shadow",
    "glare": "glare",
    "blur": "hold_still",
}


@dataclass(frozen=True)
class Code:
    type: str  # "QRCODE", "CODE128", ... (upper case, no separators)
    text: str  # untrusted: validate with kiosk.devices.scanner.payloads before use
    engine: str = ""


@dataclass
class PageResult:
    page_found: bool
    corners: list[tuple[float, float]] | None  # TL, TR, BR, BL in image pixels
    ok: bool
    problems: list[str] = field(default_factory=list)  # subset of PROBLEMS, in PROBLEMS order
    metrics: dict[str, float] = field(default_factory=dict)  # blur, glare, paper, area, text_glare, ...
    page: Any = None  # corrected upright page image (numpy BGR) when found
    codes: list[Code] = field(default_factory=list)
    ms: float = 0.0  # everything, codes included
    page_ms: float = 0.0  # find + correct + judge only

    def to_json(self) -> dict[str, Any]:
        """The machine-readable summary (no image)."""
        quality: dict[str, Any] = {"ok": self.ok, "problems": list(self.problems)}
        quality.update({k: round(v, 4) for k, v in self.metrics.items()})
        return {
            "page_found": self.page_found,
            "corners": [[round(x, 1), round(y, 1)] for x, y in self.corners] if self.corners else None,
            "quality": quality,
            "codes": [{"type": c.type, "text": c.text, "engine": c.engine} for c in self.codes],
            "ms": round(self.ms, 1),
            "page_ms": round(self.page_ms, 1),
        }


def feedback_key(result: PageResult, moving: bool = False) -> str:
    """What to tell the citizen about this frame: the first problem to fix, else hold still / found."""
    if "screen" in result.problems:  # a screen may show no page outline at all
        return "screen"
    if not result.page_found:
        return "no_page"
    for problem in PROBLEMS:
        if problem in result.problems:
            return PROBLEM_TO_FEEDBACK[problem]
    return "hold_still" if moving else "page_found"


class DocumentScanner(Device):
    """Events while capturing: `feedback` {key, zh, en, problems, steady, frame} once per analysed
    camera frame (keys in FEEDBACK_TEXT); `page_captured` {problems, codes} when a capture ends."""

    device_class = "document_scanner"

    def analyse(self, image: Any, flatbed: bool = False, read_codes: bool = False) -> PageResult:
        """Find, correct and judge the page in one image (a camera frame, or a flatbed scan)."""
        raise NotImplementedError

    def capture(self, timeout: float = 60.0) -> Command[PageResult]:
        """Watch the camera until a good page is steady, then complete with it (codes read from
        the corrected page). For material pages."""
        raise NotImplementedError

    def scan_code(self, timeout: float = 60.0) -> Command[PageResult]:
        """Watch the camera until a barcode/QR code is read (a receipt, an envelope, a phone
        screen), then complete with that frame's result; `codes` is never empty on success.
        Feedback key per frame: `no_code` (or `captured`). Validate the text with `payloads`."""
        raise NotImplementedError

    def read_codes(self, image: Any) -> list[Code]:
        raise NotImplementedError

    def read_mrz(self, timeout: float = 60.0) -> Command[Any]:
        """Watch the camera until a passport data page lies still, then read its MRZ (OCR, every
        check digit verified): completes `success` with a `kiosk.devices.scanner.mrz_read.MrzReading`
        whose `failure` is None, `not_found` or `check_digit` (the flow decides what to ask next);
        `device_not_ready` without a camera or the OCR engine."""
        raise NotImplementedError

    def read_document(self, page: Any) -> Command[Any]:
        """OCR + document kind + key fields of a corrected page (a
        `kiosk.devices.scanner.doc_kinds.DocumentReading`), on the scanner's own OCR thread (about
        a second a page: never on the camera's thread or the UI's). `device_not_ready` when the
        OCR engine is not installed."""
        global _ocr_thread
        from kiosk.devices.worker import OwnerThread

        if _ocr_thread is None:
            _ocr_thread = OwnerThread("ocr")

        def body(_cmd: Command[Any]) -> Any:
            from kiosk.devices.base import DeviceError, ResultCode
            from kiosk.devices.scanner.doc_kinds import read_document
            from kiosk.devices.scanner.ocr import OcrUnavailable, read_lines

            try:
                lines, ms = read_lines(page)
            except OcrUnavailable as exc:
                raise DeviceError(ResultCode.DEVICE_NOT_READY, str(exc)) from None
            self.count("pages_read")
            return read_document(lines, page.shape[1], page.shape[0], ms)

        return _ocr_thread.submit("read_document", body, timeout=30.0)


_ocr_thread: Any = None  # one OCR thread per process: the engine is shared and not re-entrant
