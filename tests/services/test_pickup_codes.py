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


def test_wrong_codes_end_the_visit_and_slow_the_station_audited(codes, clock, audit, store, hasher):
    """The station-wide 24 h lock-out these tests used to pin down was security finding 7; the rate
    rules that replace it are tested in test_pickup_rate.py."""
    issued = codes.issue(["C-1"])
    bad = wrong_code(issued.code)
    for i in range(4):
        r = codes.verify(bad, session="v1")
        assert r.outcome == "wrong" and r.attempts_left == 4 - i, i
        clock.advance(10)
    assert codes.verify(bad, session="v1").outcome == "locked"  # this visit only
    assert codes.verify(issued.code, session="v1").outcome == "locked"
    slow = codes.verify(issued.code, session="v2")
    assert slow.outcome == "slow" and 0 < slow.retry_after_s <= 30
    actions = [r.action for r in audit.records()]
    assert "pickup_code.visit_locked" in actions and "pickup_code.slowed" in actions
    restarted = PickupCodes(store, hasher, audit, clock, ttl_s=3600, max_failures=5, window_s=600, lockout_s=900)
    assert restarted.verify(issued.code, session="v3").outcome == "slow"  # the wait is in the database
    clock.advance(31)
    assert codes.locked_until() is None
    assert restarted.verify(issued.code, session="v3").ok


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
