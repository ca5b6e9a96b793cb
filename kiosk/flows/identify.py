"""Identification steps shared by Apply, Query, Collect and the staff sign-in: card, then face.

`IdentifyMixin` adds the states `identify_card` (read the ID card) and `identify_face` (one face,
liveness, comparison with the card's photo — or the back office's reference photo when the
card's photo cannot be decoded). When both pass, the flow's `identified()` runs. The identity
record and the verdict live in the session only.

Outcomes it can end a flow with: `id_unreadable` (three unreadable reads), `id_expired`,
`id_invalid` (bad check character), `face_mismatch` (no match after the allowed tries),
`fraud_attempt` (a presentation attack — photo, screen, mask — is audited), `device_unavailable`,
and from the passport way in (kiosk/flows/passport.py) `passport_unreadable`.
"""

from __future__ import annotations

from typing import Any

from kiosk.devices.base import Completion, ResultCode
from kiosk.devices.face import GUIDANCE_KEYS
from kiosk.flows.passport import PassportStep
from kiosk.flows.texts import t
from kiosk.flows.viewmodel import Action, ViewModel

CARD_TRIES = 3
FACE_TRIES = 3


def applicant_of(identity: Any) -> Any:
    """The back office's `Applicant` for an identity record (in memory, for one call)."""
    from kiosk.services.backoffice import Applicant

    return Applicant(id_number=identity.id_number, name=identity.name, id_masked=identity.id_number_masked)


