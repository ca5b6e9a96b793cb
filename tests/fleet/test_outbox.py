"""The outbox: events commit with their state change, keep a persisted seq, leave only on ack, and
stay within their size/age bound with every drop counted and announced."""

from __future__ import annotations

import re
import sqlite3
import uuid

import pytest

from kiosk.core.clock import FakeClock
from kiosk.services.outbox import DROPPED_EVENT, Outbox, OutboxError, uuid7
from kiosk.services.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "station.db")
    s.conn.execute("CREATE TABLE IF NOT EXISTS thing (a INTEGER)")
    yield s
    s.close()


def test_event_commits_with_state_change_or_not_at_all(store):
    box = Outbox(store, FakeClock())
    with store.transaction() as conn:
        conn.execute("INSERT INTO thing VALUES (1)")
        ev = box.add(conn, "compartment.loaded", {"compartment": "A01"})
    assert ev.seq == 1 and box.pending()[0].event_id == ev.event_id
    with pytest.raises(RuntimeError):
        with store.transaction() as conn:
            conn.execute("INSERT INTO thing VALUES (2)")
            box.add(conn, "compartment.loaded", {"compartment": "A02"})
            raise RuntimeError("door jammed")
    assert [e.data for e in box.pending()] == [{"compartment": "A01"}]
    assert store.query("SELECT count(*) FROM thing")[0][0] == 1
    # the rolled-back seq is reused (nothing was ever sent with it): no gap
    assert box.add_now("x", {}).seq == 2


def test_add_outside_transaction_and_bad_input_rejected(store):
    box = Outbox(store, FakeClock())
    with pytest.raises(OutboxError, match="inside store.transaction"):
        box.add(store.conn, "x", {})
    for bad_type in ["", "evt/x", "a+b", "#", "UPPER", "x" * 65, 5]:
        with pytest.raises(OutboxError, match="event type"):
            box.add_now(bad_type, {})
    with pytest.raises(OutboxError, match="JSON object"):
        box.add_now("x", [1, 2])
    with pytest.raises(OutboxError, match="JSON-serialisable"):
        box.add_now("x", {"a": object()})
    with pytest.raises(OutboxError, match="JSON-serialisable"):
        box.add_now("x", {"a": float("nan")})
    with pytest.raises(OutboxError, match="larger than"):
        box.add_now("x", {"a": "y" * 70_000})
    assert box.pending() == [] and box.stats().last_seq == 0


def test_seq_persists_across_restart_and_ack_deletes_only_upto(tmp_path):
    db = tmp_path / "s.db"
    s = Store(db)
    box = Outbox(s, FakeClock())
    ids = [box.add_now("e", {"i": i}).event_id for i in range(5)]
    assert box.ack(3) == 3
    assert [e.seq for e in box.pending()] == [4, 5]
    s.close()
    s2 = Store(db)
    box2 = Outbox(s2, FakeClock())
    assert box2.boot_id != box.boot_id
    assert [e.event_id for e in box2.pending()] == ids[3:]
    assert box2.add_now("e", {}).seq == 6
    assert box2.ack(2) == 0  # stale ack: nothing happens
    assert box2.ack(10_000) == 3  # beyond the last seq: clamped
    assert box2.stats().acked_upto == 6 and box2.stats().pending == 0
    with pytest.raises(OutboxError):
        box2.ack(-1)
    with pytest.raises(OutboxError):
        box2.ack("5")  # type: ignore[arg-type]


def test_pending_in_seq_order_with_paging(store):
    box = Outbox(store, FakeClock())
    for i in range(25):
        box.add_now("e", {"i": i})
    page1 = box.pending(0, 10)
    page2 = box.pending(page1[-1].seq, 10)
    assert [e.seq for e in page1 + page2] == list(range(1, 21))
    p = page1[0].payload()
    assert set(p) == {"event_id", "seq", "type", "boot_id", "ts", "data", "stream"} and p["ts"].endswith("Z")
    assert re.fullmatch(r"[0-9a-f]{32}", p["stream"]) and p["stream"] == box.stream


