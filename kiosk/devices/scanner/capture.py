"""The `camera://document` backend: a DocumentScanner that watches the document camera.

`open_scanner(url, cfg=..., camera=..., frames=...)` builds it. Frames come from a Camera device
(made from `cfg.camera_url` with `kiosk.devices.registry.create_device("camera", ...)` on open)
or, for tests and tools, from any iterator of BGR frames. `capture()` runs on the scanner's owner
thread: every frame is analysed, a `feedback` event says what to do, and the command completes
with the sharpest page once a good page has been steady for `steady_frames` frames.
`scan_code()` completes with the first frame in which a barcode or QR code is read.

A capture never returns the page the previous capture returned while that page still lies there:
a person who leaves page 1 in place gets `next_page` feedback ("take the page away / turn it")
until the area is cleared or another page is laid down (`SamePage`). Without this a scanner
that starts the next capture at once would file one sheet as two pages.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from kiosk.config.devices import ScannerConfig
from kiosk.devices.base import Command, Completion, DeviceError, DeviceStatus, ResultCode
from kiosk.devices.registry import DeviceUrl, create_device
from kiosk.devices.scanner import FEEDBACK_TEXT, Code, DocumentScanner, PageResult
from kiosk.devices.scanner.analyse import ImageError, PageAnalyzer, rectify
from kiosk.devices.scanner.barcodes import BarcodeReader
from kiosk.devices.scanner.feedback import SteadyTracker
from kiosk.devices.worker import OwnerThread

log = logging.getLogger(__name__)

GRAB_TIMEOUT_S = 2.0
THUMB_W = 96  # page thumbnails compared to tell "the same sheet still lying there"
THUMB_GRID = (8, 6)  # compared block by block: two pages of one form differ in a small area only
# largest block mean |difference| of normalised thumbnails below which two pages are one sheet
# (measured on generated frames: the same sheet with hand tremor <= 0.15, another code on the
# same form ~0.93)
SAME_PAGE_DIFF = 0.4


def page_thumbnail(frame: np.ndarray, corners: Any) -> np.ndarray:
    """A small, contrast-normalised, grey view of the page between `corners`."""
    import cv2

    small = rectify(frame, np.asarray(corners, np.float32), THUMB_W)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32) if small.ndim == 3 else small.astype(np.float32)
    grey = cv2.GaussianBlur(grey, (0, 0), 1.0)
    return (grey - grey.mean()) / (grey.std() + 1e-3)


def page_difference(a: np.ndarray, b: np.ndarray) -> float:
    """The largest block mean of |a - b| over a THUMB_GRID of blocks."""
    d = np.abs(a - b)
    rows, cols = THUMB_GRID
    bh, bw = d.shape[0] // rows, d.shape[1] // cols
    return max(float(d[i * bh:(i + 1) * bh, j * bw:(j + 1) * bw].mean()) for i in range(rows) for j in range(cols))


class SamePage:
    """Remembers the last captured page until the scanning area is seen empty for `clear_frames`
    frames in a row (one frame without a page — a hand turning the sheet, glare — is not enough)."""

    def __init__(self, clear_frames: int = 3) -> None:
        self.last: np.ndarray | None = None
        self.clear_frames = clear_frames
        self._empty = 0

    def captured(self, thumb: np.ndarray) -> None:
        self.last = thumb
        self._empty = 0

    def still_there(self, result: PageResult, frame: np.ndarray) -> bool:
        if self.last is None:
            return False
        if not result.page_found or result.corners is None:
            self._empty += 1
            if self._empty >= self.clear_frames:
                self.last = None  # cleared: any page may come next, the same one too
                return False
            return True  # not yet seen empty long enough: still "take the page away / next page"
        self._empty = 0
        thumb = page_thumbnail(frame, result.corners)
        return thumb.shape == self.last.shape and page_difference(thumb, self.last) < SAME_PAGE_DIFF
GRAB_FAILURES = 3  # failed grabs in a row that end a capture
TEXT_LOSS = frozenset({"shadow", "glare"})  # problems a passport data page capture tolerates


class CameraDocumentScanner(DocumentScanner):
    def __init__(self, cfg: ScannerConfig, camera: Any = None, frames: Iterable[Any] | None = None,
                 name: str | None = None) -> None:
        super().__init__(name)
        self.cfg = cfg
        self.reader = BarcodeReader(cfg.barcode_engines)
        self.analyzer = PageAnalyzer(cfg, self.reader)
        self.capabilities = frozenset({"capture", "scan_code", "feedback", "barcodes", "perspective"})
        self._camera = camera
        self._own_camera = False
        self._frames: Iterator[Any] | None = iter(frames) if frames is not None else None
        self._worker: OwnerThread | None = None
        self._running: set[Command[PageResult]] = set()
        self._same_page = SamePage(clear_frames=max(2, cfg.steady_frames))

    # -- lifecycle ------------------------------------------------------------------------------
    def open(self) -> None:
        if self._camera is None and self._frames is None:
            if not self.cfg.camera_url:
                self.set_status(DeviceStatus.NO_DEVICE, "no camera_url configured for the document scanner")
                return
            try:
                self._camera = create_device("camera", self.cfg.camera_url)
            except (ValueError, ImportError, AttributeError) as exc:
                self.set_status(DeviceStatus.NO_DEVICE, f"document camera {self.cfg.camera_url}: {exc}")
                return
            self._own_camera = True
        if self._camera is not None:
            try:
                if self._own_camera:
                    self._camera.open()
                self._camera.start()
            except Exception as exc:  # a camera that cannot start degrades the scanner, never crashes
                self.set_status(DeviceStatus.NO_DEVICE, f"document camera: {exc}")
                return
        if self._worker is None:
            self._worker = OwnerThread(self.name)
        self.set_status(DeviceStatus.ONLINE)

    def close(self) -> None:
        for cmd in list(self._running):  # a capture in progress ends (canceled) instead of running on
            cmd.cancel()
            cmd.complete(Completion(ResultCode.CANCELED, "document scanner closed"))
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        if self._camera is not None and self._own_camera:
            try:
                self._camera.close()
            except Exception:
                log.exception("%s: closing the camera failed", self.name)
        self.set_status(DeviceStatus.OFFLINE)

    # -- commands -------------------------------------------------------------------------------
    def analyse(self, image: Any, flatbed: bool = False, read_codes: bool = False) -> PageResult:
        return self.analyzer.analyse(image, flatbed=flatbed, read_codes=read_codes)

    def read_codes(self, image: Any) -> list[Code]:
        return self.reader.read(image)

    def capture(self, timeout: float = 60.0, read_codes: bool = True) -> Command[PageResult]:
        if self._worker is None or self.status is not DeviceStatus.ONLINE:
            cmd: Command[PageResult] = Command("capture")
            cmd.complete(Completion(ResultCode.DEVICE_NOT_READY, f"document scanner is {self.status}"))
            return cmd
        return self._track(self._worker.submit("capture", lambda c: self._capture(c, read_codes), timeout=timeout))

    def _track(self, cmd: Command[PageResult]) -> Command[PageResult]:
        self._running.add(cmd)
        cmd.add_done_callback(lambda _c: self._running.discard(cmd))
        return cmd

    def scan_code(self, timeout: float = 60.0) -> Command[PageResult]:
        if self._worker is None or self.status is not DeviceStatus.ONLINE:
            cmd: Command[PageResult] = Command("scan_code")
            cmd.complete(Completion(ResultCode.DEVICE_NOT_READY, f"document scanner is {self.status}"))
            return cmd
        return self._track(self._worker.submit("scan_code", self._scan_code, timeout=timeout))

    def _scan_code(self, cmd: Command[PageResult]) -> PageResult:
        index = 0
        while True:
            if cmd.cancel_requested.is_set():
                raise DeviceError(ResultCode.CANCELED, "code scan canceled")
            frame = self._next_frame()
            index += 1
            self.count("frames")
            try:
                # the page (when there is one) is read first: upright and at a known scale
                result = self.analyzer.analyse(frame, read_codes=True)
            except ImageError as exc:
                self.count("bad_frames")
                log.warning("%s: skipped a bad frame: %s", self.name, exc)
                continue
            key = "captured" if result.codes else "no_code"
            zh, en = FEEDBACK_TEXT[key]
            self.emit("feedback", key=key, zh=zh, en=en, problems=list(result.problems), steady=0, needed=1,
                      frame=index)
            if result.codes:
                self.count("codes")
                self.emit("code_read", codes=[{"type": c.type, "text": c.text} for c in result.codes])
                return result

    def _next_frame(self) -> Any:
        if self._frames is not None:
            try:
                return next(self._frames)
            except StopIteration:
                raise DeviceError(ResultCode.DEVICE_NOT_READY, "the frame source ended") from None
        failures = 0
        while True:
            done = self._camera.grab(GRAB_TIMEOUT_S).result(GRAB_TIMEOUT_S + 1.0)
            if done.ok and done.data is not None:
                if self.status is not DeviceStatus.ONLINE:
                    self.set_status(DeviceStatus.ONLINE, "frames again")
                return done.data.image
            failures += 1
            detail = done.detail or str(done.code)
            if failures >= GRAB_FAILURES:  # a stream hiccup is ridden out; a dead camera is not
                self.set_status(DeviceStatus.HARDWARE_ERROR, f"document camera: {detail}")
                raise DeviceError(ResultCode.DEVICE_NOT_READY, f"document camera gave no frame: {detail}")

    def read_mrz(self, timeout: float = 60.0) -> Command[Any]:
        if self._worker is None or self.status is not DeviceStatus.ONLINE:
            cmd: Command[Any] = Command("read_mrz")
            cmd.complete(Completion(ResultCode.DEVICE_NOT_READY, f"document scanner is {self.status}"))
            return cmd
        return self._track(self._worker.submit("read_mrz", self._read_mrz, timeout=timeout))

    def _read_mrz(self, cmd: Command[Any]) -> Any:
        from kiosk.devices.scanner.mrz_read import read_mrz
        from kiosk.devices.scanner.ocr import OcrUnavailable

        # a passport's portrait reads as shadow or glare to the text-loss judge, and the MRZ's own
        # check digits judge the only text that matters; the same booklet may be read again
        page = self._capture(cmd, read_codes=False, tolerate=TEXT_LOSS, same_page_guard=False)
        try:
            reading = read_mrz(page.page)
        except OcrUnavailable as exc:
            raise DeviceError(ResultCode.DEVICE_NOT_READY, str(exc)) from None
        page.page = None  # the data page image is personal: only the reading leaves this thread
        self.count("mrz_reads")
        log.info("%s: %r", self.name, reading)
        return reading

    def _capture(self, cmd: Command[PageResult], read_codes: bool, tolerate: frozenset[str] = frozenset(),
                 same_page_guard: bool = True) -> PageResult:
        tracker = SteadyTracker(self.cfg.steady_frames, self.cfg.steady_motion)
        recent: deque[tuple[PageResult, Any]] = deque(maxlen=self.cfg.steady_frames + 1)
        index = 0
        while True:
            if cmd.cancel_requested.is_set():
                raise DeviceError(ResultCode.CANCELED, "capture canceled")
            frame = self._next_frame()
            index += 1
            self.count("frames")
            try:
                # judged per frame; the full-size page is made only for the frame that is captured
                result = self.analyzer.analyse(frame, with_page=False)
            except ImageError as exc:  # a malformed frame is skipped, not fatal
                self.count("bad_frames")
                log.warning("%s: skipped a bad frame: %s", self.name, exc)
                continue
            if tolerate and result.page_found and result.problems:
                result.problems = [p for p in result.problems if p not in tolerate]
                result.ok = not result.problems
            if same_page_guard and self._same_page.still_there(result, frame):
                tracker = SteadyTracker(self.cfg.steady_frames, self.cfg.steady_motion)
                zh, en = FEEDBACK_TEXT["next_page"]
                self.emit("feedback", key="next_page", zh=zh, en=en, problems=[], steady=0,
                          needed=self.cfg.steady_frames, frame=index)
                continue
            recent.append((result, frame))
            step = tracker.update(result, frame.shape)
            zh, en = FEEDBACK_TEXT[step.key]
            self.emit("feedback", key=step.key, zh=zh, en=en, problems=list(result.problems),
                      steady=step.steady, needed=self.cfg.steady_frames, frame=index)
            if step.captured is not None:
                page = step.captured
                shot = next(f for r, f in recent if r is page)
                page.page = rectify(shot, np.asarray(page.corners, np.float32), self.cfg.page_width_px)
                if same_page_guard:
                    self._same_page.captured(page_thumbnail(shot, page.corners))
                if read_codes:
                    page.codes = self.reader.read(page.page)
                self.count("captures")
                self.emit("page_captured", problems=list(page.problems),
                          codes=[{"type": c.type, "text": c.text} for c in page.codes])
                return page


def open_scanner(url: DeviceUrl, cfg: ScannerConfig | None = None, camera: Any = None,
                 frames: Iterable[Any] | None = None, name: str | None = None, **_: Any) -> CameraDocumentScanner:
    """Registry factory for `camera://document`. A `camera` URL parameter overrides cfg.camera_url."""
    cfg = cfg or ScannerConfig(url=url.raw)
    if url.param("camera"):
        cfg = cfg.model_copy(update={"camera_url": url.param("camera")})
    return CameraDocumentScanner(cfg, camera=camera, frames=frames, name=name)
