"""Barcode and QR reading with several engines and a fallback chain.

Engines (each `fn(gray) -> list[Code]`):
- `zxingcpp`: zxing-cpp `read_barcodes` (all formats; decodes UTF-8 and ECI correctly).
- `pyzbar`: ZBar through pyzbar. ZBar guesses the text encoding of a QR code and often reads UTF-8
  Chinese as Shift-JIS (or Latin-1), then re-encodes it to UTF-8: `办件` arrives as `蜉樔ｻｶ`.
  `fix_zbar_text` undoes that (re-encode as the wrongly guessed charset, decode as strict UTF-8).
- `opencv`: `cv2.QRCodeDetector` (multi) + `cv2.barcode.BarcodeDetector` (1-D codes; in OpenCV
  5.0 it decodes EAN/UPC only, which the station does not use, so it adds nothing after filtering).
- `opencv_aruco`: `cv2.QRCodeDetectorAruco` (multi) + `cv2.barcode.BarcodeDetector`.
- `zxingcpp_rot`: zxing-cpp on copies turned by +-20/+-40 degrees (tilted 1-D codes).

`BarcodeReader(order)` tries the engines in order and stops at the first that finds a code, so
it always decodes at least what its first engine decodes; the order comes from bench/barcodes.py.
Decoded text is untrusted: it is cut to MAX_TEXT characters here and validated by `payloads`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from kiosk.devices.scanner import Code

log = logging.getLogger(__name__)

MAX_TEXT = 1024  # longer decoded text is cut; no station format is anywhere near this long
MAX_CODES = 16
# The symbologies the station reads (receipt/phone QR codes, case barcodes in Code128, and the
# common document codes). Restricting engines to them avoids false reads (ZBar's DataBar and
# OpenCV's EAN decoders find "codes" in print) and saves time.
SYMBOLOGIES = frozenset({"QRCODE", "CODE128", "CODE39", "PDF417", "DATAMATRIX"})


def normalise_type(name: str) -> str:
    """"QRCode", "CODE_128", "Code128" -> "QRCODE", "CODE128"."""
    t = "".join(ch for ch in str(name).upper() if ch.isalnum())
    return {"QR": "QRCODE", "EAN13": "EAN13", "UPCA": "UPCA"}.get(t, t)


def _clean(text: str) -> str:
    return text[:MAX_TEXT]


def fix_zbar_text(raw: bytes) -> str:
    """The real text of a ZBar result whose UTF-8 payload ZBar decoded with the wrong charset."""
    text = raw.decode("utf-8", errors="replace")
    if text.isascii():
        return text
    for wrong in ("shift_jis", "cp932", "latin-1"):
        try:
            return text.encode(wrong).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return text


def _gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return image


def read_zxingcpp(gray: np.ndarray) -> list[Code]:
    import zxingcpp

    f = zxingcpp.BarcodeFormat
    formats = [f.QRCode, f.Code128, f.Code39, f.PDF417, f.DataMatrix]
    out = []
    for r in zxingcpp.read_barcodes(gray, formats=formats):
        if r.valid:
            out.append(Code(normalise_type(r.format.name), _clean(r.text), "zxingcpp"))
    return out


def read_pyzbar(gray: np.ndarray) -> list[Code]:
    from pyzbar import pyzbar

    symbols = [pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.CODE128, pyzbar.ZBarSymbol.CODE39, pyzbar.ZBarSymbol.PDF417]
    return [Code(normalise_type(s.type), _clean(fix_zbar_text(s.data)), "pyzbar")
            for s in pyzbar.decode(gray, symbols=symbols)]


_barcode_detector: list[object] = []


def _read_opencv_1d(gray: np.ndarray, engine: str) -> list[Code]:
    if not hasattr(cv2, "barcode"):
        return []
    if not _barcode_detector:
        _barcode_detector.append(cv2.barcode.BarcodeDetector())
    det = _barcode_detector[0]
    ok, texts, types, _points = det.detectAndDecodeWithType(gray)  # type: ignore[attr-defined]
    if not ok or texts is None:
        return []
    return [Code(normalise_type(ty), _clean(tx), engine) for tx, ty in zip(texts, types) if tx]


def _read_opencv_qr(detector: object, gray: np.ndarray, engine: str) -> list[Code]:
    ok, texts, _points, _straight = detector.detectAndDecodeMulti(gray)  # type: ignore[attr-defined]
    if not ok:
        return []
    return [Code("QRCODE", _clean(t), engine) for t in texts if t]


def read_opencv(gray: np.ndarray) -> list[Code]:
    # a detector per call: OpenCV's QR detector objects are not safe to share between threads
    return _read_opencv_qr(cv2.QRCodeDetector(), gray, "opencv") + _read_opencv_1d(gray, "opencv")


def read_opencv_aruco(gray: np.ndarray) -> list[Code]:
    return _read_opencv_qr(cv2.QRCodeDetectorAruco(), gray, "opencv_aruco") + _read_opencv_1d(gray, "opencv_aruco")


ROTATIONS = (20.0, -20.0, 40.0, -40.0)


def _rotated(gray: np.ndarray, angle: float) -> np.ndarray:
    """`gray` turned by `angle` degrees on a canvas large enough to keep all of it."""
    h, w = gray.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(gray, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def read_zxingcpp_rotated(gray: np.ndarray) -> list[Code]:
    """zxing-cpp on the image turned by +-20 and +-40 degrees: 1-D codes with short bars are only
    read by scan lines that cross every bar, so a tilted envelope barcode needs this (QR codes
    are read at any angle already). Meant as the last link of the chain: it costs 4 reads."""
    for angle in ROTATIONS:
        codes = [Code(c.type, c.text, "zxingcpp_rot") for c in read_zxingcpp(_rotated(gray, angle))]
        if codes:
            return codes
    return []


ENGINES: dict[str, Callable[[np.ndarray], list[Code]]] = {
    "zxingcpp": read_zxingcpp,
    "zxingcpp_rot": read_zxingcpp_rotated,
    "pyzbar": read_pyzbar,
    "opencv": read_opencv,
    "opencv_aruco": read_opencv_aruco,
}


def available_engines() -> list[str]:
    """The engines whose library loads on this machine."""
    out = []
    for name in ENGINES:
        try:
            ENGINES[name](np.full((32, 32), 255, np.uint8))
        except Exception as exc:  # a missing libzbar shows up as ImportError/OSError here
            log.warning("barcode engine %s unavailable: %s", name, exc)
            continue
        out.append(name)
    return out


def read_with(engine: str, image: np.ndarray) -> list[Code]:
    """One engine's codes in an image (BGR or grey), de-duplicated, at most MAX_CODES."""
    if engine not in ENGINES:
        raise ValueError(f"unknown barcode engine {engine!r} (known: {', '.join(ENGINES)})")
    seen: dict[tuple[str, str], Code] = {}
    for c in ENGINES[engine](_gray(image)):
        if c.type in SYMBOLOGIES:
            seen.setdefault((c.type, c.text), c)
    return list(seen.values())[:MAX_CODES]


