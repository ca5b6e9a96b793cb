"""The local face verifier (`local://`): detect, align, embed, compare, decide; liveness.

`compare(reference, live)` checks one still against another. `verify(reference, camera)` runs
the whole check over live camera frames on the verifier's owner thread:
1. each frame: exactly one face (else guidance `face.one_person_only` / `face.look_at_camera`),
   large enough (`face.move_closer`), wholly in the picture (`face.center`); passive cues;
2. a few steady frames give the baseline and the first embedding; then a random challenge
   (`challenge` event, guidance `face.blink` / `face.turn_left` / `face.turn_right`);
3. once the challenge is seen, the next steady frame gives a second embedding; both must be
   the same person; the mean similarity with the reference decides match / no_match / retry.
A passive attack (paper or screen cues on enough frames) ends the check with `fraud_attempt`.
"""

from __future__ import annotations

import random
import time
from typing import Any

import cv2
import numpy as np

from kiosk.devices.base import Command, DeviceError, DeviceStatus, ResultCode
from kiosk.devices.face import Decision, FaceVerdict, FaceVerifier
from kiosk.devices.face.liveness import CHALLENGES, ChallengeTracker, PassiveVote, passive_cues
from kiosk.devices.face.models import Face, FaceModels, ModelMissing, similarity, shared_models
from kiosk.devices.registry import DeviceUrl
from kiosk.devices.worker import OwnerThread

SAME_PERSON_MIN = 0.35  # the two embeddings of one check (before / after the challenge)
MULTI_FACE_SHARE = 0.5
FAST_DETECT_SIDE = 320
HOG_MIN_FACE = 80  # dlib's HOG window: smaller faces are not found at upsample 0
STEADY_WAIT_S = 2.0  # after the challenge, how long to wait for a steady frame before taking the best seen  # a second face at least half as wide as the first counts as a person


def load_image(path: str) -> np.ndarray:
    """Read an image file for the verifier; ValueError with the reason when it cannot."""
    data = np.fromfile(path, dtype=np.uint8) if path else np.empty(0, np.uint8)
    if data.size == 0:
        raise ValueError(f"{path}: empty file")
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"{path}: not a readable image (JPEG, PNG, BMP, WebP, ...)")
    return img


def _check_image(img: Any, what: str) -> np.ndarray:
    if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"{what}: expected an HxWx3 uint8 BGR image, got {type(img).__name__}"
                         + (f" {img.shape} {img.dtype}" if isinstance(img, np.ndarray) else ""))
    if min(img.shape[:2]) < 32:
        raise ValueError(f"{what}: image of {img.shape[1]}x{img.shape[0]} is too small")
    return img


