"""Staff enrolment on disk and through the `kiosk staff` CLI: scrypt PINs (old HMAC rows still verify
and are re-hashed), policy refusals named, nothing secret listed, every change audited."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest

from kiosk.services import pin_hash
from kiosk.services.staff import LEGACY_SCHEME, StaffError
from tests.ops.conftest import STAFF_CARD, STAFF_PIN, run_kiosk

TECH_CARD = "330106198702090626"  # rose_leslie, born 1987-02-09


def test_pins_are_scrypt_under_the_station_key(seeded):
    store, staff, _, _ = seeded.services()
    try:
        row = store.query("SELECT * FROM staff WHERE staff_no = 'S002'")[0]
        assert row["pin_scheme"] == pin_hash.SCHEME and STAFF_PIN not in row["pin_hash"]
        assert row["card_masked"] == "3101**********0310"
        assert staff.check_pin("S002", STAFF_PIN).ok
        assert staff.check_pin("S002", "135790").reason == "wrong_pin"
        # the same salt and PIN without the station key's HMAC is not what is stored
        bare = pin_hash.derive(STAFF_PIN, bytes.fromhex(row["pin_salt"])).hex()
        assert bare != row["pin_hash"]
    finally:
        store.close()


def test_rows_of_the_earlier_release_keep_verifying_and_are_rehashed(seeded):
    store, staff, _, _ = seeded.services()
    try:
        salt = "ab" * 16
        legacy = staff.hasher.hash("staff-pin", f"{salt}:{STAFF_PIN}")  # how staff.py hashed before
        with store.transaction() as conn:
            conn.execute("UPDATE staff SET pin_scheme = ?, pin_salt = ?, pin_hash = ? WHERE staff_no = 'S002'",
                         (LEGACY_SCHEME, salt, legacy))
        assert staff.check_pin("S002", "999999").reason == "wrong_pin"
        row = store.query("SELECT pin_scheme FROM staff WHERE staff_no = 'S002'")[0]
        assert row["pin_scheme"] == LEGACY_SCHEME  # a wrong PIN changes nothing
        assert staff.check_pin("S002", STAFF_PIN).ok
        row = store.query("SELECT pin_scheme, pin_hash FROM staff WHERE staff_no = 'S002'")[0]
        assert row["pin_scheme"] == pin_hash.SCHEME and row["pin_hash"] != legacy
        assert staff.check_pin("S002", STAFF_PIN).ok
    finally:
        store.close()


def test_a_database_of_the_earlier_schema_is_migrated(tmp_path):
    """A version-1 staff table (before pin_scheme / card_masked) is brought forward; its rows verify."""
    from kiosk.core.clock import FakeClock
    from kiosk.services.keyed_hash import KeyedHasher, create_key
    from kiosk.services.staff import MIGRATIONS_V1_FOR_TESTS, StaffRegistry
    from kiosk.services.store import Store

    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript(MIGRATIONS_V1_FOR_TESTS + ";CREATE TABLE schema_versions (component TEXT PRIMARY KEY, "
                       "version INTEGER NOT NULL); INSERT INTO schema_versions VALUES ('staff', 1);")
    hasher = KeyedHasher(create_key(tmp_path / "k.key"))
    salt = "cd" * 16
    conn.execute("INSERT INTO staff(staff_no, display_name, role, card_hash, pin_salt, pin_hash) VALUES (?,?,?,?,?,?)",
                 ("S009", "old", "staff", hasher.hash_id(STAFF_CARD), salt, hasher.hash("staff-pin", f"{salt}:4321")))
    conn.commit()
    conn.close()
    store = Store(db)
    try:
        staff = StaffRegistry(store, hasher, None, FakeClock())
        assert store.version("staff") == 3
        assert staff.by_card(STAFF_CARD).staff_no == "S009"
        assert staff.check_pin("S009", "4321").ok  # an old 4-digit PIN still signs in
        assert staff.roster()[0].pin_scheme == pin_hash.SCHEME
    finally:
        store.close()


def test_policy_refusal_names_the_rule_and_changes_nothing(seeded):
    store, staff, _, _ = seeded.services()
    try:
        before = store.query("SELECT * FROM staff")
        with pytest.raises(StaffError) as err:
            staff.add("S003", "x", "staff", TECH_CARD, "870209")  # her birth date YYMMDD
        assert err.value.rule == "birth_date" and "birth date" in str(err.value)
        with pytest.raises(StaffError, match="already enrolled as S002"):
            staff.add("S003", "x", "staff", STAFF_CARD, "246813")
        assert [dict(r) for r in store.query("SELECT * FROM staff")] == [dict(r) for r in before]
    finally:
        store.close()


def test_disable_stops_sign_in_and_is_audited(seeded):
    store, staff, _, _ = seeded.services()
    try:
        assert staff.disable("S002", "admin:test", "left") is True
        assert staff.by_card(STAFF_CARD) is None and staff.check_pin("S002", STAFF_PIN).reason == "unknown"
        assert staff.disable("S002", "admin:test") is False
        with pytest.raises(StaffError, match="no staff member 'S404'"):
            staff.disable("S404")
        actions = [(r.action, r.actor) for r in staff.audit.records()]
        assert ("staff.enrolled", "admin") in actions and ("staff.disabled", "admin:test") in actions
    finally:
        store.close()


def test_enrolment_offer_completed_with_card_code_and_pin(seeded):
    store, staff, _, _ = seeded.services()
    try:
        code_hash = pin_hash.encode("73920514")
        staff.offer_enrolment("T002", "技术员 2", "technician", "3301**********0626", code_hash,
                              staff.clock.now() + timedelta(hours=2), "backoffice:ops:li")
        assert [o.staff_no for o in staff.pending()] == ["T002"]
        with pytest.raises(StaffError) as err:
            staff.complete_enrolment("T002", "73920514", STAFF_CARD, "246813")  # someone else's card
        assert err.value.rule == "card_mismatch"
        with pytest.raises(StaffError) as err:
            staff.complete_enrolment("T002", "00000000", TECH_CARD, "246813")
        assert err.value.rule == "bad_code"
        with pytest.raises(StaffError) as err:
            staff.complete_enrolment("T002", "73920514", TECH_CARD, "123456")
        assert err.value.rule == "sequence" and staff.pending()  # a bad PIN may be chosen again
        member = staff.complete_enrolment("T002", "73920514", TECH_CARD, "246813")
        assert member.role == "technician" and staff.by_card(TECH_CARD).staff_no == "T002"
        assert staff.check_pin("T002", "246813").ok and staff.pending() == []
        failed = [r.detail["problem"] for r in staff.audit.records() if r.action == "staff.enrolment_failed"]
        assert failed == ["card_mismatch", "bad_code"]
        enrolled = [r for r in staff.audit.records() if r.action == "staff.enrolled" and r.subject == "T002"]
        assert enrolled[0].actor == "enrolment:backoffice:ops:li"
    finally:
        store.close()


def test_enrolment_offer_expires_and_is_withdrawn_after_failures(seeded):
    store, staff, _, _ = seeded.services()
    try:
        staff.offer_enrolment("T003", "t", "technician", "3301**********0626", pin_hash.encode("11112222"),
                              staff.clock.now() + timedelta(hours=1), "backoffice:x")
        for _ in range(5):
            with pytest.raises(StaffError):
                staff.complete_enrolment("T003", "99999999", TECH_CARD, "246813")
        assert staff.pending() == []  # withdrawn: the right code no longer works
        with pytest.raises(StaffError, match="no open enrolment"):
            staff.complete_enrolment("T003", "11112222", TECH_CARD, "246813")
        staff.offer_enrolment("T004", "t", "technician", "3301**********0626", pin_hash.encode("11112222"),
                              staff.clock.now() + timedelta(hours=1), "backoffice:x")
        staff.clock.advance(3601)
        with pytest.raises(StaffError, match="expired"):
            staff.complete_enrolment("T004", "11112222", TECH_CARD, "246813")
    finally:
        store.close()


# ---- the CLI -------------------------------------------------------------------------------------------
def test_cli_add_list_disable(seeded):
    r = run_kiosk(*seeded.cli("staff", "add", "--card", TECH_CARD, "--name", "技术员 / Tech", "--role", "technician",
                              "--staff-no", "T005", "--pin-stdin"), stdin="135790\n")
    assert r.returncode == 0, r.stderr
    assert "enrolled T005 (technician), card 3301**********0626" in r.stdout
    r = run_kiosk(*seeded.cli("staff", "list", "--json"))
    assert r.returncode == 0, r.stderr
    listing = json.loads(r.stdout.strip().splitlines()[-1])
    assert {s["staff_no"] for s in listing["staff"]} == {"S002", "T005"}
    for secret in (TECH_CARD, STAFF_CARD, "135790", STAFF_PIN):
        assert secret not in r.stdout
    store = sqlite3.connect(seeded.files.database)
    hashes = [row[0] for row in store.execute("SELECT pin_hash FROM staff")] + \
             [row[0] for row in store.execute("SELECT card_hash FROM staff")]
    store.close()
    assert hashes and not any(h in r.stdout for h in hashes)
    r = run_kiosk(*seeded.cli("staff", "disable", "T005", "--reason", "moved"))
    assert r.returncode == 0 and "T005 disabled" in r.stdout, r.stderr
    text = run_kiosk(*seeded.cli("staff", "list")).stdout
    assert "T005" in text and "disabled" in text and "3301**********0626" in text


@pytest.mark.parametrize("pin, rule", [("234567", "sequence"), ("870209", "birth_date"), ("4711", "too_short"),
                                       ("555555", "repeated"), ("12ab56", "digits_only")])
def test_cli_refuses_a_weak_pin_naming_the_rule(seeded, pin, rule):
    r = run_kiosk(*seeded.cli("staff", "add", "--card", TECH_CARD, "--name", "t", "--role", "technician",
                              "--staff-no", "T006", "--pin-stdin"), stdin=pin + "\n")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"PIN refused ({rule})" in r.stderr and pin not in r.stderr
    store, staff, _, _ = seeded.services()
    try:
        assert staff.by_card(TECH_CARD) is None
    finally:
        store.close()


def test_cli_bad_input(seeded, tmp_path):
    r = run_kiosk(*seeded.cli("staff", "add", "--card", TECH_CARD, "--name", "t", "--role", "staff", "--staff-no", "X"))
    assert r.returncode == 1 and "--pin-stdin" in r.stderr  # no TTY, no PIN given
    r = run_kiosk(*seeded.cli("staff", "add", "--card", TECH_CARD, "--name", "t", "--role", "staff", "--staff-no", "X",
                              "--pin-stdin"), stdin="")
    assert r.returncode == 1 and "nothing on stdin" in r.stderr
    r = run_kiosk(*seeded.cli("staff", "disable", "NOPE"))
    assert r.returncode == 1 and "no staff member 'NOPE'" in r.stderr
    seeded.files.hash_key.unlink()
    r = run_kiosk(*seeded.cli("staff", "list"))
    assert r.returncode == 1 and "hash key file is missing" in r.stderr and "kiosk backup restore" in r.stderr


def test_cli_offer_then_enrol_at_the_station(seeded):
    r = run_kiosk("staff", "offer", "--staff-no", "T007", "--name", "技术员 7", "--role", "technician",
                  "--card", TECH_CARD, "--valid-h", "24", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert TECH_CARD not in r.stdout and out["args"]["card_masked"] == "3301**********0626"
    store, staff, _, _ = seeded.services(real_clock=True)  # the CLI runs on the real clock
    try:
        staff.offer_enrolment(out["args"]["staff_no"], out["args"]["display_name"], out["args"]["role"],
                              out["args"]["card_masked"], out["args"]["enrol_code_hash"],
                              staff.clock.now() + timedelta(hours=24), "backoffice:ops:test")
    finally:
        store.close()
    r = run_kiosk(*seeded.cli("staff", "enrol", "T007", "--code", "wrong000", "--card", TECH_CARD, "--pin-stdin"),
                  stdin="246813\n")
    assert r.returncode == 1 and "enrolment code is wrong" in r.stderr
    r = run_kiosk(*seeded.cli("staff", "enrol", "T007", "--code", out["code"], "--card", TECH_CARD, "--pin-stdin"),
                  stdin="246813\n")
    assert r.returncode == 0 and "enrolled T007 (technician)" in r.stdout, r.stderr
