"""The bridge against the emulated boards over a real pty, one test per fault of the issue."""

from __future__ import annotations

import errno
import subprocess
import sys
import time

import pytest

from hw_sim.locker_board import LockerBoardSim
from locker_firmware_bridge import BadReply, BoardSettings, NoReply, SerialLink, Unreachable
from locker_firmware_bridge.errors import classify_errno
from locker_firmware_bridge.transport import min_gap

from tests.cabinet.conftest import make_bus


def test_open_status_and_scan(sim: LockerBoardSim, bus) -> None:
    assert bus.read_status(1).locks[5] is False
    r = bus.open_lock(1, 5)
    assert r.result == "opened" and sim.door_open(1, 5)
    assert bus.read_status(1).locks[5] is True
    assert bus.scan(range(1, 6), 0.3) == [1, 2]


def test_echoing_adapter_without_the_echo_setting_misreads_the_bus(sim: LockerBoardSim, bus) -> None:
    """Why `echo` exists: the copy of our own request looks like a reply."""
    sim.cmd_set_echo(True)
    assert bus.open_lock(1, 2).result == "not_opened"  # the echo, taken for the board's reply
    deadline = time.monotonic() + 5
    while not sim.door_open(1, 2) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sim.door_open(1, 2)  # yet the door did open
    sim.cmd_set_board_offline(2)
    assert bus.read_status(2).locks == {n: False for n in range(1, 9)}  # a dead board "answers"


def test_echo_setting_drops_our_own_bytes(sim: LockerBoardSim) -> None:
    sim.cmd_set_echo(True)
    bus = make_bus(sim.path, echo=True)
    try:
        r = bus.open_lock(1, 2)
        assert r.result == "opened" and sim.door_open(1, 2)
        assert bus.read_status(1).locks[2] is True and bus.read_status(2).attempts == 1
        assert bus.link.counters["echo_bytes"] == 15 and bus.link.counters["echo_missing"] == 0
        sim.cmd_set_board_offline(2)
        with pytest.raises(NoReply, match="board 2"):  # only our echo came back: no reply
            bus.read_status(2, retries=0)
        sim.cmd_set_slow(60)  # a reply that starts well after the echo is still waited for
        assert bus.read_status(1, retries=0).locks[2] is True
        sim.cmd_set_slow(0)
        assert bus.scan(range(1, 6), 0.3) == [1]
        sim.cmd_set_echo(False)  # the setting on a bus whose adapter does not echo: still works
        assert bus.read_status(1, retries=0).locks[2] is True
        assert bus.link.counters["echo_missing"] == 1
    finally:
        bus.close()


def test_echo_after_a_late_reply_to_the_previous_request(sim: LockerBoardSim) -> None:
    """A status reply that comes after its timeout lands in front of the next request's echo:
    it must be skipped as stale, and the echo still dropped (else the echoed open reads as
    "not opened", and every later exchange lags one frame behind)."""
    sim.cmd_set_echo(True)
    bus = make_bus(sim.path, echo=True, reply_timeout_s=0.3)
    try:
        sim.cmd_set_slow(450, only="status")
        with pytest.raises(NoReply):
            bus.read_status(1, retries=0)
        r = bus.open_lock(1, 3)  # the late status reply, then our echo, then the open reply
        assert r.result == "opened" and sim.door_open(1, 3)
        sim.cmd_set_slow(0)
        assert bus.read_status(1).locks[3] is True and bus.read_status(2).attempts == 1
    finally:
        bus.close()


def test_silent_gap_between_frames_is_at_least_3_5_chars(sim: LockerBoardSim, bus) -> None:
    for _ in range(5):
        bus.read_status(1)
        bus.read_status(2)
    assert len(sim.gaps) >= 9
    assert min(sim.gaps) >= min_gap(9600) * 0.95  # 3.65 ms at 9600 (5% for scheduling jitter)
    assert SerialLink("/dev/null", 9600, gap_s=0.001).gap_s == pytest.approx(min_gap(9600))  # never below
    assert SerialLink("/dev/null", 9600, gap_s=0.005).gap_s == 0.005


def test_junk_before_replies_is_skipped(sim: LockerBoardSim, bus) -> None:
    sim.cmd_set_junk("FA FD 99 99 80 8A", rate=1.0)  # junk that even holds header bytes
    assert bus.read_status(1).attempts == 1
    assert bus.open_lock(1, 2).result == "opened"
    assert bus.link.counters["junk_bytes"] == 12


