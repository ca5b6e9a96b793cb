"""Security finding 7: one person at the screen cannot block code pickup for everyone.

Wrong codes are limited per visit (session); the station-wide rate slows code entry down (a wait
that grows, capped at `lockout_s`), it never stops it for a day; crossing the daily threshold
alarms the back office (audit + outbox event). Finding 13: the wait survives restart and a clock
step back does not stretch it."""

from __future__ import annotations

import pytest

from kiosk.services.outbox import Outbox
from kiosk.services.pickup_codes import PickupCodeError, PickupCodes
from tests.services.test_pickup_codes import wrong_code


@pytest.fixture
def codes(store, hasher, audit, clock):
    return PickupCodes(store, hasher, audit, clock, ttl_s=7 * 86400, max_attempts=3, max_failures=5,
                       window_s=600, lockout_s=900, daily_max_failures=20)


def test_one_visit_guessing_does_not_block_the_next_citizen(codes, clock):
    mine = codes.issue(["C-1"])
    bad = wrong_code(mine.code)
    outcomes = [codes.verify(bad, session="visit-A").outcome for _ in range(5)]
    assert outcomes[:4] == ["wrong"] * 4 and outcomes[4] == "locked"  # this visit is over
    assert codes.verify(mine.code, session="visit-A").outcome == "locked"
    clock.advance(5)
    check = codes.verify(mine.code, session="visit-B")  # the next person, seconds later
    assert check.outcome in ("ok", "slow"), check
    if check.outcome == "slow":
        assert check.retry_after_s is not None and check.retry_after_s <= 60
        clock.advance(check.retry_after_s)
        assert codes.verify(mine.code, session="visit-B").ok


def test_the_station_wide_rate_slows_but_never_stops(codes, clock, audit, store):
    mine = codes.issue(["C-1"])
    bad = wrong_code(mine.code)
    longest = 0.0
    for visit in range(200):  # a guesser who starts a new visit for every try, all day
        check = codes.verify(bad, session=f"v{visit}")
        if check.outcome == "slow":
            longest = max(longest, check.retry_after_s or 0)
            clock.advance(check.retry_after_s or 1)
            check = codes.verify(bad, session=f"v{visit}")
        assert check.outcome in ("wrong", "slow", "locked"), check
        clock.advance(1)
    assert 0 < longest <= 900  # slowed, at most by lockout_s
    # the rightful owner waits at most lockout_s, then the code works
    check = codes.verify(mine.code, session="owner")
    if check.outcome == "slow":
        assert check.retry_after_s <= 900
        clock.advance(check.retry_after_s)
        check = codes.verify(mine.code, session="owner")
    assert check.ok
    assert "pickup_code.alarm" in [r.action for r in audit.records()]
    assert "pickup_code.alarm" in [e.type for e in Outbox(store, clock).pending(limit=1000)]


def test_guesses_per_day_stay_few(codes, clock):
    mine = codes.issue(["C-1"])
    bad = wrong_code(mine.code)
    guesses, t = 0, 0.0
    while t < 86400:
        check = codes.verify(bad, session=f"v{guesses}")
        if check.outcome == "slow":
            clock.advance(check.retry_after_s)
            t += check.retry_after_s
            continue
        guesses += 1
        clock.advance(1)
        t += 1
    assert guesses <= 200, guesses


def test_the_wait_survives_restart_and_a_clock_step_back_does_not_stretch_it(codes, clock, store, hasher, audit):
    mine = codes.issue(["C-1"])
    bad = wrong_code(mine.code)
    for visit in range(12):
        codes.verify(bad, session=f"v{visit}")
    slow = codes.verify(bad, session="x")
    assert slow.outcome == "slow"
    restarted = PickupCodes(store, hasher, audit, clock, ttl_s=7 * 86400, max_failures=5, window_s=600,
                            lockout_s=900, daily_max_failures=20)
    assert restarted.verify(mine.code, session="y").outcome == "slow"
    clock.step(-8 * 86400)  # the clock jumps back 8 days
    again = restarted.verify(mine.code, session="z")
    assert again.outcome == "slow" and again.retry_after_s <= 900
    clock.advance(900)
    assert restarted.verify(mine.code, session="z").ok


def test_codes_are_not_issued_on_a_clock_that_was_never_set(codes, clock):
    from datetime import datetime, timezone

    clock.step(to=datetime(2000, 1, 1, tzinfo=timezone.utc))  # RTC battery flat, no NTP yet
    with pytest.raises(PickupCodeError, match="clock"):
        codes.issue(["C-1"])


def test_thousands_of_wrong_codes_a_day_never_break_code_entry(codes, clock, store):
    """Found by the soak: the doubling wait overflowed a float after ~1,030 wrong codes within a day
    (clock steps back keep failures dated in the future counted)."""
    mine = codes.issue(["C-1"])
    now = clock.now().isoformat(timespec="milliseconds")
    with store.transaction() as conn:
        conn.executemany("INSERT INTO pickup_failures(at) VALUES (?)", [(now,)] * 1100)
    check = codes.verify(wrong_code(mine.code), session="guesser")
    assert check.outcome in ("wrong", "locked")
    wait = codes.verify(mine.code, session="owner")
    assert wait.outcome == "slow" and wait.retry_after_s <= 900
    clock.advance(wait.retry_after_s)
    assert codes.verify(mine.code, session="owner").ok
