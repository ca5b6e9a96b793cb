"""A local mosquitto for development, tests and benchmarks: render `config/mosquitto/` into a work
directory (config, hashed password file, ACL, optional TLS) and run `mosquitto -c` on 127.0.0.1.

    broker = LocalBroker(tmp_path, users={"backoffice": "pw", "sh-001": "pw1"}, max_queued_messages=50)
    broker.start(); broker.url   # "mqtt://127.0.0.1:PORT"
    broker.kill9(); broker.terminate(); broker.pause(); broker.resume(); broker.restart()

The same port is kept across restarts so clients reconnect to it. Faults (kill -9, SIGTERM,
SIGSTOP) are real signals to the real broker process.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = ROOT / "config" / "mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(template: str, values: dict[str, object]) -> str:
    out = template
    for k, v in values.items():
        out = out.replace("{{" + k + "}}", str(v))
    if "{{" in out.split("\n", 3)[-1]:
        raise ValueError(f"unfilled placeholder in mosquitto template: {out[out.index('{{'):][:40]}")
    return out


def write_password_file(path: Path, users: dict[str, str]) -> None:
    """Plain `user:password` lines hashed in place by `mosquitto_passwd -U` (one call for all users)."""
    path.write_text("".join(f"{u}:{p}\n" for u, p in users.items()), encoding="utf-8")
    os.chmod(path, 0o600)
    exe = shutil.which("mosquitto_passwd")
    if exe is None:
        raise RuntimeError("mosquitto_passwd not found (Debian package mosquitto)")
    subprocess.run([exe, "-U", str(path)], check=True, capture_output=True, timeout=300)


class LocalBroker:
    def __init__(self, workdir: str | Path, users: dict[str, str], *, port: int | None = None,
                 max_queued_messages: int = 1000, autosave_interval: int = 1800, bind: str = "127.0.0.1",
                 tls: dict[str, str] | None = None) -> None:
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.users = dict(users)
        self.port = port or free_port()
        self.bind = bind
        self.tls = tls
        self.proc: subprocess.Popen[bytes] | None = None
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            raise RuntimeError("mosquitto not found (Debian package mosquitto)")
        self.exe = exe
        tls_text = ""
        if tls:
            tls_text = render((TEMPLATE_DIR / "tls.conf.fragment").read_text(), {
                "ca_file": tls["ca_file"], "cert_file": tls["cert_file"], "key_file": tls["key_file"],
                "require_certificate": "true" if tls.get("require_certificate") else "false"})
        self.conf = self.dir / "mosquitto.conf"
        write_password_file(self.dir / "passwd", self.users)
        shutil.copy(TEMPLATE_DIR / "acl", self.dir / "acl")
        self.conf.write_text(render((TEMPLATE_DIR / "mosquitto.conf.template").read_text(), {
            "password_file": self.dir / "passwd", "acl_file": self.dir / "acl", "port": self.port, "bind": bind,
            "tls": tls_text, "data_dir": self.dir, "autosave_interval": autosave_interval,
            "max_queued_messages": max_queued_messages, "run_user": getpass.getuser()}))

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self.proc = subprocess.Popen([self.exe, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, cwd=self.dir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                log = (self.dir / "mosquitto.log").read_text(errors="replace")[-2000:] \
                    if (self.dir / "mosquitto.log").exists() else ""
                raise RuntimeError(f"mosquitto exited with {self.proc.returncode}: {err}{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not listen on port {self.port} within {timeout} s")

    def _signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def kill9(self) -> None:
        self._signal(signal.SIGKILL)
        self._reap()

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)
        self._reap()

    def pause(self) -> None:
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def restart(self) -> None:
        self.terminate()
        self.start()

    def _reap(self) -> None:
        if self.proc is not None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.resume()
            self.terminate()
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def log_text(self) -> str:
        p = self.dir / "mosquitto.log"
        return p.read_text(errors="replace") if p.exists() else ""
