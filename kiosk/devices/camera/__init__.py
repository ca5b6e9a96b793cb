"""The `Camera` device class: frames from a device, a stream URL, a video file or an image sequence.

Frames are numpy BGR arrays (OpenCV's layout) handed around as `Frame`. This module imports no
device library; backends open OpenCV lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.devices.base import Command, Device

BACKENDS: dict[str, str] = {
    "v4l2": "kiosk.devices.camera.opencv:open_camera",
    "rtsp": "kiosk.devices.camera.opencv:open_camera",
    "http": "kiosk.devices.camera.opencv:open_camera",
    "https": "kiosk.devices.camera.opencv:open_camera",
    "file": "kiosk.devices.camera.opencv:open_camera",
}
# The simulator is not a backend: it is an MJPEG-over-HTTP camera the http:// backend reads
# (docs/adr/0041-camera-sim-mjpeg-http.md).


@dataclass(frozen=True)
class Frame:
    image: Any  # numpy.ndarray, HxWx3 uint8 BGR
    ts: float  # monotonic seconds when captured
    index: int


class Camera(Device):
    """Events: `frame` is NOT posted per frame (too chatty); screens pull `latest_frame()`."""

    device_class = "camera"

    def start(self) -> None:
        """Begin capturing on the owner thread (idempotent)."""
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def latest_frame(self) -> Frame | None:
        raise NotImplementedError

    def grab(self, timeout: float = 2.0) -> Command[Frame]:
        """The next new frame."""
        raise NotImplementedError
