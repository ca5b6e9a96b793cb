"""Chinese resident ID card contents: the ID number's check character (ISO 7064 MOD 11-2,
GB 11643) and the 256-byte text block the SAM module returns (UTF-16LE, space padded, fixed
offsets) turned into an `IdentityRecord`. Pure functions; no device library."""

from __future__ import annotations

from datetime import date

from kiosk.devices.idreader import IdentityRecord
from kiosk.devices.idreader.nations import nation_names

TEXT_LENGTH = 256
LONG_TERM = "长期"

# (field, start, end) byte offsets in the text block; end exclusive.
TEXT_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("name", 0, 30),
    ("sex", 30, 32),
    ("nation", 32, 36),
    ("birth", 36, 52),
    ("address", 52, 122),
    ("id_number", 122, 158),
    ("issuer", 158, 188),
    ("valid_from", 188, 204),
    ("valid_to", 204, 220),
    ("reserved", 220, 256),
)

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


class CardDataError(ValueError):
    """The card's text block cannot be understood (the message never contains the ID number)."""


def id_check_char(first17: str) -> str:
    """The check character for the first 17 digits of an ID number (ISO 7064 MOD 11-2)."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    return _CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def id_number_valid(number: str) -> bool:
    """18 characters, 17 digits + a correct check character (digit or X)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return id_check_char(number[:17]) == number[17].upper()


def parse_card_date(text: str, field: str) -> date:
    """YYYYMMDD -> date; CardDataError names the field (not the value: it may be personal)."""
    if len(text) != 8 or not text.isdigit():
        raise CardDataError(f"{field}: not a YYYYMMDD date")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise CardDataError(f"{field}: not a calendar date") from None


def split_text(block: bytes) -> dict[str, str]:
    """The raw fields of the text block, decoded and stripped of padding."""
    if len(block) != TEXT_LENGTH:
        raise CardDataError(f"text block is {len(block)} bytes, expected {TEXT_LENGTH}")
    fields = {}
    for name, start, end in TEXT_FIELDS:
        try:
            value = block[start:end].decode("utf-16-le")
        except UnicodeDecodeError:
            raise CardDataError(f"{name}: not valid UTF-16LE text") from None
        fields[name] = value.rstrip(" \x00").strip()
    return fields


def parse_text(block: bytes) -> IdentityRecord:
    """Turn the 256-byte text block into a record (photo not included)."""
    f = split_text(block)
    number = f["id_number"].upper()
    if len(number) != 18:
        raise CardDataError(f"ID number has {len(number)} characters, expected 18")
    sex = {"1": "M", "2": "F"}.get(f["sex"])
    if sex is None:
        raise CardDataError("sex code is neither 1 nor 2")
    if not f["name"]:
        raise CardDataError("name is empty")
    names = nation_names(f["nation"])
    if names is None:
        raise CardDataError(f"unknown nation code {f['nation']!r}")
    birth = parse_card_date(f["birth"], "birth date")
    valid_from = parse_card_date(f["valid_from"], "valid from")
    long_term = f["valid_to"] == LONG_TERM
    valid_to = None if long_term else parse_card_date(f["valid_to"], "valid to")
    if valid_to is not None and valid_to < valid_from:
        raise CardDataError("valid-to date is before valid-from date")
    return IdentityRecord(
        doc_type="cn_resident_id",
        name=f["name"],
        sex=sex,
        birth_date=birth,
        _id_number=number,
        id_number_valid=id_number_valid(number),
        nationality="CHN",
        nation_code=f["nation"],
        nation_name_zh=names[0],
        nation_name_en=names[1],
        address=f["address"],
        issuer=f["issuer"],
        valid_from=valid_from,
        valid_to=valid_to,
        long_term=long_term,
    )
