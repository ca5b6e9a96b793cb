"""The `FaceVerifier` device class: is the person at the camera the holder of the document?

Detect exactly one usable face, compare it with the document photo, and run a liveness check
(an active challenge plus a passive check). Imports no model library here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kiosk.devices.base import Command, Device

BACKENDS: dict[str, str] = {
    "local": "kiosk.devices.face.verifier:open_verifier",
}


# What `guidance` events may say (`face.<key>`); flows translate each one.
GUIDANCE_KEYS = ("look_at_camera", "one_person_only", "center", "move_closer", "hold_still",
                 "blink", "turn_left", "turn_right")


class Decision(StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"
    RETRY = "retry"


@dataclass(frozen=True)
class FaceVerdict:
    decision: Decision
    score: float | None
    faces: int
    reason: str = ""  # e.g. "no_face", "multiple_faces", "too_small", "not_frontal", "spoof", "challenge_failed"
    liveness: dict[str, Any] = field(default_factory=dict)
    ms: float = 0.0


class FaceVerifier(Device):
    """Events during `verify`: `face_found` {box}, `challenge` {challenge: blink|turn_left|turn_right}, `guidance` {key}, `progress`."""

    device_class = "face_verifier"

    def compare(self, reference: Any, live: Any) -> FaceVerdict:
        """One still against another (numpy BGR images); no liveness."""
        raise NotImplementedError

    def verify(self, reference: Any, camera: Any, timeout: float = 20.0) -> Command[FaceVerdict]:
        """Full check over live camera frames: one face, liveness challenge, passive check,
        comparison. Completes success with a verdict (match / no_match / retry), fraud_attempt
        for a presentation attack, timeout, canceled."""
        raise NotImplementedError
