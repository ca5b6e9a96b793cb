"""Voice prompts: what is spoken on each screen comes from the screen's own instruction text.

`spoken_text(vm, lang)` is the one source: the view model's title, body lines and error, rendered
in the screen's language — exactly what the screen shows, never a separate script.
`VoicePrompter` speaks it on a `Speaker` (kiosk.devices.speech) whenever the screen's state or
text changes (the newer screen interrupts the older prompt), in elder mode slowly, and speaks
the idle warning once when it appears. Muting and volume go to the speaker. No Kivy here: the
app calls `on_render(vm)` after each render.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk import i18n
from kiosk.flows.texts import render
from kiosk.flows.viewmodel import ViewModel

_END = {"zh": "。", "en": "."}


def _sentence(text: str, lang: str) -> str:
    text = " ".join(text.split())
    if not text:
        return ""
    return text if text[-1] in "。.！!？?：:；;…" else text + _END.get(lang, ".")


def spoken_text(vm: ViewModel, lang: str) -> str:
    """The instruction of this screen as one utterance (title, body, error)."""
    parts = [render(vm.title, lang)] + [render(b, lang) for b in vm.body]
    if vm.error is not None:
        parts.append(render(vm.error, lang))
    sep = "" if lang == "zh" else " "
    return sep.join(s for s in (_sentence(p, lang) for p in parts) if s)


def idle_warning_text(seconds: int, lang: str) -> str:
    title = i18n.translate("ui.idle.title", lang)
    body = i18n.translate("ui.idle.body", lang, seconds=seconds)
    sep = "" if lang == "zh" else " "
    return sep.join(s for s in (_sentence(title, lang), _sentence(body, lang)) if s)


class VoicePrompter:
    def __init__(self, speaker: Any, lang: Callable[[], str], slow: Callable[[], bool]) -> None:
        self.speaker = speaker
        self.lang = lang
        self.slow = slow
        self._last: tuple[str, str, str] | None = None
        self._warned = False
        self.last_spoken: tuple[str, str] | None = None  # (state, text); cleared when the visit ends
        self.last_command: Any = None  # the speaker's Command for the latest prompt

    def on_render(self, vm: ViewModel | None, cue: str | None = None) -> None:
        """After each render; None = back to the attract screen (the visit is over). `cue` labels
        the utterance on the speaker's record (default: the state)."""
        if vm is None:
            self.stop()
            return
        lang = self.lang()
        if "timeout_in" in vm.data and not vm.final:
            if not self._warned:
                self._warned = True
                self._say("idle_warning", idle_warning_text(int(vm.data["timeout_in"]), lang), lang, cue or vm.state)
            return
        self._warned = False
        text = spoken_text(vm, lang)
        key = (vm.flow, vm.state, text)
        if key == self._last or not text:
            return
        self._last = key
        self._say(vm.state, text, lang, cue or vm.state)

    def _say(self, state: str, text: str, lang: str, cue: str) -> None:
        self.last_spoken = (state, text)
        if self.speaker is not None:
            self.last_command = self.speaker.say(text, lang, bool(self.slow()), cue=cue)

    def stop(self) -> None:
        """The visit ended: silence, and forget what was said (it may have named the person's case)."""
        self._last = None
        self.last_spoken = None
        self._warned = False
        if self.speaker is not None:
            self.speaker.stop()
            self.speaker.forget()

    def set_muted(self, muted: bool) -> None:
        if self.speaker is not None:
            self.speaker.set_muted(muted)
