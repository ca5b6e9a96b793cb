"""`sam://PORT?baud=115200`: the Chinese resident ID card read through the reader's SAM module.

One owner thread holds the serial port; every frame exchange runs on it. A poller asks the
module "find card" every `poll_interval` seconds while no read is running, to report
`card_inserted` / `card_removed` and the class status `card` = present | absent. A real module
answers "find card" with 9F only for a card newly put in the field; a card already read answers
80 to "find" but 90 to "select", so presence is find-or-select.

Transport faults (noise, truncated or corrupted replies, the module reporting our frame as bad)
are retried `retries` times; then the command ends with `hardware_error`. An absent port gives
status `no_device`, never an exception; the poller reconnects when the port comes back.
"""

from __future__ import annotations

import logging
import termios
import threading
import time
from typing import Any

import serial

from kiosk.devices.base import Command, DeviceError, DeviceStatus, ResultCode
from kiosk.devices.idreader import IdentityRecord, MrzKey
from kiosk.devices.idreader.lifecycle import OwnedIdReader
from kiosk.devices.idreader import sam_frames as sf
from kiosk.devices.idreader.cn_id import TEXT_LENGTH, CardDataError, parse_text
from kiosk.devices.idreader.wlt import WLT_LENGTH, PhotoDecodeError, load_decoder
from kiosk.devices.registry import DeviceUrl

log = logging.getLogger(__name__)

_RETRYABLE = {"bad_checksum", "truncated", "garbage", "bad_length"}


class PortGone(Exception):
    """The serial port vanished or cannot be opened."""