class LocalFaceVerifier(FaceVerifier):
    def __init__(self, match_threshold: float = 0.39, retry_band: float = 0.03, challenge_timeout_s: float = 8.0,
                 challenges: tuple[str, ...] = CHALLENGES, min_face_px: int = 64, passive_min_share: float = 0.5,
                 name: str | None = None, seed: int | None = None, passive_check: bool = True) -> None:
        super().__init__(name)
        for c in challenges:
            if c not in CHALLENGES:
                raise ValueError(f"unknown challenge {c!r} (known: {', '.join(CHALLENGES)})")
        self.match_threshold = match_threshold
        self.retry_band = retry_band
        self.challenge_timeout_s = challenge_timeout_s
        self.challenges = tuple(challenges)
        self.min_face_px = min_face_px
        self.passive_min_share = passive_min_share
        self.passive_check = passive_check  # off only to measure the active challenge alone (bench)
        self.capabilities = frozenset({"compare", "liveness_active", "liveness_passive"})
        # which challenge comes must not be guessable (a prepared video of the right move):
        # the OS random source, unless a test asks for a reproducible sequence (security finding 11)
        self._rng = random.Random(seed) if seed is not None else random.SystemRandom()
        self._models: FaceModels | None = None
        self._owner: OwnerThread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def open(self) -> None:
        try:
            self._models = shared_models()
        except ModelMissing as exc:
            self.set_status(DeviceStatus.NO_DEVICE, str(exc))
            return
        if self._owner is None:
            self._owner = OwnerThread(f"face-{self.name}")
        self.set_status(DeviceStatus.ONLINE, "models loaded")

    def close(self) -> None:
        if self._owner is not None:
            self._owner.stop()
            self._owner = None
        self.set_status(DeviceStatus.OFFLINE, "closed")

    @property
    def models(self) -> FaceModels:
        if self._models is None:
            self.open()
        if self._models is None:
            raise DeviceError(ResultCode.DEVICE_NOT_READY, self.last_error or "face models not loaded")
        return self._models

    # -- decisions ----------------------------------------------------------------------------
    def decide(self, score: float) -> tuple[Decision, str]:
        if score >= self.match_threshold:
            return Decision.MATCH, ""
        if score >= self.match_threshold - self.retry_band:
            return Decision.RETRY, "uncertain"
        return Decision.NO_MATCH, ""

    def _face_problem(self, image: np.ndarray, faces: list[Face]) -> tuple[str, str] | None:
        """(reason, guidance key) when the faces in a live image cannot be used, else None."""
        if not faces:
            return "no_face", "face.look_at_camera"
        people = [f for f in faces if f.width >= MULTI_FACE_SHARE * faces[0].width]
        if len(people) > 1:
            return "multiple_faces", "face.one_person_only"
        f = faces[0]
        x, y, w, h = f.box
        H, W = image.shape[:2]
        m = 0.02 * w
        if x < -m or y < -m or x + w > W + m or y + h > H + m or f.landmarks[:, 0].min() < 0 or f.landmarks[:, 0].max() > W:
            return "partial_face", "face.center"
        if w < self.min_face_px:
            return "too_small", "face.move_closer"
        return None

    def _analyse_still(self, image: np.ndarray) -> list[Face]:
        faces = self.models.analyse(image, upsample=0)
        if not faces:
            faces = self.models.analyse(image, upsample=1)
        return faces

    def reference_embedding(self, reference: Any) -> np.ndarray:
        """The embedding of the document photo; DeviceError(invalid_data) if it has no usable face."""
        try:
            ref = _check_image(reference, "reference photo")
        except ValueError as exc:
            raise DeviceError(ResultCode.INVALID_DATA, str(exc)) from None
        faces = self._analyse_still(ref)
        if not faces:
            raise DeviceError(ResultCode.INVALID_DATA, "reference photo: no face found")
        return self.models.embed(ref, faces[0])

    def compare(self, reference: Any, live: Any) -> FaceVerdict:
        t0 = time.perf_counter()
        live = _check_image(live, "live image")
        try:
            ref_vec = self.reference_embedding(reference)
        except DeviceError as exc:
            raise ValueError(exc.detail) from None
        faces = self._analyse_still(live)
        problem = self._face_problem(live, faces)
        if problem is not None:
            return FaceVerdict(Decision.RETRY, None, len(faces), problem[0], ms=(time.perf_counter() - t0) * 1000)
        score = similarity(ref_vec, self.models.embed(live, faces[0]))
        decision, reason = self.decide(score)
        return FaceVerdict(decision, round(score, 4), len(faces), reason, ms=(time.perf_counter() - t0) * 1000)

    # -- the full check -----------------------------------------------------------------------
    def verify(self, reference: Any, camera: Any, timeout: float = 20.0, challenge: str | None = None) -> Command[FaceVerdict]:
        if self._owner is None:
            self.open()
        if self._owner is None:
            cmd: Command[FaceVerdict] = Command("verify")
            from kiosk.devices.base import Completion
            cmd.complete(Completion(ResultCode.DEVICE_NOT_READY, self.last_error or "face verifier not ready"))
            return cmd
        kind = challenge or self._rng.choice(self.challenges)
        if kind not in CHALLENGES:
            raise ValueError(f"unknown challenge {kind!r}")
        return self._owner.submit("verify", lambda cmd: self._verify(cmd, reference, camera, kind), timeout=timeout)

    def _verify(self, cmd: Command[FaceVerdict], reference: Any, camera: Any, kind: str) -> FaceVerdict:
        t0 = time.monotonic()
        self.set_status(DeviceStatus.BUSY, "verifying")
        try:
            return self._verify_loop(cmd, reference, camera, kind, t0)
        finally:
            if self.status is DeviceStatus.BUSY:
                self.set_status(DeviceStatus.ONLINE, "")

    def _verify_loop(self, cmd: Command[FaceVerdict], reference: Any, camera: Any, kind: str, t0: float) -> FaceVerdict:
        ref_vec = self.reference_embedding(reference)
        tracker = ChallengeTracker(kind)
        vote = PassiveVote(min_share=self.passive_min_share)
        guidance: str | None = None
        found = False
        before: np.ndarray | None = None
        challenge_t0: float | None = None
        frames = 0
        multi = 0
        baseline_frames: list[tuple[np.ndarray, Face]] = []
        passed_t: float | None = None
        best_after: tuple[float, np.ndarray, Face] | None = None

        def guide(key: str) -> None:
            nonlocal guidance
            if key != guidance:
                guidance = key
                self.emit("guidance", key=key)

        def liveness(passed: bool) -> dict[str, Any]:
            return {"challenge": kind, "passed": passed, "extreme": round(tracker.extreme, 3),
                    "passive": vote.summary(), "frames": frames}

        def attack() -> DeviceError:
            verdict = FaceVerdict(Decision.RETRY, None, 1, "spoof", liveness(tracker.passed),
                                  (time.monotonic() - t0) * 1000)
            self.count("fraud_attempt")
            return DeviceError(ResultCode.FRAUD_ATTEMPT,
                               f"presentation attack suspected: paper or screen cues on "
                               f"{vote.attack_share:.0%} of {len(vote.scores)} frames", verdict)

        while not cmd.cancel_requested.is_set():
            grab = camera.grab(1.0).result(3.0)
            if not grab.ok:
                if grab.code is ResultCode.DEVICE_NOT_READY:
                    raise DeviceError(ResultCode.DEVICE_NOT_READY, f"camera: {grab.detail}")
                continue
            image = grab.data.image
            frames += 1
            # fast detection on a 320 px copy; the full frame every 5th frame (small bystanders)
            # and whenever the fast pass finds nothing or only a face near its size limit
            fast_min = 1.25 * HOG_MIN_FACE * max(image.shape[:2]) / FAST_DETECT_SIDE  # in image pixels
            faces = self.models.analyse(image, detect_side=FAST_DETECT_SIDE)
            if frames % 5 == 1 or not faces or faces[0].width < fast_min:
                faces = self.models.analyse(image)
            problem = self._face_problem(image, faces)
            if problem is not None:
                if problem[0] == "multiple_faces":
                    multi += 1
                guide(problem[1])
                if challenge_t0 is None and time.monotonic() - t0 > 2 * self.challenge_timeout_s:
                    break
                if challenge_t0 is not None and time.monotonic() - challenge_t0 > self.challenge_timeout_s:
                    break
                continue
            face = faces[0]
            if not found:
                found = True
                self.emit("face_found", box=list(face.box))
            vote.add(passive_cues(image, face))
            if self.passive_check and vote.is_attack:
                raise attack()
            if not tracker.ready:
                tracker.add(face, grab.data.ts)
                if not tracker.ready:
                    if tracker.window_frames < 2 and frames > 3:
                        guide("face.hold_still")
                    if time.monotonic() - t0 > 2 * self.challenge_timeout_s:
                        break
                baseline_frames = [*baseline_frames[-7:], (image, face)]
                if tracker.ready:
                    # show the challenge first, then embed the steadiest baseline frame (eyes open,
                    # yaw at the median) while the person starts to react: the embedding no longer
                    # delays the prompt
                    challenge_t0 = time.monotonic()
                    self.emit("challenge", challenge=kind)
                    guide(f"face.{kind}")
                    image0, face0 = min(baseline_frames, key=lambda fr: abs(fr[1].yaw - tracker.baseline[1])
                                        + max(0.0, tracker.baseline[0] - fr[1].ear))
                    before = self.models.embed(image0, face0)
                    baseline_frames.clear()
                continue
            if not tracker.passed:
                tracker.add(face, grab.data.ts)
                if challenge_t0 is not None and time.monotonic() - challenge_t0 > self.challenge_timeout_s:
                    break
                continue
            # challenge seen: wait for a steady frame again (eyes open, facing the camera); if none
            # comes within STEADY_WAIT_S, take the closest one seen
            if passed_t is None:
                passed_t = time.monotonic()
            closeness = abs(face.yaw - tracker.baseline[1]) + max(0.0, tracker.baseline[0] - face.ear)
            if best_after is None or closeness < best_after[0]:
                best_after = (closeness, image, face)
            if not tracker.steady(face):
                if time.monotonic() - passed_t < STEADY_WAIT_S:
                    continue
                _, image, face = best_after
            after = self.models.embed(image, face)
            if self.passive_check and vote.is_attack:
                raise attack()
            if before is not None and similarity(before, after) < SAME_PERSON_MIN:
                return FaceVerdict(Decision.RETRY, None, 1, "person_changed", liveness(True), (time.monotonic() - t0) * 1000)
            score = (similarity(ref_vec, before if before is not None else after) + similarity(ref_vec, after)) / 2
            decision, reason = self.decide(score)
            self.count(str(decision))
            self.emit("progress", step="done")
            return FaceVerdict(decision, round(score, 4), 1, reason, liveness(True), (time.monotonic() - t0) * 1000)
        if cmd.cancel_requested.is_set():
            raise DeviceError(ResultCode.CANCELED, "canceled")
        if self.passive_check and vote.is_attack:
            raise attack()
        if found and not tracker.ready:
            reason = "not_still"
        else:
            reason = "challenge_failed" if found else ("multiple_faces" if multi else "no_face")
        return FaceVerdict(Decision.RETRY, None, 1 if found else 0, reason, liveness(False), (time.monotonic() - t0) * 1000)


def open_verifier(url: DeviceUrl, **kwargs: Any) -> LocalFaceVerifier:
    """`local://`; kwargs are FaceConfig's fields (url excluded) and `name`, `seed`."""
    kwargs.pop("url", None)
    return LocalFaceVerifier(**kwargs)
