"""The data each receipt kind needs, validated strictly before anything reaches the printer.

Bad data never prints: `parse_receipt(kind, data)` raises `ReceiptDataError` whose message names
every bad field and why. Personal data is printed only masked: a full ID number is refused.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

KINDS = ("application", "pickup", "deposit_slip", "test_page", "missing_notice", "payment_refund")
LANGS = ("zh", "en")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MASKED_ID = re.compile(r"^[0-9A-Za-z]{0,6}\*{4,}[0-9A-Za-z]{0,4}$")
_MASKED_PHONE = re.compile(r"^\d{3}\*{4}\d{4}$")
# as long as the station's own case numbers get (kiosk.services.cases: a station id of up to 40
# characters + date + sequence + check character)
CASE_NUMBER = r"^[A-Z0-9][A-Z0-9-]{5,63}$"
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$")


class ReceiptDataError(ValueError):
    """Receipt data that cannot be printed; the message lists each bad field."""

    def __init__(self, kind: str, problems: list[str]) -> None:
        self.kind = kind
        self.problems = problems
        super().__init__(f"{kind} receipt data: " + "; ".join(problems))


def clean_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("contains control characters")
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    station_name: str | None = Field(default=None, max_length=40)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control(cls, v: Any) -> Any:
        if isinstance(v, str):
            return clean_text(v)
        if isinstance(v, list):
            return [clean_text(x) if isinstance(x, str) else x for x in v]
        return v


class Material(_Data):
    name: str = Field(min_length=1, max_length=40)
    pages: int = Field(default=0, ge=0, le=999)
    form: Literal["scan", "paper", "e-cert"] = "scan"


class ApplicationReceipt(_Data):
    case_number: str = Field(pattern=CASE_NUMBER)
    service_item: str = Field(min_length=1, max_length=100)
    applicant_id_masked: str = Field(description="e.g. 110101********1234; a full number is refused")
    applicant_name_masked: str | None = Field(default=None, max_length=20)
    materials: list[Material] = Field(default_factory=list, max_length=30)
    promised_date: date
    fee_yuan: Decimal | None = Field(default=None, ge=0, le=Decimal("99999.99"), decimal_places=2)
    fee_paid: bool = False
    query_url: str = Field(max_length=200, description="the QR payload for progress queries")
    issued_at: datetime

    @field_validator("applicant_id_masked")
    @classmethod
    def _masked_id(cls, v: str) -> str:
        if not _MASKED_ID.match(v):
            raise ValueError("must be a masked ID number (at most 6 leading and 4 trailing characters "
                             "visible, at least 4 '*'), never a full number")
        return v

    @field_validator("applicant_name_masked")
    @classmethod
    def _masked_name(cls, v: str | None) -> str | None:
        if v is not None and "*" not in v:
            raise ValueError("must be masked (e.g. 张*明)")
        return v

    @field_validator("query_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not _URL.match(v):
            raise ValueError("must be an http(s) URL of printable ASCII without spaces")
        return v

    @model_validator(mode="after")
    def _dates(self) -> "ApplicationReceipt":
        if self.promised_date < self.issued_at.date():
            raise ValueError("promised_date is before issued_at")
        return self


class PickupReceipt(_Data):
    case_number: str = Field(pattern=CASE_NUMBER)
    compartment: str = Field(pattern=r"^[A-Z]\d{2}$")
    items: list[str] = Field(min_length=1, max_length=20)
    picked_up_at: datetime
    applicant_id_masked: str | None = None

    @field_validator("items")
    @classmethod
    def _items(cls, v: list[str]) -> list[str]:
        for item in v:
            if len(item) > 40:
                raise ValueError("an item name is longer than 40 characters")
        return v

    @field_validator("applicant_id_masked")
    @classmethod
    def _masked_id(cls, v: str | None) -> str | None:
        return ApplicationReceipt._masked_id(v) if v is not None else None


class DepositSlip(_Data):
    case_number: str = Field(pattern=CASE_NUMBER)
    compartment: str = Field(pattern=r"^[A-Z]\d{2}$")
    staff_id: str = Field(pattern=r"^[A-Za-z0-9-]{2,16}$")
    deposited_at: datetime
    items: list[str] = Field(default_factory=list, max_length=20)
    notified_phone_masked: str | None = None
    pickup_deadline: date | None = None
    # the SMS failed: the code is printed for staff to tell or resend (the slip stays with staff)
    pickup_code: str | None = Field(default=None, pattern=r"^\d{6}$")

    @field_validator("notified_phone_masked")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is not None and not _MASKED_PHONE.match(v):
            raise ValueError("must be a masked mobile number like 138****5678")
        return v


class TestPage(_Data):
    __test__ = False  # not a pytest test class
    printed_at: datetime
    technician: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{2,16}$")
    printer_url: str | None = Field(default=None, max_length=120)


class NoticeItem(_Data):
    name: str = Field(min_length=1, max_length=60)
    reason: str = Field(min_length=1, max_length=80)
    where: str | None = Field(default=None, max_length=80)


class MissingNotice(_Data):
    """一次性告知单: every material still missing, why, and where to get it."""

    service_item: str = Field(min_length=1, max_length=60)
    items: list[NoticeItem] = Field(min_length=1, max_length=20)
    place: str | None = Field(default=None, max_length=60)
    enquiry_phone: str | None = Field(default=None, max_length=20, pattern=r"^[0-9+() -]+$")
    issued_at: datetime


class PaymentRefund(_Data):
    """退款凭条: a paid application that could not be submitted, and whether the money went back."""

    case_number: str = Field(pattern=CASE_NUMBER)
    order_id: str = Field(pattern=r"^[A-Za-z0-9_-]{4,40}$")
    amount_yuan: str = Field(pattern=r"^\d{1,7}(\.\d{1,2})?$")
    refunded: bool
    enquiry_phone: str | None = Field(default=None, max_length=20, pattern=r"^[0-9+() -]+$")
    at: datetime


MODELS: dict[str, type[_Data]] = {
    "application": ApplicationReceipt,
    "pickup": PickupReceipt,
    "deposit_slip": DepositSlip,
    "test_page": TestPage,
    "missing_notice": MissingNotice,
    "payment_refund": PaymentRefund,
}


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(data)"


def parse_receipt(kind: str, data: Any) -> _Data:
    """Validate `data` (a dict, e.g. from JSON) as receipt `kind`; raises ReceiptDataError."""
    if kind not in MODELS:
        raise ReceiptDataError(kind, [f"unknown receipt kind (known: {', '.join(KINDS)})"])
    if not isinstance(data, dict):
        raise ReceiptDataError(kind, [f"data must be an object, not {type(data).__name__}"])
    try:
        return MODELS[kind].model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field"
            problems.append(f"{_loc(err['loc'])}: {msg}")
        raise ReceiptDataError(kind, problems) from None


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ReceiptDataError("receipt", [f"unknown language {lang!r} (known: {', '.join(LANGS)})"])
    return lang
