"""`kiosk soak` through the real CLI in a subprocess: a short run with every fault keeps every
invariant at zero and prints the JSON the issue names; bad input is exit 2 with a clear message;
a broken invariant is exit 1 naming it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INVARIANTS = ("wrong_door_opens", "double_releases", "lost_events", "lost_items", "unflagged_stuck")


def _soak(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", "soak", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_short_soak_with_every_fault_keeps_every_invariant(tmp_path: Path) -> None:
    # seed 3 kills the station process (kill9) twice within these visits; the test checks it did
    r = _soak("--visits", "300", "--seed", "3", "--faults", "--json", "--dir", str(tmp_path / "s"))
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    doc = json.loads(r.stdout.strip().splitlines()[-1])
    assert doc["visits"] >= 300
    assert {k: doc[k] for k in INVARIANTS} == dict.fromkeys(INVARIANTS, 0)
    assert doc["kills"] >= 1 and doc["restarts"] == doc["kills"]
    assert set(doc["faults"]) >= {"kill9", "clock_step", "unplug", "sms_failure", "printer_out"}
    assert doc["rss_mb_start"] > 0 and doc["rss_mb_end"] > 0 and doc["ms"] > 0
    assert doc["events_received"] > 0
    assert (tmp_path / "s" / "station.db").exists()


def test_a_broken_invariant_is_exit_1_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A result recorded as deposited whose compartment is empty: the next soak on that station
    directory counts it, says which invariant broke and exits 1."""
    from kiosk.cli import main
    from kiosk.services.store import Store

    d = str(tmp_path / "s")
    assert main(["soak", "--visits", "40", "--seed", "2", "--json", "--dir", d]) == 0
    store = Store(tmp_path / "s" / "station.db")
    try:
        store.conn.execute("UPDATE cases SET status = 'deposited', compartment = 'A01' WHERE rowid = "
                           "(SELECT min(rowid) FROM cases)")
        store.conn.execute("UPDATE compartments SET state = 'empty', case_id = NULL WHERE id = 'A01'")
    finally:
        store.close()
    capsys.readouterr()
    assert main(["soak", "--visits", "1", "--seed", "2", "--json", "--dir", d]) == 1
    out, err = capsys.readouterr()
    assert "invariant(s) broken: lost_items" in err
    doc = json.loads(out.strip().splitlines()[-1])
    assert doc["lost_items"] >= 1 and doc["failed"] == ["lost_items"] and doc["ok"] is False


def test_bad_input_is_exit_2_from_the_real_command() -> None:
    r = _soak("--visits", "-5", "--json")
    assert r.returncode == 2 and "--visits: -5: the number of visits must be at least 1" in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("args, says", [
    (("--visits", "0"), "the number of visits must be at least 1"),
    (("--visits", "ten"), "'ten' is not a whole number of visits"),
    (("--visits", "10", "--faults", "moon,kill9"), "unknown fault 'moon' (known: board_junk,"),
    (("--visits", "10", "--seed", "abc"), "'abc' is not a whole number"),
    (("--visits", "10", "--seed", "-1"), "out of range"),
])
def test_bad_input_is_a_clear_error(args: tuple[str, ...], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["soak", *args, "--json"])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and says in err and out == ""