class SamIdReader(OwnedIdReader):
    owner_label = "sam"

    def __init__(
        self,
        port: str,
        baud: int = 115200,
        wlt_decoder: str | None = None,
        poll_interval: float = 0.25,
        reply_timeout: float = 1.0,
        read_timeout: float = 3.0,
        retries: int = 2,
        no_reply_limit: int = 3,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        # one missed reply (a busy host, a slow module) is not a broken module: the status turns
        # hardware_error only after this many in a row, so a visit is not refused for a blip
        self.no_reply_limit = max(1, no_reply_limit)
        self._no_reply_streak = 0
        self.port, self.baud = port, baud
        self.poll_interval = poll_interval
        self.reply_timeout, self.read_timeout, self.retries = reply_timeout, read_timeout, retries
        self._decoder, self._no_decoder_reason = load_decoder(wlt_decoder)
        self.capabilities = frozenset({"photo"} if self._decoder else set())
        self._serial: serial.Serial | None = None
        self._present = False
        self._reading = threading.Event()
        self.frames_sent = 0

    # -- lifecycle ----------------------------------------------------------------------------
    def _connect_hardware(self) -> None:
        self._connect()

    def _release_hardware(self) -> None:
        self._disconnect()

    def _connect_timeout(self) -> float:
        return self.reply_timeout * 4 + 2

    def _poller_join_timeout(self) -> float:
        return self.poll_interval + self.reply_timeout + 1

    def _connect(self) -> None:
        try:
            self._serial = serial.Serial(self.port, self.baud, timeout=0.02, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            self._serial = None
            self.set_status(DeviceStatus.NO_DEVICE, f"cannot open {self.port}: {exc}", card="absent")
            return
        reply = self._exchange(sf.SAM_STATUS)
        if reply.sw3 != sf.SW3_OK:
            _code, meaning = sf.sw3_meaning(reply.sw3)
            self.set_status(DeviceStatus.HARDWARE_ERROR, f"SAM status: {meaning}", card="absent")
            return
        self.set_status(DeviceStatus.ONLINE, f"SAM module on {self.port}", card="absent")

    def _disconnect(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except Exception:
                pass
            self._serial = None

    # -- frame exchange (owner thread only) ---------------------------------------------------
    def _exchange(self, cmd: tuple[int, int], data: bytes = b"", timeout: float | None = None) -> sf.Reply:
        """Send one request, return the reply; retries transport faults. Raises DeviceError."""
        timeout = timeout or self.reply_timeout
        last = ""
        for _attempt in range(self.retries + 1):
            if self._serial is None:
                raise PortGone(f"{self.port} is not open")
            try:
                self._serial.reset_input_buffer()
                self._serial.write(sf.build_request(cmd, data))
                self.frames_sent += 1
                reply = sf.read_reply(self._serial.read, timeout)
            except sf.FrameError as exc:
                self.count(f"frame_{exc.kind}")
                if exc.kind == "no_reply":
                    self._no_reply_streak += 1
                    if self._no_reply_streak >= self.no_reply_limit:
                        self.set_status(DeviceStatus.HARDWARE_ERROR, f"module not answering on {self.port}")
                    raise DeviceError(ResultCode.HARDWARE_ERROR, f"SAM module did not answer within {timeout:g} s") from None
                last = str(exc)
                log.warning("%s: bad reply to %02X %02X (%s), retrying", self.name, cmd[0], cmd[1], exc)
                continue
            except (serial.SerialException, OSError, termios.error) as exc:  # unplugged / pty gone
                self._disconnect()
                self.set_status(DeviceStatus.NO_DEVICE, f"{self.port} lost: {exc}", card="absent")
                raise PortGone(str(exc)) from None
            if reply.sw3 in (0x10, 0x11):  # the module saw our frame damaged: send it again
                self.count("module_rejected_frame")
                last = sf.sw3_meaning(reply.sw3)[1]
                continue
            self._no_reply_streak = 0
            if self.status in (DeviceStatus.HARDWARE_ERROR, DeviceStatus.NO_DEVICE):
                self.set_status(DeviceStatus.ONLINE, f"SAM module on {self.port}")
            return reply
        raise DeviceError(ResultCode.HARDWARE_ERROR, f"no clean reply after {self.retries + 1} tries: {last}")

    def _card_present(self) -> bool:
        find = self._exchange(sf.FIND_CARD)
        if find.sw3 == sf.SW3_FIND_OK:
            return True
        if find.sw3 != sf.SW3_NO_CARD:
            code, meaning = sf.sw3_meaning(find.sw3)
            raise DeviceError(code, f"find card: {meaning}")
        if not self._present:
            return False
        return self._exchange(sf.SELECT_CARD).sw3 == sf.SW3_OK

    def _note_presence(self, present: bool) -> None:
        if present == self._present:
            return
        self._present = present
        self.emit("card_inserted" if present else "card_removed")
        self.set_status(self.status, "", card="present" if present else "absent")

    # -- polling ------------------------------------------------------------------------------
    def _poll_loop(self) -> None:
        while not self._stop.wait(self.poll_interval):
            if self._reading.is_set() or self._owner is None:
                continue
            try:
                self._owner.call(self._poll_once, timeout=self.reply_timeout * (self.retries + 2) + 1)
            except Exception as exc:  # never let the poller die
                log.debug("%s: poll failed: %s", self.name, exc)

    def _poll_once(self) -> None:
        if self._reading.is_set():
            return
        if self._serial is None:
            self._connect()
            if self._serial is None:
                return
        try:
            self._note_presence(self._card_present())
        except PortGone:
            self._note_presence(False)

    # -- the read command -----------------------------------------------------------------------
    def _read_body(self, cmd: Command[Any], mrz: MrzKey | None, timeout: float) -> IdentityRecord:
        self._reading.set()
        try:
            deadline = time.monotonic() + timeout
            while True:
                if cmd.cancel_requested.is_set():
                    raise DeviceError(ResultCode.CANCELED, "canceled")
                if self._serial is None:
                    self._connect()
                    if self._serial is None:
                        raise DeviceError(ResultCode.DEVICE_NOT_READY, self.last_error or f"{self.port} not available")
                try:
                    record = self._try_read()
                except PortGone as exc:
                    raise DeviceError(ResultCode.DEVICE_NOT_READY, f"reader port lost: {exc}") from None
                if record is not None:
                    return record
                if time.monotonic() + self.poll_interval > deadline:
                    raise DeviceError(ResultCode.TIMEOUT, f"no card presented within {timeout:g} s")
                time.sleep(self.poll_interval)
        finally:
            self._reading.clear()

    def _try_read(self) -> IdentityRecord | None:
        """One attempt: None when no card is there (yet)."""
        find = self._exchange(sf.FIND_CARD)
        if find.sw3 not in (sf.SW3_FIND_OK, sf.SW3_NO_CARD):
            code, meaning = sf.sw3_meaning(find.sw3)
            raise DeviceError(code, f"find card: {meaning}")
        select = self._exchange(sf.SELECT_CARD)
        if select.sw3 != sf.SW3_OK:
            self._note_presence(False)
            return None
        self._note_presence(True)
        reply = self._exchange(sf.READ_BASE_INFO, timeout=self.read_timeout)
        if reply.sw3 != sf.SW3_OK:
            code, meaning = sf.sw3_meaning(reply.sw3)
            if code is ResultCode.TIMEOUT:  # card gone between select and read
                code, meaning = ResultCode.USER_ERROR, "card removed while being read"
            raise DeviceError(code, f"read base info: {meaning}")
        return self._record_from(reply.data)

    def _record_from(self, data: bytes) -> IdentityRecord:
        if len(data) < 4:
            raise DeviceError(ResultCode.INVALID_DATA, f"base info reply has {len(data)} bytes, expected at least 4")
        text_len = int.from_bytes(data[0:2], "big")
        photo_len = int.from_bytes(data[2:4], "big")
        if text_len != TEXT_LENGTH or len(data) < 4 + text_len + photo_len:
            raise DeviceError(ResultCode.INVALID_DATA,
                              f"base info lengths text={text_len} photo={photo_len} do not fit {len(data) - 4} bytes of data")
        text = data[4:4 + text_len]
        photo = data[4 + text_len:4 + text_len + photo_len]
        try:
            record = parse_text(text)
        except CardDataError as exc:
            raise DeviceError(ResultCode.INVALID_DATA, f"card text unreadable: {exc}") from None
        self._attach_photo(record, photo)
        log.info("%s: read %r", self.name, record)
        return record

    def _attach_photo(self, record: IdentityRecord, wlt: bytes) -> None:
        if len(wlt) != WLT_LENGTH:
            record.photo_unavailable_reason = f"card photo block is {len(wlt)} bytes, expected {WLT_LENGTH}"
            return
        if self._decoder is None:
            record.photo_unavailable_reason = self._no_decoder_reason
            return
        try:
            record.photo, record.photo_format = self._decoder.decode(wlt)
            record.extra["photo_decoder"] = self._decoder.name
        except PhotoDecodeError as exc:
            record.photo_unavailable_reason = str(exc)


def open_reader(url: DeviceUrl, **kwargs: Any) -> SamIdReader:
    """Registry factory for `sam://PORT?baud=115200`. kwargs: wlt_decoder, poll_interval, name, ..."""
    if not url.target:
        raise ValueError(f"{url.raw}: no serial port in the URL (sam:///dev/ttyUSB0?baud=115200)")
    return SamIdReader(url.target, baud=url.param("baud", 115200, int), **kwargs)

