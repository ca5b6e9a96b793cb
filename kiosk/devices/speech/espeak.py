"""espeak-ng backends of the `Speaker`: `wav:///DIR` (files only) and `alsa://DEVICE` (aplay).

Synthesis: `espeak-ng -v VOICE -s RATE -a AMPLITUDE -w FILE --stdin` with the text on stdin (never
on the command line: a text starting with '-' is not an option). Amplitude follows the volume
(espeak-ng's 0..200, 100 = its default, here volume 80 -> 100). One utterance at a time: `say`
interrupts the one before (the playing `aplay` is terminated), on the device's owner thread.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import tempfile
import threading
import wave
from pathlib import Path
from typing import Any

from kiosk.devices.base import Command, Completion, DeviceError, DeviceStatus, ResultCode
from kiosk.devices.registry import DeviceUrl
from kiosk.devices.speech import RATE, SLOW_RATE, VOICES, Speaker, Utterance
from kiosk.devices.worker import OwnerThread

MAX_CHARS = 600
SYNTH_TIMEOUT_S = 20.0


def _seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate() or 1)


class EspeakSpeaker(Speaker):
    def __init__(self, url: DeviceUrl, name: str | None = None) -> None:
        super().__init__(name)
        self.url = url
        self.capabilities = frozenset({"zh", "en", "slow", "mute", "volume"})
        self._owner = OwnerThread(f"speech-{self.name}")
        self._current: Command[Any] | None = None
        self._player: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._seq = itertools.count(1)

    # -- lifecycle ----------------------------------------------------------------------------
    def _missing_tools(self) -> list[str]:
        return [t for t in self._tools() if shutil.which(t) is None]

    def _tools(self) -> tuple[str, ...]:
        return ("espeak-ng",)

    def open(self) -> None:
        missing = self._missing_tools()
        if missing:
            self.set_status(DeviceStatus.NO_DEVICE, f"missing: {', '.join(missing)} (apt-get install espeak-ng alsa-utils)")
        else:
            self.set_status(DeviceStatus.ONLINE, "ready", muted="yes" if self.muted else "no", volume=str(self.volume))

    def close(self) -> None:
        self.stop()
        self._owner.stop()
        self.set_status(DeviceStatus.OFFLINE, "closed")

    # -- commands -----------------------------------------------------------------------------
    def say(self, text: str, lang: str = "zh", slow: bool = False, cue: str = "") -> Command[Utterance]:
        with self._lock:
            if self._current is not None and not self._current.done():
                self._current.cancel()  # one voice at a time: the newer screen wins
                self._kill_player()
            cmd = self._owner.submit("say", lambda c: self._say(c, text, lang, slow, cue))
            self._current = cmd
        return cmd

    def stop(self) -> None:
        with self._lock:
            if self._current is not None and not self._current.done():
                self._current.cancel()
            self._kill_player()

    def _kill_player(self) -> None:
        p = self._player
        if p is not None and p.poll() is None:
            p.terminate()

    def _say(self, cmd: Command[Any], text: str, lang: str, slow: bool, cue: str = "") -> Utterance:
        if not isinstance(text, str) or not text.strip():
            raise DeviceError(ResultCode.INVALID_DATA, "nothing to say: the text is empty")
        if lang not in VOICES:
            raise DeviceError(ResultCode.INVALID_DATA, f"no voice for language {lang!r} (have: {', '.join(VOICES)})")
        missing = self._missing_tools()
        if missing:
            raise DeviceError(ResultCode.DEVICE_NOT_READY, f"missing: {', '.join(missing)}")
        text = " ".join(text.split())[:MAX_CHARS]
        if self.muted:
            return Utterance(text, lang, slow, None, 0.0, muted=True, cue=cue)
        if cmd.cancel_requested.is_set():
            raise DeviceError(ResultCode.CANCELED, "interrupted before it was spoken")
        path = self._target(lang)
        tmp = path.with_name(path.name + ".part")
        amplitude = str(round(self.volume * 1.25))
        res = subprocess.run(["espeak-ng", "-v", VOICES[lang], "-s", str(SLOW_RATE if slow else RATE),
                              "-a", amplitude, "-w", str(tmp), "--stdin"], input=text.encode("utf-8"),
                             capture_output=True, timeout=SYNTH_TIMEOUT_S)
        if res.returncode != 0 or not tmp.exists():
            tmp.unlink(missing_ok=True)
            raise DeviceError(ResultCode.HARDWARE_ERROR, f"espeak-ng failed: {res.stderr.decode(errors='replace')[:200]}")
        tmp.replace(path)
        said = Utterance(text, lang, slow, str(path), round(_seconds(path), 3), cue=cue)
        self.count("utterances")
        self._said(said)  # produced: on the record even if the next screen cuts the playing short
        self._play(cmd, path)
        return said

    # -- backend specifics --------------------------------------------------------------------
    def _target(self, lang: str) -> Path:
        raise NotImplementedError

    def _play(self, cmd: Command[Any], path: Path) -> None:
        """Nothing to play for a file sink."""


class WavSpeaker(EspeakSpeaker):
    """`wav:///DIR`: every utterance kept as DIR/NNNN-LANG.wav."""

    def __init__(self, url: DeviceUrl, name: str | None = None) -> None:
        super().__init__(url, name)
        if not url.path:
            raise ValueError(f"{url.raw}: expected wav:///DIRECTORY")
        self.dir = Path(url.path)

    def open(self) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.set_status(DeviceStatus.NO_DEVICE, f"cannot use {self.dir}: {exc}")
            return
        super().open()

    def _target(self, lang: str) -> Path:
        return self.dir / f"{next(self._seq):04d}-{lang}.wav"


class AlsaSpeaker(EspeakSpeaker):
    """`alsa://DEVICE`: synthesised into a temp WAV and played with aplay on DEVICE."""

    def __init__(self, url: DeviceUrl, name: str | None = None) -> None:
        super().__init__(url, name)
        self.device = (url.host + url.path).strip("/") or "default"
        self._tmp = Path(tempfile.mkdtemp(prefix="kiosk-speech-"))

    def _tools(self) -> tuple[str, ...]:
        return ("espeak-ng", "aplay")

    def _target(self, lang: str) -> Path:
        return self._tmp / f"say-{lang}.wav"

    def _play(self, cmd: Command[Any], path: Path) -> None:
        with self._lock:
            if cmd.cancel_requested.is_set():
                raise DeviceError(ResultCode.CANCELED, "interrupted")
            self._player = subprocess.Popen(["aplay", "-q", "-D", self.device, str(path)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        player = self._player
        _, err = player.communicate()
        if cmd.cancel_requested.is_set():
            raise DeviceError(ResultCode.CANCELED, "interrupted by the next prompt")
        if player.returncode != 0:
            self.set_status(DeviceStatus.HARDWARE_ERROR, f"aplay -D {self.device}: {err.decode(errors='replace')[:160]}")
            raise DeviceError(ResultCode.HARDWARE_ERROR, f"aplay failed on {self.device}")
        self.count("played")


def _configured(speaker: EspeakSpeaker, muted: bool, volume: int) -> EspeakSpeaker:
    speaker.muted = bool(muted)
    speaker.set_volume(volume)
    return speaker


def open_wav(url: DeviceUrl, name: str | None = None, muted: bool = False, volume: int = 80, **_: Any) -> Any:
    return _configured(WavSpeaker(url, name=name), muted, volume)


def open_alsa(url: DeviceUrl, name: str | None = None, muted: bool = False, volume: int = 80, **_: Any) -> Any:
    return _configured(AlsaSpeaker(url, name=name), muted, volume)
