"""The simulator's own card-photo encoding (NOT the proprietary WLT format).

A face photograph is cropped to the card's aspect ratio around its centre, scaled to the card's 102x126 and JPEG-compressed until it fits; the 1024-byte block is
`HWSIM-PHOTO\\0` + format byte (1 = JPEG) + 2-byte big-endian length + JPEG + zero padding.
Only the `sim` decoder of `kiosk.devices.idreader.wlt` understands it.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

MAGIC = b"HWSIM-PHOTO\x00"
BLOCK = 1024
CARD_W, CARD_H = 102, 126


def crop_face(image: np.ndarray) -> np.ndarray:
    """A crop with the card's aspect ratio from the centre of a portrait photograph (the shared
    photos are head shots; OpenCV 5 has no bundled face detector to do better)."""
    h, w = image.shape[:2]
    ch = min(h, w * CARD_H / CARD_W)
    cw = ch * CARD_W / CARD_H
    x0, y0 = int((w - cw) / 2), int((h - ch) / 2)
    return image[y0:y0 + int(ch), x0:x0 + int(cw)]


def encode_jpeg_to_fit(image: np.ndarray, budget: int) -> bytes:
    small = cv2.resize(image, (CARD_W, CARD_H), interpolation=cv2.INTER_AREA)
    for quality in range(60, 4, -5):
        ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok and len(buf) <= budget:
            return buf.tobytes()
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    for quality in range(40, 4, -5):
        ok, buf = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok and len(buf) <= budget:
            return buf.tobytes()
    raise ValueError("photo does not fit the card's photo block")


@functools.lru_cache(maxsize=64)
def card_photo_block(path: str) -> bytes:
    """The 1024-byte photo block for the face photograph at `path`."""
    image = cv2.imread(str(Path(path)), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read face photo {path}")
    jpeg = encode_jpeg_to_fit(crop_face(image), BLOCK - len(MAGIC) - 3)
    block = MAGIC + b"\x01" + len(jpeg).to_bytes(2, "big") + jpeg
    return block.ljust(BLOCK, b"\x00")


@functools.lru_cache(maxsize=64)
def card_photo_jpeg(path: str, quality: int = 75) -> bytes:
    """The face crop at the card's size as a JPEG (for the eMRTD's DG2)."""
    image = cv2.imread(str(Path(path)), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read face photo {path}")
    crop = cv2.resize(crop_face(image), (240, 296), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()
