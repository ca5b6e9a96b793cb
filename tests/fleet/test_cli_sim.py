"""`kiosk fleet keygen/command` as an operator runs them, and the one-process fleet simulator
through a broker restart."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from hw_sim.fleet_sim import FleetSim, station_ids
from kiosk.services.fleet import signing
from tests.fleet.conftest import PASSWORDS

ROOT = Path(__file__).resolve().parents[2]


def kiosk(*args, timeout=30):
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_keygen_and_signed_command_from_the_cli(broker, make_station, tmp_path):
    keyfile = tmp_path / "bo.key"
    r = kiosk("fleet", "keygen", "--out", str(keyfile), "--json")
    assert r.returncode == 0, r.stderr
    pub = json.loads(r.stdout)["public_key"]
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    assert kiosk("fleet", "keygen", "--out", str(keyfile)).returncode == 1  # never overwritten silently
    st = make_station(broker, public_key=signing.load_public(pub))
    assert st.link.wait_connected(5)
    base = ["fleet", "command", st.kiosk_id, "open_compartment", "--key", str(keyfile), "--broker", broker.url,
            "--password", PASSWORDS["backoffice"], "--json"]
    r = kiosk(*base, "--args", '{"compartment": "C03", "reason": "hotline"}')
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert [a["status"] for a in out["answers"]] == ["accepted", "done"]
    assert st.target.calls == [("open_compartment", ("C03", "hotline"))]
    r = kiosk(*base, "--args", "{not json")
    assert r.returncode == 1 and "--args is not JSON" in r.stderr
    r = kiosk(*base, "--args", '{"compartment": "C03"}')
    assert r.returncode == 1 and "reason" in r.stderr
    other = tmp_path / "other.key"
    kiosk("fleet", "keygen", "--out", str(other))
    r = kiosk("fleet", "command", st.kiosk_id, "set_maintenance", "--args", '{"on": true}', "--key", str(other),
              "--broker", broker.url, "--password", PASSWORDS["backoffice"])
    assert r.returncode == 2 and "bad_signature" in r.stdout
    assert len(st.target.calls) == 1


def test_fleet_sim_one_thread_through_a_broker_kill(broker_factory, make_backoffice):
    ids = station_ids(25, "simt")
    broker = broker_factory(users={"backoffice": PASSWORDS["backoffice"], **{i: f"pw-{i}" for i in ids}})
    bo = make_backoffice(broker)
    sim = FleetSim(broker.url, len(ids), prefix="simt", password_for=lambda s: f"pw-{s}", events_per_min=120,
                   heartbeat_s=2, reconnect_spread_s=1.0, reconnect_min_s=0.2, reconnect_max_s=1.0, keepalive_s=5)
    import threading
    before = threading.active_count()
    sim.start()
    try:
        deadline = time.monotonic() + 10
        while sim.connected() < len(ids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sim.connected() == len(ids)
        assert threading.active_count() == before + 1  # one thread for all stations
        time.sleep(1.0)
        broker.kill9()
        time.sleep(0.5)
        broker.start()
        time.sleep(2.0)
        sim.paused_events = True
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (sim.pending() or sim.connected() < len(ids)):
            time.sleep(0.1)
        assert sim.pending() == 0 and sim.connected() == len(ids)
        for st in sim.stations:
            last = st.outbox.stats().last_seq
            assert bo.seqs(st.kiosk_id) == list(range(1, last + 1))
        assert bo.count() == sim.produced() > 0
        delays = [s.link.stats.reconnect_delays[0] for s in sim.stations if s.link.stats.reconnect_delays]
        assert len(delays) == len(ids) and len(set(delays)) == len(ids)  # jittered, not all the same second
        assert not bo.contract_violations
    finally:
        sim.stop()
