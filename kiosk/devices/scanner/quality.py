"""Judge a found page: geometry (cut off, too small, skewed) from its corners, and image quality
(blur, glare, darkness) from the corrected page scaled to a fixed working width.

- blur: also a page smeared along one direction by motion (`gradient_balance`).
- blur: variance of the Laplacian on the working-width page (a fixed width makes the number
  comparable between cameras and distances).
- glare: connected blobs of clipped pixels that are clearly brighter than the paper *and* sit in a
  bright halo. White paper (even over-exposed paper) is the paper level itself, and a QR code's
  quiet zone is bordered by paper and dark modules, so neither counts.
- glare / shadow over text (`kiosk.devices.scanner.textloss`): a patch of print whose contrast
  collapsed (faded into the paper) or whose paper is far darker than the rest of the page. This
  catches glare on white paper that clips nothing, and hard shadows. Not judged on a blurred page
  (blur already explains lost contrast, and is the first thing to fix for it).
- too_dark: the paper's grey level (median of the bright class) is below a set level.
- cut_off also when the sheet's proportions are far from A4 (a half page, a folded page).
- skewed: strong foreshortening (one edge much shorter than the opposite one) or a corner angle
  far from 90 degrees means perspective beyond what correction can undo legibly (the far part of
  the page has too few pixels); an in-plane rotation is corrected and is not a problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.devices.scanner import PROBLEMS
from kiosk.devices.scanner.textloss import TextLossThresholds, measure


A4_ASPECT = 297.0 / 210.0


@dataclass(frozen=True)
class Thresholds:
    blur_min: float = 150.0
    glare_clip_level: int = 250
    glare_above_paper: float = 15.0
    glare_halo: float = 4.0
    glare_min_area: float = 0.003
    dark_paper_level: float = 80.0
    min_page_area: float = 0.2
    edge_margin: float = 0.004
    max_corner_angle_deg: float = 25.0
    min_side_ratio: float = 0.6
    max_aspect_error: float = 0.15
    min_gradient_balance: float = 0.3
    text_loss: TextLossThresholds = TextLossThresholds()

    @classmethod
    def from_config(cls, cfg: object) -> "Thresholds":
        names = [f for f in cls.__dataclass_fields__ if hasattr(cfg, f)]
        return cls(**{n: getattr(cfg, n) for n in names})


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def corner_angles(corners: np.ndarray) -> list[float]:
    """Interior angle at each corner, degrees."""
    out = []
    for i in range(4):
        a, b, c = corners[i - 1], corners[i], corners[(i + 1) % 4]
        v1, v2 = a - b, c - b
        cos = float(np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2) + 1e-9))
        out.append(math.degrees(math.acos(max(-1.0, min(1.0, cos)))))
    return out


def judge_geometry(corners: np.ndarray, frame_shape: tuple[int, ...], area_frac: float, touches_edge: bool,
                   t: Thresholds) -> Verdict:
    h, w = frame_shape[:2]
    v = Verdict()
    margin = t.edge_margin * max(w, h)
    near_edge = bool(np.any(corners[:, 0] < margin) or np.any(corners[:, 1] < margin)
                     or np.any(corners[:, 0] > w - 1 - margin) or np.any(corners[:, 1] > h - 1 - margin))
    angle_dev = max(abs(a - 90.0) for a in corner_angles(corners))
    sides = [float(np.linalg.norm(corners[(i + 1) % 4] - corners[i])) for i in range(4)]
    side_ratio = min(min(sides[0], sides[2]) / max(sides[0], sides[2], 1e-9),
                     min(sides[1], sides[3]) / max(sides[1], sides[3], 1e-9))
    long_side = max(sides[0] + sides[2], sides[1] + sides[3])
    short_side = min(sides[0] + sides[2], sides[1] + sides[3])
    aspect = long_side / max(short_side, 1e-9)
    v.metrics.update(area=area_frac, angle=angle_dev, side_ratio=side_ratio, aspect=aspect)
    # a sheet far from A4's proportions is part of a page (folded, torn, half under something)
    # (only where perspective is mild: a steep view distorts the proportions and is `skewed`)
    flat_enough = angle_dev <= t.max_corner_angle_deg and side_ratio >= t.min_side_ratio
    not_whole = flat_enough and abs(aspect / A4_ASPECT - 1.0) > t.max_aspect_error
    if touches_edge or near_edge or not_whole:
        v.problems.append("cut_off")
    if area_frac < t.min_page_area:
        v.problems.append("too_small")
    if angle_dev > t.max_corner_angle_deg or side_ratio < t.min_side_ratio:
        v.problems.append("skewed")
    return v


def paper_level(gray: np.ndarray) -> float:
    """Grey level of the paper: the median of the brighter class (Otsu split), so print does not count."""
    thresh, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = gray[gray > thresh]
    return float(np.median(bright)) if bright.size else float(np.median(gray))


def blur_score(gray: np.ndarray) -> float:
    return float(cv2.Laplacian(gray, cv2.CV_32F).var())


def gradient_balance(gray: np.ndarray) -> float:
    """Weaker over stronger of the horizontal and vertical gradient energies: about 0.5-1 for
    print, near 0 when motion smeared the page along one direction."""
    g = gray.astype(np.float32)
    gx = float(np.square(cv2.Sobel(g, cv2.CV_32F, 1, 0)).mean())
    gy = float(np.square(cv2.Sobel(g, cv2.CV_32F, 0, 1)).mean())
    return min(gx, gy) / max(gx, gy) if max(gx, gy) > 0 else 1.0


def glare_blobs(gray: np.ndarray, paper: float, t: Thresholds) -> tuple[float, int]:
    """(fraction of the page under glare, number of glare blobs)."""
    level = max(float(t.glare_clip_level), paper + t.glare_above_paper)
    if level > 255:
        return 0.0, 0  # the paper itself is (nearly) clipped: nothing can stand out above it
    clipped = (gray >= level).astype(np.uint8)
    clipped = cv2.morphologyEx(clipped, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(clipped, connectivity=8)
    page_area = gray.shape[0] * gray.shape[1]
    min_area = t.glare_min_area * page_area
    ring_k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (max(5, gray.shape[1] // 40) | 1,) * 2)
    total, count = 0, 0
    for i in range(1, n):
        area = stats[i, cv2.CC_STAT_AREA]
        if area < min_area:
            continue
        x, y, bw, bh = stats[i, :4]
        pad = ring_k.shape[0]
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(gray.shape[1], x + bw + pad), min(gray.shape[0], y + bh + pad)
        blob = (labels[y0:y1, x0:x1] == i).astype(np.uint8)
        ring = cv2.dilate(blob, ring_k) & (1 - blob)
        ring_px = gray[y0:y1, x0:x1][ring > 0]
        # glare fades out into a halo brighter than the paper; a white patch (a QR quiet zone,
        # a label) ends sharply at paper or print
        if ring_px.size and float(np.median(ring_px)) >= paper + t.glare_halo:
            total += area
            count += 1
    return float(total / page_area), count


def judge_image(page_bgr: np.ndarray, t: Thresholds, quality_width: int = 600) -> Verdict:
    """Blur, glare and darkness of a corrected page."""
    h, w = page_bgr.shape[:2]
    if w != quality_width:
        page_bgr = cv2.resize(page_bgr, (quality_width, round(h * quality_width / w)), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(page_bgr, cv2.COLOR_BGR2GRAY) if page_bgr.ndim == 3 else page_bgr
    v = Verdict()
    paper = paper_level(gray)
    # blur is judged on contrast-normalised grey so a dim page is not also called blurred
    norm = gray.astype(np.float32) * (200.0 / max(paper, 1.0))
    blur = blur_score(norm)
    glare, blobs = glare_blobs(gray, paper, t)
    streak = gradient_balance(gray)
    v.metrics.update(blur=blur, glare=glare, glare_blobs=float(blobs), paper=paper, streak=streak)
    # motion smears print along one direction: the Laplacian still sees the other direction's edges
    blurred = blur < t.blur_min or streak < t.min_gradient_balance
    loss = None
    if not blurred and paper >= t.dark_paper_level:
        loss = measure(gray, paper, t.text_loss)
        v.metrics.update(loss.metrics)
    if paper < t.dark_paper_level:
        v.problems.append("too_dark")
    if loss is not None and loss.shadow_tiles:
        v.problems.append("shadow")
    if blobs or (loss is not None and loss.glare_tiles):
        v.problems.append("glare")
    if blurred:
        v.problems.append("blur")
    return v


def merge(*verdicts: Verdict) -> Verdict:
    out = Verdict()
    for v in verdicts:
        out.metrics.update(v.metrics)
        out.problems.extend(p for p in v.problems if p not in out.problems)
    out.problems.sort(key=PROBLEMS.index)
    return out
