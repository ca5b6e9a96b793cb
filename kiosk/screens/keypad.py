"""A numeric keypad for codes and PINs (and a letter pad for pinyin initials in the matter
search): the only way to key anything in; there is no free-text Chinese input anywhere.

`Keypad(max_len=6, mask=True, on_submit=callback)`; `value` holds what was keyed. A PIN shows
as dots. Submit is enabled only once `min_len` characters are in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.screens.widgets import KButton

DIGIT_ROWS = ("123", "456", "789")
LETTER_ROWS = ("ABCDEFG", "HIJKLMN", "OPQRSTU", "VWXYZ")


class Keypad(BoxLayout):
    value = StringProperty("")
    max_len = NumericProperty(6)
    min_len = NumericProperty(1)
    mask = BooleanProperty(False)
    letters = BooleanProperty(False)
    submit_text = StringProperty("OK")
    delete_text = StringProperty("←")  # the screens pass "← 删除" / "← Delete"
    submit_cb = ObjectProperty(None, allownone=True)

    def __init__(self, on_submit: Callable[[str], Any] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.submit_cb = on_submit
        self.bind(letters=lambda *_: self.build_keys())
        self.build_keys()

    def build_keys(self) -> None:
        if "keygrid" not in self.ids:
            return  # properties given to the constructor arrive before the kv rule built the grid
        grid = self.ids.keygrid
        grid.clear_widgets()
        rows = LETTER_ROWS if self.letters else DIGIT_ROWS
        grid.cols = max(len(r) for r in rows)
        for row in rows:
            for ch in row:
                grid.add_widget(KButton(text=ch, kind="choice", action_id=f"key:{ch}", on_release=self._key))
            for _ in range(grid.cols - len(row)):
                grid.add_widget(BoxLayout())
        if not self.letters:
            grid.add_widget(KButton(text=self.delete_text, kind="secondary", action_id="key:del",
                                    on_release=self._key))
            grid.add_widget(KButton(text="0", kind="choice", action_id="key:0", on_release=self._key))
            grid.add_widget(KButton(text=self.submit_text, kind="primary", action_id="key:ok",
                                    on_release=self._key))
        else:
            grid.add_widget(KButton(text=self.delete_text, kind="secondary", action_id="key:del",
                                    on_release=self._key))
            grid.add_widget(KButton(text=self.submit_text, kind="primary", action_id="key:ok",
                                    on_release=self._key))
        self._refresh()

    def _key(self, button: KButton) -> None:
        key = button.action_id.removeprefix("key:")
        if key == "del":
            self.value = self.value[:-1]
        elif key == "ok":
            if len(self.value) >= self.min_len and self.submit_cb is not None:
                self.submit_cb(self.value)
        elif len(self.value) < self.max_len:
            self.value += key
        self._refresh()

    def on_submit_text(self, *_: Any) -> None:
        self.build_keys()

    def on_delete_text(self, *_: Any) -> None:
        self.build_keys()

    def _refresh(self) -> None:
        if "keygrid" not in self.ids:
            return
        for b in self.ids.keygrid.children:
            if isinstance(b, KButton) and b.action_id == "key:ok":
                b.disabled = len(self.value) < self.min_len

    def shown(self) -> str:
        """What the display shows: dots for a PIN, the digits so far and a dot per digit still to key."""
        if self.letters:
            return self.value or " "
        todo = max(0, int(self.max_len) - len(self.value))
        if self.mask:
            return " ".join("●" * len(self.value) + "○" * todo)
        return " ".join(self.value + "·" * todo)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
