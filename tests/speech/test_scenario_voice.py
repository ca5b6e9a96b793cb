"""A scripted visit speaks every screen: `states` carries what the speaker's record says was said
in each state (Chinese for zh), the WAVs written are real sound (sox), the idle warning is spoken,
and elder mode is slower."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.scenarios.library import SCENARIOS
from kiosk.scenarios.runner import ScenarioRunner, StateSpoken
from kiosk.flows.voice import idle_warning_text
from tests.speech.test_voice import rms

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                                reason="apt-get install espeak-ng sox (scripts/bootstrap.sh)")
ROOT = Path(__file__).resolve().parents[2]
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "config" / "sim.toml")


def _run(config, root: Path, name: str, elder: bool = False, lang: str = "zh") -> dict:
    from hw_sim.station.instant import start_instant_station

    station, controls, clock = start_instant_station(config, root=root, speech=True)
    try:
        res = ScenarioRunner(station, controls, clock, lang=lang, elder=elder).run(SCENARIOS[name])
        assert res["ok"], res["transcript"][-6:]
        assert not station.devices.speech.record(), "the speaker's record outlived the visit"
        return res
    finally:
        station.close()


def _acted_in(name: str) -> set[str]:
    """The states the script waits for and acts in: a person stood there and listened."""
    waited = [s["wait"] for s in SCENARIOS[name].steps if "wait" in s]
    return set(waited) - {"ended"}


def test_deposit_visit_speaks_each_screen_in_chinese_into_real_audio(config, tmp_path):
    res = _run(config, tmp_path, "deposit")
    states = res["states"]
    assert all(isinstance(s, StateSpoken) for s in states)
    spoken = {s.state: s.spoken for s in states if s.spoken}
    assert _acted_in("deposit") <= set(spoken), [s for s in states if not s.spoken]
    assert spoken["ended"]  # the final screen too
    for state, text in spoken.items():
        assert HAN.search(text), (state, text)
    wavs = sorted((tmp_path / "out" / "speech").glob("*-zh.wav"))
    assert len(wavs) >= len(spoken)
    for w in wavs:
        assert rms(str(w)) > 0.01, f"{w.name} is silent"


def test_idle_warning_is_spoken_and_elder_mode_is_slower(config, tmp_path):
    res = _run(config, tmp_path / "elder", "timeout-midway", elder=True)
    warned = [s for s in res["states"] if idle_warning_text(0, "zh")[:4] in s.spoken]
    assert warned and warned[0].state == "ecert_consent", res["states"]
    assert re.search(r"\d+", warned[0].spoken)
    normal = _run(config, tmp_path / "normal", "timeout-midway")
    first = lambda root: sorted((root / "out" / "speech").glob("*.wav"))[0]  # the choose screen, same words
    from kiosk.devices.speech.espeak import _seconds

    assert _seconds(first(tmp_path / "elder")) > 1.2 * _seconds(first(tmp_path / "normal"))
    assert normal["states"][0].spoken == res["states"][0].spoken
