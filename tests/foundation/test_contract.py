"""Device contract: exactly one completion, timeouts, cancel, faults become completions; URL parsing."""

from __future__ import annotations

import threading
import time

import pytest

from kiosk.devices.base import Device, DeviceError, DeviceStatus, ResultCode
from kiosk.devices.idreader import IdentityRecord, mask_id_number
from kiosk.devices.registry import create_device, parse_url
from kiosk.devices.worker import OwnerThread


def test_command_completes_once_even_when_timed_out():
    owner = OwnerThread("t")
    release = threading.Event()

    def slow(cmd):
        release.wait(2)
        return "late"

    cmd = owner.submit("slow", slow, timeout=0.05)
    done = cmd.result(1)
    assert done.code is ResultCode.TIMEOUT
    release.set()
    time.sleep(0.05)
    assert cmd.result(0).code is ResultCode.TIMEOUT  # the late success did not replace it
    owner.stop()


def test_faults_become_completions_and_thread_survives():
    owner = OwnerThread("t")
    c1 = owner.submit("boom", lambda cmd: 1 / 0)
    assert c1.result(1).code is ResultCode.HARDWARE_ERROR and "ZeroDivisionError" in c1.result(1).detail

    def refuse(cmd):
        raise DeviceError(ResultCode.INVALID_DATA, "bad check digit")

    assert owner.submit("x", refuse).result(1).code is ResultCode.INVALID_DATA
    assert owner.submit("ok", lambda cmd: 42).result(1).data == 42
    assert owner.call(lambda: "direct") == "direct"
    owner.stop()


def test_cancel_cooperative():
    owner = OwnerThread("t")

    def loop(cmd):
        while not cmd.cancel_requested.wait(0.01):
            pass
        return None

    cmd = owner.submit("loop", loop)
    cmd.cancel()
    assert cmd.result(1).code is ResultCode.CANCELED
    owner.stop()


def test_status_changed_only_on_change():
    d = Device("printer")
    seen = []
    d.subscribe(seen.append)
    d.set_status(DeviceStatus.ONLINE, paper="ok")
    d.set_status(DeviceStatus.ONLINE, paper="ok")
    d.set_status(DeviceStatus.ONLINE, paper="low")
    assert [e.data["paper"] for e in seen] == ["ok", "low"]
    assert d.snapshot()["paper"] == "low"


def test_url_parsing_and_unknown_backend():
    u = parse_url("sam:///dev/ttyUSB0?baud=115200")
    assert (u.scheme, u.target, u.param("baud", cast=int)) == ("sam", "/dev/ttyUSB0", 115200)
    t = parse_url("tcp://127.0.0.1:9100")
    assert t.target == "127.0.0.1:9100"
    with pytest.raises(ValueError, match="not a valid int"):
        u2 = parse_url("sam:///dev/x?baud=fast")
        u2.param("baud", cast=int)
    with pytest.raises(ValueError, match="no scheme"):
        parse_url("/dev/ttyUSB0")
    with pytest.raises(ValueError, match="no printer backend for gopher://"):
        create_device("printer", "gopher://x")


def test_identity_record_never_shows_full_number():
    rec = IdentityRecord("cn_resident_id", "张三", "M", None, "11010119900307425X")
    assert rec.id_number_masked == "1101**********425X"
    for text in (repr(rec), str(rec), f"{rec}", "%s" % rec):
        assert "11010119900307425X" not in text
    assert mask_id_number("123") == "***"
    rec.wipe()
    assert rec.id_number == "" and rec.name == ""
