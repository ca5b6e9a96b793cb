"""Machine-readable zone (Doc 9303 part 3, 4, 5): check digits, the MRZ information BAC keys
come from, and parsing of TD3 (passports, 2 x 44) and TD1 (ID cards, 3 x 30) with every check
digit verified."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


class MrzError(ValueError):
    pass


def char_value(c: str) -> int:
    if c.isdigit():
        return int(c)
    if "A" <= c <= "Z":
        return ord(c) - ord("A") + 10
    if c == "<":
        return 0
    raise MrzError(f"character {c!r} is not allowed in an MRZ")


def check_digit(text: str) -> str:
    """Weights 7, 3, 1 repeating; `<` = 0, A-Z = 10-35; sum mod 10."""
    return str(sum(char_value(c) * (7, 3, 1)[i % 3] for i, c in enumerate(text)) % 10)


def mrz_information(document_number: str, birth: str, expiry: str) -> str:
    """The BAC key input: document number (padded to 9 with `<`) + check digit, birth YYMMDD +
    check digit, expiry YYMMDD + check digit. Longer document numbers are not supported (TD1
    extended numbers need the optional-data continuation)."""
    doc = document_number.upper().replace(" ", "")
    if not doc or len(doc) > 9:
        raise MrzError("document number must have 1 to 9 characters")
    for value, what in ((birth, "birth date"), (expiry, "expiry date")):
        if len(value) != 6 or not value.isdigit():
            raise MrzError(f"{what} must be YYMMDD")
    doc = doc.ljust(9, "<")
    for c in doc:
        char_value(c)
    return doc + check_digit(doc) + birth + check_digit(birth) + expiry + check_digit(expiry)


def mrz_date(yymmdd: str, *, future: bool, today: date | None = None) -> date | None:
    """YYMMDD -> date. A birth date is never in the future; an expiry date may be up to 50
    years ahead. None when it is not a calendar date."""
    if len(yymmdd) != 6 or not yymmdd.isdigit():
        return None
    today = today or date.today()
    year = 2000 + int(yymmdd[:2])
    if year > today.year + (50 if future else 0):
        year -= 100
    try:
        return date(year, int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return None


@dataclass
class MrzData:
    format: str  # "TD1" | "TD3"
    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: str  # YYMMDD
    sex: str  # M | F | <
    expiry_date: str  # YYMMDD
    optional_data: str
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def all_checks_ok(self) -> bool:
        return all(self.checks.values())

    @property
    def failed_checks(self) -> list[str]:
        return [k for k, ok in self.checks.items() if not ok]


def _names(field_text: str) -> tuple[str, str]:
    surname, _, given = field_text.partition("<<")
    return surname.replace("<", " ").strip(), given.replace("<", " ").strip()


def _check(value: str, digit: str) -> bool:
    try:
        return check_digit(value) == digit
    except MrzError:
        return False


def parse_mrz(text: str) -> MrzData:
    """Parse a TD3 (88 characters) or TD1 (90 characters) MRZ; newlines are ignored."""
    mrz = text.replace("\n", "").replace("\r", "").strip()
    for c in mrz:
        char_value(c)
    if len(mrz) == 88:
        return _parse_td3(mrz)
    if len(mrz) == 90:
        return _parse_td1(mrz)
    raise MrzError(f"MRZ of {len(mrz)} characters is neither TD3 (88) nor TD1 (90)")


def _parse_td3(m: str) -> MrzData:
    l1, l2 = m[:44], m[44:]
    surname, given = _names(l1[5:44])
    data = MrzData("TD3", l1[0:2].replace("<", ""), l1[2:5], surname, given,
                   l2[0:9].rstrip("<"), l2[10:13], l2[13:19], l2[20], l2[21:27], l2[28:42].rstrip("<"))
    data.checks = {
        "document_number": _check(l2[0:9], l2[9]),
        "birth_date": _check(l2[13:19], l2[19]),
        "expiry_date": _check(l2[21:27], l2[27]),
        "optional_data": l2[42] in "<0" and l2[28:42].strip("<") == "" or _check(l2[28:42], l2[42]),
        "composite": _check(l2[0:10] + l2[13:20] + l2[21:43], l2[43]),
    }
    return data


def _parse_td1(m: str) -> MrzData:
    l1, l2, l3 = m[:30], m[30:60], m[60:]
    surname, given = _names(l3)
    data = MrzData("TD1", l1[0:2].replace("<", ""), l1[2:5], surname, given,
                   l1[5:14].rstrip("<"), l2[15:18], l2[0:6], l2[7], l2[8:14],
                   (l1[15:30] + l2[18:29]).strip("<"))
    data.checks = {
        "document_number": _check(l1[5:14], l1[14]),
        "birth_date": _check(l2[0:6], l2[6]),
        "expiry_date": _check(l2[8:14], l2[14]),
        "composite": _check(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29]),
    }
    return data
