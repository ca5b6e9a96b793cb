"""The simulated back office's bookkeeping, which is the office's (office/ingest.py under the double;
no broker needed): de-duplication by (station, event_id), contiguous ack, gap detection, declared
losses, state read back after a restart; and the reconnect jitter."""

from __future__ import annotations

import random

from hw_sim.backoffice_mqtt import MqttBackOfficeSim
from kiosk.services.fleet.link import full_jitter


def ev(seq, eid=None, type_="x", data=None):
    return {"event_id": eid or f"0193a0b4-2c1e-7f00-9a1b-{seq:012d}", "seq": seq, "type": type_, "boot_id": "b",
            "ts": "2026-11-22T03:00:00Z", "data": data or {}}


def make(tmp_path):
    return MqttBackOfficeSim("mqtt://127.0.0.1:1", "x", db_path=str(tmp_path / "bo.db"))


def test_dedup_contiguous_ack_and_gaps(tmp_path):
    bo = make(tmp_path)
    acks = bo.ingest.store_events([("k-1", ev(1)), ("k-1", ev(2)), ("k-1", ev(4)), ("k-1", ev(6)), ("k-1", ev(2))])
    assert acks[("k-1", "")] == {"upto_seq": 2, "missing": [3, 5]}
    assert bo.ingest.stats.duplicates == 1 and bo.count("k-1") == 4
    bo.ingest.store_events([("k-1", ev(3)), ("k-1", ev(5))])
    t = bo.track("k-1")
    assert t.upto == 6 and t.missing() == []
    # another station's seqs are independent
    bo.ingest.store_events([("k-2", ev(1, eid="0193a0b4-2c1e-7f00-9a1b-ffffffffffff"))])
    assert bo.track("k-2").upto == 1 and bo.count() == 7
    bo.close()


def test_declared_losses_advance_without_waiting(tmp_path):
    bo = make(tmp_path)
    bo.ingest.store_events([("k-1", ev(1))])
    # seqs 2..40 were dropped by the station's bound; the notice (seq 50) says so; 41..49 still coming
    bo.ingest.store_events([("k-1", ev(50, type_="outbox.dropped", data={"from_seq": 30, "to_seq": 40, "count": 11,
                                                                          "by_size": 11, "by_age": 0}))])
    t = bo.track("k-1")
    assert t.upto == 40 and t.declared_lost == 39 and t.missing() == list(range(41, 50))
    bo.ingest.store_events([("k-1", ev(s)) for s in range(41, 50)])
    assert bo.track("k-1").upto == 50
    # the health floor says the same out of band
    bo.ingest.store_health("k-1", {"ts": "2026-11-22T03:00:00Z", "boot_id": "b", "devices": {},
                                   "outbox": {"first_seq": 60, "last_seq": 70, "pending": 11}})
    t = bo.track("k-1")
    assert t.upto == 59 and t.declared_lost == 48
    bo.close()


def test_state_survives_a_back_office_restart(tmp_path):
    bo = make(tmp_path)
    bo.ingest.store_events([("k-1", ev(1)), ("k-1", ev(3))])
    bo.close()
    bo2 = make(tmp_path)
    acks = bo2.ingest.store_events([("k-1", ev(1))])  # a resend after the restart is still a duplicate
    assert acks[("k-1", "")] == {"upto_seq": 1, "missing": [2]}
    assert bo2.count("k-1") == 2
    bo2.close()


def test_full_jitter_bounds_and_spread():
    rng = random.Random(3)
    for attempt in range(12):
        for _ in range(50):
            d = full_jitter(attempt, 1.0, 120.0, rng)
            assert 0.5 <= d <= min(120.0, 2 ** attempt)
    many = [full_jitter(6, 1.0, 120.0, rng) for _ in range(1000)]
    assert max(many) - min(many) > 50  # spread, not one value
