"""Synthetic camera scenes built from still photographs (what the simulated face camera shows).

Everything here is SYNTHETIC and says so in docs/developer/simulators.md ("What is synthetic"):
- a "live" view is a still photograph framed head-and-shoulders, with hand-held jitter and sensor
  noise from frame to frame;
- a blink is drawn: the eye regions (found with dlib's 68-point landmarks) are covered from the
  top by an eyelid of the skin colour sampled under the eye, with a dark lid line;
- a head turn is a cylindrical remap of the face region (a flat photo rotated on a cylinder);
- a printed photo is the card photo printed: halftone dot screen, reduced contrast and gamut, a
  white paper border, a hand holding it (finger blobs), a slight tilt and shake;
- a phone screen is the photo shown on a phone: a subpixel grid resampled by the camera (which
  makes moire), a colour cast, a black bezel, a glare band;
- "nobody" is an empty room-like background (with straight lines: a door frame and a picture).
They are good enough to exercise the detector, the challenge logic and the passive cues
honestly; they are not a substitute for a presentation-attack data set.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

W, H = 640, 480
_LANDMARK_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _landmarker():  # dlib is the simulator's own use of the library, independent of kiosk/
    import importlib.util

    import dlib

    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face_recognition_models is not installed (the simulator needs its landmark model)")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / "shape_predictor_68_face_landmarks.dat"
    return dlib.get_frontal_face_detector(), dlib.shape_predictor(str(path)), dlib


def read_image(path: Path | str) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"cannot read image {path}")
    return img


def landmarks(img: np.ndarray) -> np.ndarray | None:
    """68 landmarks of the largest face, or None."""
    det, sp, dlib = _landmarker()
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    scale = min(1.0, 800 / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale) if scale < 1 else gray
    with _LANDMARK_LOCK:  # dlib's detector is not safe to share between threads
        rects = det(small, 1)
        if not rects:
            return None
        r = max(rects, key=lambda r: r.area())
        shape = sp(small, r)
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32) / scale


def frame_person(img: np.ndarray, lm: np.ndarray, face_frac: float = 0.32, size: tuple[int, int] = (W, H)) -> tuple[np.ndarray, np.ndarray]:
    """Crop/scale `img` so the face is `face_frac` of the frame width, eyes at 40 % height.
    Returns the frame and the landmarks in frame coordinates."""
    fw = float(lm[:, 0].max() - lm[:, 0].min())
    s = face_frac * size[0] / max(fw, 1.0)
    eyes = lm[36:48].mean(axis=0)
    m = np.array([[s, 0, size[0] / 2 - s * eyes[0]], [0, s, 0.40 * size[1] - s * eyes[1]]], dtype=np.float32)
    # mirror the photo where it does not cover the frame: a replicated edge would draw straight
    # streaks that look like the edge of a held-up picture
    out = cv2.warpAffine(img, m, size, flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    return out, lm * s + m[:, 2]


def blink(img: np.ndarray, lm: np.ndarray, openness: float) -> np.ndarray:
    """Close both eyes to `openness` (1 open, 0 closed): the eye opening above the moving lid
    line is inpainted from the surrounding skin (OpenCV's Telea inpainting) and a dark lash line
    is drawn along the lid edge."""
    if openness >= 0.99:
        return img
    mask = np.zeros(img.shape[:2], np.uint8)
    lids = []
    for eye in (lm[36:42], lm[42:48]):
        x0, x1 = eye[:, 0].min(), eye[:, 0].max()
        ew = x1 - x0
        poly = eye.copy()
        c = poly.mean(axis=0)
        poly = (poly - c) * np.float32([1.15, 1.6]) + c  # the whole opening with its lash rim
        lower = np.array([eye[0], eye[5], eye[4], eye[3]], np.float32)
        upper = np.array([eye[0], eye[1], eye[2], eye[3]], np.float32)
        # the lid edge: from the upper lid (open) down to just above the lower lid (closed)
        edge = upper + (1 - openness) * (lower - np.float32([0, 0.06 * ew]) - upper)
        cover = np.zeros_like(mask)
        cv2.fillPoly(cover, [poly.astype(np.int32)], 255)
        below = np.zeros_like(mask)
        band = np.vstack([edge, [[x1 + ew, edge[-1, 1] + 3 * ew], [x0 - ew, edge[0, 1] + 3 * ew]]])
        cv2.fillPoly(below, [band.astype(np.int32)], 255)
        mask |= cover & ~below  # only the part above the lid edge is covered by the lid
        lids.append((edge, ew))
    out = cv2.inpaint(img, mask, 5, cv2.INPAINT_TELEA)
    # an eyelid is skin: lift the inpainted area towards the cheek's colour (inpainting alone
    # carries the dark lashes and socket shadow into it)
    x0, x1 = int(lm[36:48, 0].min()), int(lm[36:48, 0].max())
    cy = int(lm[36:48, 1].mean())
    ew = (lm[39, 0] - lm[36, 0] + lm[45, 0] - lm[42, 0]) / 2
    cheek = img[int(cy + 0.6 * ew):int(cy + 1.0 * ew), x0:x1].reshape(-1, 3)
    if cheek.size:
        skin = np.median(cheek, axis=0).astype(np.float32)
        soft = cv2.GaussianBlur(mask, (0, 0), max(1.0, 0.08 * ew)).astype(np.float32)[..., None] / 255.0
        out = (out * (1 - 0.6 * soft) + skin * 0.6 * soft).astype(np.uint8)
    for edge, ew in lids:
        cv2.polylines(out, [edge.astype(np.int32)], False, (30, 25, 30), max(2, int(round(0.07 * ew))), cv2.LINE_AA)
    return out


def turn(img: np.ndarray, lm: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate the head about a vertical axis by remapping the face region on a cylinder.
    Positive degrees: the person turns to THEIR left (nose to image-right)."""
    if abs(degrees) < 0.5:
        return img
    h, w = img.shape[:2]
    x0, x1 = lm[:, 0].min(), lm[:, 0].max()
    cx = (x0 + x1) / 2
    r = 0.62 * (x1 - x0)
    cy = lm[:, 1].mean()
    ry = 1.0 * (lm[:, 1].max() - lm[:, 1].min())
    th = math.radians(degrees)
    xs = np.arange(w, dtype=np.float32)
    u = np.clip((xs - cx) / r, -1, 1)
    phi = np.arcsin(u) - th  # the source angle that lands at this output column
    src_x = np.where(np.abs(phi) < math.pi / 2, cx + r * np.sin(phi), xs)
    map_x = np.tile(src_x.astype(np.float32), (h, 1))
    map_y = np.tile(np.arange(h, dtype=np.float32)[:, None], (1, w))
    warped = cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    mask = np.zeros((h, w), np.float32)
    cv2.ellipse(mask, (int(cx), int(cy)), (int(r * 1.05), int(ry * 1.1)), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 0.12 * r)[..., None]
    return (warped * mask + img * (1 - mask)).astype(np.uint8)


@lru_cache(maxsize=8)
def _noise_bank(shape: tuple[int, ...], sigma: float) -> tuple[np.ndarray, ...]:
    """A few frames of sensor noise, made once: drawing fresh noise per frame costs more CPU
    than the rest of the simulated camera together."""
    rng = np.random.default_rng(99)
    return tuple(rng.normal(0, sigma, shape).astype(np.int16) for _ in range(7))


def jitter(img: np.ndarray, rng: np.random.Generator, shift: float = 2.5, noise: float = 2.0) -> np.ndarray:
    """Hand-held camera: a small random shift, and sensor noise."""
    m = np.float32([[1, 0, rng.normal(0, shift)], [0, 1, rng.normal(0, shift)]])
    out = cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    if noise:
        bank = _noise_bank(out.shape, float(noise))
        out = cv2.add(out, bank[int(rng.integers(len(bank)))], dtype=cv2.CV_8U)
    return out


def background(seed: int = 7, size: tuple[int, int] = (W, H)) -> np.ndarray:
    """An empty service hall corner: a wall gradient, a door frame, a notice board, a floor."""
    w, h = size
    rng = np.random.default_rng(seed)
    g = np.linspace(215, 175, h, dtype=np.float32)[:, None, None]
    img = np.broadcast_to(g * np.array([0.95, 0.98, 1.0], np.float32), (h, w, 3)).astype(np.uint8).copy()
    cv2.rectangle(img, (int(0.72 * w), int(0.12 * h)), (int(0.95 * w), h), (120, 130, 140), -1)  # door
    cv2.rectangle(img, (int(0.72 * w), int(0.12 * h)), (int(0.95 * w), h), (70, 75, 80), 4)
    cv2.rectangle(img, (int(0.06 * w), int(0.15 * h)), (int(0.30 * w), int(0.45 * h)), (90, 120, 160), -1)  # notice board
    cv2.rectangle(img, (0, int(0.85 * h)), (w, h), (110, 115, 125), -1)  # floor
    return cv2.add(img, rng.normal(0, 2, img.shape).astype(np.int16), dtype=cv2.CV_8U)


def head_and_shoulders(img: np.ndarray, lm: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    """A portrait crop around the face (as a photo print or a phone picture would show it)."""
    fw = float(lm[:, 0].max() - lm[:, 0].min())
    c = lm.mean(axis=0)
    cw = fw / 0.55
    ch = cw * out_h / out_w
    m = np.float32([[out_w / cw, 0, -(c[0] - cw / 2) * out_w / cw], [0, out_h / ch, -(c[1] - 0.45 * ch) * out_h / ch]])
    return cv2.warpAffine(img, m, (out_w, out_h), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)


def _paste_quad(dst: np.ndarray, src: np.ndarray, quad: np.ndarray, interp: int = cv2.INTER_LINEAR) -> np.ndarray:
    h, w = src.shape[:2]
    m = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), quad.astype(np.float32))
    warped = cv2.warpPerspective(src, m, (dst.shape[1], dst.shape[0]), flags=interp)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (dst.shape[1], dst.shape[0]), flags=cv2.INTER_LINEAR)
    a = mask.astype(np.float32)[..., None] / 255.0
    return (warped * a + dst * (1 - a)).astype(np.uint8)


