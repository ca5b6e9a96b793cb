"""Live feedback and capture through the `camera://document` backend, fed with generated frames."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

from hw_sim.documents import hand_script_length, page_frames
from kiosk.devices.base import Completion, DeviceStatus, ResultCode
from kiosk.devices.registry import create_device
from kiosk.devices.scanner import FEEDBACK_TEXT, PageResult, feedback_key
from kiosk.devices.scanner.feedback import SteadyTracker


def _scanner(frames, **kw):
    s = create_device("scanner", "camera://document", frames=frames, **kw)
    events = []
    s.subscribe(events.append)
    s.open()
    return s, events


def _keys(events):
    return [e.data["key"] for e in events if e.kind == "feedback"]


def _collapse(keys):
    return [k for k, _ in itertools.groupby(keys)]


def test_hand_sequence_gives_feedback_then_captures():
    s, events = _scanner(page_frames("hand"))
    try:
        done = s.capture(timeout=60).result(90)
    finally:
        s.close()
    assert done.ok, done.detail
    page: PageResult = done.data
    assert page.ok and page.page.shape == (1754, 1240, 3)
    assert {c.text for c in page.codes} >= {"SIM0001-20261122-0042-P"}
    keys = _keys(events)
    assert _collapse(keys) == ["no_page", "move_into_view", "move_closer", "hold_still", "glare",
                               "page_found", "captured"]
    assert len(keys) <= hand_script_length()  # one event per frame, capture before the frames run out
    fb = [e.data for e in events if e.kind == "feedback"]
    assert all((d["zh"], d["en"]) == FEEDBACK_TEXT[d["key"]] for d in fb)
    assert [d["frame"] for d in fb] == list(range(1, len(fb) + 1))
    assert [e.kind for e in events].count("page_captured") == 1
    assert s.counters["captures"] == 1 and s.counters["frames"] == len(fb)


def test_steady_good_page_captures_after_steady_frames():
    s, events = _scanner(page_frames("good"))
    try:
        done = s.capture(timeout=30).result(40)
    finally:
        s.close()
    assert done.ok
    assert _keys(events) == ["page_found", "page_found", "captured"]  # steady_frames = 3


@pytest.mark.parametrize("kind,key", [("blurred", "hold_still"), ("glare", "glare"), ("cut_off", "move_into_view"),
                                      ("dark", "too_dark"), ("far", "move_closer"), ("skewed", "straighten"),
                                      ("no_page", "no_page")])
def test_bad_pages_never_capture_and_say_what_to_do(kind, key):
    s, events = _scanner(page_frames(kind, n=4))
    try:
        done = s.capture(timeout=30).result(40)
    finally:
        s.close()
    assert done.code is ResultCode.DEVICE_NOT_READY  # the 4 frames ran out without a good page
    assert set(_keys(events)) == {key}


def test_moving_page_is_told_to_hold_still():
    t = SteadyTracker(steady_frames=2, steady_motion=0.006)
    good = lambda dx: PageResult(True, [(100 + dx, 100), (500 + dx, 100), (500 + dx, 700), (100 + dx, 700)], True,
                                 metrics={"blur": 500.0})
    shape = (1200, 1600, 3)
    assert t.update(good(0), shape).key == "page_found"
    assert t.update(good(40), shape).key == "hold_still"  # moved 40 px of a 2000 px diagonal
    step = t.update(good(41), shape)
    assert step.key == "captured" and step.captured is not None


def test_feedback_key_priorities():
    r = PageResult(True, [(0, 0)] * 4, False, ["too_small", "glare", "blur"])
    assert feedback_key(r) == "move_closer"
    assert feedback_key(PageResult(False, None, False)) == "no_page"
    assert feedback_key(PageResult(True, [(0, 0)] * 4, True), moving=True) == "hold_still"


def test_capture_can_be_canceled():
    s, events = _scanner(page_frames("far"))
    try:
        cmd = s.capture(timeout=30)
        while len(_keys(events)) < 2:
            threading.Event().wait(0.01)
        cmd.cancel()
        done = cmd.result(10)
    finally:
        s.close()
    assert done.code is ResultCode.CANCELED


def test_capture_times_out():
    s, _ = _scanner(page_frames("far"))
    try:
        done = s.capture(timeout=0.5).result(10)
    finally:
        s.close()
    assert done.code is ResultCode.TIMEOUT


def test_malformed_frames_are_skipped():
    bad = [np.zeros((4, 4, 3), np.uint8), np.zeros((100, 100), np.float32)]
    s, events = _scanner(itertools.chain(bad, page_frames("good")))
    try:
        done = s.capture(timeout=30).result(40)
    finally:
        s.close()
    assert done.ok and s.counters["bad_frames"] == 2


class _DeadCamera:
    """A camera whose grab fails (unplugged): a fault we cannot produce with the real backend here."""

    def start(self):
        pass

    def grab(self, timeout=2.0):
        from kiosk.devices.base import Command
        cmd = Command("grab")
        cmd.complete(Completion(ResultCode.HARDWARE_ERROR, "VIDIOC_DQBUF: No such device"))
        return cmd


def test_unplugged_camera_gives_a_clear_completion():
    s = create_device("scanner", "camera://document", camera=_DeadCamera())
    s.open()
    try:
        done = s.capture(timeout=10).result(15)
    finally:
        s.close()
    assert done.code is ResultCode.DEVICE_NOT_READY and "No such device" in done.detail


def test_no_camera_configured_is_no_device():
    s = create_device("scanner", "camera://document")
    s.open()
    assert s.status is DeviceStatus.NO_DEVICE
    assert s.capture().result(1).code is ResultCode.DEVICE_NOT_READY


def test_unknown_camera_url_is_no_device():
    from kiosk.devices.scanner.analyse import default_config
    cfg = default_config().model_copy(update={"camera_url": "nosuch://cam"})
    s = create_device("scanner", "camera://document", cfg=cfg)
    s.open()
    assert s.status is DeviceStatus.NO_DEVICE and "nosuch" in s.snapshot()["detail"]


def test_scan_code_reads_a_phone_screen_without_a_page():
    """A QR code on a phone (no sheet of paper) held up after some empty frames."""
    import cv2
    from hw_sim.documents import qr_image
    from kiosk.devices.scanner.payloads import parse_receipt_qr

    desk = next(page_frames("no_page", n=1))
    phone = desk.copy()
    cv2.rectangle(phone, (620, 300), (980, 900), (20, 20, 20), -1)  # the phone body
    qr = cv2.cvtColor(qr_image("KQ1:SIM0001-20261122-0042-P", box=9), cv2.COLOR_GRAY2BGR)
    phone[400:400 + qr.shape[0], 650:650 + qr.shape[1]] = qr
    s, events = _scanner(itertools.chain([desk, desk], itertools.repeat(phone)))
    try:
        done = s.scan_code(timeout=30).result(40)
    finally:
        s.close()
    assert done.ok
    assert parse_receipt_qr(done.data.codes[0].text).case.value == "SIM0001-20261122-0042-P"
    assert _keys(events) == ["no_code", "no_code", "captured"]
    assert [e.kind for e in events].count("code_read") == 1


def test_scan_code_reads_the_case_barcode_on_a_page():
    s, _ = _scanner(page_frames("good"))
    try:
        done = s.scan_code(timeout=30).result(40)
    finally:
        s.close()
    assert done.ok and "SIM0001-20261122-0042-P" in {c.text for c in done.data.codes}


def test_scan_code_times_out_on_an_empty_desk():
    s, events = _scanner(page_frames("no_page"))
    try:
        done = s.scan_code(timeout=1.0).result(10)
    finally:
        s.close()
    assert done.code is ResultCode.TIMEOUT and set(_keys(events)) == {"no_code"}


def test_closing_the_scanner_ends_a_running_capture():
    s, events = _scanner(page_frames("far"))
    cmd = s.capture(timeout=60)
    while len(_keys(events)) < 1:
        threading.Event().wait(0.01)
    s.close()
    done = cmd.result(5)
    assert done.code is ResultCode.CANCELED
    assert s.status is DeviceStatus.OFFLINE


def test_the_same_sheet_left_in_place_is_not_captured_twice():
    """After a capture, the sheet still lying there gives `next_page` feedback, never a second page;
    once the area is seen empty, a sheet (even the same one) is captured again; another sheet laid
    straight on top is captured at once."""
    from hw_sim.documents import render_page

    other = render_page(qr_text="SIM0001-20261122-0099-Q", barcode_text="SIM0001-20261122-0099-Q")
    same = list(page_frames("good", n=12))
    script = iter(same + list(page_frames("no_page", n=3)) + list(page_frames("good", n=8, seed=1))
                  + list(page_frames("good", n=8, seed=2, page_image=other)))
    s, events = _scanner(script)
    try:
        first = s.capture(timeout=30).result(40)
        events.clear()
        second = s.capture(timeout=30).result(40)
        keys_second = _keys(events)
        events.clear()
        third = s.capture(timeout=30).result(40)
    finally:
        s.close()
    assert first.ok and second.ok and third.ok
    assert "next_page" in keys_second and "no_page" in keys_second
    # the second capture waited for the empty area: it came from the frames after it
    assert keys_second.index("no_page") > keys_second.index("next_page")
    # the rest of the second sheet's frames say next_page; the other sheet is taken with no empty area between
    third_keys = _collapse(_keys(events))
    assert third_keys[0] == "next_page" and third_keys[-1] == "captured" and "no_page" not in third_keys
    assert {c.text for c in third.data.codes} >= {"SIM0001-20261122-0099-Q"}
    assert FEEDBACK_TEXT["next_page"][0] and FEEDBACK_TEXT["next_page"][1]


def test_one_frame_without_the_page_does_not_clear_it():
    """A hand turning the sheet (one frame with no page) is not an empty area: the same sheet seen
    again is still `next_page`; only after several empty frames in a row may it be taken again."""
    script = iter(list(page_frames("good", n=12)) + list(page_frames("no_page", n=1))
                  + list(page_frames("good", n=8, seed=1)) + list(page_frames("no_page", n=4))
                  + list(page_frames("good", n=8, seed=2)))
    s, events = _scanner(script)
    try:
        assert s.capture(timeout=30).result(40).ok
        events.clear()
        second = s.capture(timeout=30).result(40)
    finally:
        s.close()
    keys = _collapse(_keys(events))
    assert second.ok
    # the single empty frame is still next_page; "place the page" only once the area stayed empty
    assert keys[:2] == ["next_page", "no_page"] and keys.count("no_page") == 1, keys
    assert keys[-1] == "captured", keys
