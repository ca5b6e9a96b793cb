"""Start `python -m office.cli run` as a real subprocess (for CLI, multi-process and browser tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from hw_sim.broker import free_port
from tests.office.conftest import PASSWORDS
from tests.office.waits import wait_for

ROOT = Path(__file__).resolve().parents[2]


class OfficeProc:
    def __init__(self, workdir: Path, db_url: str, broker_url: str, user: str = "office-1", key: Path | None = None):
        self.port = free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        pw = workdir / f"{user}.pw"
        pw.write_text(PASSWORDS[user])
        self.log = workdir / f"{user}.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "office.cli", "run", "--db", db_url, "--broker", broker_url,
             "--http", f"127.0.0.1:{self.port}", "--mqtt-user", user, "--mqtt-password-file", str(pw),
             "--signing-key", str(key or workdir / "cmd.key"),
             # the offices of one database share its applicant key (beside the shared command key)
             "--applicant-key", str((key.parent if key else workdir) / "applicant-fp.key")],
            cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> OfficeProc:
        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"office exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                return False

        wait_for(up, timeout, "the office console to listen")
        return self

    def kill9(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode
