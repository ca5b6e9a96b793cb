"""The formats the station accepts in a decoded barcode or QR code, in one place.

A decoded payload is untrusted input (anyone can print a QR code or show one on a phone). It is
only ever matched against these formats and turned into plain values; it is never executed,
evaluated, used as a path, or interpolated into SQL, shell or markup. Everything here is pure
Python so flows can import it.

Formats:
- case number: `<STATION>-<YYYYMMDD>-<NNNN>-<C>`, e.g. `SIM0001-20261122-0042-K`: the station part
  (A-Z 0-9), the acceptance date, a daily sequence 0001-9999 and a Luhn mod 36 check character
  (the same rules as `kiosk.services.cases`, which issues them; a test keeps the two in step).
  ASCII only: full-width digits and look-alike letters are refused.
- receipt QR (printed on the application receipt, scanned to query progress): the progress-query
  URL `https://zwfw.example.gov.cn/q/<case number>` (what `kiosk.flows.apply.receipt_qr` prints,
  so a citizen's phone can open it too), or the compact `KQ1:<case number>`.
- case barcode (Code128 on the staff envelope for a deposit): the bare case number.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

MAX_PAYLOAD_CHARS = 120  # every accepted format is far shorter; anything longer is refused unread
RECEIPT_URL_PREFIX = "https://zwfw.example.gov.cn/q/"
RECEIPT_QR_PREFIX = "KQ1:"

CASE_NUMBER_RE = re.compile(r"([A-Z0-9]{1,40})-([0-9]{8})-([0-9]{4})-([0-9A-Z])", re.ASCII)
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class PayloadError(ValueError):
    """A decoded code that is not what the station expects. `reason` is a short machine key:
    not_text | empty | too_long | bad_characters | bad_format | bad_date | bad_check |
    not_a_receipt | unknown_format."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class CaseNumber:
    value: str
    station: str
    date: _dt.date
    seq: int

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ReceiptQr:
    case: CaseNumber
    tag: str | None = None  # the MAC over the case number (kiosk.services.query_codes); None on old receipts


TAG_RE = re.compile(r"[0-9a-f]{20}", re.ASCII)


@dataclass(frozen=True)
class CaseBarcode:
    case: CaseNumber


def check_char(body: str) -> str:
    """Luhn mod 36 check character over the alphanumerics of `body` (dashes skipped)."""
    n = len(_ALPHABET)
    total, factor = 0, 2
    for ch in reversed([c for c in body.upper() if c != "-"]):
        code = _ALPHABET.index(ch) * factor
        total += code // n + code % n
        factor = 1 if factor == 2 else 2
    return _ALPHABET[(n - total % n) % n]


def _precheck(text: object) -> str:
    if not isinstance(text, str):
        raise PayloadError("not_text", "the code holds no text")
    if len(text) > MAX_PAYLOAD_CHARS:
        raise PayloadError("too_long", f"the code holds {len(text)} characters; at most {MAX_PAYLOAD_CHARS} are accepted")
    if not text:
        raise PayloadError("empty", "the code is empty")
    if not text.isascii() or not text.isprintable():
        raise PayloadError("bad_characters", "the code contains characters no station code contains")
    return text


def parse_case_number(text: object) -> CaseNumber:
    """A case number, or PayloadError. Checks the shape, the date and the check character."""
    s = _precheck(text)
    m = CASE_NUMBER_RE.fullmatch(s)
    if m is None:
        raise PayloadError("bad_format", "not a case number (expected e.g. SIM0001-20261122-0042-K)")
    station, day, seq, check = m.groups()
    try:
        date = _dt.datetime.strptime(day, "%Y%m%d").date()
    except ValueError:
        raise PayloadError("bad_date", "the case number's date is not a real date") from None
    if int(seq) == 0 or check_char(f"{station}-{day}-{seq}") != check:
        raise PayloadError("bad_check", "the case number's check character does not match")
    return CaseNumber(s, station, date, int(seq))


def receipt_qr_text(case_number: str, compact: bool = False, tag: str | None = None) -> str:
    """What a receipt's QR code encodes for a case number (the URL form unless `compact`);
    `tag`: the query MAC, appended as `.TAG`."""
    case = str(parse_case_number(case_number))
    if tag is not None and not TAG_RE.fullmatch(tag):
        raise PayloadError("bad_tag", "a query tag is 20 lower-case hex digits")
    return (RECEIPT_QR_PREFIX if compact else RECEIPT_URL_PREFIX) + case + (f".{tag}" if tag else "")


def parse_receipt_qr(text: object) -> ReceiptQr:
    s = _precheck(text)
    for prefix in (RECEIPT_URL_PREFIX, RECEIPT_QR_PREFIX):
        if s.startswith(prefix):
            body, dot, tag = s[len(prefix):].partition(".")
            case = parse_case_number(body if body else s[len(prefix):])
            if dot and not TAG_RE.fullmatch(tag):
                raise PayloadError("bad_tag", "the receipt's query tag is damaged")
            return ReceiptQr(case, tag if dot else None)
    raise PayloadError("not_a_receipt", "this QR code is not from a station receipt")


def parse_case_barcode(text: object) -> CaseBarcode:
    return CaseBarcode(parse_case_number(text))


def parse_any(text: object) -> ReceiptQr | CaseBarcode:
    """Whichever station format the text is in, or PayloadError."""
    s = _precheck(text)
    if s.startswith((RECEIPT_URL_PREFIX, RECEIPT_QR_PREFIX)):
        return parse_receipt_qr(s)
    try:
        return parse_case_barcode(s)
    except PayloadError as exc:
        if exc.reason in ("bad_date", "bad_check"):
            raise  # it is shaped like a case number: say precisely what is wrong
        raise PayloadError("unknown_format", "this code is not a station receipt or case barcode") from None
