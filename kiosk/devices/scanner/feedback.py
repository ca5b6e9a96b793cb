"""Live feedback while a person positions a page: per analysed frame, what to tell them, and when
a good page has been steady long enough to capture.

A frame counts towards a capture when its page passes every quality check and its corners moved
less than `steady_motion` (a fraction of the frame diagonal) since the previous frame. After
`steady_frames` such frames in a row the sharpest of them is the captured page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kiosk.devices.scanner import FEEDBACK_TEXT, PageResult, feedback_key


@dataclass
class FeedbackStep:
    key: str  # a FEEDBACK_TEXT key
    steady: int  # good, still frames in a row so far
    moving: bool
    captured: PageResult | None = None  # set on the frame that completes the capture

    @property
    def text(self) -> tuple[str, str]:
        return FEEDBACK_TEXT[self.key]


class SteadyTracker:
    def __init__(self, steady_frames: int = 3, steady_motion: float = 0.006) -> None:
        if steady_frames < 1:
            raise ValueError("steady_frames must be at least 1")
        self.steady_frames = steady_frames
        self.steady_motion = steady_motion
        self._prev: list[tuple[float, float]] | None = None
        self._run: list[PageResult] = []

    def reset(self) -> None:
        self._prev = None
        self._run = []

    def update(self, result: PageResult, frame_shape: tuple[int, ...]) -> FeedbackStep:
        moving = False
        if result.corners and self._prev:
            diag = math.hypot(frame_shape[1], frame_shape[0])
            # the same four corners under any labelling (a page judged upside down or sideways in
            # one frame and not the next has not moved)
            shift = min(max(math.hypot(a[0] - b[0], a[1] - b[1]) for a, b in zip(result.corners, self._prev[k:] + self._prev[:k]))
                        for k in range(4))
            moving = shift > self.steady_motion * diag
        self._prev = result.corners
        if result.ok and not moving:
            self._run.append(result)
        elif result.ok:
            self._run = [result]  # good but still moving: this frame starts a new run
        else:
            self._run = []
        if result.ok and len(self._run) >= self.steady_frames:
            best = max(self._run, key=lambda r: r.metrics.get("blur", 0.0))
            self._run = []
            return FeedbackStep("captured", self.steady_frames, False, best)
        return FeedbackStep(feedback_key(result, moving), len(self._run), moving)
