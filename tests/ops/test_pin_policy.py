"""The staff PIN policy: each rule refuses what it should, names itself, and has zh and en texts."""

from __future__ import annotations

import pytest

from kiosk.services.pin_policy import RULES, birth_date_forms, pin_problem

CARD = "310115196211200310"  # born 1962-11-20


@pytest.mark.parametrize("pin, rule", [
    ("12a456", "digits_only"), ("", "digits_only"), ("１２３４５６", "digits_only"), ("24681 ", "digits_only"),
    ("24680", "too_short"), ("2468013579135", "too_long"),
    ("000000", "repeated"), ("7777777", "repeated"),
    ("123456", "sequence"), ("987654", "sequence"), ("3456789", "sequence"), ("0123456789", "sequence"),
    ("9876543210", "sequence"),
    ("19621120", "birth_date"), ("621120", "birth_date"), ("551120", "birth_date"), ("11207", "too_short"),
    ("811209", "birth_date"),
])
def test_refused(pin, rule):
    problem = pin_problem(pin, CARD)
    assert problem is not None and problem.rule == rule, (pin, problem)


@pytest.mark.parametrize("pin", ["246810", "135790", "890123", "112233", "1234567890"[1:] + "0", "201962"])
def test_allowed(pin):
    assert pin_problem(pin, CARD) is None, pin


def test_birth_date_only_from_a_resident_id():
    assert birth_date_forms(CARD) == ("19621120", "621120", "1120")
    assert birth_date_forms("E12345678") == () and birth_date_forms(None) == ()
    assert pin_problem("621120", "E12345678") is None  # a passport number says nothing about a birth date


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_speaks_both_languages(rule):
    from kiosk.services.pin_policy import PinProblem

    en, zh = PinProblem(rule).message("en"), PinProblem(rule).message("zh")
    assert en != f"staff.pin.{rule}" and zh != f"staff.pin.{rule}" and en != zh
    assert "{" not in en and "{" not in zh
    assert rule in str(PinProblem(rule))


def test_the_sample_staff_pins_pass_for_their_cards():
    from hw_sim.identities import get_identity
    from hw_sim.station.simulated import STAFF

    for _, _, _, key, pin in STAFF:
        assert pin_problem(pin, get_identity(key).id_number) is None
