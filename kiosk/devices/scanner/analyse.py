"""One image in, one `PageResult` out: find the page, correct its perspective to an upright A4
page at the configured width, judge it, and (optionally) read the codes on it.

Also `load_image()`: read an image file with a clear error for missing, unreadable or corrupt files.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.config.devices import ScannerConfig
from kiosk.devices.scanner import PageResult
from kiosk.devices.scanner.orientation import looks_upside_down
from kiosk.devices.scanner.pagefind import FoundPage, find_page, full_image_page
from kiosk.devices.scanner.quality import Thresholds, Verdict, judge_geometry, judge_image, merge
from kiosk.devices.scanner.screen import looks_like_screen

A4_ASPECT = 297.0 / 210.0
MAX_IMAGE_PIXELS = 60_000_000  # larger "images" are refused rather than exhausting memory


class ImageError(ValueError):
    """An image that cannot be used; the message says which file and why."""


def default_config() -> ScannerConfig:
    return ScannerConfig(url="camera://document")


def load_image(path: str | Path) -> np.ndarray:
    """A BGR uint8 image from a file, or ImageError saying what is wrong with it."""
    p = Path(path)
    if not p.exists():
        raise ImageError(f"{p}: no such file")
    if not p.is_file():
        raise ImageError(f"{p}: not a file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ImageError(f"{p}: cannot read: {exc.strerror or exc}") from None
    return decode_image(data, str(p))


def decode_image(data: bytes, name: str = "<image>") -> np.ndarray:
    if not data:
        raise ImageError(f"{name}: empty file")
    _check_declared_size(data, name)
    buf = np.frombuffer(data, np.uint8)
    try:
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    except cv2.error as exc:
        raise ImageError(f"{name}: not a readable image ({str(exc).strip().splitlines()[-1][:120]})") from None
    if img is None or img.size == 0:
        raise ImageError(f"{name}: not a readable image (corrupt, truncated, or not JPEG/PNG/BMP/TIFF/WebP)")
    if img.shape[0] * img.shape[1] > MAX_IMAGE_PIXELS:
        raise ImageError(f"{name}: image too large ({img.shape[1]}x{img.shape[0]})")
    if img.shape[0] < 16 or img.shape[1] < 16:
        raise ImageError(f"{name}: image too small ({img.shape[1]}x{img.shape[0]})")
    return img


def _check_declared_size(data: bytes, name: str) -> None:
    """Refuse an image whose header declares a huge size before decoding it (a decompression bomb
    would otherwise allocate gigabytes). Pillow reads only the header here."""
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                w, h = im.size
    except Image.DecompressionBombError:
        raise ImageError(f"{name}: image too large (declared size beyond Pillow's safety limit)") from None
    except (UnidentifiedImageError, OSError, ValueError):
        return  # OpenCV gets its turn (and gives the clear error if it cannot read it either)
    if w * h > MAX_IMAGE_PIXELS:
        raise ImageError(f"{name}: image too large ({w}x{h})")


def page_size(width: int) -> tuple[int, int]:
    return width, round(width * A4_ASPECT)


def rectify(frame: np.ndarray, corners: np.ndarray, width: int) -> np.ndarray:
    """The page between `corners` (TL TR BR BL), warped upright to `width` x A4 height."""
    w, h = page_size(width)
    dst = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    m = cv2.getPerspectiveTransform(np.asarray(corners, np.float32), dst)
    return cv2.warpPerspective(frame, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def quality_view(frame: np.ndarray, corners: np.ndarray, width: int) -> np.ndarray:
    """The page corrected straight to the quality working width (cheaper than the full page).
    A page much larger than that in the frame is first shrunk with area averaging, so blur is
    measured on an anti-aliased image whatever the camera resolution."""
    c = np.asarray(corners, np.float32)
    apparent = (np.linalg.norm(c[1] - c[0]) + np.linalg.norm(c[2] - c[3])) / 2
    factor = width / max(apparent, 1.0)
    if factor < 0.66:
        h, w = frame.shape[:2]
        frame = cv2.resize(frame, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
        c = (c + 0.5) * factor - 0.5
    return rectify(frame, c, width)


def _as_bgr(image: Any) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ImageError("not an image: expected an HxW or HxWx3 uint8 array")
    if image.shape[0] < 16 or image.shape[1] < 16:
        raise ImageError(f"image too small ({image.shape[1]}x{image.shape[0]})")
    if image.shape[0] * image.shape[1] > MAX_IMAGE_PIXELS:
        raise ImageError(f"image too large ({image.shape[1]}x{image.shape[0]})")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.shape[2] != 3:
        raise ImageError(f"not an image: {image.shape[2]} channels")
    return image


class PageAnalyzer:
    """Find + correct + judge with one configuration. Thread-safe (no shared mutable state)."""

    def __init__(self, cfg: ScannerConfig | None = None, barcode_reader: Any = None) -> None:
        self.cfg = cfg or default_config()
        self.thresholds = Thresholds.from_config(self.cfg)
        self._reader = barcode_reader

    @property
    def reader(self) -> Any:
        if self._reader is None:
            from kiosk.devices.scanner.barcodes import BarcodeReader
            self._reader = BarcodeReader(self.cfg.barcode_engines)
        return self._reader

    def find(self, frame: np.ndarray, flatbed: bool = False) -> FoundPage | None:
        found = find_page(frame, self.cfg.find_width_px, self.cfg.min_page_contrast,
                          max_saturation=self.cfg.max_paper_saturation)
        if found is None and flatbed:
            found = full_image_page(frame)
        return found

    def analyse(self, image: Any, flatbed: bool = False, read_codes: bool = False,
                with_page: bool = True) -> PageResult:
        """The page in `image`; ImageError for anything that is not a usable image."""
        try:
            return self._analyse(image, flatbed, read_codes, with_page)
        except cv2.error as exc:  # an image OpenCV cannot process is bad input, not a device fault
            raise ImageError(f"cannot analyse this image: {str(exc).strip().splitlines()[-1][:160]}") from None

    def _analyse(self, image: Any, flatbed: bool, read_codes: bool, with_page: bool) -> PageResult:
        t0 = time.perf_counter()
        frame = _as_bgr(image)
        found = self.find(frame, flatbed)
        screen, peak = (False, 0.0) if flatbed else looks_like_screen(frame)
        if screen:  # a photo of a display: refused whatever else is seen (no page image kept)
            corners = [(float(x), float(y)) for x, y in found.corners] if found is not None else None
            res = PageResult(found is not None, corners, False, ["screen"], {"screen_peak": peak})
        elif found is None:
            gray_mean = float(cv2.mean(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))[0])
            res = PageResult(False, None, False, [], {"frame_mean": gray_mean, "screen_peak": peak})
        else:
            geometry = judge_geometry(found.corners, frame.shape, found.area_frac, found.touches_edge, self.thresholds)
            if flatbed:
                geometry = Verdict([p for p in geometry.problems if p not in ("too_small", "cut_off")], geometry.metrics)
            qpage = quality_view(frame, found.corners, self.cfg.quality_width_px)
            image_verdict = judge_image(qpage, self.thresholds, self.cfg.quality_width_px)
            verdict = merge(geometry, image_verdict)
            verdict.metrics["sideways"] = float(found.sideways)
            turned = self.cfg.detect_upside_down and looks_upside_down(cv2.cvtColor(qpage, cv2.COLOR_BGR2GRAY))
            if turned:  # relabel the corners so the corrected page comes out the right way up
                found.corners = np.roll(found.corners, 2, axis=0)
            verdict.metrics["upside_down"] = float(turned)
            verdict.metrics["screen_peak"] = peak
            page = rectify(frame, found.corners, self.cfg.page_width_px) if with_page or read_codes else None
            res = PageResult(True, [(float(x), float(y)) for x, y in found.corners], verdict.ok,
                             verdict.problems, verdict.metrics, page)
        res.page_ms = (time.perf_counter() - t0) * 1000.0
        if read_codes:
            # codes are read from the corrected page when there is one (upright, known scale),
            # and from the whole frame otherwise (a phone screen held up, a code without a page)
            if res.page is not None:
                codes = self.reader.read(res.page)
                if not codes:  # a code beside the page: a quick look with the first engine only
                    codes = self.reader.read(frame, engines=1)
            else:
                codes = self.reader.read(frame)
            res.codes = codes
            if not with_page:
                res.page = None
        res.ms = (time.perf_counter() - t0) * 1000.0
        return res
