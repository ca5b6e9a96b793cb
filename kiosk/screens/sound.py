"""The idle warning's beep: a short two-tone WAV generated at start (no binary asset in the repo)
and played through Kivy's audio. A machine without audio output still shows the countdown; the
failure is logged once and `played` still counts the attempts (what the tests check)."""

from __future__ import annotations

import logging
import math
import struct
import wave
from pathlib import Path

log = logging.getLogger(__name__)
RATE = 16000


def write_beep(path: str | Path, tones: tuple[float, ...] = (880.0, 660.0), tone_s: float = 0.18,
               volume: float = 0.6) -> Path:
    """A short attention beep as 16-bit mono PCM WAV (with 10 ms fades: no clicks)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    n = int(RATE * tone_s)
    fade = int(RATE * 0.01)
    for f in tones:
        for i in range(n):
            env = min(1.0, i / fade, (n - i) / fade)
            frames += struct.pack("<h", int(32767 * volume * env * math.sin(2 * math.pi * f * i / RATE)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    return path


class Beeper:
    def __init__(self, path: str | Path) -> None:
        self.path = write_beep(path)
        self.played = 0
        self._sound = None
        self._failed = False

    def play(self) -> None:
        self.played += 1
        if self._failed:
            return
        try:
            if self._sound is None:
                from kivy.core.audio import SoundLoader

                self._sound = SoundLoader.load(str(self.path))
                if self._sound is None:
                    raise RuntimeError("no audio provider could load the WAV")
            self._sound.stop()
            self._sound.play()
        except Exception as exc:
            self._failed = True
            log.warning("idle beep cannot be played (%s); the countdown is still shown", exc)