class BarcodeReader:
    """The station's fallback chain: engines in order until one finds a code."""

    def __init__(self, order: Sequence[str] = ("zxingcpp", "pyzbar", "zxingcpp_rot", "opencv_aruco", "opencv")) -> None:
        unknown = [e for e in order if e not in ENGINES]
        if unknown:
            raise ValueError(f"unknown barcode engine(s) {', '.join(unknown)} (known: {', '.join(ENGINES)})")
        if not order:
            raise ValueError("at least one barcode engine is needed")
        self.order = tuple(order)
        self._broken: set[str] = set()

    def read(self, image: np.ndarray, engines: int | None = None) -> list[Code]:
        """Codes in `image` from the first engine of the chain that finds any; `engines` limits
        the chain to its first N links (a quick second look)."""
        gray = _gray(image)
        for engine in self.order[:engines]:
            if engine in self._broken:
                continue
            try:
                codes = read_with(engine, gray)
            except (ImportError, OSError) as exc:  # library missing on this machine: skip from now on
                log.warning("barcode engine %s failed to load, skipping it: %s", engine, exc)
                self._broken.add(engine)
                continue
            except cv2.error as exc:  # one bad image must not stop the chain
                log.debug("barcode engine %s: %s", engine, exc)
                continue
            if codes:
                return codes
        return []
