"""Interactive `kiosk setup`: answers typed on stdin (a pipe) and on a real pseudo-terminal, against
emulated boards; the state machine driven directly, as a touch screen would."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from hw_sim.locker_board import LockerBoardSim
from kiosk.config import load_config
from kiosk.flows.texts import render
from kiosk.provisioning.cabinet_probe import BusProbe
from kiosk.provisioning.discovery import Roots
from kiosk.provisioning.machine import SetupDefaults, SetupMachine
from tests.setup.conftest import REPLY_TIMEOUT_MS, ROOT, setup_cmd, written


def test_quitting_or_end_of_input_writes_nothing(station: Path) -> None:
    rc, _, out, err = setup_cmd(station, "--lang", "en", stdin="\nst-0001\nq\n")
    assert rc == 1 and "Quit; nothing was written." in out and "nothing was written" in err
    rc, _, out, _ = setup_cmd(station, stdin="\n")  # input ends at the station id
    assert rc == 1 and "已退出，没有写入任何文件。" in out
    assert written(station) == []


def test_bad_answers_are_refused_with_the_reason_and_asked_again(station: Path) -> None:
    rc, _, out, _ = setup_cmd(station, "--lang", "en",
                              stdin=f"\nNOT OK\nst-0001\n{station}/missing/s.toml\nq\n")
    assert rc == 1
    assert "The station id cannot be used: --station-id 'NOT OK': station id: 3-40 characters" in out
    assert "The config cannot be written there" in out and "missing does not exist" in out
    assert out.count("Station id [default") == 0 and out.count("Station id:") == 2  # asked again


def machine(sim: LockerBoardSim, station: Path) -> SetupMachine:
    return SetupMachine(BusProbe(reply_timeout_s=REPLY_TIMEOUT_MS / 1000), SetupDefaults(
        out=str(station / "etc/station.toml"), cabinet_port=sim.path, protocol="8a80", baud=9600,
        root=station, roots=Roots(dev=station / "dev", sys=station / "sys", lpstat=None, pcsc_readers=lambda: [])))


def test_machine_door_by_door_as_a_screen_drives_it(station: Path) -> None:
    sim = LockerBoardSim("8a80", "1:8", baud=9600)
    sim.start()
    try:
        m = machine(sim, station)
        steps = []

        def say(text: str) -> None:
            steps.append(m.state)
            m.answer(text)
            p = m.prompt()
            assert p.error is None, (m.state, render(p.error, "en"), p.detail)

        for answer in ("", "hall-3-east", "", "sam:///dev/ttyUSB0?baud=115200", "v4l2:///dev/video0",
                       "v4l2:///dev/video2", "tcp://127.0.0.1:9100", "", "", ""):
            say(answer)
        assert m.state == "locks"
        say("3")  # only three locks wired
        assert m.state == "map_mode" and [c.value for c in m.prompt().choices] == ["doors", "bus"]
        say("1")  # door by door: lock 1 is released now
        assert sim.releases(1, 1) == 2  # once by the polarity test, once to show the door
        say("c07")
        say("L")
        say("-")  # lock 2: no compartment behind it
        assert sim.releases(1, 3) == 1 and m.prompt().default == "A03"
        say("")
        say("s")
        assert m.state == "confirm"
        say("y")
        assert m.state == "done" and m.result is not None
        cfg = load_config(station / "etc/station.toml")
        assert [(c.id, c.lock, c.size) for c in cfg.cabinet.compartments] == [("A03", 3, "S"), ("C07", 1, "L")]
        assert cfg.cabinet.boards[0].locks == 3
        assert steps[:3] == ["welcome", "station_id", "out"] and "door" in steps and "size" in steps
    finally:
        sim.close()


def test_machine_refuses_a_used_label_and_a_bad_size(station: Path) -> None:
    sim = LockerBoardSim("8a80", "1:8", baud=9600)
    sim.start()
    try:
        m = machine(sim, station)
        for a in ("", "hall-3-east", "", "sam:///dev/ttyUSB0", "v4l2:///dev/video0", "v4l2:///dev/video2",
                  "tcp://127.0.0.1:9100", "", "", "", "2", "doors", "A01", "M"):
            m.answer(a)
        m.answer("A01")
        assert render(m.prompt().error, "en") == "Compartment A01 is already used" and m.state == "door"
        m.answer("a02")
        m.answer("XL")
        assert m.state == "size" and "is not a size" in render(m.prompt().error, "en")
        m.answer("q")
        assert m.state == "aborted" and written(station) == []
    finally:
        sim.close()


def test_piped_answers_bus_order(sim: LockerBoardSim, station: Path) -> None:
    answers = ["", "hall-3-east", str(station / "etc/station.toml"), "sam:///dev/ttyUSB0?baud=115200",
               "v4l2:///dev/video0", "v4l2:///dev/video2", "tcp://127.0.0.1:9100", sim.path,
               "",  # scan
               "", "",  # polarity of boards 1 and 2
               "24", "8",  # locks
               "2",  # bus order
               "y"]
    rc, _, out, err = setup_cmd(station, "--lang", "en", "--protocol", "8a80", "--baud", "9600",
                                stdin="\n".join(answers) + "\n", devices=False)
    assert rc == 0, out + err
    assert "Board 1: 8a80 at 9600 baud" in out and "Board 2: 8a80 at 9600 baud" in out
    assert "Done. Config:" in out
    assert len(load_config(station / "etc/station.toml").cabinet.compartments) == 32


def _read_until(fd: int, text: str, deadline: float) -> str:
    buf = b""
    while text.encode() not in buf:
        left = deadline - time.monotonic()
        assert left > 0, f"no {text!r} on the terminal; got: {buf.decode(errors='replace')[-500:]}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                buf += os.read(fd, 4096)
            except OSError:
                break
    return buf.decode(errors="replace")


def test_on_a_real_terminal(sim: LockerBoardSim, station: Path) -> None:
    """The technician's terminal: a pseudo-terminal; each answer is typed after its question shows."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "setup", "--lang", "en", "--root", str(station),
                             "--dev", str(station / "dev"), "--sys", str(station / "sys"),
                             "--cabinet-port", sim.path, "--protocol", "8a80", "--baud", "9600",
                             "--reply-timeout-ms", str(REPLY_TIMEOUT_MS), "--station-id", "hall-3-east", "--out", str(station / "etc/station.toml"),
                             "--id-reader", "sam:///dev/ttyUSB0", "--camera", "v4l2:///dev/video0",
                             "--scanner", "v4l2:///dev/video2", "--printer", "tcp://127.0.0.1:9100"],
                            cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    deadline = time.monotonic() + 120
    try:
        dialogue = [("Press Enter to start", ""), ("Station id [default: hall-3-east]", ""),
                    ("Config file path", ""), ("device URL [default: sam://", ""),
                    ("device URL [default: v4l2:///dev/video0]", ""), ("device URL [default: v4l2:///dev/video2]", ""),
                    ("device URL [default: tcp://", ""), ("port path [default:", ""), ("Press Enter to scan", ""),
                    ("Shut every door of board 1", ""), ("Shut every door of board 2", ""),
                    ("locks are wired to board 1", "24"), ("locks are wired to board 2", "8"),
                    ("Choose how to map", "bus"), ("Write the config?", "y")]
        for question, answer in dialogue:
            _read_until(master, question, deadline)
            os.write(master, answer.encode() + b"\r")
        tail = _read_until(master, "Done. Config:", deadline)
        assert "commissioning" in tail
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert len(load_config(station / "etc/station.toml").cabinet.compartments) == 32


def test_machine_asks_a_person_when_all_closed_reads_like_all_open(station: Path) -> None:
    sim = LockerBoardSim("8a80", "1:24", baud=9600)
    sim.cmd_set_board_format(1, open_bit=0)  # this firmware reads 0 as open: shut doors read "all open"
    sim.start()
    try:
        m = machine(sim, station)
        for a in ("", "hall-3-east", "", "sam:///dev/ttyUSB0", "v4l2:///dev/video0", "v4l2:///dev/video2",
                  "tcp://127.0.0.1:9100", "", "", ""):
            m.answer(a)
        assert m.state == "polarity_confirm" and [c.value for c in m.prompt().choices] == ["y", "n"]
        assert "every lock reads open" in render(m.prompt().info[0], "en")
        m.answer("n")  # "some are open": close them and test again
        assert m.state == "polarity"
        sim.cmd_close_all()
        m.answer("")
        assert m.state == "polarity_confirm"
        m.answer("y")
        assert m.state == "locks" and m.boards[0].open_bit == 0
        assert any(c.check == "bus.polarity" and "technician confirmed" in c.detail for c in m.checks)
    finally:
        sim.close()