def test_corrupt_checksums_status_retried_open_never(sim: LockerBoardSim, bus) -> None:
    sim.cmd_set_corrupt_rate(1.0)
    before = sim.requests
    with pytest.raises(BadReply, match="3 attempt"):
        bus.read_status(1)
    assert sim.requests - before == 3  # 1 + 2 bounded retries
    r = bus.open_lock(1, 4)
    assert r.result == "no_reply" and "garbled" in r.detail
    assert sim.releases(1, 4) == 1  # sent once, never repeated
    assert sim.door_open(1, 4)  # and indeed the door opened: no reply is not "not opened"


def test_some_corrupt_replies_are_absorbed_by_the_retries(sim: LockerBoardSim, bus) -> None:
    sim.cmd_set_corrupt_rate(0.3, seed=7)
    results = [bus.read_status(1) for _ in range(12)]
    assert all(r.locks for r in results)
    assert max(r.attempts for r in results) > 1
    assert bus.link.counters["bad_reply"] >= 1


def test_slow_replies(sim: LockerBoardSim, bus) -> None:
    sim.cmd_set_slow(25)
    assert bus.read_status(1).ms >= 25  # slower than usual but within the reply timeout
    sim.cmd_set_slow(300)
    t0 = time.perf_counter()
    with pytest.raises(NoReply):
        bus.read_status(1, retries=0)
    assert time.perf_counter() - t0 < 0.25  # bounded by the reply timeout, not by the board
    r = bus.open_lock(1, 6)
    assert r.result == "no_reply"
    deadline = time.monotonic() + 5  # the board works through its backlog
    while sim.releases(1, 6) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sim.releases(1, 6) == 1
    sim.cmd_set_slow(0)
    assert bus.read_status(1).locks[6] is True  # the late reply was drained, the state is fresh


def test_board_offline_does_not_stop_the_others(sim: LockerBoardSim, bus) -> None:
    sim.cmd_set_board_offline(2)
    with pytest.raises(NoReply, match="board 2") as info:
        bus.read_status(2)
    assert "DIP" in info.value.hint
    assert bus.read_status(1).attempts == 1
    assert bus.scan([1, 2], 0.3) == [1]


def test_unplug_gives_unreachable_then_reconnects_after_cooldown(sim: LockerBoardSim, bus) -> None:
    bus.read_status(1)
    sim.cmd_unplug()
    with pytest.raises(Unreachable) as info:
        bus.read_status(1)
    assert info.value.errno in (errno.EIO, errno.ENXIO, errno.ENOENT, errno.EBADF)
    assert bus.link.state == "unreachable" and "cable" in info.value.hint + "adapter"
    first = info.value
    with pytest.raises(Unreachable) as info:  # within the cooldown: no reopen attempt, the same error
        bus.read_status(1)
    assert info.value is first and bus.link.state == "unreachable"
    time.sleep(0.25)
    with pytest.raises(Unreachable) as info:  # after the cooldown, still unplugged: ENOENT
        bus.read_status(1)
    assert info.value.errno == errno.ENOENT and info.value.reason == "absent"
    assert bus.open_lock(1, 1).result == "unreachable"
    sim.cmd_replug()
    time.sleep(0.25)
    assert bus.read_status(1).locks[1] is False
    assert bus.link.state == "connected" and bus.link.counters["reconnects"] == 1


def test_absent_port_at_start_is_reported_not_raised() -> None:
    link = SerialLink("/dev/ttyUSB-not-here", 9600)
    assert link.open() is False
    assert link.state == "unreachable" and link.last_error is not None
    assert link.last_error.errno == errno.ENOENT and "plugged in" in link.last_error.hint
    link.close()


def test_a_path_that_is_not_a_serial_port(tmp_path) -> None:
    plain = tmp_path / "not-a-tty"
    plain.write_text("")
    link = SerialLink(str(plain), 9600)
    assert link.open() is False and link.last_error is not None
    assert link.last_error.errno == errno.ENOTTY and "not a serial port" in link.last_error.hint
    link.close()


def test_errno_classification() -> None:
    assert classify_errno(errno.ENOENT)[0] == "absent"
    assert classify_errno(errno.EIO)[0] == "gone"
    assert classify_errno(errno.ENXIO)[0] == "gone"
    assert classify_errno(errno.EACCES)[0] == "permission" and "dialout" in classify_errno(errno.EACCES)[1]
    assert classify_errno(errno.EBUSY)[0] == "busy"
    assert classify_errno(None)[0] == "error"


