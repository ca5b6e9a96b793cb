"""A private pcscd for the virtual passport: `pcscd -f -c <conf dir>` whose vpcd driver listens
on a free TCP port, so tests and benchmarks never depend on a system daemon's configuration.

pcscd's client socket (/run/pcscd/pcscd.comm) is fixed at build time, so two runs on one
machine take turns through a file lock. When a pcscd we did not start is already running
(a developer machine with socket activation), that one is used, with the vpcd port from
/etc/reader.conf.d/vpcd.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
SYSTEM_VPCD_CONF = Path("/etc/reader.conf.d/vpcd")
LOCK_PATH = Path(tempfile.gettempdir()) / "kiosk-pcscd.lock"
INSTALL_HINT = "PC/SC needs pcscd and vpcd: apt-get install pcscd vsmartcard-vpcd"


class PcscdUnavailable(Exception):
    """pcscd/vpcd missing or not starting; the message says what to do."""


@dataclass(frozen=True)
class PcscEnv:
    vpcd_port: int
    reader: str  # the first virtual reader as pyscard lists it
    own_daemon: bool


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pcscd_running() -> bool:
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "pcscd":
                    return True
            except OSError:
                pass
    return False


def _port_listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_reader(timeout: float = 10.0) -> str | None:
    from smartcard import scard

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hr == scard.SCARD_S_SUCCESS:
            hr, readers = scard.SCardListReaders(ctx, [])
            scard.SCardReleaseContext(ctx)
            if hr == scard.SCARD_S_SUCCESS:
                virtual = sorted(r for r in readers if r.startswith("Virtual PCD"))
                if virtual:
                    return virtual[0]
        time.sleep(0.1)
    return None


class PrivatePcscd:
    """Context manager: `with PrivatePcscd(workdir) as env: ...` (env: PcscEnv)."""

    def __init__(self, workdir: str | Path, lock_wait: float = 120.0) -> None:
        self.workdir = Path(workdir)
        self.lock_wait = lock_wait
        self._lock = None
        self._proc: subprocess.Popen | None = None
        self.log_path = self.workdir / "pcscd.log"

    def __enter__(self) -> PcscEnv:
        pcscd = shutil.which("pcscd") or ("/usr/sbin/pcscd" if Path("/usr/sbin/pcscd").exists() else None)
        if pcscd is None or not VPCD_DRIVER.exists():
            raise PcscdUnavailable(INSTALL_HINT)
        self._take_lock()
        try:
            return self._start(pcscd)
        except BaseException:
            self.__exit__()
            raise

    def _take_lock(self) -> None:
        self._lock = open(LOCK_PATH, "w")
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise PcscdUnavailable(f"another run held the private pcscd for more than {self.lock_wait:g} s") from None
                time.sleep(0.2)

    def _start(self, pcscd: str) -> PcscEnv:
        if _pcscd_running():
            text = SYSTEM_VPCD_CONF.read_text() if SYSTEM_VPCD_CONF.exists() else ""
            m = re.search(r"DEVICENAME\s+\S*:(0x[0-9A-Fa-f]+|\d+)", text)
            port = int(m.group(1), 0) if m else 35963
            reader = wait_reader(5)
            if reader is None:
                raise PcscdUnavailable("a pcscd is running but lists no vpcd reader (is vsmartcard-vpcd configured?)")
            return PcscEnv(port, reader, own_daemon=False)
        conf = self.workdir / "reader.conf.d"
        conf.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        (conf / "vpcd").write_text(
            f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x{port:X}\n'
            f"LIBPATH      {VPCD_DRIVER}\nCHANNELID    0x{port:X}\n")
        log = open(self.log_path, "w")
        self._proc = subprocess.Popen([pcscd, "-f", "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        for _ in range(100):
            if _port_listening(port) or self._proc.poll() is not None:
                break
            time.sleep(0.05)
        if self._proc.poll() is not None:
            raise PcscdUnavailable(f"pcscd exited at start (code {self._proc.returncode}); see {self.log_path}")
        reader = wait_reader(10)
        if reader is None:
            raise PcscdUnavailable(f"pcscd started but lists no vpcd reader; see {self.log_path}")
        return PcscEnv(port, reader, own_daemon=True)

    def __exit__(self, *_exc: object) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None
