"""The resident ID card's contents: check digits, the text block of every sample identity as the
simulator encodes it, parsed by the driver; the nation table; hostile text blocks."""

from __future__ import annotations

from datetime import date

import pytest

from hw_sim.identities import SAMPLE_IDENTITIES, get_identity
from hw_sim.sam_module import card_text
from kiosk.devices.idreader import mask_id_number
from kiosk.devices.idreader.cn_id import CardDataError, id_check_char, id_number_valid, parse_text
from kiosk.devices.idreader.nations import NATIONS, nation_names


def test_check_digit_published_example():
    # GB 11643-1999's own example number
    assert id_check_char("11010519491231002") == "X"
    assert id_number_valid("11010519491231002X")
    assert id_number_valid("11010519491231002x")
    assert not id_number_valid("110105194912310021")
    assert not id_number_valid("1101051949123100")  # too short
    assert not id_number_valid("1101051949A231002X")  # letter inside


def test_nation_table_is_complete():
    assert len(NATIONS) == 58
    assert [f"{i:02d}" for i in range(1, 57)] == sorted(k for k in NATIONS if k < "57")
    assert nation_names("05") == ("维吾尔", "Uyghur")
    assert nation_names("56") == ("基诺", "Jino")
    assert nation_names("97")[1] == "Other"
    assert nation_names("98")[0] == "外国血统中国籍人士"
    assert nation_names("57") is None
    assert all(zh and en for zh, en in NATIONS.values())


@pytest.mark.parametrize("key", sorted(SAMPLE_IDENTITIES))
def test_every_sample_identity_round_trips(key):
    ident = get_identity(key)
    record = parse_text(card_text(ident))
    assert record.name == ident.name_zh
    assert record.address == ident.address
    assert record.issuer == ident.issuer
    assert record.sex == {"1": "M", "2": "F"}[ident.sex]
    assert record.nation_code == ident.nation_code
    assert (record.nation_name_zh, record.nation_name_en) == NATIONS[ident.nation_code]
    assert record.birth_date == ident.birth_date
    assert record.valid_from == ident.valid_from
    assert record.long_term == ident.long_term
    assert record.valid_to == ident.valid_to
    assert record.id_number == ident.id_number
    assert record.id_number_valid == (key != "bad_check_digit")


def test_edge_cases():
    assert parse_text(card_text(get_identity("x_check_digit"))).id_number.endswith("X")
    longest = parse_text(card_text(get_identity("longest_fields")))
    assert len(longest.name) == 15 and len(longest.address) == 35 and len(longest.issuer) == 15
    long_term = parse_text(card_text(get_identity("tibetan_long_term")))
    assert long_term.long_term and long_term.valid_to is None and not long_term.expired(date(2099, 1, 1))
    expired = parse_text(card_text(get_identity("expired")))
    assert expired.expired(date(2026, 1, 1)) and not expired.expired(date(2023, 5, 5))
    assert not parse_text(card_text(get_identity("bad_check_digit"))).id_number_valid


def _with(block: bytes, start: int, text: str) -> bytes:
    raw = text.encode("utf-16-le")
    return block[:start] + raw + block[start + len(raw):]


@pytest.mark.parametrize("mutate, message", [
    (lambda b: b[:200], "text block is 200 bytes"),
    (lambda b: _with(b, 30, "3"), "sex code"),
    (lambda b: _with(b, 32, "77"), "unknown nation code"),
    (lambda b: _with(b, 36, "19901345"), "birth date: not a calendar date"),
    (lambda b: _with(b, 36, "1990ABCD"), "birth date: not a YYYYMMDD"),
    (lambda b: _with(b, 204, "20000101"), "valid-to date is before"),
    (lambda b: _with(b, 122, "12345" + " " * 13), "ID number has 5 characters"),
    (lambda b: b[:0] + b"\x00\xd8" + b[2:], "name: not valid UTF-16LE"),
    (lambda b: " ".ljust(15).encode("utf-16-le") + b[30:], "name is empty"),
])
def test_hostile_text_blocks_give_clear_errors(mutate, message):
    block = card_text(get_identity("obama"))
    with pytest.raises(CardDataError, match=message) as info:
        parse_text(mutate(block))
    assert get_identity("obama").id_number not in str(info.value)


def test_record_never_shows_the_full_number():
    ident = get_identity("obama")
    record = parse_text(card_text(ident))
    for text in (repr(record), str(record), f"{record}", str(record.public_fields(date(2026, 1, 1)))):
        assert ident.id_number not in text
    assert record.id_number_masked == mask_id_number(ident.id_number)
    assert record.id_number_masked.count("*") == 10
    record.wipe()
    assert record.id_number == "" and record.name == "" and record.photo is None


def test_mask_rules():
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_id_number("E10000013") == "E1*****13"
    assert mask_id_number("AB12") == "****"


def test_mrz_key_never_shows_the_document_number_or_birth_date():
    from kiosk.devices.idreader import MrzKey

    ident = get_identity("obama")
    key = MrzKey(ident.passport_number, "610804", "310520")
    for text in (repr(key), str(key), f"{key}", repr([key]), repr({"mrz": key})):
        assert ident.passport_number not in text and "610804" not in text
    assert key.document_number == ident.passport_number and key.birth_date == "610804"  # fields intact
    assert mask_id_number(ident.passport_number) in repr(key)