def test_one_owner_per_port_in_process_and_across_processes(sim: LockerBoardSim, bus) -> None:
    second = SerialLink(sim.path, 9600)
    assert second.open() is False and second.last_error is not None
    assert "owned" in str(second.last_error)
    second.close()
    out = subprocess.run(
        [sys.executable, "-m", "kiosk", "locker", "status", "--port", sim.path, "--protocol", "8a80",
         "--board", "1", "--json"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "busy" in out.stdout + out.stderr
    assert bus.read_status(1).locks  # the owner is unaffected


def test_jammed_lock_reports_not_opened(sim: LockerBoardSim, bus) -> None:
    sim.cmd_jam_lock(1, 7)
    r = bus.open_lock(1, 7)
    assert r.result == "not_opened" and not sim.door_open(1, 7)


def test_door_that_will_not_open(sim: LockerBoardSim, bus) -> None:
    sim.cmd_stick_door(1, 8)
    assert bus.open_lock(1, 8).result == "opened"  # the latch let go ...
    assert bus.read_status(1).locks[8] is False  # ... but the door stays shut (supervision: not_opened)


def test_broken_sensor_reading_open_does_not_block_the_unlock(sim: LockerBoardSim, bus) -> None:
    sim.cmd_break_sensor(1, 9, "open")
    was_open = bus.read_status(1).locks[9]
    assert was_open is True
    r = bus.open_lock(1, 9, was_open=was_open)
    assert r.result == "already_open" and sim.releases(1, 9) == 1  # the pulse was still sent


@pytest.mark.parametrize("order", ["last-byte-low", "first-byte-low"])
@pytest.mark.parametrize("open_bit", [1, 0])
def test_status_order_and_polarity(sim: LockerBoardSim, order: str, open_bit: int) -> None:
    sim.cmd_set_board_format(1, status_order=order, open_bit=open_bit)
    bus = make_bus(sim.path, boards=[BoardSettings(1, 24, order, open_bit)])
    try:
        bus.open_lock(1, 2)
        bus.open_lock(1, 11)
        locks = bus.read_status(1).locks
        assert [n for n, o in locks.items() if o] == [2, 11]
    finally:
        bus.close()


def test_wrong_status_order_setting_misreads_locks(sim: LockerBoardSim) -> None:
    sim.cmd_set_board_format(1, status_order="first-byte-low")
    bus = make_bus(sim.path, boards=[BoardSettings(1, 24)])  # configured with the other order
    try:
        bus.open_lock(1, 2)
        assert [n for n, o in bus.read_status(1).locks.items() if o] == [18]  # why it is a setting
    finally:
        bus.close()


def test_opening_feedback_locks(sim: LockerBoardSim) -> None:
    sim.cmd_set_board_format(2, feedback="opening")
    sim.cmd_jam_lock(2, 3)
    bus = make_bus(sim.path, boards=[BoardSettings(1, 24), BoardSettings(2, 8, feedback="opening")])
    try:
        assert bus.open_lock(2, 1).result == "opened"
        assert bus.open_lock(2, 3).result == "not_opened"
    finally:
        bus.close()


def test_kerong_over_the_wire(ksim: LockerBoardSim) -> None:
    bus = make_bus(ksim.path, "kerong-cu", [BoardSettings(0, 16), BoardSettings(3, 12)])
    try:
        assert bus.scan(range(0, 5), 0.3) == [0, 3]
        ksim.cmd_set_item(3, 12, True)
        st = bus.read_status(3)
        assert not any(st.locks.values()) and st.present is not None and st.present[12] is True
        assert bus.open_lock(3, 12).result == "opened"
        assert bus.read_status(3).locks[12] is True
        ksim.cmd_jam_lock(0, 16)
        assert bus.open_lock(0, 16).result == "not_opened"
        ksim.cmd_set_junk("FA FD 02 99")
        ksim.cmd_set_corrupt_rate(1.0)
        with pytest.raises(BadReply):
            bus.read_status(0)
        ksim.cmd_reset_faults()
        ksim.cmd_set_board_format(0, status_order="last-byte-low", open_bit=0)
        bus.boards[0] = BoardSettings(0, 16, "last-byte-low", 0)
        bus.open_lock(0, 9)
        assert [n for n, o in bus.read_status(0).locks.items() if o] == [9]
    finally:
        bus.close()
