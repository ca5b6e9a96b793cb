"""The attract screen: what the station can do, in pictures, one big tile per task; staff entries
below. A task whose device is down shows why it is unavailable instead of failing later. The
language and elder-mode switches are in the header on every screen (`root.kv`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

CITIZEN_TASKS = ("apply", "query", "collect")
STAFF_TASKS = ("deposit", "retrieve", "commission")


class TaskTile(ButtonBehavior, BoxLayout):
    """A big picture button: illustration, name, one line of what it does."""

    task = StringProperty("")
    picture = StringProperty("")
    available = BooleanProperty(True)


class AttractScreen(Screen):
    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(name="attract", **kw)
        self.app = app

    def refresh(self, available: dict[str, str | None]) -> None:
        for tile in self.ids.tiles.children:
            tile.available = available.get(tile.task) is None
        for b in self.ids.staff.children:
            b.disabled = available.get(b.action_id) is not None


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
