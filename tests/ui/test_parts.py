"""The touch screen's parts that need no window: colour contrast, kiosk window settings,
maintenance PIN hashes, the idle beep, the simulator panel's actions against real simulators,
`kiosk run`'s refusals, and a panel window screenshot on the offscreen display."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import wave
from pathlib import Path
from types import SimpleNamespace

import pytest

from kiosk.app import hash_pin, verify_pin_hash
from kiosk.screens import theme
from kiosk.screens.kiosk_settings import kivy_settings
from kiosk.screens.sound import write_beep

ROOT = Path(__file__).resolve().parents[2]


def test_every_text_colour_pair_has_contrast_of_at_least_4_5() -> None:
    for name, (fg, bg) in theme.TEXT_PAIRS.items():
        assert theme.contrast(fg, bg) >= 4.5, f"{name}: {theme.contrast(fg, bg):.2f}:1"


def test_contrast_formula_matches_wcag_reference_values() -> None:
    assert theme.contrast((0, 0, 0), (1, 1, 1)) == pytest.approx(21.0)
    grey = theme._hex("#767676")  # the lightest grey that passes AA on white
    assert theme.contrast(grey, (1, 1, 1)) == pytest.approx(4.54, abs=0.02)


def test_elder_mode_sizes_meet_the_rules() -> None:
    for elder in (False, True):
        s = theme.SIZES[elder]
        assert s["target"] >= theme.MIN_TARGET_DP[elder]
        assert min(s["body"], s["small"], s["button"]) >= theme.MIN_TEXT_DP[elder]
    assert theme.SIZES[True]["target"] >= 60 and theme.SIZES[True]["body"] >= 18
    assert theme.SIZES[True]["line_height"] >= 1.3


def test_the_default_font_is_a_simplified_chinese_face() -> None:
    from PIL import ImageFont

    font = ImageFont.truetype(theme.find_font(), 32, index=0)  # Kivy opens face 0 of a .ttc
    assert "Micro Hei" in font.getname()[0] and "Mono" not in font.getname()[0]
    notdef = bytes(font.getmask("\uffff"))
    assert all(bytes(font.getmask(ch)) != notdef for ch in "政务服务身份证领取柜门长辈模式")


def _ui(**kw):
    base = dict(fullscreen=False, show_cursor=True, width=1280, height=800, touch_input="mouse")
    return SimpleNamespace(**{**base, **kw})


def test_kiosk_settings_for_a_real_station() -> None:
    s = kivy_settings(_ui(fullscreen=True, touch_input="mtdev"))
    assert s[("graphics", "fullscreen")] == "auto" and s[("graphics", "borderless")] == "1"
    assert s[("graphics", "show_cursor")] == "0" and s[("graphics", "allow_screensaver")] == "0"
    assert s[("kivy", "exit_on_escape")] == "0"
    assert s[("input", "mtdev_%(name)s")] == "probesysfs,provider=mtdev"
    assert s[("graphics", "multisamples")] == "0"  # software GL: halves the preview rate otherwise


def test_kiosk_settings_for_a_desktop_window() -> None:
    s = kivy_settings(_ui())
    assert s[("graphics", "fullscreen")] == "0" and s[("graphics", "show_cursor")] == "1"
    assert s[("kivy", "exit_on_escape")] == "0"  # Escape never quits, not even here
    assert not any(section == "input" for section, _ in s)


def test_maintenance_pin_hash_round_trip_and_refusals() -> None:
    stored = hash_pin("4711", iterations=1000)
    assert stored.startswith("pbkdf2_sha256$1000$")
    assert verify_pin_hash("4711", stored)
    assert not verify_pin_hash("4712", stored)
    for bad in ("", "garbage", "md5$1$00$00", "pbkdf2_sha256$x$zz$00", "pbkdf2_sha256$1000$00"):
        assert not verify_pin_hash("4711", bad)


def test_idle_beep_is_a_short_valid_wav(tmp_path: Path) -> None:
    path = write_beep(tmp_path / "beep.wav")
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        seconds = w.getnframes() / w.getframerate()
        frames = w.readframes(w.getnframes())
    assert 0.2 <= seconds <= 1.0
    assert max(frames) > 100  # not silence


def _kiosk(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    e = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_HOME": tempfile.mkdtemp(), **(env or {})}
    return subprocess.run([sys.executable, "-m", "kiosk", *args], cwd=ROOT, env=e, capture_output=True, text=True,
                          timeout=timeout)


def test_kiosk_run_plays_no_scenarios_on_a_real_station(tmp_path: Path) -> None:
    """The headless scenario player is a feature of the simulated station only."""
    cfg = (ROOT / "config" / "sim.toml").read_text().replace("enabled = true", "enabled = false")
    path = tmp_path / "real.toml"
    path.write_text(cfg)
    r = _kiosk("run", "--config", str(path), "--headless", "--root", str(tmp_path))
    assert r.returncode == 2
    assert "no display" in r.stderr and "simulated stations only" in r.stderr


def test_kiosk_run_refuses_a_broken_config_and_an_unknown_scenario(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[station\nid=")
    r = _kiosk("run", "--config", str(bad))
    assert r.returncode == 1 and "bad.toml" in r.stderr
    r = _kiosk("run", "--headless", "--scenario", "no-such-visit")
    assert r.returncode == 1 and "no scenario no-such-visit" in r.stderr


def test_kiosk_run_hash_pin() -> None:
    r = _kiosk("run", "--hash-pin", "2468")
    assert r.returncode == 0 and verify_pin_hash("2468", r.stdout.strip())
    r = _kiosk("run", "--hash-pin", "12ab")
    assert r.returncode == 1 and "4 to 8 digits" in r.stderr


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    from kiosk.config import load_config
    from hw_sim.station.simulated import start_sim_station, stop_sim_station

    root = tmp_path_factory.mktemp("panel")
    config = load_config(ROOT / "config" / "sim.toml")
    station, hub = start_sim_station(config, root=root)
    yield station, hub, root / config.simulator.control_socket, config
    stop_sim_station(station, hub)


def test_sim_panel_actions_reach_the_simulators(sim) -> None:
    import time

    from kiosk.screens.sim_panel import PanelActions

    station, hub, sock, config = sim
    panel = PanelActions(str(sock), [(c.id, c.board, c.lock) for c in config.cabinet.compartments])
    assert "obama" in panel.identities()
    assert "error" not in panel.insert_card("obama").lower()
    assert hub.call("id_reader", "state")["card"]
    panel.remove_card()
    assert not hub.call("id_reader", "state")["card"]
    panel.camera("printed_photo", "obama")
    assert hub.call("camera", "status")["source"] == "printed_photo"
    panel.page("page_good")
    assert hub.call("document_camera", "status")["source"] == "page_good"
    panel.paper("out")
    assert hub.call("printer", "status")["paper"] == "out"
    panel.paper("ok")
    panel.open_by_hand("A05")
    deadline = time.monotonic() + 5
    while station.devices.cabinet.door_state(1, 5) != "open" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert station.devices.cabinet.door_state(1, 5) == "open"
    panel.close_door("A05")
    assert panel.close_door("Z99") == "没有柜格 / no compartment 'Z99'"
    assert "show_payment_code" in panel.show_payment_code()
    # this station's back office is not on the control socket: the panel says so instead of failing
    used = panel.show_used_payment_code()
    assert used.startswith("backoffice.payment_code:") and "backoffice" in used.split(":", 1)[1], used
    assert panel.decline_next_code().startswith("backoffice.decline_next_code:")
    assert "no_such" in panel.call("no_such", "thing") or "unknown" in panel.call("no_such", "thing").lower()


def test_sim_panel_window_renders_offscreen(sim, tmp_path: Path) -> None:
    _station, _hub, sock, _config = sim
    shot = tmp_path / "panel.png"
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "SDL_AUDIODRIVER": "dummy", "KIVY_NO_ARGS": "1",
           "KIVY_USE_DEFAULTCONFIG": "1",
           "KIVY_NO_CONSOLELOG": "1", "KIVY_HOME": str(tmp_path / "kh")}
    env.pop("DISPLAY", None)
    r = subprocess.run([sys.executable, "-m", "kiosk.screens.sim_panel", "--socket", str(sock), "--screenshot",
                        str(shot)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    written = list(tmp_path.glob("panel*.png"))
    assert r.returncode == 0, r.stderr[-2000:]
    assert written and written[0].stat().st_size > 20_000
    out = ROOT / "out" / "test-screens" / "sim-panel.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(written[0].read_bytes())


@pytest.mark.slow
@pytest.mark.ui
def test_make_run_plays_the_apply_visit_headless_and_exits_0(tmp_path: Path) -> None:
    """What `make run` does without a display, on the visit with the most steps (capture, OCR of
    each page, skip, submit, receipt): the script waits on the station's states, so it ends as
    expected and the run exits 0. Then a visit whose time runs out (clock moved, ticks: the screen
    player drives the runner's steps alone, which once crashed `make run`)."""
    r = _kiosk("run", "--headless", "--free-ports", "--scenario", "apply", "--scenario", "timeout-midway",
               "--also-shoot", "en,elder",
               "--root", str(tmp_path / "st"), "--out", str(tmp_path / "screens"), env={"SDL_AUDIODRIVER": "dummy"},
               timeout=240)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-2000:])
    assert "2/2 visits ended as expected" in r.stdout  # the other looks held the visits, never broke them
    shots = sorted(p.name for p in (tmp_path / "screens" / "apply").glob("*.png"))
    main = [n for n in shots if n.count(".") == 1]
    assert len(main) >= 10
    # each distinct screen also in English and in elder mode, beside its own capture
    for look in ("en", "elder"):
        extra = [n for n in shots if n.endswith(f".{look}.png")]
        assert len(extra) >= 5 and all(n.replace(f".{look}.png", ".png") in main for n in extra), (look, shots)
    index = json.loads((tmp_path / "screens" / "index.json").read_text())
    assert any(s.get("variants", {}).get("en") for r_ in index for s in r_["shots"])
