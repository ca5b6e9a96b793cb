"""Reference photos for face verification: image bytes (JPEG, PNG, BMP — as card readers and the
back office deliver them) to the HxWx3 uint8 BGR array the `FaceVerifier` interface takes.

Decoded with Pillow + numpy (no OpenCV: flows stay free of device and vision libraries). The
array lives only in the session's memory for the face check.
"""

from __future__ import annotations

import io
from typing import Any

MAX_PHOTO_BYTES = 5 * 1024 * 1024


class PhotoError(ValueError):
    pass


def to_bgr(data: bytes | None) -> Any:
    """numpy BGR image of `data`; PhotoError when the bytes are not a usable picture."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise PhotoError("no photo")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(f"photo of {len(data)} bytes is too large")
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(bytes(data))) as img:
            if img.width * img.height > 40_000_000:
                raise PhotoError("photo dimensions too large")
            rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise PhotoError(f"photo cannot be decoded: {exc}") from None
    return np.ascontiguousarray(rgb[:, :, ::-1])
