"""The sam:// backend against the SAM module simulator over a real pty at 115200 baud:
reads, card presence events, every injected fault, absent ports, photo decoders."""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from datetime import date

import cv2
import numpy as np
import pytest

from hw_sim.identities import get_identity
from kiosk.devices.base import DeviceStatus, ResultCode
from kiosk.devices.idreader.sam import SamIdReader
from kiosk.devices.registry import create_device


@pytest.fixture
def reader_for(sam_sim):
    readers = []

    def make(**kwargs) -> SamIdReader:
        kwargs.setdefault("wlt_decoder", "sim")
        kwargs.setdefault("poll_interval", 0.05)
        kwargs.setdefault("reply_timeout", 0.5)
        reader = create_device("idreader", f"sam://{sam_sim.path}?baud=115200", **kwargs)
        readers.append(reader)
        reader.open()
        return reader

    yield make
    for r in readers:
        r.close()


def wait_for(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("key", ["obama", "longest_fields", "x_check_digit", "tibetan_long_term", "jino",
                                 "other_nation", "foreign_origin", "expired", "bad_check_digit"])
def test_reads_sample_identities(sam_sim, reader_for, key):
    reader = reader_for()
    assert reader.status is DeviceStatus.ONLINE
    sam_sim.cmd_insert(identity=key)
    completion = reader.read(timeout=3).result(5)
    assert completion.ok, completion.detail
    record, ident = completion.data, get_identity(key)
    assert record.name == ident.name_zh and record.address == ident.address
    assert record.id_number_valid == (key != "bad_check_digit")
    assert record.expired(date(2026, 11, 1)) == (key == "expired")
    assert record.long_term == (ident.valid_to is None)
    image = cv2.imdecode(np.frombuffer(record.photo, np.uint8), cv2.IMREAD_UNCHANGED)
    assert record.photo_format == "jpeg" and image.shape[:2] == (126, 102)


def test_card_presence_events(sam_sim, reader_for):
    reader = reader_for()
    events = []
    reader.subscribe(lambda e: events.append(e.kind))
    assert reader.class_status["card"] == "absent"
    sam_sim.cmd_insert(identity="biden")
    assert wait_for(lambda: reader.class_status["card"] == "present")
    assert reader.read(timeout=2).result(4).ok
    time.sleep(0.3)  # after a read the module answers "find" with 80: still present via select
    assert reader.class_status["card"] == "present"
    sam_sim.cmd_remove()
    assert wait_for(lambda: reader.class_status["card"] == "absent")
    assert events.count("card_inserted") == 1 and events.count("card_removed") == 1


def test_no_card_times_out(sam_sim, reader_for):
    reader = reader_for()
    completion = reader.read(timeout=0.6).result(3)
    assert completion.code is ResultCode.TIMEOUT


def test_no_card_fault_hides_an_inserted_card(sam_sim, reader_for):
    reader = reader_for()
    sam_sim.cmd_insert(identity="obama")
    sam_sim.cmd_fault(kind="no_card")
    assert reader.read(timeout=0.5).result(3).code is ResultCode.TIMEOUT
    sam_sim.cmd_clear_faults()
    assert reader.read(timeout=2).result(4).ok


def test_card_arriving_during_the_read(sam_sim, reader_for):
    reader = reader_for()
    cmd = reader.read(timeout=3)
    time.sleep(0.3)
    sam_sim.cmd_insert(identity="rose_leslie")
    completion = cmd.result(5)
    assert completion.ok and completion.data.sex == "F"


@pytest.mark.parametrize("kind", ["checksum", "truncate", "noise", "bad_len"])
def test_transport_faults_are_retried(sam_sim, reader_for, kind):
    reader = reader_for(retries=2)
    sam_sim.cmd_insert(identity="obama")
    sam_sim.cmd_fault(kind=kind, count=2)
    completion = reader.read(timeout=3).result(6)
    assert completion.ok, completion.detail
    assert kind not in sam_sim.faults  # the faults really went over the wire
    if kind != "noise":  # noise before a preamble is skipped without a retry
        assert sum(v for k, v in reader.counters.items() if k.startswith("frame_")) >= 2


def test_persistent_checksum_errors_end_in_hardware_error(sam_sim, reader_for):
    reader = reader_for(retries=1)
    sam_sim.cmd_insert(identity="obama")
    time.sleep(0.2)
    sam_sim.cmd_fault(kind="checksum", count=1000)
    completion = reader.read(timeout=3).result(6)
    assert completion.code is ResultCode.HARDWARE_ERROR
    assert "checksum" in completion.detail


def test_slow_module_within_the_timeout_still_reads(sam_sim, reader_for):
    reader = reader_for(reply_timeout=0.5, read_timeout=1.0)
    sam_sim.cmd_insert(identity="obama")
    sam_sim.cmd_fault(kind="slow", seconds=0.15)
    t0 = time.monotonic()
    assert reader.read(timeout=4).result(6).ok
    assert time.monotonic() - t0 >= 0.45  # three commands, each 0.15 s late


def test_module_too_slow_or_silent_is_a_hardware_error(sam_sim, reader_for):
    reader = reader_for(reply_timeout=0.2, read_timeout=0.3)
    sam_sim.cmd_insert(identity="obama")
    sam_sim.cmd_fault(kind="silent")
    completion = reader.read(timeout=3).result(6)
    assert completion.code is ResultCode.HARDWARE_ERROR and "did not answer" in completion.detail
    assert wait_for(lambda: reader.status is DeviceStatus.HARDWARE_ERROR)  # the poller keeps missing
    sam_sim.cmd_clear_faults()
    assert reader.read(timeout=3).result(6).ok
    assert reader.status is DeviceStatus.ONLINE


@pytest.mark.parametrize("sw3, code", [(0x31, ResultCode.FRAUD_ATTEMPT), (0x41, ResultCode.USER_ERROR),
                                       (0x40, ResultCode.INVALID_DATA), (0x60, ResultCode.HARDWARE_ERROR)])
def test_module_status_codes_become_completions(sam_sim, reader_for, sw3, code):
    reader = reader_for()
    sam_sim.cmd_insert(identity="obama")
    sam_sim.cmd_fault(kind="status", sw3=sw3, count=1)
    completion = reader.read(timeout=2).result(4)
    assert completion.code is code and completion.detail


def test_absent_port_is_no_device_not_an_exception():
    reader = SamIdReader("/dev/does-not-exist", poll_interval=0.05)
    reader.open()
    try:
        assert reader.status is DeviceStatus.NO_DEVICE
        assert "does-not-exist" in reader.snapshot()["detail"]
        assert reader.read(timeout=0.3).result(3).code is ResultCode.DEVICE_NOT_READY
    finally:
        reader.close()


def test_port_vanishing_and_coming_back(tmp_path):
    from hw_sim.sam_module import SamModuleSim

    link = str(tmp_path / "ttyID")
    sim = SamModuleSim(link=link, identity="obama")
    sim.start()
    reader = SamIdReader(link, wlt_decoder="sim", poll_interval=0.05, reply_timeout=0.3)
    reader.open()
    try:
        assert reader.read(timeout=2).result(4).ok
        sim.close()  # the cable is pulled
        completion = reader.read(timeout=1).result(4)
        assert completion.code in (ResultCode.DEVICE_NOT_READY, ResultCode.HARDWARE_ERROR)
        assert wait_for(lambda: reader.status in (DeviceStatus.NO_DEVICE, DeviceStatus.HARDWARE_ERROR))
        sim = SamModuleSim(link=link, identity="biden")  # plugged back in
        sim.start()
        assert wait_for(lambda: reader.status is DeviceStatus.ONLINE, 5)
        completion = reader.read(timeout=3).result(5)
        assert completion.ok and completion.data.name == get_identity("biden").name_zh
    finally:
        reader.close()
        sim.close()


def test_without_a_decoder_the_photo_is_unavailable_with_a_reason(sam_sim, reader_for):
    reader = reader_for(wlt_decoder=None)
    assert "photo" not in reader.capabilities
    sam_sim.cmd_insert(identity="obama")
    record = reader.read(timeout=2).result(4).data
    assert record.photo is None and "no WLT photo decoder configured" in record.photo_unavailable_reason
    fields = record.public_fields(date(2026, 1, 1))
    assert fields["photo"]["available"] is False and fields["photo"]["reason"]


def test_missing_vendor_library_is_a_reason_not_a_crash(sam_sim, reader_for):
    reader = reader_for(wlt_decoder="/nonexistent/libwlt.so")
    assert reader.status is DeviceStatus.ONLINE
    sam_sim.cmd_insert(identity="obama")
    record = reader.read(timeout=2).result(4).data
    assert "does not exist" in record.photo_unavailable_reason


FAKE_VENDOR_C = r"""
/* Stand-in for a reader vendor's WLT library (we cannot ship the licensed one): same ABI,
   decodes only the simulator's blocks into a 102x126 24-bit BMP filled with a grey level. */
#include <string.h>
int unpack(const char *src, char *dst, int flags) {
    (void)flags;
    if (memcmp(src, "HWSIM-PHOTO", 11) != 0) return -1;
    const int w = 102, h = 126, row = 308, size = 54 + row * h;
    memset(dst, 0, size);
    dst[0] = 'B'; dst[1] = 'M';
    memcpy(dst + 2, &size, 4);
    int off = 54, hdr = 40, planes = 1, bpp = 24;
    memcpy(dst + 10, &off, 4); memcpy(dst + 14, &hdr, 4); memcpy(dst + 18, &w, 4);
    memcpy(dst + 22, &h, 4); memcpy(dst + 26, &planes, 2); memcpy(dst + 28, &bpp, 2);
    for (int y = 0; y < h; y++) memset(dst + 54 + y * row, (unsigned char)src[20], w * 3);
    return 1;
}
"""


@pytest.fixture(scope="module")
def fake_vendor_lib(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build the stand-in vendor library")
    d = tmp_path_factory.mktemp("wlt")
    (d / "wlt.c").write_text(FAKE_VENDOR_C)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(d / "libwlt.so"), str(d / "wlt.c")], check=True)
    return str(d / "libwlt.so")


