"""A private PostgreSQL cluster in a temporary directory, for tests and benchmarks.

`initdb` refuses to run as root, so when we are root the cluster is created and run as the
Debian `postgres` system user (installed with the `postgresql` package) on a directory that user
owns; as any other user it runs as that user. Trust authentication on 127.0.0.1 and a socket
inside the directory only: nothing else on the machine can reach it.

    with PgCluster() as pg:
        pg.url        # "postgresql://office@127.0.0.1:PORT/office"
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("OFFICE_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self, user: str = "office", database: str = "office", fast: bool = True) -> None:
        """`fast`: fsync off (tests; a commit still survives a server crash, not a machine crash).
        Commits are always synchronous: the office acknowledges events only once they are durable."""
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"{PG_BIN}/initdb not found: install Debian's postgresql (scripts/bootstrap.sh)")
        # its own directory directly under the temp root: the postgres user must be able to reach
        # it, which a pytest tmp_path (inside 0700 root-owned directories) does not allow
        self.dir = Path(tempfile.mkdtemp(prefix="office-pg-"))
        self.data = self.dir / "data"
        self.user, self.database = user, database
        self.port = _free_port()
        self.run_as = "postgres" if os.geteuid() == 0 else None
        self.started = False
        self.opts = (f"-p {self.port} -k {self.dir} -h 127.0.0.1 -c max_connections=60"
                     + (" -c fsync=off -c full_page_writes=off" if fast else ""))

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def start(self) -> PgCluster:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        r = subprocess.run(self._cmd(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", self.user,
                                     "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed ({self.dir}): {r.stderr.strip()[-1500:]}")
        r = subprocess.run(self._cmd(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", self.opts,
                                     "-l", str(self.dir / "log"), "-w", "-t", "60", "start"),
                           capture_output=True, text=True, timeout=90)
        if r.returncode != 0:
            log = (self.dir / "log").read_text(errors="replace")[-2000:] if (self.dir / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {r.stderr}{log}")
        self.started = True
        subprocess.run(self._cmd(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                                 self.user, self.database), check=True, capture_output=True, timeout=60)
        return self

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def stop(self, mode: str = "fast") -> None:
        if self.started:
            subprocess.run(self._cmd(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"),
                           capture_output=True, timeout=60)
            self.started = False

    def restart(self) -> None:
        """Start again after `stop` (same port, same data)."""
        subprocess.run(self._cmd(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", self.opts,
                                 "-l", str(self.dir / "log"), "-w", "start"), check=True, capture_output=True,
                       timeout=90)
        self.started = True

    def cleanup(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def wait_port(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False
