"""Passports from the screen: the identify step's way for a person without a Chinese ID card.

`PassportStep` is mixed into `IdentifyMixin` (kiosk/flows/identify.py). From `identify_card` the
person taps "passport" (offered only when the station has a passport reader: the `passport_reader`
device, or an `id_reader` whose capabilities include `needs_mrz`):

1. `identify_passport`: lay the data page on the document camera; the scanner reads the MRZ
   (`DocumentScanner.read_mrz`: OCR, every check digit verified). A page with no readable MRZ
   (`not_found`) or a check digit that does not match (`check_digit`, naming the field) is asked
   for again with guidance, at most `MRZ_TRIES` readings; then the visit ends `passport_unreadable`.
2. `identify_passport_chip`: the BAC key from the MRZ opens the chip on the passport reader; the
   chip's record (DG1 data, DG2 face image) becomes the session's identity, and the face check
   that follows compares the live face with DG2. A chip that refuses the key counts as a failed
   reading (the page is asked for again); a chip that fails passive authentication is a fraud attempt.

The MRZ key lives in `session.visit.identify` between the two steps only (gone at the chip read, and
in any case at the session wipe); the scanner's reading is wiped as soon as the key is taken.
Nothing of either is logged or audited: the audit says which failure, never the text.
"""

from __future__ import annotations

from typing import Any

from kiosk.devices.base import Completion, ResultCode
from kiosk.flows.texts import t
from kiosk.flows.viewmodel import Action, ViewModel

MRZ_TRIES = 3
MRZ_FIELDS = ("document_number", "birth_date", "expiry_date", "optional_data", "composite")
DOWN = ("no_device", "hardware_error")


class PassportStep:
    """The passport states of `IdentifyMixin` (see the module doc)."""

    def passport_reader(self) -> Any:
        devices = self.ctx.devices
        reader = getattr(devices, "passport_reader", None)
        if reader is None and devices.id_reader is not None and "needs_mrz" in (devices.id_reader.capabilities or ()):
            reader = devices.id_reader
        if reader is None or str(reader.status) in DOWN:
            return None
        return reader

    def passport_offered(self) -> bool:
        scanner = self.ctx.devices.scanner
        return (getattr(self, "offer_passport", True) and self.passport_reader() is not None
                and scanner is not None and str(scanner.status) not in DOWN)

    def begin_passport(self) -> None:
        self.cancel_command("card")
        self._mrz_tries = 0
        self.error = None
        self.go("identify_passport")

    # -- the data page ------------------------------------------------------------------------
    def enter_identify_passport(self) -> None:
        scanner = self.ctx.devices.scanner
        if scanner is None or str(scanner.status) in DOWN:
            self.end("device_unavailable", t("identify.passport.scanner_unavailable"))
            return
        self.start("mrz", scanner.read_mrz(timeout=self.card_timeout_s or self.ctx.idle_timeout_s))

    def view_identify_passport(self) -> ViewModel:
        actions: tuple[Action, ...] = ()
        if not self.pending("mrz"):
            actions = (Action("retry", t("common.retry")),)
        return ViewModel(self.name, self.state, t("identify.passport.title"),
                         body=(t("identify.passport.place_page"),), actions=actions, screen="scan",
                         illustration="passport_data_page")

    def act_identify_passport(self, action_id: str, **_: Any) -> bool:
        if action_id == "retry" and not self.pending("mrz"):
            self.go("identify_passport")
            return True
        return False

    def done_mrz(self, c: Completion[Any]) -> None:
        if c.code is ResultCode.CANCELED:
            return
        if c.code in (ResultCode.DEVICE_NOT_READY, ResultCode.HARDWARE_ERROR):
            self.end("device_unavailable", t("identify.passport.scanner_unavailable"))
            return
        reading = c.data if c.ok else None
        if reading is not None and reading.ok:
            key = reading.key()
            reading.wipe()
            self.session.visit.identify.mrz_key = key
            self.error = None
            self.go("identify_passport_chip")
            return
        failure = getattr(reading, "failure", None) or ("timeout" if c.code is ResultCode.TIMEOUT else "not_found")
        field = getattr(reading, "field", None)
        self._mrz_failed(failure, field)

    def _mrz_failed(self, failure: str, field: str | None) -> None:
        self._mrz_tries = getattr(self, "_mrz_tries", 0) + 1
        self.ctx.services.audit.append("station", "identify.passport_mrz_failed", self.name, failure=failure,
                                       field=field or "", attempt=self._mrz_tries)
        if self._mrz_tries >= MRZ_TRIES:
            self.end("passport_unreadable", t("identify.passport.refused"))
            return
        if failure == "check_digit" and field in MRZ_FIELDS:
            self.error = t("identify.passport.check_digit", field=t(f"identify.passport.field.{field}"))
        elif failure == "chip_refused":
            self.error = t("identify.passport.chip_refused")
        else:
            self.error = t("identify.passport.not_found")
        if self.state != "identify_passport":
            self.go("identify_passport")

    # -- the chip -----------------------------------------------------------------------------
    def enter_identify_passport_chip(self) -> None:
        reader, key = self.passport_reader(), self.session.visit.identify.mrz_key
        if reader is None or key is None:
            self.session.visit.identify.mrz_key = None
            self.end("device_unavailable", t("identify.reader_unavailable"))
            return
        self.start("passport_chip", reader.read(mrz=key, timeout=self.card_timeout_s or self.ctx.idle_timeout_s))
        if self.need_face:
            self._warm_camera()

    def view_identify_passport_chip(self) -> ViewModel:
        actions: tuple[Action, ...] = ()
        if not self.pending("passport_chip"):
            actions = (Action("retry", t("common.retry")),)
        return ViewModel(self.name, self.state, t("identify.passport.title"),
                         body=(t("identify.passport.place_on_reader"),), actions=actions, screen="identify_card",
                         illustration="passport_on_reader")

    def act_identify_passport_chip(self, action_id: str, **_: Any) -> bool:
        if action_id == "retry" and not self.pending("passport_chip") and \
                self.session.visit.identify.mrz_key is not None:
            self.go("identify_passport_chip")
            return True
        return False

    def done_passport_chip(self, c: Completion[Any]) -> None:
        if c.code is ResultCode.CANCELED:
            return
        if c.ok and c.data is not None:
            self.session.visit.identify.mrz_key = None
            self.accept_identity(c.data)
            return
        if c.code is ResultCode.FRAUD_ATTEMPT:
            self.session.visit.identify.mrz_key = None
            self.ctx.services.audit.append("station", "identify.fraud_attempt", self.name, id_masked="",
                                           detail=f"passport chip: {c.detail}"[:80])
            self.end("fraud_attempt", t("identify.passport.chip_forged"))
            return
        if c.code in (ResultCode.DEVICE_NOT_READY, ResultCode.HARDWARE_ERROR):
            self.end("device_unavailable", t("identify.reader_unavailable"))
            return
        if c.code is ResultCode.USER_ERROR and "Basic Access Control" in (c.detail or ""):
            # the chip refused the key: a misread the check digits let through, or another passport
            self.session.visit.identify.mrz_key = None
            self._mrz_failed("chip_refused", None)
            return
        self.error = t("identify.passport.no_passport" if c.code is ResultCode.TIMEOUT else "identify.card.unreadable")
