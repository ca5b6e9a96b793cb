"""The bus probe (`locker_firmware_bridge.probe`) against emulated boards on a real pty, driven
through the simulator control API: every protocol of the registry, baud fallback, boards at the
lowest and highest address, two boards at one address, nothing answering, a missing port, and
polarity detection with either status order and either polarity."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hw_sim.control import ControlHub
from hw_sim.locker_board import LockerBoardSim
from locker_firmware_bridge.probe import (
    BoardFound,
    BoardPolarity,
    BusConflict,
    PortMissing,
    ProbeError,
    detect_polarity,
    scan_bus,
)
from locker_firmware_bridge.protocols import protocols

FAST = 0.03  # reply timeout for the scans here: the emulator answers within wire time


class Bench:
    def __init__(self, protocol: str, boards: str, baud: int | None = None) -> None:
        self.sim = LockerBoardSim(protocol, boards, baud=baud)
        self.hub = ControlHub()
        self.hub.add(self.sim)
        self.port = self.sim.start()

    def ctl(self, cmd: str, **args: object) -> object:
        return self.hub.call("cabinet", cmd, **args)


@pytest.fixture
def bench_of() -> Iterator:
    made: list[Bench] = []

    def make(protocol: str, boards: str, baud: int | None = None) -> Bench:
        b = Bench(protocol, boards, baud)
        made.append(b)
        return b

    yield make
    for b in made:
        b.sim.close()


def _edges(spec) -> str:  # noqa: ANN001
    """A board at the protocol's lowest and one at its highest address."""
    return f"{spec.min_address}:{spec.default_locks},{spec.max_address}:{min(8, spec.max_locks)}"


@pytest.mark.parametrize("spec", protocols(), ids=lambda p: p.name)
def test_scan_finds_boards_at_the_lowest_and_highest_address(bench_of, spec) -> None:  # noqa: ANN001
    baud = spec.bauds[-1]  # not the default: the probe must get there
    b = bench_of(spec.name, _edges(spec), baud)
    found = scan_bus(b.port, protocols=[spec.name], addresses=[spec.min_address, spec.min_address + 1, spec.max_address],
                     reply_timeout_s=FAST)
    assert [(f.board, f.protocol, f.baud) for f in found] == [(spec.min_address, spec.name, baud),
                                                              (spec.max_address, spec.name, baud)]
    assert all(f.round_trip_ms > 0 for f in found)
    assert found[0].locks >= spec.default_locks and found[1].locks >= min(8, spec.max_locks)


def test_scan_tries_every_protocol_and_stops_at_the_first_that_answers(bench_of) -> None:  # noqa: ANN001
    b = bench_of("modbus-rtu", "1:16,247:8", 19200)
    t0 = time.perf_counter()
    found = scan_bus(b.port, addresses=[1, 2, 247], reply_timeout_s=FAST)
    assert found == [BoardFound(1, "modbus-rtu", 19200, 16, found[0].round_trip_ms),
                     BoardFound(247, "modbus-rtu", 19200, 8, found[1].round_trip_ms)]  # exact lock counts
    # stopped at 19200: 38400 and 115200 were never tried (the emulator counts bytes at other rates)
    before = b.sim.wrong_baud_bytes
    assert scan_bus(b.port, protocols=["modbus-rtu"], bauds=[19200, 38400], addresses=[1],
                    reply_timeout_s=FAST)[0].baud == 19200
    assert b.sim.wrong_baud_bytes == before
    assert time.perf_counter() - t0 < 10


def test_scan_of_8a80_stops_before_trying_other_protocols(bench_of) -> None:  # noqa: ANN001
    b = bench_of("8a80", "1:24,2:8")
    found = scan_bus(b.port, addresses=range(1, 5), reply_timeout_s=FAST)
    assert [(f.board, f.protocol, f.baud) for f in found] == [(1, "8a80", 9600), (2, "8a80", 9600)]
    assert b.sim.wrong_baud_bytes == 0  # kerong-cu at 19200 (next in line) was never sent


def test_two_boards_at_one_address_is_a_bus_conflict(bench_of) -> None:  # noqa: ANN001
    b = bench_of("8a80", "1:24,2:8")
    b.ctl("set_twin", board=2)
    with pytest.raises(BusConflict, match=r"address 2 .*DIP") as info:
        scan_bus(b.port, protocols=["8a80"], addresses=range(1, 4), reply_timeout_s=FAST)
    assert info.value.addresses == [2] and [f.board for f in info.value.found] == [1]
    b.ctl("set_board_offline", board=1)  # only the two twins answer: still a conflict, not "nothing"
    with pytest.raises(BusConflict, match="address 2"):
        scan_bus(b.port, protocols=["8a80", "kerong-cu"], addresses=range(1, 4), reply_timeout_s=FAST)
    b.ctl("set_twin", board=2, on=False)
    assert [f.board for f in scan_bus(b.port, protocols=["8a80"], addresses=[2], reply_timeout_s=FAST)] == [2]


def test_nothing_answering_is_an_empty_list(bench_of) -> None:  # noqa: ANN001
    b = bench_of("kerong-cu", "0:16")
    b.ctl("set_board_offline", board=0)
    assert scan_bus(b.port, addresses=range(0, 3), reply_timeout_s=FAST) == []


