"""Pickup codes: one-time, hashed at rest, expiring, per-code attempt limit, station-wide lock-out."""

from __future__ import annotations

import pytest

from kiosk.services.pickup_codes import PickupCodeError, PickupCodes

ID = "11010119610804013X"
OTHER = "310115196211200314"


@pytest.fixture
def codes(store, hasher, audit, clock):
    return PickupCodes(store, hasher, audit, clock, ttl_s=3600, max_attempts=3, max_failures=5,
                       window_s=600, lockout_s=900)


def wrong_code(real: str) -> str:
    return f"{(int(real) + 1) % 1_000_000:06d}"


def test_issue_verify_consume_exactly_once(codes, audit):
    issued = codes.issue(["C-2", "C-1"])
    assert len(issued.code) == 6 and issued.code.isdigit()
    assert "******" in repr(issued) and issued.code not in repr(issued)
    check = codes.verify(issued.code)
    assert check.ok and check.case_nos == ("C-1", "C-2") and not check.id_card_required
    assert codes.verify(issued.code).ok  # verifying does not use it up
    assert codes.consume(check.code_id) is True
    assert codes.consume(check.code_id) is False
    again = codes.verify(issued.code)
    assert again.outcome == "used"
    actions = [r.action for r in audit.records()]
    assert actions == ["pickup_code.issued", "pickup_code.used"]
    assert audit.verify()[0]


def test_code_expires(codes, clock):
    issued = codes.issue(["C-1"])
    clock.advance(3599)
    assert codes.verify(issued.code).ok
    clock.advance(2)
    check = codes.verify(issued.code)
    assert check.outcome == "expired"
    assert codes.consume(check.code_id) is False


def test_reissue_revokes_the_older_code(codes):
    first = codes.issue(["C-1"])
    second = codes.issue(["C-1"])
    assert codes.verify(first.code).outcome in ("revoked", "ok")  # "ok" only if the random codes collide
    if first.code != second.code:
        assert codes.verify(first.code).outcome == "revoked"
    assert codes.verify(second.code).ok
    assert codes.active_for_case("C-1") == [second.code_id]
    assert codes.revoke_for_case("C-1") == 1
    assert codes.verify(second.code).outcome == "revoked"


def test_id_card_required_and_wrong_person_attempts(codes, hasher, audit):
    issued = codes.issue(["C-9"], applicant_hash=hasher.hash_id(ID), id_card_required=True)
    need = codes.verify(issued.code)
    assert need.outcome == "id_required" and need.id_card_required and need.attempts_left == 3
    assert codes.verify(issued.code, id_number=ID.lower()).ok
    r1 = codes.verify(issued.code, id_number=OTHER)
    assert r1.outcome == "wrong_person" and r1.attempts_left == 2
    assert codes.verify(issued.code, id_number=OTHER).attempts_left == 1
    r3 = codes.verify(issued.code, id_number=OTHER)
    assert r3.outcome == "blocked" and r3.attempts_left == 0
    assert codes.verify(issued.code, id_number=ID).outcome == "blocked"  # even the right person: staff re-issue
    assert codes.consume(issued.code_id) is False
    actions = [r.action for r in audit.records()]
    assert actions.count("pickup_code.wrong_person") == 3 and "pickup_code.blocked" in actions
    with pytest.raises(PickupCodeError, match="needs the applicant"):
        codes.issue(["C-9"], id_card_required=True)


def test_station_wide_rate_limit_locks_and_audits(codes, clock, audit, store, hasher):
    issued = codes.issue(["C-1"])
    bad = wrong_code(issued.code)
    for i in range(4):
        r = codes.verify(bad)
        assert r.outcome == "wrong", i
        clock.advance(10)
    locked = codes.verify(bad)
    assert locked.outcome == "locked" and locked.locked_until
    # even the right code is refused while locked: guessing gains nothing
    assert codes.verify(issued.code).outcome == "locked"
    rec = [r for r in audit.records() if r.action == "pickup_code.lockout"]
    assert len(rec) == 1 and rec[0].detail["failures"] == 5
    # a restart does not lift the lock-out (it is in the database)
    restarted = PickupCodes(store, hasher, audit, clock, ttl_s=3600, max_failures=5, window_s=600, lockout_s=900)
    assert restarted.verify(issued.code).outcome == "locked"
    clock.advance(901)
    assert codes.locked_until() is None
    assert codes.verify(issued.code).ok


def test_failures_outside_the_window_do_not_count(codes, clock):
    issued = codes.issue(["C-1"])
    bad = wrong_code(issued.code)
    for _ in range(15):  # (the daily cap, 20, is tested below)
        assert codes.verify(bad).outcome == "wrong"
        clock.advance(200)  # 4 failures at most in any 600 s window
    assert codes.locked_until() is None


