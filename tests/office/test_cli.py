"""`kiosk-office` as a real process: user add (password rules, exit codes), run (console + ingest),
and two office processes sharing one fleet through a shared subscription, one killed mid-burst."""

from __future__ import annotations

import subprocess
import sys

import httpx
from sqlalchemy import func, select

from office.db import create_engine
from office.schema import events
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


def test_two_offices_share_the_fleet_and_lose_nothing_when_one_is_killed(tmp_path, broker, make_station, pg_cluster):
    import uuid

    from sqlalchemy import text

    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(pg_cluster.url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    db = pg_cluster.url.rsplit("/", 1)[0] + "/" + name
    key = tmp_path / "cmd.key"
    o1 = OfficeProc(tmp_path / "o1", db, broker.url, "office-1", key).wait_ready()
    o2 = OfficeProc(tmp_path / "o2", db, broker.url, "office-2", key).wait_ready()
    engine = create_engine(db)

    def stored() -> int:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(events)).scalar()

    try:
        stations = [make_station(broker, s) for s in STATIONS]
        for st in stations:
            st.emit(400)
        wait_for(lambda: stored() >= 300, 30, "the burst under way")
        o1.kill9()  # mid-burst: whatever it had taken but not stored is resent by the stations
        for st in stations:
            st.emit(200)
        for st in stations:
            wait_for(lambda st=st: st.outbox.stats().pending == 0, 60, f"{st.kiosk_id} fully acknowledged")
        with engine.connect() as conn:
            for st in stations:
                ids = list(conn.execute(select(events.c.event_id).where(events.c.station == st.kiosk_id)).scalars())
                assert len(ids) == len(set(ids)) == 600
                assert set(ids) == set(st.produced)
    finally:
        o2.stop()
        o1.stop()
        engine.dispose()
