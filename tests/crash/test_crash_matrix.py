"""The crash-point matrix: kill -9 at every SQL statement of a station workload (deposit, code,
pickup; journal, outbox, audit, codes, cases), then restart and check the invariants:
every opened intent ends confirmed or flagged, no used code without an intent, no compartment
stuck unseen, the audit verifies, no event lost (tests/crash/workload.py).

A kill at the statement before a COMMIT is a torn write: the transaction ran, its commit did not.
By default every 6th statement and every COMMIT is a crash point (a few seconds); with
`CRASH_MATRIX=full` (`make crash-matrix`) every statement is."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.services.keyed_hash import create_key
from tests.crash.workload import recover

ROOT = Path(__file__).resolve().parents[2]


def _run(db: Path, key: Path, crash_at: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.crash.workload", str(db), str(key), str(crash_at)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _commit_points(tmp: Path) -> tuple[int, set[int]]:
    """(statements in the workload, the numbers of its COMMIT statements) from one clean run."""
    key = tmp / "hash.key"
    create_key(key)
    out = _run(tmp / "probe.db", key, 0)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    return doc["statements"], {i + 1 for i, kind in enumerate(doc["kinds"]) if kind == "COMMIT"}


class _Server:
    """`python -m tests.crash.workload --serve`: the same workload, but the interpreter start and
    imports are paid once; each crash point still runs in a process of its own that is killed -9."""

    def __init__(self, err: Path) -> None:
        self.err_path = err
        self._err = err.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.crash.workload", "--serve"], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, text=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})

    def run(self, db: Path, key: Path, crash_at: int, timeout: float = 60.0) -> int | None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{db}\t{key}\t{crash_at}\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        return json.loads(line)["exit"] if line else None  # None: the server hung or died

    def errors(self) -> str:
        self._err.flush()
        return self.err_path.read_text()[-2000:]

    def __enter__(self) -> "_Server":
        return self

    def __exit__(self, *_: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._err.close()


@pytest.mark.timeout(1800)
def test_crash_at_every_write_site_keeps_every_invariant(tmp_path: Path) -> None:
    total, commits = _commit_points(tmp_path)
    assert total > 100 and len(commits) > 20
    full = os.environ.get("CRASH_MATRIX") == "full"
    points = sorted(set(range(1, total + 1)) if full else
                    ({i for i in range(1, total + 1, 6)} | commits | {c - 1 for c in commits}))
    failures: list[str] = []
    with _Server(tmp_path / "server.err") as server:  # each point in a forked child of one workload process
        for n in points:
            case = tmp_path / f"p{n}"
            case.mkdir()
            key = case / "hash.key"
            create_key(key)
            db = case / "s.db"
            code = server.run(db, key, n)
            assert code == -signal.SIGKILL, (n, code, server.errors())
            problems = recover(str(db), str(key))["problems"]
            if problems:
                failures.append(f"crash at statement {n}: {problems}")
    torn = sum(1 for n in points if n + 1 in commits)
    print(f"crash points covered: {len(points)} of {total} statements ({len(commits)} commits, {torn} torn writes)")
    assert not failures, "\n".join(failures[:20])