def test_vendor_library_through_ctypes(sam_sim, reader_for, fake_vendor_lib):
    reader = reader_for(wlt_decoder=fake_vendor_lib)
    sam_sim.cmd_insert(identity="kit_harington")
    record = reader.read(timeout=2).result(4).data
    assert record.photo_format == "bmp" and record.extra["photo_decoder"] == "libwlt.so"
    image = cv2.imdecode(np.frombuffer(record.photo, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (126, 102, 3)


def test_full_number_never_logged(sam_sim, reader_for, caplog):
    caplog.set_level(logging.DEBUG)
    reader = reader_for()
    ident = get_identity("longest_fields")
    sam_sim.cmd_insert(identity=ident.key)
    sam_sim.cmd_fault(kind="checksum", count=1)
    record = reader.read(timeout=2).result(4).data
    assert record.id_number == ident.id_number
    assert caplog.records, "the read should log something"
    assert ident.id_number not in caplog.text
    assert ident.id_number not in repr(record) and ident.id_number not in str(reader.snapshot())


def test_emulator_answers_hostile_requests_like_a_module(sam_sim):
    """Raw frames from the host side of the pty: bad checksum -> 10, bad LEN -> 11, unknown -> 21."""
    import serial

    from kiosk.devices.idreader import sam_frames as sf

    port = serial.Serial(sam_sim.path, 115200, timeout=0.05)
    try:
        good = sf.build_request(sf.SAM_STATUS)
        for request, sw3 in ((good[:-1] + bytes([good[-1] ^ 1]), 0x10),
                             (sf.PREAMBLE + b"\x00\x01\x00", 0x11),
                             (sf.build_request((0x77, 0x01)), 0x21),
                             (b"line noise" + good, 0x90)):
            port.write(request)
            assert sf.read_reply(port.read, 1.0).sw3 == sw3
    finally:
        port.close()


def test_a_waiting_read_can_be_canceled(sam_sim, reader_for):
    reader = reader_for()
    cmd = reader.read(timeout=10)
    time.sleep(0.2)
    cmd.cancel()
    assert cmd.result(3).code is ResultCode.CANCELED
    sam_sim.cmd_insert(identity="obama")
    assert reader.read(timeout=2).result(4).ok  # the owner thread is free again


def test_read_before_open_and_after_close_completes_not_ready(sam_sim):
    """A command ends in a completion, never an exception; a second open() leaks no threads."""
    import threading

    from kiosk.devices.idreader import MrzKey
    from kiosk.devices.idreader.pcsc import PcscIdReader

    for reader in (SamIdReader(sam_sim.path, wlt_decoder="sim"), PcscIdReader("any")):
        mrz = MrzKey("E10000013", "610804", "310520")
        assert reader.read(mrz, timeout=1).result(0.5).code is ResultCode.DEVICE_NOT_READY
    reader = SamIdReader(sam_sim.path, wlt_decoder="sim", poll_interval=0.05)
    before = threading.active_count()
    reader.open()
    opened = threading.active_count()
    reader.open()
    assert threading.active_count() == opened > before
    sam_sim.cmd_insert(identity="obama")
    assert reader.read(timeout=2).result(4).ok
    reader.close()
    assert reader.read(timeout=1).result(0.5).code is ResultCode.DEVICE_NOT_READY
    assert wait_for(lambda: threading.active_count() <= before)


def test_one_missed_reply_does_not_mark_the_module_broken(sam_sim, reader_for):
    """A blip (busy host, slow module) fails that command but leaves the reader usable; only
    `no_reply_limit` misses in a row mean the module is broken."""
    reader = reader_for(reply_timeout=0.2, read_timeout=0.3, poll_interval=30.0, no_reply_limit=3)
    sam_sim.cmd_insert(identity="obama")
    sam_sim.cmd_fault(kind="silent")
    for missed in (1, 2):
        completion = reader.read(timeout=3).result(6)
        assert completion.code is ResultCode.HARDWARE_ERROR
        assert reader.status is DeviceStatus.ONLINE, f"broken after {missed} missed reply(ies)"
    assert reader.read(timeout=3).result(6).code is ResultCode.HARDWARE_ERROR
    assert reader.status is DeviceStatus.HARDWARE_ERROR
    sam_sim.cmd_clear_faults()
    assert reader.read(timeout=3).result(6).ok and reader.status is DeviceStatus.ONLINE
