"""Kivy settings for the station window, applied from `[ui]` before the window exists.

A real station (`fullscreen = true`): fullscreen, borderless, not resizable, no cursor, no
screensaver. Always: Escape does not quit (`exit_on_escape = 0`) and the system keyboard mode
(no on-screen keyboard pops up: there is no free-text input). With `touch_input = "mtdev"` the
default `mouse` provider is dropped and touches come through mtdev only, because with the default
`[input]` every touch on Linux arrives twice (once as mouse, once from probesysfs).
Must run before `kivy.core.window` is imported.
"""

from __future__ import annotations

from typing import Any


def kivy_settings(ui: Any) -> dict[tuple[str, str], str]:
    """The (section, key) -> value pairs for a `[ui]` section (pure: tested without Kivy)."""
    full = bool(ui.fullscreen)
    out = {
        ("graphics", "fullscreen"): "auto" if full else "0",
        ("graphics", "borderless"): "1" if full else "0",
        ("graphics", "resizable"): "0",
        ("graphics", "show_cursor"): "1" if ui.show_cursor and not full else "0",
        ("graphics", "allow_screensaver"): "0",
        ("graphics", "width"): str(ui.width),
        ("graphics", "height"): str(ui.height),
        # Kivy's default 2x multisampling costs the software renderer (llvmpipe, and GPU-less
        # kiosk boards) about half the camera preview's frame rate and ~30 MB; text and flat
        # shapes do not need it
        ("graphics", "multisamples"): "0",
        ("kivy", "exit_on_escape"): "0",
        ("kivy", "keyboard_mode"): "system",
    }
    if ui.touch_input == "mtdev":
        out[("input", "mtdev_%(name)s")] = "probesysfs,provider=mtdev"
    return out


def apply(ui: Any) -> dict[tuple[str, str], str]:
    from kivy.config import Config

    settings = kivy_settings(ui)
    if ui.touch_input == "mtdev" and Config.has_section("input"):
        for key, _value in Config.items("input"):
            Config.remove_option("input", key)  # the default mouse + probesysfs doubles every touch
    for (section, key), value in settings.items():
        if not Config.has_section(section):
            Config.add_section(section)
        Config.set(section, key, value)
    return settings
