"""End to end: the document camera simulator (MJPEG over HTTP) -> the real OpenCV camera backend
-> the `camera://document` scanner -> feedback and capture."""

from __future__ import annotations

import threading

import pytest

from hw_sim.documents import CAMERA_SOURCES, document_camera_sim
from kiosk.devices.base import ResultCode
from kiosk.devices.registry import create_device
from kiosk.devices.scanner.analyse import default_config

pytestmark = pytest.mark.slow


@pytest.fixture
def cam():
    sim = document_camera_sim(source="page_glare", fps=15)
    sim.start()
    yield sim
    sim.close()


def _wait_for(pred, timeout=20.0):
    ev = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if pred():
            return True
        ev.wait(0.05)
    return False


def test_sources_are_registered(cam):
    assert set(cam.cmd_sources()) == set(CAMERA_SOURCES)
    assert {"page_good", "page_blurred", "page_glare", "page_cut_off", "page_dark", "page_far",
            "page_skewed", "no_page", "page_hand"} == set(CAMERA_SOURCES)


def test_feedback_then_capture_through_the_real_camera_backend(cam):
    cfg = default_config().model_copy(update={"camera_url": cam.url})
    scanner = create_device("scanner", "camera://document", cfg=cfg)
    events = []
    scanner.subscribe(events.append)
    scanner.open()
    try:
        cmd = scanner.capture(timeout=60)
        assert _wait_for(lambda: sum(e.data.get("key") == "glare" for e in events) >= 3)
        assert not cmd.done()  # glare never captures
        cam.cmd_show("page_good")
        done = cmd.result(60)
        assert done.ok, done.detail
        assert done.data.page.shape == (1754, 1240, 3)
        assert "SIM0001-20261122-0042-P" in {c.text for c in done.data.codes}
        keys = [e.data["key"] for e in events if e.kind == "feedback"]
        assert keys[-1] == "captured" and "glare" in keys
    finally:
        scanner.close()


def test_unplugged_camera_ends_the_capture_clearly(cam):
    cfg = default_config().model_copy(update={"camera_url": cam.url})
    scanner = create_device("scanner", "camera://document", cfg=cfg)
    scanner.open()
    try:
        cam.cmd_show("page_far")
        cmd = scanner.capture(timeout=60)
        assert _wait_for(lambda: scanner.counters["frames"] >= 2)
        cam.cmd_unplug()
        done = cmd.result(30)
        assert done.code is ResultCode.DEVICE_NOT_READY
        assert "document camera" in done.detail
    finally:
        scanner.close()
