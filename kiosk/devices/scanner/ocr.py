"""OCR of a corrected page with RapidOCR (PP-OCRv4 Chinese/English models shipped inside the
`rapidocr-onnxruntime` wheel; nothing is downloaded at run time).

`read_lines(page)` returns the text boxes of an upright page (numpy BGR, as `PageAnalyzer`
corrects it) as `OcrLine`s in reading order, with their boxes scaled back to the page's pixels.
The engine is loaded once per process (~1 s) and shared under a lock (onnxruntime sessions are
used by one caller at a time here). Settings, chosen by bench/ocr.py on 2 cores:
- the direction classifier is off: the scanner already turns upside-down pages upright;
- detection runs on the page scaled to at most `DET_SIDE` px on its long side;
- onnxruntime keeps its own thread defaults: pinning 2 intra-op + 1 inter-op threads was slower
  in bench/ocr.py (1077 vs 846 ms a flat page, same run), and no faster under heavy load.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

DET_SIDE = 1280
MIN_SCORE = 0.5

_engine: Any = None
_lock = threading.Lock()


class OcrUnavailable(RuntimeError):
    """The OCR engine cannot be loaded (package missing)."""


@dataclass(frozen=True)
class OcrLine:
    text: str
    box: tuple[tuple[float, float], ...]  # 4 corners, page pixels
    score: float

    @property
    def x(self) -> float:
        return min(p[0] for p in self.box)

    @property
    def y(self) -> float:
        return min(p[1] for p in self.box)

    @property
    def bottom(self) -> float:
        return max(p[1] for p in self.box)

    @property
    def right(self) -> float:
        return max(p[0] for p in self.box)

    @property
    def height(self) -> float:
        return self.bottom - self.y


def engine() -> Any:
    global _engine
    with _lock:
        if _engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError:
                raise OcrUnavailable("OCR needs rapidocr-onnxruntime (pip install rapidocr-onnxruntime==1.4.4)") from None
            _engine = RapidOCR(use_cls=False, det_limit_type="max", det_limit_side_len=DET_SIDE, print_verbose=False)
        return _engine


def read_lines(page: Any) -> tuple[list[OcrLine], float]:
    """The text boxes of an upright page in reading order, and the milliseconds OCR took."""
    eng = engine()
    t0 = time.perf_counter()
    with _lock:
        result, _elapsed = eng(page)
    ms = (time.perf_counter() - t0) * 1000.0
    lines = [OcrLine(str(text), tuple((float(x), float(y)) for x, y in box), float(score))
             for box, text, score in (result or []) if float(score) >= MIN_SCORE and str(text).strip()]
    lines.sort(key=lambda ln: (round(ln.y / 12), ln.x))
    return lines, ms
