"""This process's PC/SC service for virtual passports: ONE private pcscd per process, whose vpcd
readers are leased to whoever plugs a virtual card in (the tests' `passport`, each simulated
station's `passport_reader`).

    service = process_pcsc()          # started on first use; PcscdUnavailable says what to install
    slot = service.lease()            # VpcdSlot(reader="Virtual PCD 1a2b 00 00", port=40100)
    VirtualPassport(port=slot.port)   # the card side, in any process: a TCP client of vpcd
    service.release(slot)

Why one per process: libpcsclite reads `PCSCLITE_CSOCK_NAME` once, at a process's first PC/SC
call, and keeps that daemon for the process's life, while pcscd 1.9 always listens on
/run/pcscd/pcscd.comm. So pcscd runs in a mount namespace of its own (`unshare --mount`, or
`--user --map-root-user --mount` without root) with a private directory bound over /run/pcscd:
its socket is `<dir>/pcscd.comm` from outside, this process's `PCSCLITE_CSOCK_NAME` names it
before anything here talks PC/SC, and it never meets the machine's pcscd or another run's. Where
no namespace can be made, the machine-wide private pcscd (hw_sim/emrtd/pcscd.py, file-locked)
stands in. The readers' names carry the process id: a process whose PC/SC client was already
bound to another daemon does not see them, and is told so instead of reading someone else's card.
The daemon runs as `kiosk-sim-pcscd` (a link to pcscd) so that nothing mistakes it for the
machine's pcscd; it stops with this process (its shell watches a pipe we hold) or at `close()`.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from hw_sim.emrtd.pcscd import INSTALL_HINT, VPCD_DRIVER, PcscdUnavailable, PrivatePcscd

log = logging.getLogger(__name__)

SOCKET_ENV = "PCSCLITE_CSOCK_NAME"
# vpcd's driver keeps one context per slot number, shared by every reader.conf entry: a second
# entry would silently disable the first. One entry gives two readers (ports P and P+1).
ENTRIES = 1
# inside the namespace: our directory over /run/pcscd, then pcscd until the pipe from our parent closes
_SCRIPT = ('mkdir -p /run/pcscd && mount --bind "$1" /run/pcscd || exit 3\n'
           '"$2" -f -c "$3" & p=$!\n'
           'cat >/dev/null\n'
           'kill "$p" 2>/dev/null; wait "$p"\n')


@dataclass(frozen=True)
class VpcdSlot:
    """One virtual reader: its PC/SC name, and the TCP port where vpcd waits for its card."""
    reader: str
    port: int
    host: str = "127.0.0.1"


def find_pcscd(pcscd: str | None = None) -> str:
    """The pcscd binary to run (`pcscd` = the one on PATH or in /usr/sbin); PcscdUnavailable names what is missing."""
    if pcscd and os.sep in pcscd:
        path: str | None = pcscd if os.access(pcscd, os.X_OK) else None
    else:
        name = pcscd or "pcscd"
        path = shutil.which(name) or (f"/usr/sbin/{name}" if os.access(f"/usr/sbin/{name}", os.X_OK) else None)
    if path is None:
        raise PcscdUnavailable(f"no pcscd at {pcscd or 'pcscd (PATH, /usr/sbin)'}: {INSTALL_HINT}")
    if not VPCD_DRIVER.exists():
        raise PcscdUnavailable(f"no vpcd driver at {VPCD_DRIVER}: {INSTALL_HINT}")
    return path


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port
    raise PcscdUnavailable("no two consecutive free TCP ports for vpcd")


def _unshare_prefix() -> list[str] | None:
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    base = [unshare, "--mount", "--propagation", "private"]
    return base if os.geteuid() == 0 else [unshare, "--user", "--map-root-user", "--mount", "--propagation", "private"]


class PcscService:
    """A private pcscd with ENTRIES vpcd entries, its readers leased one at a time."""

    def __init__(self, workdir: str | Path, pcscd: str | None = None, entries: int = ENTRIES) -> None:
        self.workdir = Path(workdir)
        self.pcscd = pcscd
        self.entries = entries
        self.socket_path: str | None = None  # None: the machine-wide default socket (fallback)
        self.log_path = self.workdir / "pcscd.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._fallback: PrivatePcscd | None = None
        self._free: list[VpcdSlot] = []
        self._leased: set[VpcdSlot] = set()
        self._lock = threading.Lock()

    # -- start / stop -------------------------------------------------------------------------
    def start(self) -> "PcscService":
        binary = find_pcscd(self.pcscd)
        prefix = _unshare_prefix()
        if prefix is None or not self._start_isolated(prefix, binary):
            self._start_fallback()
        return self

    def _start_isolated(self, prefix: list[str], binary: str) -> bool:
        run_dir, conf = self.workdir / "run", self.workdir / "reader.conf.d"
        run_dir.mkdir(parents=True, exist_ok=True)
        conf.mkdir(parents=True, exist_ok=True)
        name = f"Virtual PCD {os.getpid():x}"
        ports = [_free_port_pair() for _ in range(self.entries)]
        (conf / "vpcd").write_text("".join(
            f'FRIENDLYNAME "{name}-{i}"\nDEVICENAME   /dev/null:0x{p:X}\nLIBPATH      {VPCD_DRIVER}\nCHANNELID    0x{p:X}\n\n'
            for i, p in enumerate(ports)))
        link = self.workdir / "kiosk-sim-pcscd"  # the process name others see (not "pcscd")
        link.unlink(missing_ok=True)
        link.symlink_to(binary)
        with open(self.log_path, "wb") as out:
            self._proc = subprocess.Popen([*prefix, "sh", "-c", _SCRIPT, "sh", str(run_dir), str(link), str(conf)],
                                          stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True)
        sock = run_dir / "pcscd.comm"
        want = 2 * len(ports)
        # never probe vpcd's ports: it listens with a backlog of 0, so a probe would stand in the
        # card's place in the queue; pcscd lists a reader only once its vpcd port is open
        deadline = time.monotonic() + 10
        while not sock.exists():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                why = self.log_path.read_text(errors="replace").strip().splitlines()[-2:]
                self._stop_proc()
                log.warning("no isolated pcscd (%s); using the machine-wide private one", " | ".join(why) or "timeout")
                return False
            time.sleep(0.05)
        self.socket_path = str(sock)
        os.environ[SOCKET_ENV] = self.socket_path
        readers = _list_readers(timeout=10, prefix=name, count=want)
        if len(readers) < want:
            self.close()
            raise PcscdUnavailable(
                f"this process's PC/SC client does not see its private pcscd ({len(readers)} of {want} readers "
                f"at {sock}): something in this process talked PC/SC before ({SOCKET_ENV} is read once per process)")
        by_name = sorted(readers)  # "<name>-<i> 00 00" then "... 00 01": port P then P+1
        self._free = [VpcdSlot(r, ports[int(r[len(name) + 1:].split()[0])] + int(r.split()[-1], 16)) for r in by_name]
        return True

    def _start_fallback(self) -> None:
        daemon = PrivatePcscd(self.workdir / "machine-wide")
        env = daemon.__enter__()
        self._fallback = daemon
        base = env.reader.rsplit(" ", 1)[0]
        self._free = [VpcdSlot(env.reader, env.vpcd_port)]
        second = f"{base} 01"
        if second in _list_readers(timeout=1, prefix=base):
            self._free.append(VpcdSlot(second, env.vpcd_port + 1))

    def _stop_proc(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None and not proc.stdin.closed:
            proc.stdin.close()  # the shell stops pcscd and waits for it
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def close(self) -> None:
        self._stop_proc()
        if self._fallback is not None:
            self._fallback.__exit__()
            self._fallback = None
        if self.socket_path and os.environ.get(SOCKET_ENV) == self.socket_path:
            del os.environ[SOCKET_ENV]  # children started later must not inherit a dead socket
        self._free, self._leased = [], set()

    # -- leases -------------------------------------------------------------------------------
    def lease(self) -> VpcdSlot:
        with self._lock:
            if not self._free:
                raise PcscdUnavailable(f"every virtual reader of this process's pcscd is in use ({len(self._leased)})")
            slot = self._free.pop(0)
            self._leased.add(slot)
            return slot

    def release(self, slot: VpcdSlot) -> None:
        with self._lock:
            if slot in self._leased:
                self._leased.discard(slot)
                self._free.append(slot)


def _list_readers(timeout: float, prefix: str, count: int = 1) -> list[str]:
    from smartcard import scard

    deadline = time.monotonic() + timeout
    found: list[str] = []
    while time.monotonic() < deadline:
        hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hr == scard.SCARD_S_SUCCESS:
            hr, readers = scard.SCardListReaders(ctx, [])
            scard.SCardReleaseContext(ctx)
            found = [r for r in (readers if hr == scard.SCARD_S_SUCCESS else []) if r.startswith(prefix)]
            if len(found) >= count:
                return found
        time.sleep(0.1)
    return found


_service: PcscService | None = None
_service_lock = threading.Lock()


def process_pcsc(pcscd: str | None = None) -> PcscService:
    """This process's service, started on the first call (`pcscd`: its binary; later calls share
    the running one). A start that fails is not kept: the next call tries again."""
    global _service
    with _service_lock:
        if _service is None:
            service = PcscService(Path(tempfile.mkdtemp(prefix="kiosk-pcsc-")), pcscd)
            try:
                service.start()
            except BaseException:
                service.close()
                shutil.rmtree(service.workdir, ignore_errors=True)
                raise
            atexit.register(_close_service)
            _service = service
        return _service


def _close_service() -> None:
    global _service
    with _service_lock:
        service, _service = _service, None
    if service is not None:
        service.close()
        shutil.rmtree(service.workdir, ignore_errors=True)
