"""The `IdReader` device class: reads an identity document and says whose it is.

Backends: `sam://PORT?baud=115200` (Chinese resident ID card via the reader's SAM module) and
`pcsc://READER` (ICAO 9303 passports and chip ID cards). Both return an `IdentityRecord`.
This module imports no device library (flows import it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from kiosk.devices.base import Command, Device

BACKENDS: dict[str, str] = {
    "sam": "kiosk.devices.idreader.sam:open_reader",
    "pcsc": "kiosk.devices.idreader.pcsc:open_reader",
}


def mask_id_number(value: str) -> str:
    """`110101199003074258` -> `1101**********4258` (first 4 and last 4 kept); shorter document
    numbers (passports) keep the first and last 2 (`E1*****13`), as kiosk.services.keyed_hash does."""
    if len(value) >= 15:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if len(value) >= 6:
        return value[:2] + "*" * (len(value) - 4) + value[-2:]
    return "*" * len(value)


_PUBLIC_EXTRA = ("passive_auth", "mrz_format", "document_code", "mrz_failed_checks", "photo_decoder")


@dataclass(frozen=True)
class MrzKey:
    """What Basic Access Control needs from the document's printed page."""

    document_number: str
    birth_date: str  # YYMMDD
    expiry_date: str  # YYMMDD

    def __repr__(self) -> str:
        # the document number is the passport's ID number and the birth date is personal: a
        # traceback or log line that shows this key must not show them
        return f"MrzKey(document_number={mask_id_number(self.document_number)!r}, birth_date='******', " \
               f"expiry_date={self.expiry_date!r})"

    __str__ = __repr__


@dataclass(eq=False)
class IdentityRecord:
    """One identity document as read. Lives in memory for one session only; never written to disk.

    The ID number is private: every string form (str, repr, log line) shows it masked.
    """

    doc_type: str  # "cn_resident_id" | "passport" | "id_card_td1"
    name: str
    sex: str  # "M" | "F" | "X"
    birth_date: date | None
    _id_number: str = field(repr=False)
    id_number_valid: bool = True
    nationality: str = "CHN"
    nation_code: str | None = None  # CN resident ID: ethnic group code "01".."56", "97", "98"
    nation_name_zh: str | None = None
    nation_name_en: str | None = None
    address: str | None = None
    issuer: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None  # None with long_term=True means 长期
    long_term: bool = False
    photo: bytes | None = field(default=None, repr=False)
    photo_format: str | None = None  # "jpeg" | "jp2" | "png" | "sim"
    photo_unavailable_reason: str | None = None
    extra: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def id_number(self) -> str:
        """The full number, for keyed hashing and matching only. Never display or log it."""
        return self._id_number

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self._id_number)

    def expired(self, today: date) -> bool:
        return not self.long_term and self.valid_to is not None and self.valid_to < today

    def public_fields(self, today: date) -> dict[str, object]:
        """Everything a screen or `kiosk id read` may show: the ID number only masked, the photo
        only as available/format/reason (never its bytes)."""
        return {
            "doc_type": self.doc_type,
            "name": self.name,
            "sex": self.sex,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "nationality": self.nationality,
            "nation_code": self.nation_code,
            "nation_name_zh": self.nation_name_zh,
            "nation_name_en": self.nation_name_en,
            "address": self.address,
            "issuer": self.issuer,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": "长期" if self.long_term else (self.valid_to.isoformat() if self.valid_to else None),
            "long_term": self.long_term,
            "id_number_masked": self.id_number_masked,
            "id_number_valid": self.id_number_valid,
            "expired": self.expired(today),
            "photo": {"available": self.photo is not None, "format": self.photo_format,
                      "bytes": len(self.photo) if self.photo else 0,
                      "reason": None if self.photo is not None else (self.photo_unavailable_reason or "no photo")},
            "checks": {k: v for k, v in self.extra.items() if k in _PUBLIC_EXTRA},
        }

    def wipe(self) -> None:
        """Drop the personal fields (end of session)."""
        self._id_number = ""
        self.name = ""
        self.address = None
        self.photo = None
        self.extra = {}

    def __repr__(self) -> str:
        return (f"IdentityRecord(doc_type={self.doc_type!r}, id={self.id_number_masked!r}, "
                f"valid={self.id_number_valid}, photo={'yes' if self.photo else 'no'})")

    __str__ = __repr__


class IdReader(Device):
    """Class status: `card` = present | absent. Events: `card_inserted`, `card_removed`.
    Capabilities: `photo` (returns the holder's photo), `needs_mrz` (BAC needs MRZ data)."""

    device_class = "id_reader"

    def read(self, mrz: MrzKey | None = None, timeout: float = 30.0) -> Command[IdentityRecord]:
        """Wait for a document (up to `timeout`), read it, complete with an IdentityRecord.
        Codes: success, timeout (no card), invalid_data (unreadable/bad check digit),
        user_error (card removed too early), device_not_ready, hardware_error, canceled."""
        raise NotImplementedError
