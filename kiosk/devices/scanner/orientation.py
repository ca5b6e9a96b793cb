"""Is the corrected page upside down? A conservative guess from text-line alignment.

Chinese and English documents are set left-aligned: the left ends of the text lines line up,
the right ends are ragged. On a page turned by 180 degrees it is the other way round. The page
is turned only when the evidence is strong (many lines, right ends far more regular than the left
ends); centred or fully justified layouts, tables and pictures give no verdict and are left alone.
"""

from __future__ import annotations

import cv2
import numpy as np

MIN_LINES = 6
RATIO = 4.0  # left ends must be this much more ragged than the right ends to call it upside down
MIN_RAGGED = 0.03  # ... and ragged by at least this fraction of the page width


def text_line_ends(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left and right ends (columns) of each text line on a grey page."""
    h, w = gray.shape
    my, mx = int(0.03 * h), int(0.03 * w)
    inner = gray[my:h - my, mx:w - mx]  # rectification leaves slivers of desk at the borders
    _, ink = cv2.threshold(inner, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    rows = ink.sum(axis=1) > 2
    lefts, rights = [], []
    y = 0
    n = len(rows)
    while y < n:
        if not rows[y]:
            y += 1
            continue
        y0 = y
        while y < n and rows[y]:
            y += 1
        if y - y0 >= 3:  # a text line is a few pixels tall at least
            cols = np.flatnonzero(ink[y0:y].any(axis=0))
            lefts.append(cols[0])
            rights.append(cols[-1])
    return np.array(lefts, np.float32), np.array(rights, np.float32)


def looks_upside_down(gray: np.ndarray) -> bool:
    lefts, rights = text_line_ends(gray)
    if len(lefts) < MIN_LINES:
        return False

    def spread(v: np.ndarray) -> float:
        return float(np.median(np.abs(v - np.median(v))))

    sl, sr = spread(lefts), spread(rights)
    return sl > MIN_RAGGED * gray.shape[1] and sl > RATIO * max(sr, 1.0)
