"""Voice: espeak-ng speaks each screen's instruction (Mandarin and English, elder mode slower),
into real WAV files measured with sox; the next screen interrupts the last; mute; bad input."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from kiosk.devices.base import ResultCode
from kiosk.devices.registry import create_device
from kiosk.flows.texts import render
from kiosk.flows.voice import VoicePrompter, idle_warning_text, spoken_text

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                                reason="apt-get install espeak-ng sox (scripts/bootstrap.sh)")


def rms(path: str) -> float:
    out = subprocess.run(["sox", path, "-n", "stat"], capture_output=True, text=True).stderr
    return float(re.search(r"RMS\s+amplitude:\s+([0-9.]+)", out).group(1))


@pytest.fixture
def speaker(tmp_path):
    s = create_device("speech", f"wav://{tmp_path}/voice", name="speech")
    s.open()
    yield s
    s.close()


def test_mandarin_and_english_are_real_audio_and_elder_mode_is_slower(speaker):
    zh = speaker.say("请将身份证放在读卡区", "zh").result(30)
    en = speaker.say("Place your ID card on the reader", "en").result(30)
    slow = speaker.say("请将身份证放在读卡区", "zh", slow=True).result(30)
    for c in (zh, en, slow):
        assert c.ok, c
        assert rms(c.data.file) > 0.01  # not silence
    assert slow.data.seconds > zh.data.seconds * 1.2


def test_the_next_screen_interrupts_the_last(speaker):
    first = speaker.say("这是一段很长的提示。" * 5, "zh")
    second = speaker.say("下一步", "zh")
    assert first.result(30).code is ResultCode.CANCELED
    assert second.result(30).ok


def test_mute_and_volume(speaker):
    speaker.set_muted(True)
    c = speaker.say("请插卡", "zh").result(30)
    assert c.ok and c.data.muted and c.data.file is None
    speaker.set_muted(False)
    speaker.set_volume(20)
    quiet = speaker.say("请插卡", "zh").result(30)
    speaker.set_volume(100)
    loud = speaker.say("请插卡", "zh").result(30)
    assert 0 < rms(quiet.data.file) < rms(loud.data.file)
    with pytest.raises(ValueError, match="0..100"):
        speaker.set_volume(101)


def test_bad_input_is_named(speaker):
    assert speaker.say("   ", "zh").result(10).code is ResultCode.INVALID_DATA
    c = speaker.say("bonjour", "fr").result(10)
    assert c.code is ResultCode.INVALID_DATA and "fr" in c.detail
    with pytest.raises(ValueError, match="known: alsa://, wav://"):
        create_device("speech", "mp3:///x")


def test_alsa_backend_plays_through_aplay():
    s = create_device("speech", "alsa://null", name="speech")
    s.open()
    try:
        assert str(s.status) == "online"
        c = s.say("请看屏幕", "zh").result(30)
        assert c.ok and rms(c.data.file) > 0.01 and s.counters["played"] == 1
    finally:
        s.close()


def test_spoken_text_is_the_screen_text_and_the_prompter_speaks_each_screen(world, speaker):
    f = world.start("apply", matter_code="SI-001")
    vm = f.view()
    said = spoken_text(vm, "zh")
    assert render(vm.title, "zh") in said and all(render(b, "zh") in said for b in vm.body)
    assert spoken_text(vm, "en").startswith(render(vm.title, "en"))
    prompter = VoicePrompter(speaker, lambda: "zh", lambda: False)
    prompter.on_render(vm)
    prompter.on_render(vm)  # the same screen again: said once
    assert f.act("start")
    prompter.on_render(f.view())
    assert prompter.last_spoken == ("identify_card", spoken_text(f.view(), "zh"))
    done = prompter.last_command.result(30)  # the guide's prompt was interrupted by this one
    assert done.ok and done.data.text == spoken_text(f.view(), "zh") and rms(done.data.file) > 0.01
    warn = idle_warning_text(20, "zh")
    assert "20" in warn
    from dataclasses import replace
    prompter.on_render(replace(f.view(), data={**f.view().data, "timeout_in": 20}))
    prompter.on_render(replace(f.view(), data={**f.view().data, "timeout_in": 19}))  # spoken once
    assert prompter.last_spoken == ("idle_warning", warn)
    prompter.on_render(None)  # back to the attract screen: forgotten
    assert prompter.last_spoken is None
