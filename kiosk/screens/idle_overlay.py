"""The idle warning: a countdown over whatever screen is showing, one touch for more time
(>= 20 s, the flow's `more_time_s`), and an audible beep when it appears, so a person who looked
away notices (WCAG 2.2.1: warn by more than one sense). When the count reaches zero the flow
ends with `timeout`, its data are wiped, and the app returns to the attract screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty
from kivy.uix.floatlayout import FloatLayout


class IdleOverlay(FloatLayout):
    seconds = NumericProperty(0)
    active = BooleanProperty(False)

    def show(self, seconds: int) -> bool:
        """Show or update the countdown; returns True when it has just appeared."""
        appeared = not self.active
        self.seconds = seconds
        self.active = True
        return appeared

    def hide(self) -> None:
        self.active = False

    # an inactive overlay lets every touch through; an active one takes them all
    def on_touch_down(self, touch: Any) -> bool:
        if not self.active:
            return False
        super().on_touch_down(touch)
        return True

    def on_touch_up(self, touch: Any) -> bool:
        if not self.active:
            return False
        super().on_touch_up(touch)
        return True

    def on_touch_move(self, touch: Any) -> bool:
        return self.active


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
