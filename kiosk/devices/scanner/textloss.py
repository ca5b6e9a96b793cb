"""Text lost to glare or shadow: judged by what the text's contrast loses, not by clipped pixels.

Clipped-pixel glare (`quality.glare_blobs`) misses the commonest case on white paper: a lamp's
reflection that lifts the print towards the paper colour while the paper itself is already as
bright as it gets. And a hard shadow leaves no clipped pixel at all. Both are judged here on the
corrected grey page at the quality working width, tile by tile:

- the local paper level (`background`): a grey closing that erases strokes, so it follows shading;
- the print's local contrast: local paper level minus the darkest print in the tile (2nd
  percentile), relative to the paper level, where there is print at all;
- the page's normal print contrast: the median over the tiles that carry print.

`glare`: a connected patch of print tiles whose contrast collapsed to under `faint_ratio` of the
page's normal contrast (the text is fading into the paper), at least `min_tiles` tiles.
`shadow`: a connected patch of print tiles whose paper is under `shadow_ratio` of the page's paper
level (the print there keeps less than that share of its contrast; a soft, even dimming of the
whole page is `too_dark`, not a shadow), at least `min_tiles` tiles.

Why not OCR itself per frame: it takes about a second a page, the camera gives 15 frames a second.
PP-OCR reads print down to a few per cent of contrast, so the thresholds here are set where it
starts dropping characters (tests/documents/test_text_loss.py checks that with the real OCR).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

TILE = 20  # px at the 600 px quality width: about one text line high


@dataclass(frozen=True)
class TextLossThresholds:
    faint_ratio: float = 0.42
    shadow_ratio: float = 0.75
    min_tiles: int = 8
    print_min: float = 0.10  # relative contrast below this is paper grain, not print
    min_density: float = 0.10  # share of a tile's pixels that are strokes, for it to hold text


@dataclass
class TextLoss:
    glare_tiles: int
    shadow_tiles: int
    print_tiles: int
    normal_contrast: float

    @property
    def metrics(self) -> dict[str, float]:
        n = max(self.print_tiles, 1)
        return {"text_glare": self.glare_tiles / n, "text_shadow": self.shadow_tiles / n,
                "print_contrast": self.normal_contrast}


def background(gray: np.ndarray) -> np.ndarray:
    """The local paper level: print erased by a grey closing (taller than a text line, so even a
    line smeared into a grey band by motion is erased), then smoothed."""
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (15, 31))
    closed = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, k)
    return cv2.blur(closed, (15, 15)).astype(np.float32)


def _tiles(a: np.ndarray, fn: Any) -> np.ndarray:
    h, w = a.shape[:2]
    ty, tx = h // TILE, w // TILE
    a = a[:ty * TILE, :tx * TILE].reshape(ty, TILE, tx, TILE).swapaxes(1, 2).reshape(ty, tx, TILE * TILE)
    return fn(a)


def _stroke_density(gray: np.ndarray, bg: np.ndarray, dark_t: np.ndarray) -> np.ndarray:
    """Per tile, the share of pixels darker than halfway between the paper and the tile's darkest
    print: characters fill a good part of a tile, a rule line or a box edge only a sliver."""
    ty, tx = dark_t.shape
    dark = np.repeat(np.repeat(dark_t, TILE, axis=0), TILE, axis=1)
    g = gray[:ty * TILE, :tx * TILE].astype(np.float32)
    ink = (g < (bg[:ty * TILE, :tx * TILE] + dark) / 2).astype(np.float32)
    return _tiles(ink, lambda a: a.mean(axis=2))


def _largest_patch(mask: np.ndarray) -> int:
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return int(stats[1:, cv2.CC_STAT_AREA].max()) if n > 1 else 0


def measure(gray: np.ndarray, paper: float, t: TextLossThresholds = TextLossThresholds()) -> TextLoss:
    """Glare and shadow patches over print on a grey corrected page (quality working width)."""
    h, w = gray.shape
    my, mx = int(0.03 * h), int(0.03 * w)
    inner = gray[my:h - my, mx:w - mx]  # rectification leaves slivers of desk at the borders
    if min(inner.shape) < TILE:
        return TextLoss(0, 0, 0, 0.0)
    bg = background(inner)
    bg_t = _tiles(bg, lambda a: a.mean(axis=2))
    dark_t = _tiles(inner.astype(np.float32), lambda a: np.percentile(a, 2, axis=2))
    rel = (bg_t - dark_t) / np.maximum(bg_t, 1.0)
    has_print = (rel >= t.print_min) & (_stroke_density(inner, bg, dark_t) >= t.min_density)
    if has_print.sum() < t.min_tiles:
        return TextLoss(0, 0, int(has_print.sum()), 0.0)
    normal = float(np.median(rel[has_print]))
    # the lit paper's level: a shadow over half the page must not become the reference
    paper = max(paper, float(np.percentile(bg_t, 90)))
    # each tile row's own print contrast (its upper quartile: a spot can cover half the row), so a
    # row of pale rules or grey small print is not "faded", only print paler than its own line
    masked = np.where(has_print, rel, np.nan)
    counts = has_print.sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without print: replaced below
        row_ref = np.nanpercentile(masked, 75, axis=1)
    row_ref = np.where(counts >= 4, row_ref, normal)[:, None]
    # print that is faint against its own line and sits in bright paper (not in a shadow)
    faint = has_print & (rel < t.faint_ratio * row_ref) & (bg_t >= t.shadow_ratio * paper)
    shaded = has_print & (bg_t < t.shadow_ratio * paper)
    glare_patch = _largest_patch(cv2.morphologyEx(faint.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)))
    shadow_patch = _largest_patch(shaded)
    return TextLoss(glare_patch if glare_patch >= t.min_tiles else 0,
                    shadow_patch if shadow_patch >= t.min_tiles else 0,
                    int(has_print.sum()), normal)
