"""`kiosk-office` as a real process: user add (password rules, exit codes), run (console + ingest).
Several office processes sharing one fleet: tests/office/test_city_scale.py."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.office.conftest import STATIONS
from tests.office.office_proc import ROOT, OfficeProc
from tests.office.waits import wait_for

PW = "correct-horse-battery"


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "office.cli", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_user_add_rules_and_exit_codes(tmp_path):
    db = f"sqlite:///{tmp_path}/o.db"
    ok = _cli("user", "add", "--db", db, "--name", "alice", "--role", "admin", "--password-stdin", stdin=PW + "\n")
    assert ok.returncode == 0 and "created" in ok.stdout
    short = _cli("user", "add", "--db", db, "--name", "bob", "--role", "admin", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    again = _cli("user", "add", "--db", db, "--name", "alice", "--role", "admin", "--password-stdin", stdin=PW + "\n")
    assert again.returncode == 2 and "exists" in again.stderr
    bad_url = _cli("user", "add", "--db", "mysql://x/y", "--name", "c", "--role", "admin", "--password-stdin",
                   stdin=PW + "\n")
    assert bad_url.returncode == 2 and "unsupported database" in bad_url.stderr
    down = _cli("user", "add", "--db", "postgresql://office@127.0.0.1:1/office", "--name", "c", "--role", "admin",
                "--password-stdin", stdin=PW + "\n")
    assert down.returncode == 3 and "check that the server runs" in down.stderr
    no_stdin = _cli("user", "add", "--db", db, "--name", "d", "--role", "admin")
    assert no_stdin.returncode == 2


def test_run_serves_console_and_ingests(tmp_path, broker, make_station):
    db = f"sqlite:///{tmp_path}/o.db"
    assert _cli("user", "add", "--db", db, "--name", "alice", "--role", "operator", "--password-stdin",
                stdin=PW + "\n").returncode == 0
    office = OfficeProc(tmp_path / "office", db, broker.url).wait_ready()
    try:
        st = make_station(broker, STATIONS[0])
        st.emit(50)
        wait_for(lambda: st.outbox.stats().pending == 0, 20, "events acknowledged by the office process")
        with httpx.Client(base_url=office.url) as c:
            assert c.post("/api/login", json={"user": "alice", "password": PW}).status_code == 200
            wait_for(lambda: c.get("/api/stations").json()["stations"], 10, "the station listed")
            [s] = c.get("/api/stations").json()["stations"]
            assert (s["id"], s["online"], s["alarms"]) == (STATIONS[0], True, 0)
        assert "office console on http://127.0.0.1:" in office.log.read_text()
    finally:
        assert office.stop() == 0 or office.proc.returncode is not None
    bad = _cli("run", "--db", db, "--broker", "mqtt://127.0.0.1:1", "--http", "127.0.0.1:0", "--broker-wait", "1")
    assert bad.returncode == 4 and "could not connect to the broker" in bad.stderr
    bad_http = _cli("run", "--db", db, "--http", "nonsense")
    assert bad_http.returncode == 2 and "HOST:PORT" in bad_http.stderr