def test_missing_or_unusable_port(tmp_path: Path) -> None:
    with pytest.raises(PortMissing, match="no such serial port.*plugged in"):
        scan_bus(str(tmp_path / "ttyUSB9"))
    not_a_tty = tmp_path / "file"
    not_a_tty.write_text("")
    with pytest.raises(PortMissing, match="cannot be opened.*not a serial port"):
        scan_bus(str(not_a_tty), protocols=["8a80"], addresses=[1])
    with pytest.raises(PortMissing):
        detect_polarity(str(tmp_path / "ttyUSB9"), BoardFound(1, "8a80", 9600, 24, 1.0))


def test_bad_arguments_say_what_to_check(bench_of) -> None:  # noqa: ANN001
    b = bench_of("8a80", "1:8")
    with pytest.raises(ProbeError, match="allowed: 8a80, kerong-cu, modbus-rtu"):
        scan_bus(b.port, protocols=["8a81"])
    with pytest.raises(ProbeError, match="locks 1-24"):
        detect_polarity(b.port, BoardFound(1, "8a80", 9600, 24, 1.0), lock=25)
    b.ctl("set_board_offline", board=1)
    with pytest.raises(ProbeError, match="did not answer"):
        detect_polarity(b.port, BoardFound(1, "8a80", 9600, 24, 1.0))


CASES = [  # protocol, boards, board, lock, status order, open bit -> expected BoardPolarity fields
    ("8a80", "1:24", 1, 1, "last-byte-low", 1, ("last-byte-low", 1, True)),
    ("8a80", "1:24", 1, 1, "first-byte-low", 1, ("first-byte-low", 1, True)),
    ("8a80", "1:24", 1, 17, "last-byte-low", 1, ("last-byte-low", 1, True)),
    ("8a80", "1:24", 1, 10, "first-byte-low", 1, (None, 1, True)),  # the middle of 3 bytes: either order
    ("kerong-cu", "0:16", 0, 9, "last-byte-low", 1, ("last-byte-low", 1, True)),
    ("kerong-cu", "0:16", 0, 1, "first-byte-low", 1, ("first-byte-low", 1, True)),
    ("modbus-rtu", "5:16", 5, 12, None, 1, ("first-byte-low", 1, True)),
    ("modbus-rtu", "5:8", 5, 3, None, 1, (None, 1, True)),  # one status byte: the order cannot be told
]


@pytest.mark.parametrize("protocol,boards,board,lock,order,bit,want", CASES,
                         ids=[f"{c[0]}-{c[4]}-lock{c[3]}-{i}" for i, c in enumerate(CASES)])
def test_polarity_detection(bench_of, protocol, boards, board, lock, order, bit, want) -> None:  # noqa: ANN001
    b = bench_of(protocol, boards)
    if order:
        b.ctl("set_board_format", board=board, status_order=order, open_bit=bit)
    (found,) = scan_bus(b.port, protocols=[protocol], addresses=[board], reply_timeout_s=FAST)
    result = detect_polarity(b.port, found, lock=lock)
    assert (result.status_order, result.open_bit, result.ok) == want, result.warnings
    assert b.sim.releases(board, lock) == 1 and b.sim.door_open(board, lock)  # ONE pulse, that lock


@pytest.mark.parametrize("protocol,boards,board", [("8a80", "1:24", 1), ("kerong-cu", "0:16", 0),
                                                   ("modbus-rtu", "1:16", 1)])
def test_a_board_on_which_every_lock_reads_open_is_a_warning_not_a_success(bench_of, protocol, boards,
                                                                          board) -> None:  # noqa: ANN001
    # the field Kerong implementation reads hook bit 1 as locked: all doors shut read "open" to us
    b = bench_of(protocol, boards)
    b.ctl("set_board_format", board=board, open_bit=0)
    (found,) = scan_bus(b.port, protocols=[protocol], addresses=[board], reply_timeout_s=FAST)
    result = detect_polarity(b.port, found)
    assert isinstance(result, BoardPolarity) and result.ok is False
    assert result.open_bit == 0  # what the pulse showed, for the technician to confirm
    assert any("every lock reads open before any command" in w and "open_bit = 0" in w for w in result.warnings)


def test_a_lock_that_does_not_move_is_not_a_success(bench_of) -> None:  # noqa: ANN001
    b = bench_of("8a80", "1:24")
    b.ctl("stick_door", board=1, lock=1)
    result = detect_polarity(b.port, BoardFound(1, "8a80", 9600, 24, 1.0), settle_s=0.1)
    assert result.ok is False and "no status bit changed" in result.warnings[0]


def test_a_door_moved_by_hand_during_the_test_is_not_a_success(bench_of) -> None:  # noqa: ANN001
    b = bench_of("8a80", "1:24")
    b.ctl("set_twin", board=1, on=False)
    b.sim.cmd_set_auto_close(None)
    # a second door opens by hand at the same moment: two bits change
    orig = b.sim.boards[1].release

    def release_and_push(lock: int) -> bool:
        b.sim.boards[1].door(5).open = True
        return orig(lock)

    b.sim.boards[1].release = release_and_push  # type: ignore[method-assign]
    result = detect_polarity(b.port, BoardFound(1, "8a80", 9600, 24, 1.0))
    assert result.ok is False and "2 status bits changed" in result.warnings[0]