def test_a_slow_guesser_under_the_window_limit_meets_the_daily_cap(codes, clock, audit):
    """4 wrong codes every 10 minutes never trip the short window; without a daily cap that is
    ~570 guesses a day against every active code."""
    issued = codes.issue(["C-1"])
    bad = wrong_code(issued.code)
    outcomes = []
    for _ in range(20):
        outcomes.append(codes.verify(bad).outcome)
        clock.advance(160)  # at most 4 in any 600 s
    assert outcomes == ["wrong"] * 19 + ["locked"]
    rec = [r for r in audit.records() if r.action == "pickup_code.lockout"]
    assert len(rec) == 1 and rec[0].detail["failures"] == 20 and rec[0].detail["window_s"] == 86400
    assert codes.verify(issued.code).outcome == "locked"
    # locked until the first of those failures is a day old, then guessing resumes at the cap's pace
    clock.advance(86400 - 20 * 160)
    assert codes.locked_until() is None
    fresh = codes.issue(["C-2"])
    assert codes.verify(fresh.code).ok
    bad = wrong_code(fresh.code)
    assert codes.verify(bad).outcome == "locked"  # still 19 failures within the day + this one


def test_the_short_window_restarts_after_a_lock_out(codes, clock):
    issued = codes.issue(["C-1"])
    bad = wrong_code(issued.code)
    for _ in range(5):
        codes.verify(bad)
    assert codes.locked_until()
    clock.advance(901)
    assert [codes.verify(bad).outcome for _ in range(4)] == ["wrong"] * 4


@pytest.mark.parametrize("text", ["", "12345", "1234567", "abcdef", "１２３４５６", "12 456", None, 123456,
                                  "١٢٣٤٥٦", "' OR 1=1"])
def test_malformed_codes_answered_and_not_counted(codes, text):
    for _ in range(10):
        assert codes.verify(text).outcome == "malformed"  # type: ignore[arg-type]
    assert codes.locked_until() is None


def test_codes_hashed_at_rest(codes, store, hasher):
    issued = [codes.issue([f"C-{i}"]) for i in range(10)]
    rows = store.query("SELECT * FROM pickup_codes")
    import hashlib
    for row, iss in zip(sorted(rows, key=lambda r: r["case_nos"]), sorted(issued, key=lambda i: i.case_nos)):
        assert all(iss.code != str(v) for v in tuple(row))
        assert row["code_hash"] == hasher.hash("pickup", iss.code)
        assert row["code_hash"] != hashlib.sha256(iss.code.encode()).hexdigest()


def test_issue_needs_case_numbers(codes):
    with pytest.raises(PickupCodeError):
        codes.issue([])
    with pytest.raises(PickupCodeError):
        codes.issue([""])


def test_purge_removes_old_codes(codes, clock):
    old = codes.issue(["C-1"])
    codes.consume(codes.verify(old.code).code_id)
    clock.advance(31 * 86400)
    fresh = codes.issue(["C-2"])
    assert codes.purge(30) == 1
    assert codes.verify(fresh.code).ok


@pytest.mark.parametrize("id_number", [123, b"11010119610804013X", "", "1" * 200])
def test_unusable_id_number_is_malformed_not_a_crash(codes, hasher, id_number):
    issued = codes.issue(["C-1"], applicant_hash=hasher.hash_id(ID), id_card_required=True)
    assert codes.verify(issued.code, id_number=id_number).outcome == "malformed"  # type: ignore[arg-type]
    assert codes.verify(issued.code, id_number=ID).ok  # and no attempt was counted against it
    assert codes.verify(issued.code, id_number=ID).attempts_left == 3


def test_concurrent_consume_opens_once(db_path, hasher, clock):
    """Two connections race to use the same code: exactly one wins."""
    import threading

    from kiosk.services.audit import AuditLog
    from kiosk.services.store import Store

    stores = [Store(db_path) for _ in range(4)]
    pcs = [PickupCodes(s, hasher, AuditLog(s, clock), clock) for s in stores]
    issued = pcs[0].issue(["C-1"])
    barrier = threading.Barrier(len(pcs))
    wins: list[bool] = []

    def go(pc):
        barrier.wait()
        wins.append(pc.consume(issued.code_id))

    threads = [threading.Thread(target=go, args=(pc,)) for pc in pcs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False, False, False, True]
    assert [r.action for r in AuditLog(stores[0], clock).records()].count("pickup_code.used") == 1
    for s in stores:
        s.close()
