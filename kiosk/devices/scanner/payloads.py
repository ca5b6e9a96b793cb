"""The formats the station accepts in a decoded barcode or QR code, in one place.

A decoded payload is untrusted input (anyone can print a QR code or show one on a phone). It is
only ever matched against these formats and turned into plain values; it is never executed,
evaluated, used as a path, or interpolated into SQL, shell or markup. Everything here is pure
Python so flows can import it.

Formats:
- case number: `<2-4 upper-case letters>-<YYYYMMDD>-<6 digits>`, e.g. `SZ-20261122-000123`
  (region/centre code, acceptance date, serial). ASCII only: full-width digits are refused.
- receipt QR (printed on the application receipt, scanned to query progress): `KQ1:<case number>`.
- case barcode (Code128 on the staff envelope for a deposit): the bare case number.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

MAX_PAYLOAD_CHARS = 64  # every accepted format is far shorter; anything longer is refused unread
RECEIPT_QR_PREFIX = "KQ1:"

CASE_NUMBER_RE = re.compile(r"(?P<centre>[A-Z]{2,4})-(?P<date>[0-9]{8})-(?P<serial>[0-9]{6})", re.ASCII)


class PayloadError(ValueError):
    """A decoded code that is not what the station expects. `reason` is a short machine key."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class CaseNumber:
    value: str
    centre: str
    date: _dt.date
    serial: int

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ReceiptQr:
    case: CaseNumber


@dataclass(frozen=True)
class CaseBarcode:
    case: CaseNumber


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
    """A case number, or PayloadError. Checks the shape and that the date is a real date."""
    s = _precheck(text)
    m = CASE_NUMBER_RE.fullmatch(s)
    if m is None:
        raise PayloadError("bad_format", "not a case number (expected e.g. SZ-20261122-000123)")
    try:
        date = _dt.datetime.strptime(m["date"], "%Y%m%d").date()
    except ValueError:
        raise PayloadError("bad_date", "the case number's date is not a real date") from None
    return CaseNumber(s, m["centre"], date, int(m["serial"]))


def receipt_qr_text(case_number: str) -> str:
    """What the receipt printer encodes in the receipt's QR code."""
    return RECEIPT_QR_PREFIX + str(parse_case_number(case_number))


def parse_receipt_qr(text: object) -> ReceiptQr:
    s = _precheck(text)
    if not s.startswith(RECEIPT_QR_PREFIX):
        raise PayloadError("not_a_receipt", "this QR code is not from a station receipt")
    return ReceiptQr(parse_case_number(s[len(RECEIPT_QR_PREFIX):]))


def parse_case_barcode(text: object) -> CaseBarcode:
    return CaseBarcode(parse_case_number(text))


def parse_any(text: object) -> ReceiptQr | CaseBarcode:
    """Whichever station format the text is in, or PayloadError("unknown_format")."""
    s = _precheck(text)
    if s.startswith(RECEIPT_QR_PREFIX):
        return parse_receipt_qr(s)
    try:
        return parse_case_barcode(s)
    except PayloadError:
        raise PayloadError("unknown_format", "this code is not a station receipt or case barcode") from None
