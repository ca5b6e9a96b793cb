"""Decoders for the card photo (1024 bytes of the proprietary "WLT" format).

- `VendorWltDecoder`: the reader vendor's licensed shared library, loaded with ctypes. The
  common Linux library (libwlt2bmp.so and its clones) exports
  `int unpack(const char *wlt, char *bmp, int flags)` writing a 102x126 24-bit BMP
  (38862 bytes) and returning 1 on success; the symbol name is configurable.
- `SimWltDecoder`: the simulator's OWN photo encoding, not WLT: `HWSIM-PHOTO\\0` + format byte
  + 2-byte big-endian length + an ordinary JPEG, zero padded to 1024 bytes. Real cards never
  carry it, so a real deployment never configures it.
- no decoder: the record says the photo is unavailable and why; flows fetch the reference
  photo from the back office.
Config: `[devices.id_reader] wlt_decoder = "/path/libwlt.so" | "sim"` (absent = none).
"""

from __future__ import annotations

import ctypes
import os
from typing import Protocol

WLT_LENGTH = 1024
BMP_LENGTH = 38862  # 54-byte header + 126 rows x 308 bytes (102 px x 3, padded to 4)
SIM_MAGIC = b"HWSIM-PHOTO\x00"
SIM_FORMATS = {1: "jpeg"}


class PhotoDecodeError(Exception):
    pass


class WltDecoder(Protocol):
    name: str

    def decode(self, wlt: bytes) -> tuple[bytes, str]:
        """WLT bytes -> (image bytes, format name). Raises PhotoDecodeError."""
        ...


class SimWltDecoder:
    name = "sim"

    def decode(self, wlt: bytes) -> tuple[bytes, str]:
        if not wlt.startswith(SIM_MAGIC):
            raise PhotoDecodeError("photo is not in the simulator's encoding (a real card needs the vendor WLT decoder)")
        at = len(SIM_MAGIC)
        fmt = SIM_FORMATS.get(wlt[at])
        length = int.from_bytes(wlt[at + 1:at + 3], "big")
        image = wlt[at + 3:at + 3 + length]
        if fmt is None or len(image) != length or length == 0:
            raise PhotoDecodeError("simulator photo block is damaged")
        return image, fmt


class VendorWltDecoder:
    def __init__(self, path: str, symbol: str = "unpack", flags: int = 0) -> None:
        self.name = os.path.basename(path)
        if not os.path.isfile(path):
            raise PhotoDecodeError(f"WLT decoder library {path} does not exist")
        try:
            lib = ctypes.CDLL(path)
            self._fn = getattr(lib, symbol)
        except (OSError, AttributeError) as exc:
            raise PhotoDecodeError(f"WLT decoder library {path} cannot be loaded: {exc}") from None
        self._fn.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int)
        self._fn.restype = ctypes.c_int
        self._flags = flags

    def decode(self, wlt: bytes) -> tuple[bytes, str]:
        if len(wlt) != WLT_LENGTH:
            raise PhotoDecodeError(f"WLT block is {len(wlt)} bytes, expected {WLT_LENGTH}")
        out = ctypes.create_string_buffer(BMP_LENGTH + 1024)  # slack: some libraries overrun
        rc = self._fn(wlt, out, self._flags)
        if rc != 1:
            raise PhotoDecodeError(f"WLT decoder {self.name} returned {rc} (not a decodable photo)")
        bmp = out.raw[:BMP_LENGTH]
        if not bmp.startswith(b"BM"):
            raise PhotoDecodeError(f"WLT decoder {self.name} did not produce a BMP")
        return bmp, "bmp"


def load_decoder(spec: str | None) -> tuple[WltDecoder | None, str | None]:
    """(decoder, None) or (None, why there is none). Never raises: a missing library must not
    stop the reader, it only means no photo from the card."""
    if not spec:
        return None, "no WLT photo decoder configured ([devices.id_reader] wlt_decoder)"
    if spec == "sim":
        return SimWltDecoder(), None
    try:
        return VendorWltDecoder(spec), None
    except PhotoDecodeError as exc:
        return None, str(exc)
