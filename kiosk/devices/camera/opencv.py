"""The OpenCV camera backend: a V4L2 device, a stream URL, a video file or an image sequence.

URLs:
- `v4l2:///dev/video0` (or `v4l2://0`): a local camera through V4L2;
- `rtsp://...`, `http://...` (MJPEG or anything FFMPEG reads; the simulator is an MJPEG server);
- `file:///videos/x.mp4`, `file:///frames/img_%04d.png` (an image sequence), or
  `file:///frames/` (every image in a folder, in name order). `?loop=0` stops at the end
  (default: files loop, as a technician's test feed should).
Query parameters `timeout_ms` (open/read timeout for streams, default 3000).

Capture runs as one long command on the camera's OwnerThread; it keeps only the latest frame
(a slow consumer never sees stale frames). A lost stream sets status `offline` and is reopened
with backoff; a device or file that is not there sets `no_device`. `open()` only checks the
camera (first frame, then standby); a visit captures between `start()` and `stop()`; between
visits a working camera is `online` in standby and a failed one is retried (ADR 0286).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# FFMPEG prints every failed reconnect attempt on stderr; the backend reports them as status
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402 (after the environment above)
import numpy as np  # noqa: E402

from kiosk.devices.base import Command, Completion, DeviceStatus, ResultCode
from kiosk.devices.camera import Camera, Frame
from kiosk.devices.registry import DeviceUrl
from kiosk.devices.worker import OwnerThread

log = logging.getLogger(__name__)
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


class _FolderSource:
    """Every image of a folder, in name order, looked like a capture."""

    def __init__(self, folder: Path, loop: bool) -> None:
        self.files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS)
        self.loop = loop
        self.i = 0

    def isOpened(self) -> bool:  # noqa: N802 (cv2.VideoCapture's name)
        return bool(self.files)

    def read(self) -> tuple[bool, Any]:
        if self.i >= len(self.files):
            if not self.loop:
                return False, None
            self.i = 0
        img = cv2.imread(str(self.files[self.i]), cv2.IMREAD_COLOR)
        self.i += 1
        return img is not None, img

    def release(self) -> None:
        pass


class OpenCvCamera(Camera):
    def __init__(self, url: DeviceUrl, width: int = 1280, height: int = 720, fps: float = 25.0,
                 name: str | None = None, reconnect_max_s: float = 5.0) -> None:
        super().__init__(name)
        self.url = url
        self.width, self.height, self.fps = width, height, fps
        self.reconnect_max_s = reconnect_max_s
        self.timeout_ms = url.param("timeout_ms", 3000, int)
        self.capabilities = frozenset({"frames", "snapshot"})
        self._owner: OwnerThread | None = None
        self._loop_cmd: Command[Any] | None = None
        self._latest: Frame | None = None
        self._cond = threading.Condition()
        self._index = 0
        self._is_file = url.scheme == "file"
        self._run_lock = threading.Lock()
        self._probe_only = False
        self._loop_files = url.param("loop", "1") not in ("0", "false", "no")

    # -- opening ------------------------------------------------------------------------------
    def _source_description(self) -> str:
        return self.url.raw

    def _open_capture(self) -> Any:
        """A cv2.VideoCapture-like object, or raise FileNotFoundError (no device) / OSError."""
        u = self.url
        if u.scheme == "v4l2":
            node = self._device_node()
            if not os.path.exists(node):
                raise FileNotFoundError(f"no camera device {node}")
            target = u.target or "0"
            cap = cv2.VideoCapture(int(target) if target.isdigit() else node, cv2.CAP_V4L2)
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_FPS, self.fps)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        elif u.scheme in ("rtsp", "http", "https"):
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, self.timeout_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, self.timeout_ms]
            cap = cv2.VideoCapture(u.raw, cv2.CAP_FFMPEG, params)
        elif u.scheme == "file":
            raw_path = urlsplit(u.raw).path  # keep a printf pattern (img_%04d.png) un-decoded
            path = Path(raw_path if re.search(r"%0?\d*d", raw_path) else u.path)
            if "%" in path.name:
                if not path.parent.is_dir():
                    raise FileNotFoundError(f"image sequence folder {path.parent} does not exist")
                cap = cv2.VideoCapture(str(path), cv2.CAP_IMAGES)
            elif path.is_dir():
                cap = _FolderSource(path, self._loop_files)
                if not cap.isOpened():
                    raise FileNotFoundError(f"no images ({', '.join(IMAGE_EXTS)}) in folder {path}")
                return cap
            elif path.is_file():
                cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
                if not cap.isOpened():  # a single still image
                    cap = cv2.VideoCapture(str(path), cv2.CAP_IMAGES)
            else:
                raise FileNotFoundError(f"video file {path} does not exist")
        else:
            raise ValueError(f"camera URL scheme {u.scheme}:// is not an OpenCV source")
        if not cap.isOpened():
            cap.release()
            raise OSError(f"cannot open {u.raw}")
        return cap

    # -- lifecycle ----------------------------------------------------------------------------
    # class status `stream`: checking (open()'s check, or retrying a failed camera between visits)
    # -> standby (no capture) <-> running (a visit's capture); closed at shutdown (ADR 0286)
    def open(self) -> None:
        """Check the camera: capture until the first frame, then stand by until a visit starts
        it (a camera that cannot be opened is retried with backoff until it can)."""
        with self._run_lock:
            if not self._loop_running():
                self._check()

    def start(self) -> None:
        with self._run_lock:
            self._probe_only = False
            if self._loop_running():  # a check still running becomes the capture
                self.set_status(self.status, stream="running")
                return
            self._submit_loop("running")

    def stop(self) -> None:
        """End a visit's capture. A camera that was delivering frames stands by `online` (an
        operator must not see a working camera as offline every night); one that had failed
        keeps its fault and is checked again with backoff, so it comes back by itself."""
        self._end_loop()
        with self._run_lock:
            if self.status in (DeviceStatus.ONLINE, DeviceStatus.BUSY):
                self.set_status(DeviceStatus.ONLINE, "standby: stopped between visits", stream="standby")
            elif not self._loop_running():
                self._check()

    def close(self) -> None:
        self._end_loop()
        if self._owner is not None:
            self._owner.stop()
            self._owner = None
        self.set_status(DeviceStatus.OFFLINE, "closed", stream="closed")

    def snapshot(self) -> dict[str, Any]:
        """In standby nothing reads the camera, so a local device node is looked for here: a
        camera unplugged between visits shows as missing at the next health report, and is
        checked again until it is back."""
        if self._class_status.get("stream") == "standby" and self.url.scheme == "v4l2":
            node = self._device_node()
            if not os.path.exists(node):
                with self._run_lock:
                    if self._class_status.get("stream") == "standby" and not self._loop_running():
                        self.set_status(DeviceStatus.NO_DEVICE, f"no camera device {node}")
                        self._check()
        return super().snapshot()

    def _loop_running(self) -> bool:
        cmd = self._loop_cmd
        return cmd is not None and not cmd.done() and not cmd.cancel_requested.is_set()

    def _check(self) -> None:
        """Under `_run_lock`: a loop that ends at the first frame (standby), retrying until then."""
        self._probe_only = True
        self._submit_loop("checking")

    def _submit_loop(self, stream: str) -> None:
        """Under `_run_lock`: queue a capture loop (the owner thread runs one loop after another,
        so a loop still ending is followed by this one)."""
        if self._owner is None:
            self._owner = OwnerThread(f"camera-{self.name}")
        self.set_status(self.status, stream=stream)
        self._loop_cmd = self._owner.submit("capture", self._capture_loop)

    def _end_loop(self) -> None:
        with self._run_lock:
            cmd, self._loop_cmd = self._loop_cmd, None
            self._probe_only = False
        if cmd is not None:
            cmd.cancel()
            try:
                cmd.result(timeout=self.timeout_ms / 1000 + 3)
            except TimeoutError:
                log.warning("%s: capture loop did not stop in time", self.name)
        with self._cond:
            # the last frame is the previous citizen's face: it must not show in the next preview
            self._latest = None
            self._cond.notify_all()

    def _device_node(self) -> str:
        target = self.url.target or "0"
        return f"/dev/video{target}" if target.isdigit() else target

    # -- frames -------------------------------------------------------------------------------
    def latest_frame(self) -> Frame | None:
        return self._latest

    def wait_frame(self, after_index: int, timeout: float) -> Frame | None:
        """A frame newer than `after_index`, or None if none came within `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._latest is None or self._latest.index <= after_index:
                left = deadline - time.monotonic()
                if left <= 0 or self._loop_cmd is None:
                    return None
                self._cond.wait(left)
            return self._latest

    def grab(self, timeout: float = 2.0) -> Command[Frame]:
        cmd: Command[Frame] = Command("grab")
        if self._loop_cmd is None or self._loop_cmd.done():
            cmd.complete(Completion(ResultCode.DEVICE_NOT_READY, f"camera {self.name} is not started"))
            return cmd
        after = self._latest.index if self._latest else 0

        def wait() -> None:
            frame = self.wait_frame(after, timeout)
            if frame is not None:
                cmd.complete(Completion.success(frame))
            elif self.status is DeviceStatus.NO_DEVICE:
                cmd.complete(Completion(ResultCode.DEVICE_NOT_READY, self.last_error or "no camera"))
            else:
                cmd.complete(Completion(ResultCode.TIMEOUT, f"no frame from {self.url.raw} within {timeout:g} s"))

        threading.Thread(target=wait, name=f"grab-{self.name}", daemon=True).start()
        return cmd

    # -- the capture loop (on the owner thread) -----------------------------------------------
    def _end_probe(self, cmd: Command[Any], size: str) -> bool:
        """After a check's first frame: end this loop and stand by, unless a visit started the
        camera meanwhile."""
        with self._run_lock:
            if not self._probe_only or cmd is not self._loop_cmd:
                return False
            self._probe_only = False
            cmd.cancel_requested.set()  # from here a start() submits a new loop
            self.set_status(DeviceStatus.ONLINE, f"standby: checked ({size})", stream="standby")
        return True

    def _capture_loop(self, cmd: Command[Any]) -> None:
        backoff = 0.25
        period = 1.0 / self.fps if self._is_file else 0.0  # files are paced like a live camera
        while not cmd.cancel_requested.is_set():
            try:
                cap = self._open_capture()
            except FileNotFoundError as exc:
                self.set_status(DeviceStatus.NO_DEVICE, str(exc))
                cmd.cancel_requested.wait(backoff)
                backoff = min(backoff * 2, self.reconnect_max_s)
                continue
            except (OSError, cv2.error) as exc:
                self.set_status(DeviceStatus.OFFLINE, f"{exc}; retrying")
                cmd.cancel_requested.wait(backoff)
                backoff = min(backoff * 2, self.reconnect_max_s)
                continue
            self.count("opened")
            got_one = False
            try:
                next_t = time.monotonic()
                while not cmd.cancel_requested.is_set():
                    ok, image = cap.read()
                    if not ok or image is None or not isinstance(image, np.ndarray):
                        if self._is_file and got_one and not self._loop_files:
                            self.set_status(DeviceStatus.OFFLINE, "end of file")
                            cmd.cancel_requested.wait()
                            return
                        if self._is_file and got_one:  # loop the file
                            break
                        self.count("lost")
                        self.set_status(DeviceStatus.OFFLINE, f"stream lost: {self.url.raw}; reconnecting")
                        break
                    if not got_one:
                        got_one = True
                        backoff = 0.25
                        size = f"{image.shape[1]}x{image.shape[0]}"
                        if self._end_probe(cmd, size):
                            return
                        self.set_status(DeviceStatus.ONLINE, size)
                    with self._cond:
                        self._index += 1
                        self._latest = Frame(image, time.monotonic(), self._index)
                        self._cond.notify_all()
                    self.count("frames")
                    if period:
                        next_t += period
                        cmd.cancel_requested.wait(max(0.0, next_t - time.monotonic()))
            finally:
                cap.release()
            if not got_one:
                cmd.cancel_requested.wait(backoff)
                backoff = min(backoff * 2, self.reconnect_max_s)


def open_camera(url: DeviceUrl, **kwargs: Any) -> OpenCvCamera:
    return OpenCvCamera(url, **kwargs)
