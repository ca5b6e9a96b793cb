"""Runs one UI case in its own process: Kivy has one Window per process, so every test module
starts `python -m tests.ui.driver CASE OUT_DIR`, which brings up the simulated station and the
real app on an offscreen window (SDL offscreen / Mesa llvmpipe), drives the screens with
`UnitTestTouch` touches, checks what the screen shows, saves screenshots, and writes
`OUT_DIR/result.json` = {"case", "ok", "failures": [...], "info": {...}}.

A case is a generator over a `Tester`: it yields while waiting (the Kivy Clock keeps running, so
device events and rendering go on), and records failures with `t.check(cond, message)`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class Tester:
    def __init__(self, app: Any, station: Any, hub: Any, clock: Any, out: Path) -> None:
        self.app, self.station, self.hub, self.clock, self.out = app, station, hub, clock, out
        self.failures: list[str] = []
        self.info: dict[str, Any] = {}
        self.shots: list[str] = []

    # -- checks --------------------------------------------------------------------------------
    def check(self, cond: Any, message: str) -> bool:
        if not cond:
            self.failures.append(message)
        return bool(cond)

    # -- finding and touching ------------------------------------------------------------------
    def buttons(self, action_id: str | None = None) -> list[Any]:
        from kiosk.screens.scenario_player import walk
        from kiosk.screens.widgets import KButton

        return [w for w in walk(self.app.root_view) if isinstance(w, KButton) and w.get_root_window() is not None
                and w.opacity > 0 and (action_id is None or w.action_id == action_id)]

    def button(self, action_id: str) -> Any:
        found = [b for b in self.buttons(action_id) if not b.disabled]
        return found[0] if found else None

    def touch(self, widget: Any) -> None:
        from kiosk.screens.scenario_player import touch_widget

        touch_widget(widget)

    def press(self, action_id: str) -> Iterator[None]:
        """Touch the button for `action_id` (waits up to 3 s for it to be on screen)."""
        yield from self.wait(lambda: self.button(action_id) is not None, 3.0, f"a button {action_id!r}")
        b = self.button(action_id)
        if b is not None:
            self.touch(b)
        yield from self.frames(2)

    def keys(self, digits: str) -> Iterator[None]:
        for ch in digits:
            yield from self.press(f"key:{ch}")
        yield from self.press("key:ok")

    # -- time ------------------------------------------------------------------------------------
    def frames(self, n: int = 2) -> Iterator[None]:
        for _ in range(n):
            yield

    def sleep(self, seconds: float) -> Iterator[None]:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            yield

    def wait(self, cond: Callable[[], Any], timeout: float, what: str) -> Iterator[None]:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                self.failures.append(f"timed out after {timeout:g} s waiting for {what}")
                return
            yield

    def wait_state(self, state: str, timeout: float = 30.0) -> Iterator[None]:
        yield from self.wait(lambda: self.app.flow is not None and self.app.flow.state == state, timeout,
                             f"state {state!r} (now {self.app.flow.state if self.app.flow else None})")
        yield from self.frames(3)

    # -- pictures --------------------------------------------------------------------------------
    def shot(self, name: str) -> Path:
        path = self.out / f"{len(self.shots) + 1:02d}-{name}.png"
        self.app.screenshot(path)
        self.shots.append(path.name)
        return path

    def layout(self, where: str) -> list[str]:
        """Every visible label's text fits its box; every touch target meets the size rule; every
        QR code is large enough to scan."""
        problems = layout_problems(self.app)
        for p in problems:
            self.failures.append(f"{where}: {p}")
        return problems


def layout_problems(app: Any) -> list[str]:
    from kivy.metrics import dp
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.label import Label

    from kiosk.screens import theme
    from kiosk.screens.qr_view import QrCode
    from kiosk.screens.scenario_player import walk

    min_target = dp(theme.MIN_TARGET_DP[app.elder])
    min_text = dp(theme.MIN_TEXT_DP[app.elder])
    problems: list[str] = []
    for w in walk(app.root_view):
        if w.get_root_window() is None or _hidden(w):
            continue
        if isinstance(w, Label) and w.text.strip():
            w.texture_update()
            tw, th = w.texture_size
            if tw > w.width + 2 or th > w.height + 2:
                problems.append(f"text {w.text[:40]!r} ({tw:.0f}x{th:.0f}) overflows its box ({w.width:.0f}x{w.height:.0f})")
            tofu = missing_glyphs(w.text)
            if tofu:
                problems.append(f"text {w.text[:40]!r} has characters the font lacks: {sorted(tofu)}")
            if w.font_size < min_text - 0.5 and not w.text.strip().isdigit():
                problems.append(f"text {w.text[:40]!r} is {w.font_size / dp(1):.0f} dp (< {min_text / dp(1):.0f})")
        if isinstance(w, QrCode) and w.text and min(w.size) < dp(theme.QR_MIN_DP) - 0.5:
            problems.append(f"QR code is {min(w.size) / dp(1):.0f} dp (< {theme.QR_MIN_DP}: a phone at 40 cm "
                            f"cannot read it)")
        if isinstance(w, ButtonBehavior) and not w.disabled:
            if w.width < min_target - 0.5 or w.height < min_target - 0.5:
                problems.append(f"touch target {getattr(w, 'text', type(w).__name__)[:30]!r} is "
                                f"{w.width / dp(1):.0f}x{w.height / dp(1):.0f} dp (< {min_target / dp(1):.0f})")
    problems += _text_column_hidden(app)
    return problems


def _text_column_hidden(app: Any) -> list[str]:
    """The flow screen's text column scrolls, but nobody at a kiosk scrolls: text below its fold
    is cut off for the citizen."""
    if getattr(app, "sm", None) is None or app.sm.current != "flow":
        return []
    column = app.flow_screen.ids.title.parent
    view = column.parent
    if column.height > view.height + 2:
        last = [w.text for w in app.flow_screen.ids.texts.children if getattr(w, "text", "")][:1]
        return [f"the text column is {column.height - view.height:.0f} px taller than the screen: "
                f"{last[0][:40]!r}... is cut off" if last else "the text column is cut off"]
    return []


_NOTDEF: dict[str, Any] = {}


def missing_glyphs(text: str) -> set[str]:
    """Characters the default font has no glyph for (they would show as tofu boxes)."""
    from PIL import ImageFont

    from kiosk.screens.theme import find_font

    if "font" not in _NOTDEF:
        font = ImageFont.truetype(find_font(), 20, index=0)
        _NOTDEF.update(font=font, notdef=bytes(font.getmask("\uffff")), seen={})
    seen = _NOTDEF["seen"]
    out = set()
    for ch in set(text):
        if ch.isspace():
            continue
        if ch not in seen:
            seen[ch] = bytes(_NOTDEF["font"].getmask(ch)) == _NOTDEF["notdef"]
        if seen[ch]:
            out.add(ch)
    return out


def _hidden(w: Any) -> bool:
    node = w
    while node is not None:
        if getattr(node, "opacity", 1) == 0:
            return True
        parent = node.parent
        node = parent if parent is not node else None
    return False


def main(case_name: str, out: str) -> int:
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ["KIVY_USE_DEFAULTCONFIG"] = "1"
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))
    from tests.ui import cases

    case = cases.CASES[case_name]
    from kiosk.config import load_config
    from kiosk.screens import kiosk_settings

    config = load_config(ROOT / "config" / "sim.toml")
    overrides = getattr(case, "config", None)
    if overrides:
        config = overrides(config)
    kiosk_settings.apply(config.ui)
    from kiosk.app import KioskApp
    from kiosk.scenarios.clock import OffsetClock
    from hw_sim.station.simulated import start_sim_station

    clock = OffsetClock()
    root = Path(tempfile.mkdtemp(prefix="kiosk-ui-test-"))
    station, hub = start_sim_station(config, root=root, clock=clock)
    app = KioskApp(station, lang=getattr(case, "lang", None), sound_path=root / "beep.wav")
    t = Tester(app, station, hub, clock, out_dir)
    result: dict[str, Any] = {"case": case_name}

    def poll_factory() -> Callable[[float], bool]:
        gen = case(t)

        def poll(_dt: float) -> bool:
            try:
                next(gen)
            except StopIteration:
                app.stop()
                return False
            except Exception:
                t.failures.append("case raised:\n" + traceback.format_exc())
                app.stop()
                return False
            return True

        return poll

    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: Clock.schedule_interval(poll_factory(), 0.02), 0.8)
    try:
        app.run()
    except Exception:
        t.failures.append("app raised:\n" + traceback.format_exc())
    finally:
        station.close()
        hub.close()
    result.update(ok=not t.failures, failures=t.failures, info=t.info, shots=t.shots)
    (out_dir / "result.json").write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    return 0 if not t.failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
