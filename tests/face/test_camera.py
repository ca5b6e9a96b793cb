"""The OpenCV camera backend against real sources: the MJPEG simulator over HTTP, video files,
image sequences, absent devices, a pulled cable."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from kiosk.devices.base import DeviceStatus, ResultCode
from kiosk.devices.registry import create_device


KIOSK = "import sys; from kiosk.cli import main; sys.exit(main(sys.argv[1:]))"


def wait_for(pred, timeout=8.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_reads_frames_from_the_simulator_over_http(camera_sim, camera):
    first = camera.grab(5).result(6)
    assert first.ok, first.detail
    assert first.data.image.shape == (480, 640, 3)
    second = camera.grab(5).result(6)
    assert second.ok and second.data.index > first.data.index
    assert camera.status is DeviceStatus.ONLINE
    assert camera.latest_frame().index >= second.data.index


def test_source_switch_changes_what_the_camera_sees(camera_sim, camera):
    camera_sim.cmd_show("nobody")
    time.sleep(0.3)
    a = camera.grab(5).result(6).data.image
    camera_sim.cmd_show("two_people")
    time.sleep(0.3)
    b = camera.grab(5).result(6).data.image
    assert float(np.abs(a.astype(int) - b.astype(int)).mean()) > 20
    camera_sim.cmd_show("holder")


def test_unplugged_stream_goes_offline_and_reconnects(camera_sim, camera):
    assert camera.grab(5).result(6).ok
    camera_sim.cmd_unplug()
    try:
        assert wait_for(lambda: camera.status is DeviceStatus.OFFLINE), camera.status
    finally:
        camera_sim.cmd_plug()
    assert wait_for(lambda: camera.status is DeviceStatus.ONLINE, 15), camera.status
    assert camera.grab(5).result(6).ok
    assert camera.counters["lost"] >= 1


def test_unknown_control_source_is_a_clear_error(camera_sim):
    from hw_sim.control import ControlError
    with pytest.raises(ControlError, match="unknown source"):
        camera_sim.cmd_show("elephant")
    with pytest.raises(ControlError, match="no sample identity"):
        camera_sim.cmd_set_person("nobody_known")


def test_absent_device_is_no_device_not_a_crash():
    cam = create_device("camera", "v4l2:///dev/video99")
    cam.start()
    try:
        assert wait_for(lambda: cam.status is DeviceStatus.NO_DEVICE, 3)
        grab = cam.grab(0.5).result(3)
        assert grab.code in (ResultCode.DEVICE_NOT_READY, ResultCode.TIMEOUT)
        assert "/dev/video99" in (cam.last_error or "")
    finally:
        cam.close()


def test_missing_file_and_bad_scheme(tmp_path):
    cam = create_device("camera", f"file://{tmp_path}/nope.mp4")
    cam.start()
    try:
        assert wait_for(lambda: cam.status is DeviceStatus.NO_DEVICE, 3)
        assert "does not exist" in cam.last_error
    finally:
        cam.close()
    with pytest.raises(ValueError, match="no camera backend for sim://"):
        create_device("camera", "sim://holder")


def _write_video(path, n=12):
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (320, 240))
    assert out.isOpened()
    for i in range(n):
        img = np.full((240, 320, 3), i * 20, np.uint8)
        out.write(img)
    out.release()


def test_video_file_loops_and_image_sequence(tmp_path):
    video = tmp_path / "clip.avi"
    _write_video(video)
    cam = create_device("camera", f"file://{video}", fps=100)
    cam.start()
    try:
        assert wait_for(lambda: cam.counters["frames"] > 20, 5)  # more frames than the clip: it loops
        assert cam.latest_frame().image.shape == (240, 320, 3)
    finally:
        cam.close()
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"img_{i:03d}.png"), np.full((60, 80, 3), 50 * i, np.uint8))
    for url in (f"file://{tmp_path}/img_%03d.png?loop=0", f"file://{tmp_path}/"):
        cam = create_device("camera", url, fps=100)
        cam.start()
        try:
            frame = cam.grab(3).result(5)
            assert frame.ok and frame.data.image.shape == (60, 80, 3)
        finally:
            cam.close()


def test_corrupt_video_file_is_reported(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x01not a video" * 100)
    cam = create_device("camera", f"file://{bad}")
    cam.start()
    try:
        assert wait_for(lambda: cam.status is DeviceStatus.OFFLINE and "cannot open" in (cam.snapshot()["detail"] or ""), 5)
        assert cam.grab(0.3).result(3).code is ResultCode.TIMEOUT
    finally:
        cam.close()


def test_snapshot_cli(camera_sim, tmp_path, python):
    import json
    import subprocess
    out = tmp_path / "snap.png"
    r = subprocess.run([python, "-c", KIOSK, "camera", "snapshot", "--url", camera_sim.url, "--out", str(out), "--json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[-1])["width"] == 640
    assert cv2.imread(str(out)).shape == (480, 640, 3)
    r = subprocess.run([python, "-c", KIOSK, "camera", "snapshot", "--url", "http://127.0.0.1:9/stream.mjpg?timeout_ms=500",
                        "--out", str(out), "--timeout", "1.5", "--json"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "timeout" in r.stderr


def test_open_checks_the_camera_then_stands_by_until_a_visit_starts_it(camera_sim):
    """Between visits a working camera is reported online (standby), not offline: the console
    showed every station's camera 离线 after its first visit."""
    cam = create_device("camera", camera_sim.url, width=640, height=480, fps=25, name="camera")
    try:
        cam.open()
        assert wait_for(lambda: cam.snapshot().get("stream") == "standby", 8), cam.snapshot()
        assert cam.status is DeviceStatus.ONLINE and "standby" in cam.snapshot()["detail"]
        assert cam.latest_frame() is None, "the check keeps no frame"
        assert cam.grab(0.3).result(3).code is ResultCode.DEVICE_NOT_READY, "nothing is captured in standby"
        cam.start()
        assert cam.snapshot()["stream"] == "running"
        got = cam.grab(5).result(6)
        assert got.ok, got.detail
        cam.stop()
        snap = cam.snapshot()
        assert snap["status"] == "online" and snap["stream"] == "standby", snap
        assert cam.latest_frame() is None
    finally:
        cam.close()
    assert cam.status is DeviceStatus.OFFLINE and cam.snapshot()["stream"] == "closed"


