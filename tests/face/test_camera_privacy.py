"""Security finding 16 (camera): the previous citizen's face never shows in the next preview.
Stopping the camera (every visit ends with it) forgets the last frame."""

from __future__ import annotations

import time

import cv2
import numpy as np

from kiosk.devices.registry import create_device


def test_stopping_the_camera_clears_the_last_frame(tmp_path) -> None:
    for i in range(5):
        cv2.imwrite(str(tmp_path / f"img_{i:04d}.png"), np.full((120, 160, 3), 40 * i, np.uint8))
    cam = create_device("camera", f"file://{tmp_path}/img_%04d.png")
    cam.start()
    try:
        got = cam.grab(5).result(6)
        assert got.ok, got.detail
        assert cam.latest_frame() is not None
        cam.stop()
        assert cam.latest_frame() is None  # the next visit's preview starts empty
        cam.start()
        deadline = time.monotonic() + 5
        while cam.latest_frame() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert cam.latest_frame() is not None  # and fills with new frames only
    finally:
        cam.close()
