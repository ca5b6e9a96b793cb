"""Nothing is lost: broker kill -9 / SIGTERM / SIGSTOP mid-burst, station kill -9 mid-burst and
restart, back office offline longer than the broker's queue. In every case the set of event ids
the back office stores equals the set the station produced, with no gap in seq."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.fleet.conftest import PASSWORDS, STATIONS

ROOT = Path(__file__).resolve().parents[2]


def burst(st, n, interval=0.002):
    t = threading.Thread(target=lambda: [st.emit(1) or time.sleep(interval) for _ in range(n)], daemon=True)
    t.start()
    return t


def assert_nothing_lost(bo, st, timeout=20.0):
    last = st.outbox.stats().last_seq
    assert bo.wait_upto(st.kiosk_id, last, timeout), (bo.track(st.kiosk_id), st.link.stats)
    assert bo.event_ids(st.kiosk_id) == set(st.produced)
    assert bo.seqs(st.kiosk_id) == list(range(1, last + 1))
    assert bo.count(st.kiosk_id) == last  # one stored row per event: duplicates were de-duplicated
    assert not bo.contract_violations


@pytest.mark.parametrize("fault", ["kill9", "sigterm", "sigstop"])
def test_broker_fault_mid_burst_loses_nothing(fault, broker, make_station, make_backoffice):
    bo = make_backoffice(broker)
    # SIGSTOP: a short keepalive so the station notices the silent broker, gives up on it and
    # retries into a listener that accepts TCP but never answers (connect timeout)
    st = make_station(broker, keepalive_s=1 if fault == "sigstop" else 5, connect_timeout_s=1.0)
    assert st.link.wait_connected(5)
    t = burst(st, 400)
    time.sleep(0.25)
    at_fault = len(st.produced)
    if fault == "kill9":
        broker.kill9()
        time.sleep(0.3)
        broker.start()
    elif fault == "sigterm":
        broker.terminate()
        time.sleep(0.3)
        broker.start()
    else:
        broker.pause()
        time.sleep(4.0)
        broker.resume()
    t.join(10)
    assert 0 < at_fault < 400 and len(st.produced) == 400  # the fault hit the middle of the burst
    assert_nothing_lost(bo, st)
    assert st.link.stats.disconnects >= 1 and st.link.stats.connects >= 2
    if fault == "sigstop":
        assert st.link.stats.connect_failures >= 1  # no CONNACK from the stopped broker
    assert st.outbox.stats().pending == 0 or st.link.connected


def test_backoffice_offline_longer_than_the_broker_queue(broker_factory, make_station, make_backoffice):
    broker = broker_factory(max_queued_messages=20)
    bo = make_backoffice(broker)
    bo.stop()  # gone, but its persistent session keeps queueing (at most 20 messages)
    st = make_station(broker, drain_batch=100)
    assert st.link.wait_connected(5)
    st.emit(150)
    time.sleep(2.0)
    assert st.outbox.stats().pending == 150  # PUBACKed by the broker, still kept: no back-office ack
    bo.start()
    assert_nothing_lost(bo, st)
    # the broker really overflowed: it said so, and the station had to resend
    assert "dropped" in broker.log_text().lower(), broker.log_text()[-1000:]
    assert st.link.stats.events_resent > 0


def test_station_kill9_mid_burst_then_restart(broker, make_backoffice, make_station, tmp_path):
    bo = make_backoffice(broker)
    kid = STATIONS[2]
    db = tmp_path / "killed.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.fleet.station_proc", str(db), broker.url, kid,
                             PASSWORDS[kid], "100000", "0.001"], stdout=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(0.6)  # mid-burst
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(5)
    logged = Path(str(db) + ".produced").read_text().split()
    assert len(logged) > 50
    # restart the station on the same database: the outbox replays, seq continues
    st = make_station(broker, kid, db=db)
    assert st.link.wait_connected(5)
    before = st.outbox.stats().last_seq
    assert before >= len(logged)  # every logged id was committed first
    st.emit(50)
    last = st.outbox.stats().last_seq
    assert last == before + 50
    assert bo.wait_upto(kid, last, 20)
    stored = bo.event_ids(kid)
    assert set(logged) <= stored and set(st.produced) <= stored
    assert len(stored) == last and bo.seqs(kid) == list(range(1, last + 1))
    with bo.lock:
        boots = {r[0] for r in bo.db.execute("SELECT DISTINCT boot_id FROM events WHERE station=?", (kid,))}
    assert len(boots) == 2  # the events say which run of the software produced them


def test_hours_offline_with_injected_clock_then_replay(broker, make_station, make_backoffice):
    from kiosk.core.clock import FakeClock
    clock = FakeClock()
    broker.kill9()  # the site's uplink is down for 8 hours
    st = make_station(broker, clock=clock, max_events=300, db=":memory:")  # bounds, not fsync, under test
    st.outbox.max_age_s = 6 * 3600
    for minute in range(8 * 60):
        st.emit(2, "heartbeat")
        clock.advance(60)
        if minute % 15 == 0:
            st.outbox.enforce_bounds()
        assert st.outbox.stats().pending <= 300
    stats = st.outbox.stats()
    assert stats.dropped_total > 0 and stats.dropping
    assert stats.last_seq == stats.pending + stats.dropped_total  # every event is kept or counted
    assert not st.link.connected and st.link.stats.connect_failures > 0
    # the uplink returns: what was kept is delivered in seq order, what was dropped is declared
    broker.start()
    bo = make_backoffice(broker)
    assert bo.wait_upto(st.kiosk_id, stats.last_seq, 20)
    kept = bo.seqs(st.kiosk_id)
    assert kept == list(range(stats.first_seq, stats.last_seq + 1))
    assert bo.track(st.kiosk_id).declared_lost == stats.first_seq - 1
    assert set(st.produced[stats.first_seq - 1:]) <= bo.event_ids(st.kiosk_id)
    health = bo.track(st.kiosk_id).health
    assert health is None or health["outbox"]["dropped_total"] == stats.dropped_total
