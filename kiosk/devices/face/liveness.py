"""Liveness: the active challenge (blink, turn left, turn right) judged from 68 face landmarks
across frames, and the passive presentation-attack cues of one frame.

Passive cues (each 0 = like a live face, >= 1 = like a presentation attack):
- `moire`: isolated peaks in the high-frequency spectrum of the face (a screen's pixel grid or a
  print's halftone beating against the camera's sensor grid);
- `border`: long straight edges on two opposite sides of the face, close to it (the edge of a
  sheet of paper, a phone's bezel);
- `glare`: a specular patch of saturated, colourless pixels on or right around the face
  (a glossy print or a glass screen under room light).
They are hand-made signal cues, not a trained model: docs/adr/0043-liveness.md says what they
catch and what they do not.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from kiosk.devices.face.models import Face

CHALLENGES = ("blink", "turn_left", "turn_right")

# thresholds for the cues (measured on the simulator's sources and the shared spoof samples; see bench/face.py)
MOIRE_SCALE = 250.0  # peak / median spectral magnitude that counts as "1"
BORDER_MIN_LEN = 0.9  # a border line is at least this many face widths long
GLARE_FRACTION = 0.02  # share of saturated colourless pixels in the face region that counts as "1"


def _clip_box(x0: float, y0: float, x1: float, y1: float, w: int, h: int) -> tuple[int, int, int, int]:
    return max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))


def moire_cue(image: np.ndarray, face: Face) -> float:
    x, y, w, h = face.box
    H, W = image.shape[:2]
    x0, y0, x1, y1 = _clip_box(x + 0.15 * w, y + 0.15 * h, x + 0.85 * w, y + 0.85 * h, W, H)
    if x1 - x0 < 24 or y1 - y0 < 24:
        return 0.0
    gray = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY).astype(np.float32)
    gray = cv2.resize(gray, (128, 128), interpolation=cv2.INTER_LINEAR)
    gray -= cv2.GaussianBlur(gray, (0, 0), 3)  # keep fine texture only
    win = np.outer(np.hanning(128), np.hanning(128)).astype(np.float32)
    mag = np.abs(np.fft.fftshift(np.fft.fft2(gray * win)))
    yy, xx = np.mgrid[-64:64, -64:64]
    r = np.hypot(xx, yy)
    band = mag[(r >= 12) & (r <= 60)]
    if band.size == 0:
        return 0.0
    ratio = float(band.max() / (np.median(band) + 1e-6))
    return ratio / MOIRE_SCALE


def border_cue(image: np.ndarray, face: Face) -> float:
    x, y, w, h = face.box
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if gray.shape[1] > 400:  # edges at half resolution: 4x cheaper, and paper/bezel edges survive it
        gray = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        x, y, w, h = x // 2, y // 2, max(1, w // 2), max(1, h // 2)
    edges = cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), 25, 75)
    min_len = int(BORDER_MIN_LEN * w)
    # many votes and small gaps: a continuous edge, not a path through hair or fabric texture
    lines = cv2.HoughLinesP(edges, 1, np.pi / 180, threshold=max(20, int(0.5 * min_len)), minLineLength=min_len, maxLineGap=4)
    if lines is None or np.asarray(lines).size < 4:
        return 0.0
    fx0, fy0, fx1, fy1 = x, y, x + w, y + h
    sides: set[str] = set()
    for lx0, ly0, lx1, ly1 in np.asarray(lines).reshape(-1, 4):
        dx, dy = lx1 - lx0, ly1 - ly0
        if abs(dx) < 0.35 * abs(dy):  # near vertical
            mx = (lx0 + lx1) / 2
            overlaps = min(ly0, ly1) < fy1 and max(ly0, ly1) > fy0
            if overlaps and fx0 - 1.2 * w < mx < fx0 - 0.05 * w:
                sides.add("left")
            elif overlaps and fx1 + 0.05 * w < mx < fx1 + 1.2 * w:
                sides.add("right")
        elif abs(dy) < 0.35 * abs(dx):  # near horizontal
            my = (ly0 + ly1) / 2
            overlaps = min(lx0, lx1) < fx1 and max(lx0, lx1) > fx0
            if overlaps and fy0 - 0.9 * h < my < fy0 - 0.05 * h:
                sides.add("top")
            elif overlaps and fy1 + 0.05 * h < my < fy1 + 1.5 * h:
                sides.add("bottom")
    # a frame around the face: at least three sides, two of them opposite (a door frame or a
    # shelf behind a live person gives one or two)
    pairs = int({"left", "right"} <= sides) + int({"top", "bottom"} <= sides)
    return 0.25 * len(sides) + (0.5 if pairs and len(sides) >= 3 else 0.0)


def glare_cue(image: np.ndarray, face: Face) -> float:
    x, y, w, h = face.box
    H, W = image.shape[:2]
    x0, y0, x1, y1 = _clip_box(x - 0.2 * w, y - 0.2 * h, x + 1.2 * w, y + 1.2 * h, W, H)
    hsv = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2HSV)
    if hsv.size == 0:
        return 0.0
    spec = (hsv[..., 2] >= 245) & (hsv[..., 1] <= 30)
    return float(spec.mean()) / GLARE_FRACTION


def passive_cues(image: np.ndarray, face: Face) -> dict[str, float]:
    return {"moire": moire_cue(image, face), "border": border_cue(image, face), "glare": glare_cue(image, face)}


def spoof_score(cues: dict[str, float]) -> float:
    """One number per frame: >= 1 looks like a presentation attack. Glare is reported but does
    not vote: bright skin and studio light reach the same values on live faces (bench/face.py)."""
    return max(cues["moire"], cues["border"])


@dataclass
class PassiveVote:
    """Collects per-frame scores; the check calls it an attack when enough frames agree."""

    min_share: float = 0.5
    min_frames: int = 6
    scores: list[float] = field(default_factory=list)
    cues: list[dict[str, float]] = field(default_factory=list)

    def add(self, cues: dict[str, float]) -> float:
        s = spoof_score(cues)
        self.scores.append(s)
        self.cues.append(cues)
        return s

    @property
    def attack_share(self) -> float:
        return float(np.mean([s >= 1.0 for s in self.scores])) if self.scores else 0.0

    @property
    def is_attack(self) -> bool:
        return len(self.scores) >= self.min_frames and self.attack_share >= self.min_share

    def summary(self) -> dict[str, Any]:
        means = {k: round(float(np.mean([c[k] for c in self.cues])), 3) for k in ("moire", "border", "glare")} if self.cues else {}
        return {"frames": len(self.scores), "attack_share": round(self.attack_share, 3), "mean_cues": means}


def jitter(values: list[float]) -> float:
    """The frame-to-frame noise of a landmark measure: 1.048 x the median change between
    consecutive frames (the standard deviation for white noise). A slow drift or one movement
    changes few of the steps, so it does not count as noise (docs/adr/0285)."""
    if len(values) < 3:
        return 0.0
    return 1.048 * float(np.median(np.abs(np.diff(values))))


@dataclass
class ChallengeTracker:
    """Judges one active challenge from a stream of faces (the same person, frame after frame).

    The baseline (open-eye EAR, frontal yaw) is the median of a still window: at least
    `baseline_frames` faces over at least `still_s` seconds whose values sit close to their
    median (median absolute deviation: a jittering landmark does not break it) and whose two
    halves agree (a head turning slowly does). The landmarks' frame-to-frame noise, measured
    while waiting for that window, raises the marks for noisy faces so that jitter alone
    cannot pass the challenge (docs/adr/0285-face-baseline-robust-to-landmark-jitter.md).
    A blink is the EAR falling below `blink_mark` x baseline (`blink_drop`, real blinks fall to
    about 0.5 x) and recovering above `blink_recover` x baseline; a turn is the yaw moving
    `turn_mark` (`turn_delta` at least) from the baseline in the asked direction on
    `turn_frames` frames in a row
    (turning to the person's left moves the nose to image-right in an unmirrored camera image)."""

    kind: str
    baseline_frames: int = 4
    still_s: float = 0.4
    still_yaw_mad: float = 0.03  # the window's yaws: median distance from their median
    still_ear_mad: float = 0.06  # the window's EARs: the same, as a share of their median
    still_drift: float = 0.035  # yaw medians of the window's first and second half
    noise_frames: int = 25  # the last baseline-phase frames the noise is measured on
    _window: list[tuple[float, float, float]] = field(default_factory=list)
    _seen: list[tuple[float, float]] = field(default_factory=list)
    blink_drop: float = 0.75
    blink_recover: float = 0.9
    blink_noise_k: float = 5.0  # a closed eye is this many noise units below the baseline at least
    turn_delta: float = 0.04
    turn_noise_k: float = 2.5  # a turn is this many noise units past the baseline at least
    turn_frames: int = 2
    _turn_run: int = 0
    _ears: list[float] = field(default_factory=list)
    _yaws: list[float] = field(default_factory=list)
    _closed: bool = False
    noise: tuple[float, float] = (0.0, 0.0)  # (EAR, yaw) frame-to-frame noise, set with the baseline
    passed: bool = False
    extreme: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in CHALLENGES:
            raise ValueError(f"unknown challenge {self.kind!r} (known: {', '.join(CHALLENGES)})")

    @property
    def baseline(self) -> tuple[float, float]:
        """(EAR, yaw) of the steady face."""
        return float(np.median(self._ears)), float(np.median(self._yaws))

    @property
    def blink_mark(self) -> float:
        """The share of the baseline EAR a closed eye falls below."""
        ear = self.baseline[0]
        return min(self.blink_drop, 1.0 - self.blink_noise_k * self.noise[0] / max(ear, 1e-6))

    @property
    def turn_mark(self) -> float:
        """How far the yaw must move from the baseline for a turn."""
        return max(self.turn_delta, self.turn_noise_k * self.noise[1])

    def steady(self, face: Face) -> bool:
        """Eyes open and facing the camera as in the baseline (a frame fit for an embedding)."""
        ear, yaw = self.baseline
        ear_noise, yaw_noise = self.noise
        return (face.ear >= min(0.92, 1.0 - 2.0 * ear_noise / max(ear, 1e-6)) * ear
                and abs(face.yaw - yaw) <= max(0.03, 2.0 * yaw_noise))

    @property
    def window_frames(self) -> int:
        """How many recent faces agree (while the baseline is not set yet)."""
        return len(self._window)

    @property
    def ready(self) -> bool:
        return len(self._ears) >= self.baseline_frames

    def _unsteady(self) -> bool:
        ears = np.array([f[0] for f in self._window])
        yaws = np.array([f[1] for f in self._window])
        ear_med, yaw_med = float(np.median(ears)), float(np.median(yaws))
        if np.median(np.abs(yaws - yaw_med)) > self.still_yaw_mad:
            return True
        if np.median(np.abs(ears - ear_med)) > self.still_ear_mad * ear_med:
            return True
        half = len(yaws) // 2
        return half >= 2 and abs(float(np.median(yaws[:half])) - float(np.median(yaws[half:]))) > self.still_drift

    def add(self, face: Face, ts: float | None = None) -> bool:
        """Feed the next face (`ts`: the frame's monotonic time); True once the challenge is met."""
        ear, yaw = face.ear, face.yaw
        if not self.ready:
            # a window that catches a movement slides on
            self._seen = [*self._seen[1 - self.noise_frames:], (ear, yaw)]
            self._window.append((ear, yaw, time.monotonic() if ts is None else ts))
            while len(self._window) > 1 and self._unsteady():
                self._window.pop(0)
            w = self._window
            if len(w) >= self.baseline_frames and w[-1][2] - w[0][2] >= self.still_s:
                self._ears = [f[0] for f in w]
                self._yaws = [f[1] for f in w]
                self.noise = (jitter([s[0] for s in self._seen]), jitter([s[1] for s in self._seen]))
            return False
        base_ear, base_yaw = self.baseline
        if self.kind == "blink":
            if ear < self.blink_mark * base_ear:
                self._closed = True
                self.extreme = max(self.extreme, 1 - ear / base_ear)
            elif self._closed and ear > self.blink_recover * base_ear:
                self.passed = True
        else:
            shift = yaw - base_yaw
            want = shift if self.kind == "turn_left" else -shift
            self.extreme = max(self.extreme, want)
            # a turn is held: two frames in a row past the mark (a shaking photo spikes once)
            self._turn_run = self._turn_run + 1 if want >= self.turn_mark else 0
            if self._turn_run >= self.turn_frames:
                self.passed = True
        return self.passed
