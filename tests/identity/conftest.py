"""Fixtures for identity tests, importable by other test folders
(`from tests.identity.conftest import pcsc_env, sam_sim, passport  # noqa: F401`).

`pcsc_env` (session): a private pcscd (`pcscd -f -c <tmp conf dir>`) whose vpcd driver listens
on a free TCP port, so the virtual passport connects there. pcscd's client socket is fixed
(/run/pcscd/pcscd.comm), so concurrent test runs take turns through a file lock; if a pcscd
not started by us is already running (a developer machine with socket activation), that one
is used with the vpcd port from /etc/reader.conf.d/vpcd. Without pcscd or vpcd the PC/SC tests
are skipped with the command that installs them.
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

import pytest

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
SYSTEM_VPCD_CONF = Path("/etc/reader.conf.d/vpcd")
LOCK_PATH = Path(tempfile.gettempdir()) / "kiosk-pcscd.lock"
INSTALL_HINT = "PC/SC tests need pcscd and vpcd: apt-get install pcscd vsmartcard-vpcd"


@dataclass(frozen=True)
class PcscEnv:
    vpcd_port: int
    reader: str  # the first virtual reader, as pyscard lists it
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


def _wait_reader(timeout: float = 10.0) -> str | None:
    from smartcard import scard

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hr == scard.SCARD_S_SUCCESS:
            hr, readers = scard.SCardListReaders(ctx, [])
            scard.SCardReleaseContext(ctx)
            if hr == scard.SCARD_S_SUCCESS:
                virtual = [r for r in readers if r.startswith("Virtual PCD")]
                if virtual:
                    return sorted(virtual)[0]
        time.sleep(0.1)
    return None


@pytest.fixture(scope="session")
def pcsc_env(tmp_path_factory: pytest.TempPathFactory):
    pcscd = shutil.which("pcscd") or ("/usr/sbin/pcscd" if Path("/usr/sbin/pcscd").exists() else None)
    if pcscd is None or not VPCD_DRIVER.exists():
        pytest.skip(INSTALL_HINT)
    lock = open(LOCK_PATH, "w")
    deadline = time.monotonic() + 120
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                pytest.skip("another test run holds the private pcscd for more than 120 s")
            time.sleep(0.2)
    proc = None
    try:
        if _pcscd_running():
            text = SYSTEM_VPCD_CONF.read_text() if SYSTEM_VPCD_CONF.exists() else ""
            m = re.search(r"DEVICENAME\s+\S*:(0x[0-9A-Fa-f]+|\d+)", text)
            port = int(m.group(1), 0) if m else 35963
            reader = _wait_reader(5)
            if reader is None:
                pytest.skip("a pcscd is running but lists no vpcd reader (is vsmartcard-vpcd configured?)")
            yield PcscEnv(port, reader, own_daemon=False)
            return
        conf = tmp_path_factory.mktemp("pcscd-conf")
        port = _free_port()
        (conf / "vpcd").write_text(
            f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x{port:X}\n'
            f"LIBPATH      {VPCD_DRIVER}\nCHANNELID    0x{port:X}\n")
        log = open(conf.parent / "pcscd.log", "w")
        proc = subprocess.Popen([pcscd, "-f", "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        for _ in range(100):
            if _port_listening(port) or proc.poll() is not None:
                break
            time.sleep(0.05)
        if proc.poll() is not None:
            pytest.skip(f"pcscd exited at start (code {proc.returncode}); see {log.name}")
        reader = _wait_reader(10)
        if reader is None:
            pytest.skip(f"pcscd started but lists no vpcd reader; see {log.name}")
        yield PcscEnv(port, reader, own_daemon=True)
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


@pytest.fixture
def passport(pcsc_env: PcscEnv):
    """A VirtualPassport on the private vpcd port (nothing inserted yet)."""
    from hw_sim.emrtd_card import VirtualPassport

    card = VirtualPassport(port=pcsc_env.vpcd_port)
    yield card
    card.close()


@pytest.fixture
def sam_sim():
    """A SAM module simulator on a fresh pty (nothing inserted yet)."""
    from hw_sim.sam_module import SamModuleSim

    sim = SamModuleSim()
    sim.start()
    yield sim
    sim.close()
