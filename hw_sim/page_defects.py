"""Generated page defects that hide text, for the quality checks' tests and benchmarks.

Each function takes a flat page (BGR, as `hw_sim.material_pages.material_page` renders it) and
returns the page with one defect, to be photographed with `hw_sim.documents.page_photo("custom",
page_image=...)`, or (for screens) returns the camera frame itself:

- `veiling_glare(page)`: a reflection of a lamp over lines of text: the text fades towards the
  paper colour in a soft spot, while the paper itself stays white. No pixel is brighter than
  the paper, so a check that only looks for clipped pixels above the paper level sees nothing.
- `hard_shadow(page)`: the sharp-edged shadow of the camera arm or a hand over lines of text: the
  paper under it is a fraction of its normal brightness.
- `screen_photo(page)`: the page shown on a phone or monitor and photographed: an emissive bezel,
  the display's RGB pixel grid (at a slight angle to the camera, which gives moiré), a blue cast.
- `half_page(page)`: a page folded or torn in half: only the top half lies on the desk.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from hw_sim.documents import FRAME_SIZE, page_quad


def veiling_glare(page: np.ndarray, at: tuple[float, float] = (0.45, 0.3), radius: float = 0.16,
                  strength: float = 0.99) -> np.ndarray:
    """Text under a soft spot fades towards white: out = page * (1 - a) + 255 * a, with `a` a
    Gaussian of `strength` at its centre (`at` and `radius` as fractions of the page width)."""
    h, w = page.shape[:2]
    yy, xx = np.ogrid[:h, :w]
    r2 = ((xx - at[0] * w) ** 2 + (yy - at[1] * h) ** 2) / (2 * (radius * w) ** 2)
    a = (strength * np.exp(-r2)).astype(np.float32)[..., None]
    return np.clip(page.astype(np.float32) * (1 - a) + 255.0 * a, 0, 255).astype(np.uint8)


def hard_shadow(page: np.ndarray, strength: float = 0.35, centre: float = 0.3, width: float = 0.16,
                angle_deg: float = 8.0, softness_px: float = 3.0) -> np.ndarray:
    """A band across the page (the camera arm's shadow), `width` of the page height wide, its
    middle at `centre` (a fraction of the page height), turned by `angle_deg`; the paper under it
    keeps 1 - `strength` of its light, and its edges are `softness_px` soft."""
    h, w = page.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = math.radians(angle_deg)
    # distance from the band's middle line, inside the band is negative
    d = np.abs((yy - centre * h) * math.cos(a) - (xx - w / 2) * math.sin(a)) - width * h / 2
    ramp = np.clip(0.5 - d / (2 * max(softness_px, 0.5)), 0, 1)
    factor = 1.0 - strength * ramp
    return np.clip(page.astype(np.float32) * factor[..., None], 0, 255).astype(np.uint8)


def half_page(page: np.ndarray, keep: float = 0.5) -> np.ndarray:
    """Only the top `keep` of the page; the rest is desk (the caller photographs it as a page, so
    it is returned full size with the lower part black: `page_photo` draws it onto the desk)."""
    out = page.copy()
    out[round(page.shape[0] * keep):] = (40, 52, 70)  # the desk's colour
    return out


def screen_photo(page: np.ndarray, *, frame_size: tuple[int, int] = FRAME_SIZE, pixel_pitch: float = 3.2,
                 angle_deg: float = 4.0, seed: int = 0, **quad: Any) -> np.ndarray:
    """A camera frame of the page shown on a display: a black bezel around a glowing screen, each
    screen pixel an R, G, B stripe triple `pixel_pitch` frame pixels wide, turned by `angle_deg`
    against the camera's pixel rows (so the grid aliases into moiré), and a cool white point."""
    w, h = frame_size
    rng = np.random.default_rng(seed)
    frame = np.full((h, w, 3), 18, np.uint8)  # the room is dim; the display lights itself
    q = page_quad(frame_size, quad.get("distance", 1.0), quad.get("rotation", 2.0), quad.get("skew", 0.02),
                  tuple(quad.get("shift", (0.0, 0.0))))
    bezel = np.array(q, np.float32)
    c = bezel.mean(axis=0)
    bezel = (bezel - c) * 1.06 + c
    cv2.fillConvexPoly(frame, bezel.astype(np.int32), (8, 8, 8))
    sh, sw = page.shape[:2]
    m = cv2.getPerspectiveTransform(np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]]), q)
    shown = page.astype(np.float32) * np.float32([1.0, 0.93, 0.86])  # BGR: a cool (bluish) white
    shown = cv2.warpPerspective(shown, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                borderValue=(-1, -1, -1))
    inside = shown[..., 0] >= 0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = math.radians(angle_deg)
    u = (xx * math.cos(t) + yy * math.sin(t)) / pixel_pitch  # position across the stripes, in screen pixels
    v = (-xx * math.sin(t) + yy * math.cos(t)) / pixel_pitch
    phase = (u % 1.0) * 3.0  # 0..3: which subpixel stripe (R, G, B) this camera pixel sees
    row_gap = 0.75 + 0.25 * (np.cos(2 * math.pi * v) > -0.6)  # the dark gap between pixel rows
    mask = np.zeros((h, w, 3), np.float32)
    for ch, k in ((2, 0), (1, 1), (0, 2)):  # BGR index of R, G, B stripes
        dist = np.minimum(np.abs(phase - (k + 0.5)), 3.0 - np.abs(phase - (k + 0.5)))
        mask[..., ch] = np.clip(1.3 - dist, 0.15, 1.0)
    mask *= row_gap[..., None]
    lit = shown * mask * 1.25
    lit = cv2.GaussianBlur(lit, (0, 0), 0.6)  # the camera lens
    out = frame.astype(np.float32)
    out[inside] = lit[inside]
    out += rng.normal(0, 2.5, out.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)
