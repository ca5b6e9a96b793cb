"""Bus supervision and the cabinet device against the emulated boards: door events, unknown
after failed polls, pacing, unplug at start, one dead board never stopping the others."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from hw_sim.locker_board import LockerBoardSim
from kiosk.devices.base import DeviceEvent, DeviceStatus, ResultCode
from kiosk.devices.cabinet.boards import BoardsCabinet, open_cabinet

from tests.cabinet.conftest import small_cabinet_config


class Recorder:
    def __init__(self) -> None:
        self.events: list[DeviceEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: DeviceEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, kind: str, timeout: float = 3.0, **match: object) -> DeviceEvent:
        pred: Callable[[DeviceEvent], bool] = lambda e: e.kind == kind and all(
            e.data.get(k) == v for k, v in match.items())
        with self._cond:
            ok = self._cond.wait_for(lambda: any(pred(e) for e in self.events), timeout)
            assert ok, f"no {kind} {match} within {timeout}s; got {[(e.kind, e.data) for e in self.events]}"
            return next(e for e in self.events if pred(e))

    def kinds(self, board: int | None = None, lock: int | None = None) -> list[str]:
        return [e.kind for e in self.events if (board is None or e.data.get("board") == board)
                and (lock is None or e.data.get("lock") == lock)]


@pytest.fixture
def boards_sim() -> Iterator[LockerBoardSim]:
    s = LockerBoardSim("8a80", "1:8,2:8", baud=9600)
    s.start()
    yield s
    s.close()


@pytest.fixture
def cabinet(boards_sim: LockerBoardSim) -> Iterator[tuple[BoardsCabinet, Recorder]]:
    cfg = small_cabinet_config()
    cab = open_cabinet(cfg.url.replace("{sim}", boards_sim.path), config=cfg)
    rec = Recorder()
    cab.subscribe(rec)
    cab.open()
    assert cab.refresh().result(3).ok
    yield cab, rec
    cab.close()


def test_release_then_close_gives_opened_and_closed(boards_sim: LockerBoardSim, cabinet) -> None:
    cab, rec = cabinet
    assert cab.status is DeviceStatus.ONLINE and cab.class_status["bus"] == "ok"
    done = cab.release(1, 3).result(3)
    assert done.ok and done.data == "opened"
    rec.wait_for("door_opened", board=1, lock=3)
    assert cab.door_state(1, 3) == "open"
    boards_sim.cmd_close_door(1, 3)
    rec.wait_for("door_closed", board=1, lock=3)
    assert "uncommanded_open" not in rec.kinds()


def test_left_open_after_the_configured_time(cabinet) -> None:
    cab, rec = cabinet
    cab.release(1, 4).result(3)
    t0 = time.monotonic()
    rec.wait_for("door_left_open", board=1, lock=4)
    assert time.monotonic() - t0 >= 0.4  # left_open_after_s = 0.5 from the door being seen open
    assert rec.kinds(1, 4).count("door_left_open") == 1


def test_forced_door_is_an_uncommanded_open(boards_sim: LockerBoardSim, cabinet) -> None:
    cab, rec = cabinet
    boards_sim.cmd_open_door_by_hand(2, 5)
    rec.wait_for("uncommanded_open", board=2, lock=5)
    assert "door_opened" not in rec.kinds(2, 5)


def test_jammed_lock_not_opened_at_once_and_stuck_door_after_timeout(boards_sim: LockerBoardSim, cabinet) -> None:
    cab, rec = cabinet
    boards_sim.cmd_jam_lock(1, 5)
    done = cab.release(1, 5).result(3)
    assert done.code is ResultCode.HARDWARE_ERROR and done.data == "not_opened"
    rec.wait_for("not_opened", board=1, lock=5, timeout=0.5)
    boards_sim.cmd_stick_door(1, 6)
    done = cab.release(1, 6).result(3)
    assert done.ok  # the board says the latch let go
    t0 = time.monotonic()
    ev = rec.wait_for("not_opened", board=1, lock=6)
    assert time.monotonic() - t0 >= 0.4 and "jam or absent user" in ev.data["detail"]


def test_dead_board_goes_unknown_and_others_keep_working(boards_sim: LockerBoardSim, cabinet) -> None:
    cab, rec = cabinet
    boards_sim.cmd_set_board_offline(2)
    rec.wait_for("board_unreachable", board=2)
    rec.wait_for("door_unknown", board=2, lock=8)
    assert cab.door_state(2, 1) == "unknown"
    assert cab.status is DeviceStatus.HARDWARE_ERROR and cab.class_status["bus"] == "degraded"
    boards_sim.cmd_open_door_by_hand(1, 1)  # board 1 is still supervised
    rec.wait_for("uncommanded_open", board=1, lock=1)
    assert cab.release(1, 2).result(3).data == "opened"
    boards_sim.cmd_open_door_by_hand(2, 2)  # forced during the outage ...
    boards_sim.cmd_set_board_offline(2, False)
    rec.wait_for("board_reachable", board=2)
    rec.wait_for("uncommanded_open", board=2, lock=2)  # ... still alarms when the board is back
    assert cab.status is DeviceStatus.ONLINE


def test_many_opens_are_paced(boards_sim: LockerBoardSim) -> None:
    cfg = small_cabinet_config(open_pacing_s=0.15)
    cab = open_cabinet(cfg.url.replace("{sim}", boards_sim.path), config=cfg)
    cab.open()
    try:
        results = [c.result(5) for c in cab.release_many([(1, 1), (1, 2), (2, 1)])]
        assert [r.data for r in results] == ["opened"] * 3
        times = sorted(boards_sim.boards[1].doors[1].released_at + boards_sim.boards[1].doors[2].released_at
                       + boards_sim.boards[2].doors[1].released_at)
        assert all(b - a >= 0.14 for a, b in zip(times, times[1:]))
    finally:
        cab.close()


def test_unplugged_adapter_at_start_then_plugged_in(boards_sim: LockerBoardSim) -> None:
    boards_sim.cmd_unplug()
    cfg = small_cabinet_config()
    cab = open_cabinet(cfg.url.replace("{sim}", boards_sim.path), config=cfg)
    rec = Recorder()
    cab.subscribe(rec)
    cab.open()  # must not raise
    try:
        assert cab.status is DeviceStatus.NO_DEVICE and "absent" in cab.snapshot()["detail"]
        rec.wait_for("board_unreachable", board=1)
        done = cab.release(1, 1).result(3)
        assert done.code is ResultCode.DEVICE_NOT_READY and done.data == "unreachable"
        assert boards_sim.releases(1, 1) == 0
        boards_sim.cmd_replug()
        rec.wait_for("board_reachable", board=1)
        rec.wait_for("board_reachable", board=2)
        assert cab.status is DeviceStatus.ONLINE
        assert cab.release(1, 1).result(3).data == "opened"
    finally:
        cab.close()


def test_unplug_while_running(boards_sim: LockerBoardSim, cabinet) -> None:
    cab, rec = cabinet
    boards_sim.cmd_unplug()
    rec.wait_for("board_unreachable", board=1)
    assert cab.status is DeviceStatus.NO_DEVICE and cab.class_status["bus"] == "unreachable"
    boards_sim.cmd_replug()
    rec.wait_for("board_reachable", board=1)
    assert cab.release(1, 7).result(3).data == "opened"


def test_commands_before_open_complete_at_once(boards_sim: LockerBoardSim) -> None:
    cfg = small_cabinet_config()
    cab = open_cabinet(cfg.url.replace("{sim}", boards_sim.path), config=cfg)
    done = cab.release(1, 1).result(0.5)
    assert done.code is ResultCode.DEVICE_NOT_READY and boards_sim.releases(1, 1) == 0
    assert cab.refresh().result(0.5).code is ResultCode.DEVICE_NOT_READY


def test_bad_urls_are_clear_errors() -> None:
    cfg = small_cabinet_config()
    with pytest.raises(ValueError, match="unknown lock-board protocol"):
        open_cabinet("serial:///dev/ttyUSB1?protocol=modbus", config=cfg)
    with pytest.raises(ValueError, match="baud"):
        open_cabinet("serial:///dev/ttyUSB1?protocol=8a80&baud=fast", config=cfg)


def test_a_release_pending_on_an_open_door_expires_so_a_later_forced_open_still_alarms(
        boards_sim: LockerBoardSim, cabinet) -> None:
    cab, rec = cabinet
    boards_sim.cmd_open_door_by_hand(1, 3)
    rec.wait_for("uncommanded_open", board=1, lock=3)
    boards_sim.cmd_set_slow(300, only="open")
    assert cab.release(1, 3).result(3).data == "no_reply"  # pulse sent, reply lost, door open throughout
    boards_sim.cmd_set_slow(0)
    door = cab.supervisor._doors[(1, 3)]
    deadline = time.monotonic() + 5  # not_opened_after_s = 0.5: the pending release expires
    while door.expected_until is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert door.expected_until is None
    boards_sim.cmd_close_door(1, 3)
    rec.wait_for("door_closed", board=1, lock=3)
    boards_sim.cmd_open_door_by_hand(1, 3)
    deadline = time.monotonic() + 3
    while rec.kinds(1, 3).count("uncommanded_open") < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rec.kinds(1, 3).count("uncommanded_open") == 2 and "door_opened" not in rec.kinds(1, 3)


def test_every_output_is_switched_off_at_start_before_the_first_poll(boards_sim: LockerBoardSim) -> None:
    """Reference §4: at start-up the host turns every output off (an output left on by a crashed
    host would keep a solenoid powered and its door unlatched)."""
    boards_sim.cmd_hold_output(1, 2)
    boards_sim.cmd_hold_output(2, 8)
    boards_sim.cmd_set_board_offline(2, False)
    cfg = small_cabinet_config()
    cab = open_cabinet(cfg.url.replace("{sim}", boards_sim.path), config=cfg)
    try:
        cab.open()
        assert cab.refresh().result(5).ok  # queued behind the outputs-off job
        held = [b["held"] for b in boards_sim.cmd_status()["boards"]]
        assert held == [[], []]
        assert cab.status is DeviceStatus.ONLINE
    finally:
        cab.close()


def test_outputs_off_tolerates_a_dead_board_and_kerong_has_none(boards_sim: LockerBoardSim, ksim) -> None:
    from locker_firmware_bridge import BoardSettings, LockerBus

    boards_sim.cmd_set_board_offline(2)
    boards_sim.cmd_hold_output(1, 5)
    bus = LockerBus.create(boards_sim.path, "8a80", [BoardSettings(1, 8), BoardSettings(2, 8)])
    bus.link.open()
    try:
        t0 = time.perf_counter()
        assert bus.outputs_off(2) == 8  # sent, unacknowledged: no error
        wait_s = time.perf_counter() - t0
        assert bus.link.counters["no_reply"] == 1  # one wait for an acknowledgement, not eight
        print(f"outputs off, dead 8-lock board: {wait_s * 1000:.0f} ms")
        assert bus.outputs_off(1) == 8 and boards_sim.cmd_status()["boards"][0]["held"] == []
        assert boards_sim.requests == 16  # every frame reached the bus (the dead board ignored its 8)
    finally:
        bus.close()
    kbus = LockerBus.create(ksim.path, "kerong-cu", [BoardSettings(0, 16)])
    kbus.link.open()
    try:
        before = ksim.requests
        assert kbus.outputs_off(0) == 0 and ksim.requests == before
    finally:
        kbus.close()


def test_cabinet_opened_again_after_close_works(boards_sim: LockerBoardSim) -> None:
    cfg = small_cabinet_config()
    cab = open_cabinet(cfg.url.replace("{sim}", boards_sim.path), config=cfg)
    try:
        cab.open()
        assert cab.refresh().result(3).ok
        cab.close()
        assert cab.release(1, 2).result(1).code is ResultCode.DEVICE_NOT_READY
        cab.open()
        assert cab.refresh().result(3).ok and cab.status is DeviceStatus.ONLINE
        assert cab.release(1, 2).result(3).data == "opened" and boards_sim.door_open(1, 2)
    finally:
        cab.close()
