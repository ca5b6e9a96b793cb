"""Is the camera looking at a screen (a phone or monitor showing a document) instead of paper?

A display is made of a regular grid of red, green and blue sub-pixels. Photographed, that grid
is a strong periodic pattern in the colour difference (red minus blue) at a few camera pixels'
period (or its moiré beat with the camera's own pixel grid). Paper under room light has no such
pattern: its colour noise is spread over all frequencies. So: the spectrum of red minus blue in
the middle of the frame, low frequencies (page layout, shading) removed, and the strongest peak
compared with the spectrum's median. A printed colour halftone (a magazine) also has a periodic
pattern, but in print the dots are far finer than the camera resolves at this distance.
"""

from __future__ import annotations

import numpy as np

CROP = 256  # px, the middle of the frame (where the page or screen lies)
MIN_RADIUS = 0.12  # of the spectrum's half-size: below this are layout and shading, not a pixel grid
PEAK_RATIO = 500.0  # peak / median magnitude: paper photos (JPEG too) stay under 250, screens over 800


def _peak(channel: np.ndarray, keep: np.ndarray) -> float:
    n = channel.shape[0]
    channel = channel - channel.mean()
    win = np.hanning(n).astype(np.float32)
    spec = np.abs(np.fft.fftshift(np.fft.fft2(channel * win[:, None] * win[None, :])))
    band = spec[keep]
    med = float(np.median(band))
    return float(band.max() / med) if med > 0 else 0.0


def _band(n: int) -> np.ndarray:
    """High frequencies, without JPEG's own 8-pixel block grid (a compressed photo of paper
    has peaks exactly there)."""
    yy, xx = np.mgrid[0:n, 0:n] - n // 2
    r = np.hypot(yy, xx) / (n / 2)
    step = n // 8
    near = lambda v: np.abs(((v + step // 2) % step) - step // 2) <= 1  # noqa: E731
    return (r >= MIN_RADIUS) & ~(near(yy) & near(xx))


def grid_peak(frame_bgr: np.ndarray) -> float:
    """The strongest high-frequency peak of red minus blue, over the spectrum's median."""
    h, w = frame_bgr.shape[:2]
    n = min(CROP, h, w) // 8 * 8
    if n < 64:  # too small a frame to tell a pixel grid from anything else
        return 0.0
    y0, x0 = (h - n) // 2, (w - n) // 2
    crop = frame_bgr[y0:y0 + n, x0:x0 + n].astype(np.float32)
    keep = _band(n)
    return _peak(crop[..., 2] - crop[..., 0], keep)


def looks_like_screen(frame_bgr: np.ndarray) -> tuple[bool, float]:
    peak = grid_peak(frame_bgr)
    return peak >= PEAK_RATIO, peak
