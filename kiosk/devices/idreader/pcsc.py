"""`pcsc://READER`: passports and chip ID cards (ICAO Doc 9303) over PC/SC with pyscard.

A read: wait for a document in the reader, SELECT the eMRTD application, Basic Access Control
from the MRZ data the caller gives (`MrzKey`), then under secure messaging read EF.COM, DG1,
DG2 and EF.SOD, parse the MRZ (check digits) and the face image, and run passive
authentication (data-group hashes; signature and CSCA chain where `trust_store` names a
directory of CSCA certificates). A hash mismatch or a bad signature ends the read with
`fraud_attempt`. The reader name in the URL is matched case-insensitively, exactly or as a
prefix; `pcsc://` alone takes the first reader.

A poller thread (its own PC/SC context) watches the reader with SCardGetStatusChange for
`card_inserted` / `card_removed` and the class status `card`; no pcscd or no reader gives
status `no_device`, never an exception.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from smartcard import scard

from kiosk.devices.base import Command, DeviceError, DeviceStatus, ResultCode
from kiosk.devices.idreader import IdentityRecord, MrzKey
from kiosk.devices.idreader.lifecycle import OwnedIdReader
from kiosk.devices.idreader.emrtd import lds, tlv
from kiosk.devices.idreader.emrtd.bac import GET_CHALLENGE, BacError, BacKeys, BacTerminal
from kiosk.devices.idreader.emrtd.mrz import MrzError, mrz_date
from kiosk.devices.idreader.emrtd.sm import SecureMessaging, SmError
from kiosk.devices.idreader.emrtd.sod import SodError, load_trust_store, parse_sod, passive_authentication
from kiosk.devices.registry import DeviceUrl

log = logging.getLogger(__name__)

SELECT_EMRTD = bytes.fromhex("00A4040C07A0000002471001")
# what pcscd says when the card left (vpcd reports a closed card socket as a failed transaction)
_REMOVED = {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_RESET_CARD,
            scard.SCARD_E_READER_UNAVAILABLE, scard.SCARD_W_UNPOWERED_CARD, scard.SCARD_E_NOT_TRANSACTED,
            scard.SCARD_W_UNRESPONSIVE_CARD}


class CardGone(Exception):
    pass


class PcscFailure(Exception):
    def __init__(self, where: str, hresult: int) -> None:
        super().__init__(f"{where}: {scard.SCardGetErrorMessage(hresult).strip()} (0x{hresult & 0xFFFFFFFF:08X})")
        self.hresult = hresult


def _check(hresult: int, where: str) -> None:
    if hresult != scard.SCARD_S_SUCCESS:
        if hresult in _REMOVED:
            raise CardGone(where)
        raise PcscFailure(where, hresult)


@dataclass
class ReadStats:
    """What the last read cost (for the benchmark)."""
    apdus: int = 0
    bytes_read: int = 0  # file content
    bytes_exchanged: int = 0  # command + response APDUs, as they cross the reader
    seconds: dict[str, float] = field(default_factory=dict)


class PcscIdReader(OwnedIdReader):
    owner_label = "pcsc"

    def __init__(self, reader: str = "", trust_store: str | None = None, poll_interval: float = 0.25,
                 chunk: int = 0xE0, name: str | None = None) -> None:
        super().__init__(name)
        self.reader_pattern = reader
        self.trust_store = trust_store
        self.poll_interval = poll_interval
        self.chunk = max(1, min(chunk, 0xE7))
        self.capabilities = frozenset({"photo", "needs_mrz"})
        self.reader_name: str | None = None
        self._ctx: int | None = None
        self._present = False
        self._selected = False  # this read reached the document (a later loss is a removal)
        self.stats = ReadStats()

    # -- lifecycle ----------------------------------------------------------------------------
    def _connect_hardware(self) -> None:
        self._connect_context()

    def _release_hardware(self) -> None:
        self._release_context()

    def _poller_join_timeout(self) -> float:
        return self.poll_interval + 2

    def _connect_context(self) -> None:
        self._release_context()
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            self.set_status(DeviceStatus.NO_DEVICE, f"PC/SC service not available: {scard.SCardGetErrorMessage(hresult).strip()}",
                            card="absent")
            return
        self._ctx = ctx
        self.reader_name = self._find_reader(ctx)
        if self.reader_name is None:
            self.set_status(DeviceStatus.NO_DEVICE, f"no PC/SC reader matching {self.reader_pattern!r}", card="absent")
        else:
            self.set_status(DeviceStatus.ONLINE, f"PC/SC reader {self.reader_name}")

    def _release_context(self) -> None:
        if self._ctx is not None:
            scard.SCardReleaseContext(self._ctx)
            self._ctx = None

    def _find_reader(self, ctx: int) -> str | None:
        hresult, readers = scard.SCardListReaders(ctx, [])
        if hresult != scard.SCARD_S_SUCCESS or not readers:
            return None
        wanted = self.reader_pattern.strip().lower()
        for reader in readers:
            if reader.lower() == wanted:
                return reader
        for reader in readers:
            if reader.lower().startswith(wanted):
                return reader
        return None

    # -- presence polling ---------------------------------------------------------------------
    def _poll_loop(self) -> None:
        ctx = None
        state = scard.SCARD_STATE_UNAWARE
        while not self._stop.is_set():
            if ctx is None:
                hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
                if hresult != scard.SCARD_S_SUCCESS:
                    ctx = None
                    self._stop.wait(self.poll_interval * 4)
                    continue
            reader = self.reader_name or self._find_reader(ctx)
            if reader is None:
                self._set_presence(False)
                self._stop.wait(self.poll_interval * 4)
                continue
            hresult, states = scard.SCardGetStatusChange(ctx, int(self.poll_interval * 1000), [(reader, state)])
            if hresult == scard.SCARD_E_TIMEOUT:
                continue
            if hresult != scard.SCARD_S_SUCCESS:
                scard.SCardReleaseContext(ctx)
                ctx, state = None, scard.SCARD_STATE_UNAWARE
                self._set_presence(False)
                self._stop.wait(self.poll_interval)
                continue
            _name, event_state, _atr = states[0]
            state = event_state & ~scard.SCARD_STATE_CHANGED
            self._set_presence(bool(event_state & scard.SCARD_STATE_PRESENT))
        if ctx is not None:
            scard.SCardReleaseContext(ctx)

    def _set_presence(self, present: bool) -> None:
        if present == self._present:
            return
        self._present = present
        self.emit("card_inserted" if present else "card_removed")
        self.set_status(self.status, "", card="present" if present else "absent")

    # -- the read command ---------------------------------------------------------------------
    def _read_body(self, cmd: Command[Any], mrz: MrzKey | None, timeout: float) -> IdentityRecord:
        if mrz is None:
            raise DeviceError(ResultCode.USER_ERROR, "this document needs its MRZ data (document number, birth date, expiry) for BAC")
        try:
            keys = BacKeys.from_mrz(mrz.document_number, mrz.birth_date, mrz.expiry_date)
        except MrzError as exc:
            raise DeviceError(ResultCode.USER_ERROR, f"MRZ data unusable: {exc}") from None
        if self._ctx is None or self.reader_name is None:
            self._connect_context()
            if self._ctx is None or self.reader_name is None:
                raise DeviceError(ResultCode.DEVICE_NOT_READY, self.last_error or "no PC/SC reader")
        deadline = time.monotonic() + timeout
        attempts = 0
        self._selected = False
        while True:
            if cmd.cancel_requested.is_set():
                raise DeviceError(ResultCode.CANCELED, "canceled")
            if not self._wait_card(min(0.5, max(0.0, deadline - time.monotonic()))):
                if time.monotonic() >= deadline:
                    raise DeviceError(ResultCode.TIMEOUT, f"no document presented within {timeout:g} s")
                continue
            attempts += 1
            try:
                return self._read_document(keys)
            except CardGone:
                if self._selected:
                    raise DeviceError(ResultCode.USER_ERROR, "document removed while being read") from None
                # presence was stale (the card had just left): wait for a document again
                attempts -= 1
                time.sleep(self.poll_interval)
            except SmError as exc:
                self.count("sm_error")
                if attempts >= 2:
                    raise DeviceError(ResultCode.INVALID_DATA, f"secure messaging failed twice: {exc}") from None
                log.warning("%s: secure messaging failed (%s); reading again", self.name, exc)
            except PcscFailure as exc:
                self.set_status(DeviceStatus.HARDWARE_ERROR, str(exc))
                raise DeviceError(ResultCode.HARDWARE_ERROR, str(exc)) from None

    def _wait_card(self, seconds: float) -> bool:
        assert self._ctx is not None and self.reader_name is not None
        hresult, states = scard.SCardGetStatusChange(self._ctx, int(seconds * 1000),
                                                     [(self.reader_name, scard.SCARD_STATE_UNAWARE)])
        if hresult == scard.SCARD_S_SUCCESS and states[0][1] & scard.SCARD_STATE_PRESENT:
            return True
        if hresult not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
            self._connect_context()
        time.sleep(min(seconds, self.poll_interval))
        return False

    def _read_document(self, keys: BacKeys) -> IdentityRecord:
        assert self._ctx is not None
        self.stats = ReadStats()
        t0 = time.perf_counter()
        hresult, hcard, proto = scard.SCardConnect(self._ctx, self.reader_name, scard.SCARD_SHARE_SHARED,
                                                   scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        _check(hresult, "connect")
        try:
            def transmit(apdu: bytes) -> bytes:
                self.stats.apdus += 1
                hr, response = scard.SCardTransmit(hcard, proto, list(apdu))
                self.stats.bytes_exchanged += len(apdu) + len(response)
                _check(hr, "transmit")
                if len(response) < 2:
                    raise CardGone("empty response")
                return bytes(response)

            self._select_application(transmit)
            sm = self._bac(transmit, keys)
            self.stats.seconds["bac"] = time.perf_counter() - t0
            files = {}
            com = self._read_file(transmit, sm, lds.FID_COM)
            present = lds.parse_com(com)["data_groups"]
            for dg, fid in ((1, lds.FID_DG1), (2, lds.FID_DG2)):
                if dg in present:
                    files[dg] = self._read_file(transmit, sm, fid)
            sod_bytes = self._read_file(transmit, sm, lds.FID_SOD)
            self.stats.seconds["files"] = time.perf_counter() - t0 - self.stats.seconds["bac"]
        except lds.LdsError as exc:
            raise DeviceError(ResultCode.INVALID_DATA, f"document data unreadable: {exc}") from None
        finally:
            scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)
        record = self._record(files, sod_bytes)
        self.stats.seconds["total"] = time.perf_counter() - t0
        return record

    def _select_application(self, transmit: Any) -> None:
        response = transmit(SELECT_EMRTD)
        if response[-2:] != b"\x90\x00":
            raise DeviceError(ResultCode.INVALID_DATA, f"not an eMRTD: SELECT application answered {response[-2:].hex().upper()}")
        self._selected = True

    def _bac(self, transmit: Any, keys: BacKeys) -> SecureMessaging:
        challenge = transmit(GET_CHALLENGE)
        if challenge[-2:] != b"\x90\x00" or len(challenge) != 10:
            raise DeviceError(ResultCode.INVALID_DATA, f"GET CHALLENGE answered {challenge[-2:].hex().upper()}")
        terminal = BacTerminal(keys)
        answer = transmit(terminal.external_authenticate(challenge[:-2]))
        if answer[-2:] != b"\x90\x00":
            raise DeviceError(ResultCode.USER_ERROR,
                              f"the document refused Basic Access Control ({answer[-2:].hex().upper()}): "
                              "the MRZ data does not match this document")
        try:
            return terminal.finish(answer[:-2])
        except BacError as exc:
            raise DeviceError(ResultCode.FRAUD_ATTEMPT, f"BAC: {exc}") from None

    def _protected(self, transmit: Any, sm: SecureMessaging, ins: int, p1: int, p2: int,
                   data: bytes = b"", le: int | None = None) -> bytes:
        plain, sw = sm.unprotect(transmit(sm.protect(0x00, ins, p1, p2, data, le)))
        if sw != 0x9000:
            raise lds.LdsError(f"command {ins:02X} {p1:02X}{p2:02X} answered {sw:04X}")
        return plain

    def _read_file(self, transmit: Any, sm: SecureMessaging, fid: int) -> bytes:
        self._protected(transmit, sm, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))
        head = self._protected(transmit, sm, 0xB0, 0, 0, le=4)
        try:
            total = tlv.total_length(head)
        except tlv.TlvError as exc:
            raise lds.LdsError(f"file {fid:04X} header unreadable: {exc}") from None
        if total > 0x7FFF:  # READ BINARY offsets are 15 bits
            raise lds.LdsError(f"file {fid:04X} claims {total} bytes")
        content = head
        while len(content) < total:
            n = min(self.chunk, total - len(content))
            part = self._protected(transmit, sm, 0xB0, len(content) >> 8, len(content) & 0xFF, le=n)
            if not part:
                raise lds.LdsError(f"file {fid:04X} ended at {len(content)} of {total} bytes")
            content += part
        self.stats.bytes_read += len(content)
        return content[:total]

    def _record(self, files: dict[int, bytes], sod_bytes: bytes) -> IdentityRecord:
        if 1 not in files:
            raise DeviceError(ResultCode.INVALID_DATA, "document has no DG1")
        try:
            sod = parse_sod(sod_bytes)
            trust = load_trust_store(self.trust_store) if self.trust_store else None
        except SodError as exc:
            raise DeviceError(ResultCode.INVALID_DATA, f"EF.SOD: {exc}") from None
        pa = passive_authentication(sod, files, trust)
        if not pa.hashes_ok or pa.signature == "invalid" or pa.chain == "invalid":
            raise DeviceError(ResultCode.FRAUD_ATTEMPT, f"passive authentication failed: {pa.summary()}")
        if pa.chain == "unknown_issuer":
            raise DeviceError(ResultCode.INVALID_DATA, f"passive authentication: {pa.summary()}")
        try:
            mrz = lds.parse_dg1(files[1])
        except lds.LdsError as exc:
            raise DeviceError(ResultCode.INVALID_DATA, str(exc)) from None
        record = IdentityRecord(
            doc_type="passport" if mrz.format == "TD3" else "id_card_td1",
            name=f"{mrz.surname} {mrz.given_names}".strip(),
            sex={"M": "M", "F": "F"}.get(mrz.sex, "X"),
            birth_date=mrz_date(mrz.birth_date, future=False),
            _id_number=mrz.document_number,
            id_number_valid=mrz.all_checks_ok,
            nationality=mrz.nationality,
            issuer=mrz.issuing_state,
            valid_to=mrz_date(mrz.expiry_date, future=True),
        )
        record.extra.update({"document_code": mrz.document_code, "mrz_format": mrz.format,
                             "passive_auth": pa.summary()})
        if mrz.failed_checks:
            record.extra["mrz_failed_checks"] = ",".join(mrz.failed_checks)
        if 2 in files:
            try:
                face = lds.parse_dg2(files[2])
                record.photo, record.photo_format = face.data, face.format
            except lds.LdsError as exc:
                record.photo_unavailable_reason = f"DG2 unreadable: {exc}"
        else:
            record.photo_unavailable_reason = "the document has no DG2 (face image)"
        log.info("%s: read %r (%s)", self.name, record, pa.summary())
        return record


def open_reader(url: DeviceUrl, **kwargs: Any) -> PcscIdReader:
    """Registry factory for `pcsc://READER`. kwargs: trust_store, poll_interval, chunk, name."""
    kwargs.pop("wlt_decoder", None)  # a SAM-only setting
    if "chunk" in url.params:
        kwargs.setdefault("chunk", url.param("chunk", 0xE0, int))
    return PcscIdReader(url.target, **kwargs)
