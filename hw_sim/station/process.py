"""Start the simulators of a station config as their own process and wait until they are up.

    sims = SimProcess(config, root).start()       # config: a StationConfig, or a TOML path
    sims.urls                                     # role -> URL (give them to the station builder)
    sims.call("printer", "set_paper", state="out")
    sims.close()                                  # SIGTERM; ptys, links and sockets are released

`free_ports=True` (the default here: tests and benchmarks may run beside `make run`) lets the
system choose the TCP ports; `make run` uses the config's own ports.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hw_sim.control import ControlClient
from hw_sim.station.serve import urls_file

REPO = Path(__file__).resolve().parents[2]


class SimProcessError(RuntimeError):
    pass


class SimProcess:
    def __init__(self, config: Any, root: str | Path, *, free_ports: bool = True, render_receipts: bool = False,
                 timeout_s: float = 60.0) -> None:
        self.config = config
        self.root = Path(root).resolve()
        self.free_ports = free_ports
        self.render_receipts = render_receipts
        self.timeout_s = timeout_s
        self.proc: subprocess.Popen[str] | None = None
        self.urls: dict[str, str] = {}
        self.socket = ""
        self._client: ControlClient | None = None
        self._config_file: str | None = None

    def start(self) -> "SimProcess":
        if isinstance(self.config, (str, Path)):
            cfg_arg = str(self.config)
        else:
            fd, self._config_file = tempfile.mkstemp(prefix="sim-config-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.config.model_dump_json())
            cfg_arg = self._config_file
        done = urls_file(self.root)
        done.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "hw_sim.station.serve", "--config", cfg_arg, "--root", str(self.root),
               "--follow-parent"]
        cmd += ["--free-ports"] if self.free_ports else []
        cmd += ["--render-receipts"] if self.render_receipts else []
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        self.log_path = self.root / "var" / "sim" / "simulators.log"  # a pipe nobody reads would fill up
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w", encoding="utf-8") as log:  # this start's lines only
            # stdin stays open while we live: the simulators exit when it closes (our death, even by SIGKILL)
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_until_up(done)
        except BaseException:  # Ctrl-C while waiting too: never leave the simulators behind
            self.close()
            raise
        info = json.loads(done.read_text())
        self.urls, self.socket = info["urls"], info["socket"]
        self._client = ControlClient(self.socket, timeout=15.0)
        return self

    def _wait_until_up(self, done: Path) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.timeout_s
        while not done.exists():
            if self.proc.poll() is not None:
                err = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
                raise SimProcessError("the simulators did not start: " + (" | ".join(err) or f"exit {self.proc.returncode}")
                                      + (" (another simulated station on these ports? `kiosk run --free-ports`)"
                                         if "Address already in use" in " ".join(err) else ""))
            if time.monotonic() > deadline:
                raise SimProcessError(f"the simulators were not up within {self.timeout_s:.0f} s")
            time.sleep(0.05)

    def call(self, device: str, cmd: str, **args: Any) -> Any:
        if self._client is None:
            raise SimProcessError("the simulators are not running")
        return self._client.call(device, cmd, **args)

    def close(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        if proc is not None and proc.stdin is not None and not proc.stdin.closed:
            proc.stdin.close()
        self._client = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self._config_file:
            Path(self._config_file).unlink(missing_ok=True)
            self._config_file = None

    def __enter__(self) -> "SimProcess":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()
