"""The window's root: the header every screen shares (station name, language switch, elder-mode
switch — each one touch, live on any screen), the screen manager, and the idle overlay on top.

The technicians' way in is a hidden gesture: holding the station name for `HOLD_S` seconds opens
the maintenance PIN screen (a citizen does not find it by accident; a technician knows it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label

HOLD_S = 3.0


class HoldLabel(Label):
    """A label that calls `on_hold` after being held down for HOLD_S seconds."""

    def __init__(self, **kw: Any) -> None:
        self.register_event_type("on_hold")
        super().__init__(**kw)
        self._ev = None

    def on_touch_down(self, touch: Any) -> bool:
        if self.collide_point(*touch.pos):
            touch.grab(self)
            self._ev = Clock.schedule_once(lambda _dt: self.dispatch("on_hold"), HOLD_S)
            return True
        return super().on_touch_down(touch)

    def on_touch_up(self, touch: Any) -> bool:
        if touch.grab_current is self:
            touch.ungrab(self)
            if self._ev is not None:
                self._ev.cancel()
                self._ev = None
            return True
        return super().on_touch_up(touch)

    def on_hold(self) -> None:
        pass


class RootView(FloatLayout):
    pass


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
