"""Find the page in a frame: its four corners (TL, TR, BR, BL) in frame pixels.

Paper is brighter than the scanning area around it. On a copy of the frame scaled to a fixed
working width, Otsu's threshold separates the two, a morphological close fills the print, and the
largest region that is bright enough against its surroundings is taken. Its convex hull is reduced
to four sides; each side is then refitted as a straight line through the outline points along it,
and the corners are the lines' intersections (sub-pixel, and robust to rounded or torn corners).
A sheet that lies sideways is labelled so it is corrected to portrait without stretching; a
strongly coloured bright region (skin, a poster) is not taken for paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class FoundPage:
    corners: np.ndarray  # 4x2 float32, TL TR BR BL, frame pixels
    area_frac: float  # page area / frame area
    touches_edge: bool  # the page region reaches the frame border (cut off)
    contrast: float  # paper minus background, grey levels
    sideways: bool = False  # the sheet lies sideways: corrected to portrait, turned by 90 degrees


def order_corners(pts: np.ndarray) -> np.ndarray:
    """TL, TR, BR, BL: sorted by angle around the centre, starting with the top-left one."""
    pts = np.asarray(pts, dtype=np.float32).reshape(4, 2)
    c = pts.mean(axis=0)
    ang = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
    pts = pts[np.argsort(ang)]  # clockwise in image coordinates (y down), starting near -pi (left)
    start = int(np.argmin(pts[:, 0] + pts[:, 1]))
    return np.roll(pts, -start, axis=0)


def upright(corners: np.ndarray) -> np.ndarray:
    """Corners of a page lying sideways, re-labelled so the short edges are top and bottom: the
    page is corrected to portrait without stretching (it comes out turned by 90 degrees)."""
    c = corners
    horizontal = np.linalg.norm(c[1] - c[0]) + np.linalg.norm(c[2] - c[3])
    vertical = np.linalg.norm(c[3] - c[0]) + np.linalg.norm(c[2] - c[1])
    return np.roll(c, 1, axis=0) if horizontal > vertical else c


def _quad_from_hull(hull: np.ndarray) -> np.ndarray | None:
    peri = cv2.arcLength(hull, True)
    for eps in (0.01, 0.02, 0.03, 0.05, 0.08, 0.12):
        approx = cv2.approxPolyDP(hull, eps * peri, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
        if len(approx) < 4:
            break
    return cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float32)


def _refine_sides(contour: np.ndarray, quad: np.ndarray, tol: float) -> np.ndarray:
    """Fit a line to the outline points along each side; corners = intersections of neighbours."""
    pts = contour.reshape(-1, 2).astype(np.float32)
    lines = []
    for i in range(4):
        p0, p1 = quad[i], quad[(i + 1) % 4]
        d = p1 - p0
        length = float(np.hypot(*d))
        if length < 1:
            return quad
        u = d / length
        n = np.array([-u[1], u[0]], np.float32)
        rel = pts - p0
        t = rel @ u
        dist = np.abs(rel @ n)
        sel = pts[(dist < tol) & (t > 0.1 * length) & (t < 0.9 * length)]
        if len(sel) < 5:
            lines.append((p0, u))
            continue
        vx, vy, x0, y0 = cv2.fitLine(sel, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0], np.float32), np.array([vx, vy], np.float32)))
    out = np.zeros((4, 2), np.float32)
    for i in range(4):
        (pa, ua), (pb, ub) = lines[i - 1], lines[i]
        a = np.array([[ua[0], -ub[0]], [ua[1], -ub[1]]], np.float64)
        if abs(np.linalg.det(a)) < 1e-6:
            out[i] = quad[i]
            continue
        s = np.linalg.solve(a, (pb - pa).astype(np.float64))
        out[i] = pa + s[0] * ua
    # a refit that moved a corner far away means the outline was not a quadrilateral: keep the hull's
    if np.max(np.hypot(*(out - quad).T)) > 6 * tol:
        return quad
    return out


def find_page(frame: np.ndarray, work_width: int = 800, min_contrast: float = 25.0,
              min_area: float = 0.02, max_saturation: float = 90.0) -> FoundPage | None:
    """The page in a BGR (or grey) frame, or None when there is no page-like bright quadrilateral."""
    if frame is None or frame.ndim not in (2, 3) or frame.shape[0] < 16 or frame.shape[1] < 16:
        raise ValueError("not an image: expected an HxW or HxWx3 uint8 array of at least 16x16")
    h, w = frame.shape[:2]
    scale = min(1.0, work_width / w)
    small = cv2.resize(frame, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else frame
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    sh, sw = gray.shape
    gray = cv2.GaussianBlur(gray, (5, 5), 0)
    thresh, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    sat = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)[..., 1] if small.ndim == 3 else None
    if sat is not None:
        # coloured bright pixels are not paper: a hand holding the sheet stays out of its outline
        # (it would otherwise join the page to the frame edge and read as "cut off")
        mask[cv2.GaussianBlur(sat, (5, 5), 0) > max_saturation] = 0
    k = max(3, (sw // 80) | 1)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(contour)
    if area < min_area * sw * sh:
        return None
    region = np.zeros_like(mask)
    cv2.drawContours(region, [contour], -1, 255, -1)
    inside = float(np.median(gray[region > 0]))
    outside_px = gray[region == 0]
    if outside_px.size < 0.01 * gray.size:
        return None  # the bright region is the whole frame: no page edge to find (flatbed handles it)
    contrast = inside - float(np.median(outside_px))
    if contrast < min_contrast:
        return None
    if sat is not None:
        if float(np.median(sat[region > 0])) > max_saturation:
            return None  # paper is white or grey; a bright coloured region (skin, a poster) is not a page
    hull = cv2.convexHull(contour)
    if area / max(cv2.contourArea(hull), 1.0) < 0.85:
        return None  # ragged bright region (a lamp, a face), not a sheet of paper
    quad = _quad_from_hull(hull)
    if quad is None:
        return None
    quad = order_corners(quad)
    quad = _refine_sides(contour, quad, tol=max(2.0, sw / 250))
    ordered = order_corners(quad)
    quad = upright(ordered)
    sideways = not np.array_equal(quad, ordered)
    if cv2.contourArea(quad.reshape(-1, 1, 2)) < 0.8 * area:
        return None
    edge = 2
    hp = hull.reshape(-1, 2)
    touches = bool(np.any(hp[:, 0] <= edge) or np.any(hp[:, 1] <= edge)
                   or np.any(hp[:, 0] >= sw - 1 - edge) or np.any(hp[:, 1] >= sh - 1 - edge))
    corners = (quad + 0.5) / scale - 0.5
    return FoundPage(corners.astype(np.float32), float(area / (sw * sh)), touches, contrast, sideways)


def full_image_page(frame: np.ndarray) -> FoundPage:
    """The whole image as the page (a flatbed scan, or a photo cropped to the page)."""
    h, w = frame.shape[:2]
    corners = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    return FoundPage(corners, 1.0, False, 0.0)
