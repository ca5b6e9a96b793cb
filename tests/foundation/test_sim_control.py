"""The simulator control API answers the same calls in-process and over its Unix socket."""

from __future__ import annotations

import json
import socket

import pytest

from hw_sim.control import ControlClient, ControlError, ControlHub, SimDevice


class Lamp(SimDevice):
    sim_name = "lamp"

    def __init__(self):
        self.on = False

    def cmd_switch(self, on: bool) -> dict:
        """Turn the lamp on or off."""
        self.on = on
        return {"on": self.on}


@pytest.fixture
def hub(tmp_path):
    h = ControlHub()
    h.add(Lamp())
    path = h.serve(tmp_path / "c.sock")
    yield h, path
    h.close()


def test_direct_and_socket_calls_agree(hub):
    h, path = hub
    assert h.call("lamp", "switch", on=True) == {"on": True}
    assert ControlClient(path).call("lamp", "switch", on=False) == {"on": False}
    assert h.get("lamp").on is False
    assert ControlClient(path).call("hub", "describe") == {"lamp": {"switch": "Turn the lamp on or off."}}


def test_bad_requests_get_clear_errors(hub):
    h, path = hub
    c = ControlClient(path)
    with pytest.raises(ControlError, match="unknown command 'explode'"):
        c.call("lamp", "explode")
    with pytest.raises(ControlError, match="no simulated device 'toaster'"):
        c.call("toaster", "switch", on=True)
    with pytest.raises(ControlError, match="unexpected keyword|got an unexpected"):
        c.call("lamp", "switch", on=True, colour="red")
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.sendall(b"not json\n[1,2]\n")
        f = s.makefile("rb")
        assert json.loads(f.readline())["ok"] is False
        assert "JSON object" in json.loads(f.readline())["error"]


def test_client_without_server_says_so(tmp_path):
    with pytest.raises(ControlError, match="control socket"):
        ControlClient(tmp_path / "none.sock", timeout=0.5).call("lamp", "switch", on=True)


def test_standalone_simulator_cleans_up_on_sigterm(tmp_path, python):
    """A plain `kill` of a simulator process releases its control socket (no stale files)."""
    import os
    import signal
    import subprocess
    import time

    sock = tmp_path / "ctl.sock"
    proc = subprocess.Popen([python, "-m", "hw_sim.sam_module", "--control", str(sock)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sock.exists(), proc.stderr.read() if proc.poll() is not None else "no control socket"
        assert ControlClient(sock).call("hub", "describe")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert not os.path.exists(sock)
    finally:
        if proc.poll() is None:
            proc.kill()
