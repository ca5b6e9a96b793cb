"""Security finding 13 for the outbox: the age bound counts time the station ran (monotonic), not the
wall clock; a clock step is reported as an event and never drops anything."""

from __future__ import annotations

from datetime import datetime, timezone

from kiosk.core.clock import FakeClock
from kiosk.services.outbox import Outbox
from kiosk.services.store import Store

WEEK = 7 * 86400


def _types(outbox: Outbox) -> list[str]:
    return [e.type for e in outbox.pending(limit=1000)]


def test_a_forward_step_from_an_rtc_at_2000_drops_nothing_and_is_reported(tmp_path) -> None:
    clock = FakeClock(datetime(2000, 1, 1, tzinfo=timezone.utc))  # RTC battery flat
    store = Store(tmp_path / "s.db")
    outbox = Outbox(store, clock, max_age_s=WEEK)
    for n in range(5):
        outbox.add_now("cabinet.door", {"n": n})
        clock.advance(10)
    clock.step(to=datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc))  # NTP arrives
    outbox.add_now("cabinet.door", {"n": 5})
    types = _types(outbox)
    assert types.count("cabinet.door") == 6 and "outbox.dropped" not in types
    assert "station.clock_step" in types
    step = next(e for e in outbox.pending(limit=1000) if e.type == "station.clock_step")
    assert step.data["step_s"] > 26 * 365 * 86400
    assert outbox.stats().dropped_age == 0
    store.close()


def test_a_backward_step_does_not_keep_events_forever(tmp_path) -> None:
    clock = FakeClock()
    store = Store(tmp_path / "s.db")
    outbox = Outbox(store, clock, max_age_s=WEEK)
    outbox.add_now("cabinet.door", {"n": 0})
    clock.step(-8 * 86400)
    clock.advance(WEEK + 60)  # the station ran for more than a week since the event
    assert outbox.enforce_bounds() == 1
    assert "cabinet.door" not in _types(outbox)
    store.close()


def test_steps_both_ways_and_back_keep_every_unacknowledged_event(tmp_path) -> None:
    clock = FakeClock()
    store = Store(tmp_path / "s.db")
    outbox = Outbox(store, clock, max_age_s=WEEK)
    for step in (3600, -3600, 8 * 86400, -8 * 86400, None):
        outbox.add_now("cabinet.door", {"step": step})
        if step is None:
            clock.step(to=datetime(2000, 1, 1, tzinfo=timezone.utc))
        else:
            clock.step(step)
        clock.advance(1)
        outbox.enforce_bounds()
    clock.step(to=datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc))
    outbox.add_now("cabinet.door", {"step": "back"})
    assert _types(outbox).count("cabinet.door") == 6
    assert _types(outbox).count("station.clock_step") >= 5
    store.close()
