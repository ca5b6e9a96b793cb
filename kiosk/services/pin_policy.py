"""The staff PIN policy: one function, `pin_problem(pin, card_number)`, says which rule a PIN breaks.

Rules, checked in this order (the first broken one is reported):
- `digits_only`: only the digits 0-9;
- `too_short`: at least `MIN_LENGTH` (6) digits;
- `repeated`: not one digit repeated (000000, 7777777);
- `sequence`: not an ascending or descending run without wrap-around, of any length
  (123456, 987654, 3456789; 890123 wraps and is allowed);
- `birth_date`: does not contain the card holder's birth date as YYYYMMDD, YYMMDD or MMDD, taken from
  positions 7-14 of an 18-character resident ID number (other documents: no birth-date check).

A refusal is a `PinProblem` whose `rule` names the rule; `message("en")` is the CLI's English text,
`message("zh")` the screen text (both from the `staff` gettext catalog).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_LENGTH = 6
MAX_LENGTH = 12
RULES = ("digits_only", "too_short", "too_long", "repeated", "sequence", "birth_date")


@dataclass(frozen=True)
class PinProblem:
    rule: str  # one of RULES

    def message(self, lang: str = "en") -> str:
        from kiosk.i18n import translate

        return translate(f"staff.pin.{self.rule}", lang, min=MIN_LENGTH, max=MAX_LENGTH)

    def __str__(self) -> str:
        return f"PIN refused ({self.rule}): {self.message('en')}"


def birth_date_forms(card_number: str | None) -> tuple[str, ...]:
    """('19620311', '620311', '0311') from an 18-character resident ID number, else ()."""
    if not card_number:
        return ()
    n = "".join(ch for ch in card_number.strip().upper() if ch not in " -\t")
    if len(n) != 18 or not n[:17].isdigit():
        return ()
    ymd = n[6:14]
    return ymd, ymd[2:], ymd[4:]


def _is_run(pin: str) -> bool:
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:])}
    return steps == {1} or steps == {-1}


def pin_problem(pin: str, card_number: str | None = None) -> PinProblem | None:
    """None when the PIN may be used, else the first rule it breaks."""
    if not isinstance(pin, str) or not pin or not all("0" <= ch <= "9" for ch in pin):
        return PinProblem("digits_only")
    if len(pin) < MIN_LENGTH:
        return PinProblem("too_short")
    if len(pin) > MAX_LENGTH:
        return PinProblem("too_long")
    if len(set(pin)) == 1:
        return PinProblem("repeated")
    if _is_run(pin):
        return PinProblem("sequence")
    if any(form in pin for form in birth_date_forms(card_number)):
        return PinProblem("birth_date")
    return None
