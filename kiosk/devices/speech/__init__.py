"""The `Speaker` device class: every screen's instruction spoken (espeak-ng), with mute and volume.

Backends, chosen by URL (`kiosk.devices.registry`):
- `alsa://DEVICE` (e.g. `alsa://default`, `alsa://hw:0,0`, `alsa://null`) — synthesised with
  espeak-ng into a WAV, played with `aplay -D DEVICE`;
- `wav:///DIR` — every utterance written to `DIR/NNNN-LANG.wav` and nothing played (tests, the
  simulated station; the files are real audio a test can measure).

`say(text, lang, slow)` ends in one completion: `success` with an `Utterance` (file, seconds,
muted), `canceled` when a newer `say` or `stop` interrupted it (one voice at a time: the next
screen interrupts the last), `invalid_data` (empty text, unknown language),
`device_not_ready` (espeak-ng or aplay missing). Languages: zh (espeak-ng voice `cmn`) and en.
`slow` (elder mode) speaks at `SLOW_RATE` words per minute instead of `RATE`.
`cue` is the caller's label for an utterance (the screen state it belongs to); the speaker keeps a
short record of what it really produced (`record()`: utterances synthesised, not those interrupted
before they were spoken, not muted ones), which `forget()` clears at the end of a visit.
This module imports no device library: flows and the app may import it.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from kiosk.devices.base import Command, Device

BACKENDS: dict[str, str] = {
    "alsa": "kiosk.devices.speech.espeak:open_alsa",
    "wav": "kiosk.devices.speech.espeak:open_wav",
}

VOICES: dict[str, str] = {"zh": "cmn", "en": "en"}
RATE = 165  # words per minute (espeak-ng's default is 175)
SLOW_RATE = 115  # elder mode


@dataclass(frozen=True)
class Utterance:
    text: str
    lang: str
    slow: bool
    file: str | None  # the WAV (kept by wav://, a temp file for alsa://)
    seconds: float
    muted: bool = False
    cue: str = ""  # the caller's label (the screen state), echoed back


RECORD_LEN = 256


class Speaker(Device):
    device_class = "speech"

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self.muted = False
        self.volume = 80  # 0..100
        self._record: deque[Utterance] = deque(maxlen=RECORD_LEN)
        self._record_lock = threading.Lock()

    def say(self, text: str, lang: str = "zh", slow: bool = False, cue: str = "") -> Command[Utterance]:
        raise NotImplementedError

    def record(self) -> list[Utterance]:
        """What this speaker really said, oldest first (bounded)."""
        with self._record_lock:
            return list(self._record)

    def forget(self) -> None:
        """Drop the record: what was said may have named the person's case or compartment."""
        with self._record_lock:
            self._record.clear()

    def _said(self, utterance: Utterance) -> None:
        with self._record_lock:
            self._record.append(utterance)

    def stop(self) -> None:
        """Interrupt what is being spoken (no-op when silent)."""
        raise NotImplementedError

    def set_muted(self, muted: bool) -> None:
        self.muted = bool(muted)
        self.set_status(self.status, muted="yes" if self.muted else "no")
        if self.muted:
            self.stop()

    def set_volume(self, volume: int) -> None:
        if isinstance(volume, bool) or not isinstance(volume, int) or not 0 <= volume <= 100:
            raise ValueError(f"volume must be an integer 0..100, not {volume!r}")
        self.volume = volume
        self.set_status(self.status, volume=str(volume))