def test_a_visit_starting_the_camera_during_the_check_keeps_it_capturing(camera_sim):
    cam = create_device("camera", camera_sim.url, width=640, height=480, fps=25)
    try:
        cam.open()
        cam.start()  # before the check's first frame: the check becomes the capture
        assert cam.grab(5).result(6).ok
        assert cam.grab(5).result(6).ok, "still capturing after the check's first frame"
        assert cam.snapshot()["stream"] == "running"
    finally:
        cam.close()


def test_a_failed_camera_keeps_its_fault_when_stopped():
    cam = create_device("camera", "v4l2:///dev/video99")
    cam.open()
    try:
        assert wait_for(lambda: cam.status is DeviceStatus.NO_DEVICE, 3)
        cam.stop()
        assert cam.status is DeviceStatus.NO_DEVICE and "/dev/video99" in cam.snapshot()["detail"]
    finally:
        cam.close()


def test_a_local_camera_unplugged_in_standby_shows_missing_at_the_next_health_report(tmp_path):
    # no /dev/video node can be made here: the standby state a working camera would reach is set
    node = tmp_path / "video0"
    node.write_bytes(b"")
    cam = create_device("camera", f"v4l2://{node}")
    cam.set_status(DeviceStatus.ONLINE, "standby: stopped between visits", stream="standby")
    try:
        assert cam.snapshot()["status"] == "online"
        node.unlink()
        snap = cam.snapshot()
        assert snap["status"] == "no_device" and str(node) in snap["detail"], snap
        assert snap["stream"] == "checking", "retried until it is back"
        node.write_bytes(b"")  # a node again (not a camera: opening it fails, but it is no longer missing)
        assert wait_for(lambda: cam.status is DeviceStatus.OFFLINE and "cannot open" in cam.snapshot()["detail"], 5), \
            cam.snapshot()
    finally:
        cam.close()


def test_a_camera_that_failed_during_a_visit_comes_back_by_itself_between_visits(camera_sim):
    cam = create_device("camera", camera_sim.url, width=640, height=480, fps=25, reconnect_max_s=0.5)
    try:
        cam.open()
        assert wait_for(lambda: cam.snapshot().get("stream") == "standby", 8)
        cam.start()
        assert cam.grab(5).result(6).ok
        camera_sim.cmd_unplug()
        try:
            assert wait_for(lambda: cam.status is DeviceStatus.OFFLINE), cam.snapshot()
            cam.stop()  # the visit ends with the camera down
            snap = cam.snapshot()
            assert snap["status"] == "offline" and snap["stream"] == "checking", snap
        finally:
            camera_sim.cmd_plug()
        assert wait_for(lambda: cam.snapshot()["stream"] == "standby" and cam.status is DeviceStatus.ONLINE, 15), \
            cam.snapshot()
    finally:
        cam.close()