class IdentifyMixin(PassportStep):
    """Mixed into a `Flow`. Subclasses implement `identified()`; may set `need_face = False`
    and `offer_passport = False` (kiosk/flows/passport.py: the passport way in)."""

    need_face: bool = True
    card_timeout_s: float | None = None  # default: the idle timeout

    def begin_identify(self) -> None:
        self._card_tries = 0
        self._face_tries = 0
        self.go("identify_card")

    # -- card ---------------------------------------------------------------------------------
    def enter_identify_card(self) -> None:
        reader = self.ctx.devices.id_reader
        if reader is None or str(reader.status) in ("no_device", "hardware_error"):
            self.end("device_unavailable", t("identify.reader_unavailable"))
            return
        self.start("card", reader.read(timeout=self.card_timeout_s or self.ctx.idle_timeout_s))
        if self.need_face:
            self._warm_camera()

    def _warm_camera(self) -> None:
        """Start the face camera while the card is read, so its stream is live by the face check."""
        camera = self.ctx.devices.camera
        if camera is not None and not getattr(self, "_camera_started", False):
            try:
                camera.start()
                self._camera_started = True
            except Exception:
                pass

    def view_identify_card(self) -> ViewModel:
        actions: tuple[Action, ...] = ()
        if not self.pending("card"):
            actions = (Action("retry", t("common.retry")),)
        if self.passport_offered():
            actions += (Action("passport", t("identify.passport.use"), "secondary"),)
        return ViewModel(self.name, self.state, t("identify.card.title"),
                         body=(t("identify.card.insert"),), actions=actions, screen="identify_card",
                         illustration="insert_id_card")

    def act_identify_card(self, action_id: str, **_: Any) -> bool:
        if action_id == "retry" and not self.pending("card"):
            self.error = None
            self.go("identify_card")
            return True
        if action_id == "passport" and self.passport_offered():
            self.begin_passport()
            return True
        return False

    def done_card(self, c: Completion[Any]) -> None:
        if c.ok and c.data is not None:
            self.accept_identity(c.data)
            return
        if c.code in (ResultCode.CANCELED,):
            return
        self._card_tries += 1
        if c.code is ResultCode.TIMEOUT:
            self.error = t("identify.card.no_card")
        elif c.code is ResultCode.USER_ERROR:
            self.error = t("identify.card.removed_early")
        elif c.code in (ResultCode.DEVICE_NOT_READY, ResultCode.HARDWARE_ERROR):
            self.end("device_unavailable", t("identify.reader_unavailable"))
            return
        else:
            self.error = t("identify.card.unreadable")
        if self._card_tries >= CARD_TRIES:
            self.end("id_unreadable", t("identify.card.give_up"))

    def accept_identity(self, identity: Any) -> None:
        """A document was read (ID card or passport chip): check it, then the face (or done)."""
        self.session.identity = identity
        today = self.clock.now().date()
        if not identity.id_number_valid:
            self.end("id_invalid", t("identify.card.invalid"))
            return
        if identity.expired(today):
            self.end("id_expired", t("identify.card.expired"))
            return
        self.error = None
        if self.need_face:
            self.go("identify_face")
        else:
            self.identified()

    # -- face ---------------------------------------------------------------------------------
    def enter_identify_face(self) -> None:
        face, camera = self.ctx.devices.face, self.ctx.devices.camera
        if face is None or camera is None:
            self.end("device_unavailable", t("identify.face_unavailable"))
            return
        identity = self.session.identity
        attempts = getattr(self.ctx.services, "face_attempts", None)
        if attempts is not None and identity is not None and not attempts.allowed(identity.id_number):
            self.ctx.services.audit.append("station", "identify.face_locked", self.name,
                                           id_masked=identity.id_number_masked)
            self.release_camera()
            self.end("face_locked", t("identify.face.locked"))
            return
        reference = self.session.visit.identify.reference
        if reference is None:
            reference = self._reference_photo(identity)
            if reference is None:
                self.end("device_unavailable", t("identify.face.no_reference"))
                return
            self.session.visit.identify.reference = reference
        if not getattr(self, "_camera_started", False):
            camera.start()
            self._camera_started = True
        self.session.visit.identify.face_challenge = None
        self.session.visit.identify.face_guidance = None
        self.start("face", face.verify(reference, camera, timeout=self.ctx.settings.get("face_timeout_s", 20.0)))

    def _reference_photo(self, identity: Any) -> Any:
        """The card's photo, or (when it cannot be decoded) the back office's, as a BGR array."""
        from kiosk.flows.photo import PhotoError, to_bgr

        try:
            return to_bgr(identity.photo)
        except PhotoError:
            pass
        try:
            return to_bgr(self.ctx.services.backoffice.reference_photo(applicant_of(identity), session=self.session.id))
        except Exception:
            return None

    def view_identify_face(self) -> ViewModel:
        actions: tuple[Action, ...] = ()
        if not self.pending("face"):
            actions = (Action("retry", t("common.retry")),)
        guidance = self.session.visit.identify.face_guidance
        challenge = self.session.visit.identify.face_challenge  # the one action wanted, until the check ends
        body = (t("identify.face.look"),) + tuple(t(f"identify.face.guidance.{k}") for k in dict.fromkeys(
            k for k in (challenge, guidance) if k))
        return ViewModel(self.name, self.state, t("identify.face.title"), body=body, actions=actions,
                         screen="camera", illustration="look_at_camera",
                         data={"id_masked": self.session.identity.id_number_masked if self.session.identity else "",
                               "challenge": challenge})

    def act_identify_face(self, action_id: str, **_: Any) -> bool:
        if action_id == "retry" and not self.pending("face"):
            self.error = None
            self.go("identify_face")
            return True
        return False

    def on_face_event(self, event: Any) -> bool:
        if self.state == "identify_face" and event.kind == "challenge":
            kind = event.data.get("challenge")
            if kind in FACE_CHALLENGES:
                self.session.visit.identify.face_challenge = kind
                return True
        if self.state == "identify_face" and event.kind == "guidance":
            key = str(event.data.get("key", "")).removeprefix("face.")
            if key in FACE_GUIDANCE:
                self.session.visit.identify.face_guidance = key
                return True
        return False

    def done_face(self, c: Completion[Any]) -> None:
        if c.code is ResultCode.FRAUD_ATTEMPT or (c.ok and c.data is not None and getattr(c.data, "reason", "") == "spoof"):
            identity = self.session.identity
            self.ctx.services.audit.append("station", "identify.fraud_attempt", self.name,
                                           id_masked=identity.id_number_masked if identity else "",
                                           detail=c.detail[:80])
            self.end("fraud_attempt", t("identify.face.fraud"))
            return
        if c.code is ResultCode.CANCELED:
            return
        if c.ok and c.data is not None:
            verdict = c.data
            decision = str(verdict.decision)
            if decision == "match":
                self.session.face_verdict = verdict
                self.session.visit.identify.reference = None
                self.error = None
                self.release_camera()
                self.identified()
                return
            self._face_tries += 1
            self._face_failed()
            if decision == "no_match" and self._face_tries >= FACE_TRIES:
                identity = self.session.identity
                self.ctx.services.audit.append("station", "identify.face_mismatch", self.name,
                                               id_masked=identity.id_number_masked if identity else "")
                self.end("face_mismatch", t("identify.face.mismatch"))
                return
            self.error = t("identify.face.no_match" if decision == "no_match" else "identify.face.retry")
        elif c.code in (ResultCode.DEVICE_NOT_READY, ResultCode.HARDWARE_ERROR):
            self.end("device_unavailable", t("identify.face_unavailable"))
            return
        else:
            self._face_tries += 1
            self.error = t("identify.face.retry")
        if self._face_tries >= FACE_TRIES:
            self.end("face_mismatch", t("identify.face.mismatch"))
            return
        # the person is still in front of the camera: check again at once (the error says why)
        self.go("identify_face")

    def _face_failed(self) -> None:
        attempts, identity = getattr(self.ctx.services, "face_attempts", None), self.session.identity
        if attempts is not None and identity is not None:
            attempts.record_failure(identity.id_number, identity.id_number_masked)

    def release_camera(self) -> None:
        cam = self.ctx.devices.camera
        if cam is not None and getattr(self, "_camera_started", False):
            try:
                cam.stop()
            except Exception:
                pass
            self._camera_started = False

    def identified(self) -> None:  # pragma: no cover - every user overrides it
        raise NotImplementedError


# the verifier's guidance keys (`face.<key>` in its `guidance` events)
FACE_GUIDANCE = GUIDANCE_KEYS
FACE_CHALLENGES = ("blink", "turn_left", "turn_right")  # kiosk.devices.face.liveness.CHALLENGES (a test keeps them equal)