def _fingers(img: np.ndarray, anchors: list[tuple[int, int]], angle: float) -> None:
    for (x, y) in anchors:
        for k in range(3):
            cv2.ellipse(img, (x + k * 14 - 14, y), (9, 26), angle, 0, 360, (120, 150, 200), -1, cv2.LINE_AA)
            cv2.ellipse(img, (x + k * 14 - 14, y - 18), (6, 6), 0, 0, 360, (170, 190, 225), -1, cv2.LINE_AA)


def printed_photo(photo: np.ndarray, lm: np.ndarray, rng: np.random.Generator, n: int = 50) -> Iterator[np.ndarray]:
    """The card photo printed on paper (halftone, white border), held up by hand."""
    pw, ph = 300, 390
    print_img = head_and_shoulders(photo, lm, pw, ph).astype(np.float32)
    print_img = 0.78 * print_img + 0.22 * 200  # paper gamut: lower contrast, lifted blacks
    gray = print_img.mean(axis=2, keepdims=True)
    print_img = 0.65 * print_img + 0.35 * gray  # and less saturated
    yy, xx = np.mgrid[0:ph, 0:pw].astype(np.float32)
    period = 3.2
    dots = 0.5 + 0.5 * np.cos(2 * np.pi * (xx + yy) / (period * 1.414)) * np.cos(2 * np.pi * (xx - yy) / (period * 1.414))
    print_img = print_img * (0.86 + 0.14 * dots[..., None])
    print_img = np.clip(print_img + rng.normal(0, 3, print_img.shape), 0, 255).astype(np.uint8)
    paper = np.full((ph + 36, pw + 36, 3), (236, 240, 242), np.uint8)
    paper[18:18 + ph, 18:18 + pw] = print_img
    bg = background(seed=11)
    base = np.float32([[170, 40], [470, 52], [462, 462], [176, 452]])
    for i in range(n):
        a = math.radians(2.0 * math.sin(i / 6.0))
        rot = np.float32([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        c = base.mean(axis=0)
        quad = (base - c) @ rot.T + c + rng.normal(0, 1.5, 2)
        frame = _paste_quad(bg, paper, quad)
        _fingers(frame, [(int(quad[3][0]) + 30, int(quad[3][1]) - 10), (int(quad[2][0]) - 30, int(quad[2][1]) - 10)], 10)
        yield jitter(frame, rng, shift=0.8, noise=2.0)


def phone_screen(photo: np.ndarray, lm: np.ndarray, rng: np.random.Generator, n: int = 50) -> Iterator[np.ndarray]:
    """The photo shown on a phone held up: subpixel grid (moire once resampled), colour cast,
    black bezel, glare."""
    sw, sh = 236, 400  # screen size in the camera frame
    k = 3  # screen pixels are drawn k x k camera-independent texels, then resampled
    content = head_and_shoulders(photo, lm, 177, 300)
    hi = cv2.resize(content, (177 * k, 300 * k), interpolation=cv2.INTER_NEAREST).astype(np.float32)
    grid = np.zeros((300 * k, 177 * k, 3), np.float32)
    for ch in range(3):  # BGR stripes: column 0 blue, 1 green, 2 red
        grid[:, ch::k, ch] = 1.0
    grid[k - 1::k, :, :] *= 0.6  # dark gaps between pixel rows
    hi = hi * (0.5 + 1.5 * grid)
    hi = hi * np.float32([1.12, 1.0, 0.86]) + 18  # cold colour cast, lifted blacks
    screen = cv2.resize(np.clip(hi, 0, 255).astype(np.uint8), (sw, sh), interpolation=cv2.INTER_NEAREST)
    phone = np.full((sh + 40, sw + 20, 3), (18, 18, 20), np.uint8)
    cv2.rectangle(phone, (0, 0), (sw + 19, sh + 39), (60, 60, 64), 2)
    phone[22:22 + sh, 10:10 + sw] = screen
    g = np.zeros(phone.shape[:2], np.float32)  # a diagonal glare band on the glass
    cv2.line(g, (int(0.1 * sw), sh + 40), (sw + 20, int(0.35 * sh)), 1.0, 22)
    g = cv2.GaussianBlur(g, (0, 0), 6)[..., None]
    phone = np.clip(phone * (1 - 0.75 * g) + 255 * 0.75 * g, 0, 255).astype(np.uint8)
    bg = background(seed=13)
    base = np.float32([[192, 18], [448, 22], [444, 462], [196, 458]])
    for i in range(n):
        a = math.radians(1.5 * math.sin(i / 5.0))
        rot = np.float32([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        c = base.mean(axis=0)
        quad = (base - c) @ rot.T + c + rng.normal(0, 1.2, 2)
        frame = _paste_quad(bg, phone, quad, cv2.INTER_LINEAR)
        _fingers(frame, [(int(quad[0][0]) - 4, int(quad[0][1]) + 200), (int(quad[1][0]) + 4, int(quad[1][1]) + 220)], 0)
        yield jitter(frame, rng, shift=0.8, noise=2.0)


# the cooperative holder's cycle: (action, frames); at 25 fps one cycle is 2.8 s
COOPERATIVE_CYCLE = (("still", 14), ("blink", 8), ("still", 14), ("turn_left", 10), ("still", 14), ("turn_right", 10))


def action_frames(frame: np.ndarray, lm: np.ndarray, action: str, n: int) -> list[np.ndarray]:
    """`n` frames of one action: still, blink (eyes close and open), turn_left / turn_right
    (the head turns about 32 degrees and back)."""
    out = []
    for i in range(n):
        t = (i + 0.5) / n
        bump = math.sin(math.pi * t)  # 0 -> 1 -> 0
        if action == "blink":
            out.append(blink(frame, lm, 1.0 - min(1.0, 1.6 * bump)))
        elif action in ("turn_left", "turn_right"):
            out.append(turn(frame, lm, (32.0 if action == "turn_left" else -32.0) * bump))
        elif action == "still":
            out.append(frame)
        else:
            raise ValueError(f"unknown action {action!r}")
    return out


def live_cycle(photo: np.ndarray, plan: tuple[tuple[str, int], ...] = COOPERATIVE_CYCLE) -> list[np.ndarray]:
    """The frames of one cycle of a live, cooperating person made from one photograph."""
    lm = landmarks(photo)
    if lm is None:
        raise ValueError("no face found in the photograph for the live view")
    frame, flm = frame_person(photo, lm)
    frames: list[np.ndarray] = []
    for action, n in plan:
        frames += action_frames(frame, flm, action, n)
    return frames


def fit_frame(img: np.ndarray, size: tuple[int, int] = (W, H)) -> np.ndarray:
    """Scale and centre-crop any picture to the camera frame size."""
    w, h = size
    s = max(w / img.shape[1], h / img.shape[0])
    r = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    y0, x0 = (r.shape[0] - h) // 2, (r.shape[1] - w) // 2
    return r[y0:y0 + h, x0:x0 + w].copy()


def card_photo(img: np.ndarray, size: tuple[int, int] = (102, 126), quality: int = 30) -> np.ndarray:
    """What an ID card chip holds: a head-and-shoulders crop down-scaled to 102x126 and
    compressed hard (JPEG quality ~30), decoded back to BGR."""
    lm = landmarks(img)
    if lm is None:
        raise ValueError("no face in the photograph for the card photo")
    fw = float(lm[:, 0].max() - lm[:, 0].min())
    c = lm.mean(axis=0)
    cw = fw / 0.62
    ch = cw * size[1] / size[0]
    m = np.float32([[size[0] / cw, 0, -(c[0] - cw / 2) * size[0] / cw], [0, size[1] / ch, -(c[1] - 0.5 * ch) * size[1] / ch]])
    small = cv2.warpAffine(img, m, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)