def test_uuid7_is_version_7_and_time_ordered():
    ids = [uuid7(1_700_000_000_000 + i // 3) for i in range(300)]
    parsed = [uuid.UUID(i) for i in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert ids == sorted(ids) and len(set(ids)) == 300
    assert parsed[0].int >> 80 == 1_700_000_000_000


def test_size_bound_drops_oldest_counts_and_announces(store):
    box = Outbox(store, FakeClock(), max_events=10)
    for i in range(25):
        box.add_now("e", {"i": i})
    st = box.stats()
    assert st.pending <= 10 and st.dropping and st.dropped_size > 0
    events = box.pending(0, 100)
    # contiguous seq, the newest survive, the drop notices say exactly what went
    assert [e.seq for e in events] == list(range(events[0].seq, st.last_seq + 1))
    assert events[-1].type == "e" and events[-1].data == {"i": 24}
    notices = [e for e in events if e.type == DROPPED_EVENT]
    assert notices
    # everything produced is either still pending or counted as dropped
    assert st.last_seq == st.pending + st.dropped_total
    box.ack(st.last_seq)
    assert not box.stats().dropping


def test_hours_offline_with_injected_clock_stay_within_bound():
    clock = FakeClock()
    store = Store(":memory:")  # the bound logic, not fsync, is under test here
    box = Outbox(store, clock, max_events=200, max_age_s=3600)
    produced = 0
    for _minute in range(8 * 60):  # 8 hours offline, 3 events a minute
        for _ in range(3):
            box.add_now("heartbeat", {"n": produced})
            produced += 1
        clock.advance(60)
        if _minute % 10 == 0:
            box.enforce_bounds()
        st = box.stats()
        assert st.pending <= 200
    st = box.stats()
    oldest = box.pending(0, 1)[0]
    assert st.dropped_total > 0 and st.dropped_age > 0 or st.dropped_size > 0
    assert st.last_seq == st.pending + st.dropped_total  # nothing vanished uncounted
    # every dropped range is announced; the announced counts add up to the drops
    announced = sum(e.data["count"] for e in box.pending(0, 1000) if e.type == DROPPED_EVENT)
    assert announced <= st.dropped_total and oldest.seq == st.first_seq


def test_age_bound_alone(store):
    clock = FakeClock()
    box = Outbox(store, clock, max_events=1000, max_age_s=100)
    for i in range(5):
        box.add_now("e", {"i": i})
    clock.advance(101)
    assert box.enforce_bounds() == 5
    st = box.stats()
    assert st.dropped_age == 5 and st.dropped_size == 0 and st.pending == 1
    notice = box.pending()[0]
    assert notice.type == DROPPED_EVENT and notice.data == {
        "from_seq": 1, "to_seq": 5, "count": 5, "by_size": 0, "by_age": 5}


def test_listener_failure_does_not_break_the_transaction(store):
    box = Outbox(store, FakeClock())
    box.add_listener(lambda: 1 / 0)
    assert box.add_now("e", {}).seq == 1 and box.new_event.is_set()


def test_database_without_the_table_is_migrated(tmp_path):
    s = Store(tmp_path / "old.db")
    Outbox(s, FakeClock())
    assert s.version("outbox") == 4
    assert Outbox(s, FakeClock()).stream == Outbox(s, FakeClock()).stream  # made once, with the store
    other = Store(tmp_path / "other.db")
    assert Outbox(other, FakeClock()).stream != Outbox(s, FakeClock()).stream
    with pytest.raises(sqlite3.IntegrityError):
        s.conn.execute("INSERT INTO outbox_meta(id, last_seq, acked_upto, dropped_size, dropped_age) VALUES (2,0,0,0,0)")


def test_outboxes_on_one_store_share_seq_boot_and_wakeup(store):
    link_side = Outbox(store, FakeClock())
    cabinet_side = Outbox(store, FakeClock())  # another service made its own
    link_side.new_event.clear()
    ev = cabinet_side.add_now("door.opened", {"compartment": "A01"})
    assert link_side.new_event.is_set()
    assert ev.boot_id == link_side.boot_id
    assert link_side.add_now("x", {}).seq == ev.seq + 1
    assert [e.seq for e in link_side.pending()] == [ev.seq, ev.seq + 1]


def test_dropping_flag_is_shared_by_outboxes_on_one_store(store):
    a = Outbox(store, FakeClock(), max_events=10)
    b = Outbox(store, FakeClock(), max_events=10)
    for i in range(15):
        b.add_now("e", {"i": i})
    assert a.dropping and a.stats().dropping and a.stats().dropped_total > 0
