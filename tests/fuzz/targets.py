"""The decoders the station feeds untrusted bytes to, as fuzz targets: one function per decoder that
takes bytes and may raise only the decoder's own documented error (anything else is a bug).

    TARGETS["tlv"](b"\\x77\\x03abc")        # returns or raises TlvError only

Used by `tests/fuzz/run.py` (atheris, coverage-guided) and by the short runs in `make test`.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable

from kiosk.config import ConfigError, parse_config
from kiosk.devices.idreader import cn_id, sam_frames
from kiosk.devices.idreader.emrtd import lds, mrz, tlv
from kiosk.devices.idreader.emrtd.sod import SodError, parse_sod, passive_authentication
from kiosk.devices.scanner.payloads import PayloadError, parse_any
from kiosk.services.fleet import contract
from locker_firmware_bridge.codec import Expect
from locker_firmware_bridge.errors import ProtocolError
from locker_firmware_bridge.protocols import protocols
from locker_firmware_bridge.settings import BoardSettings

CODECS = [p.make_codec() for p in protocols()]
EXPECTS = [Expect(kind, board, lock) for kind in ("status_all", "status_one", "open") for board, lock in ((0, 1), (1, 8))]


def lock_board_frames(data: bytes) -> None:
    if len(data) < 2:
        return
    codec = CODECS[data[0] % len(CODECS)]
    expect = EXPECTS[data[1] % len(EXPECTS)]
    settings = BoardSettings(expect.board, 16)
    body = data[2:]
    for decode in (lambda: codec.decode_request(body), lambda: codec.decode_reply(body, expect, settings)):
        try:
            decode()
        except ProtocolError:
            pass
    found = codec.find_reply(body, expect, settings)
    if found is not None:
        try:
            codec.decode_reply(found.frame, expect, settings)
        except ProtocolError:
            pass


def sam_frame(data: bytes) -> None:
    buf = bytearray(data)

    def read(n: int) -> bytes:
        out = bytes(buf[:n])
        del buf[:n]
        return out

    try:
        reply = sam_frames.read_reply(read, 0.0)
    except sam_frames.FrameError:
        return
    try:
        cn_id.parse_text(reply.data[:256])
    except (cn_id.CardDataError, ValueError):
        pass


def tlv_records(data: bytes) -> None:
    try:
        for _tag, value in tlv.iter_tlv(data):
            tlv.find(value, 0x5F1F)
    except tlv.TlvError:
        pass
    for parse in (lds.parse_com, lds.parse_dg1, lds.parse_dg2):
        try:
            parse(data)
        except (lds.LdsError, tlv.TlvError, mrz.MrzError):
            pass


def cms_sod(data: bytes) -> None:
    try:
        sod = parse_sod(data)
    except SodError:
        return
    passive_authentication(sod, {1: b"x"}, [])


def card_photo(data: bytes) -> None:
    """JPEG / JPEG 2000 / PNG through the decoders the station uses for card and DG2 photos."""
    import cv2
    import numpy as np

    if data[:2] not in (b"\xff\xd8", b"\xff\x4f", b"\x00\x00", b"\x89P"):
        data = b"\xff\xd8" + data  # make most inputs look like a JPEG so the decoder goes deep
    cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as img:
            img.size  # noqa: B018 - the header is parsed
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        pass


def qr_payload(data: bytes) -> None:
    try:
        parse_any(data.decode("utf-8", "replace"))
    except PayloadError:
        pass


_PROCESSOR: list[object] = []


def _processor() -> object:
    """A command processor on an in-memory store (built once): hostile commands go through every check."""
    if not _PROCESSOR:
        from kiosk.services.audit import AuditLog
        from kiosk.services.fleet import signing
        from kiosk.services.fleet.commands import CommandProcessor
        from kiosk.services.store import Store

        store = Store(":memory:")
        _PROCESSOR.append(CommandProcessor(store, "sh-test-001", signing.generate().public_key(), object(),  # type: ignore[arg-type]
                                           AuditLog(store)))
    return _PROCESSOR[0]


def mqtt_payload(data: bytes) -> None:
    decision = _processor().receive("set_maintenance", data, b"corr")  # type: ignore[attr-defined]
    assert decision.job is None  # nothing unsigned by the right key may ever run
    try:
        body = json.loads(data)
    except ValueError:
        return
    for kind in ("command", "ack", "desired", "rpc_response", "rpc_request", "event"):
        try:
            contract.check(kind, body)
        except KeyError:
            pass  # a schema this contract version does not have


def toml_config(data: bytes) -> None:
    try:
        parsed = tomllib.loads(data.decode("utf-8", "replace"))
    except tomllib.TOMLDecodeError:
        return
    try:
        parse_config(parsed, "fuzz.toml")
    except ConfigError:
        pass


TARGETS: dict[str, Callable[[bytes], None]] = {
    "lock_board_frames": lock_board_frames, "sam_frame": sam_frame, "tlv": tlv_records, "cms_sod": cms_sod,
    "card_photo": card_photo, "qr_payload": qr_payload, "mqtt_payload": mqtt_payload, "toml_config": toml_config,
}
