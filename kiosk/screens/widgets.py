"""Basic widgets every screen uses: wrapping label, touch button by kind, banner, step indicator.

Sizes and colours come from the running app (`app.s_*` in pixels, `app.lang`), so elder mode and
a language switch re-render through Kivy bindings. The rules live in `widgets.kv`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.core.text import Label as CoreLabel
from kivy.lang import Builder
from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label

from kiosk.core import line_break
from kiosk.screens import theme

BUTTON_COLOURS = {
    "primary": (theme.PRIMARY, theme.ON_PRIMARY),
    "secondary": (theme.SECONDARY, theme.ON_SECONDARY),
    "danger": (theme.DANGER, theme.ON_DANGER),
    "success": (theme.SUCCESS, theme.ON_SUCCESS),
    "choice": (theme.SURFACE, theme.TEXT),
    "keypad": (theme.PRIMARY, theme.ON_PRIMARY),
    "header": (theme.HEADER, theme.ON_HEADER),
}


class _ChineseWrapCoreLabel(CoreLabel):
    """Kivy's text renderer with CJK paragraphs broken by `kiosk.core.line_break` first (no line starts
    with 。 or ends with （); the text itself is unchanged."""

    def render(self, real: bool = False) -> Any:
        width = self._text_size[0]
        original = self.text
        if real or not width or not original or not line_break.has_cjk(original):
            return super().render(real)
        pad_left, _top, pad_right, _bottom = self.options["padding"]
        extents = self.get_cached_extents()
        self.text = line_break.wrap_cjk(original, width - pad_left - pad_right - 1, lambda s: extents(s)[0])
        try:
            return super().render()
        finally:
            self.text = original


class KLabel(Label):
    """A label that wraps to its width (Chinese by its own rules) and is as tall as its text."""

    role = StringProperty("body")  # body | small | title | muted

    def _create_label(self) -> None:
        if self.markup:  # Kivy's markup renderer as it is (no label of the station uses markup)
            super()._create_label()
            return
        if isinstance(self._label, _ChineseWrapCoreLabel):
            return
        options = {name: getattr(self, name) for name in self._font_properties}
        options["usersize"] = self.text_size
        if self.disabled:
            options["color"], options["outline_color"] = self.disabled_color, self.disabled_outline_color
        self._label = _ChineseWrapCoreLabel(**options)


class Banner(KLabel):
    """A coloured message strip: kind = error | warning | info."""

    kind = StringProperty("error")
    bg = ListProperty(list(theme.ERROR_BG))


class KButton(Button):
    """A touch target of at least `app.s_target` in both directions; colours by `kind`."""

    kind = StringProperty("primary")
    action_id = StringProperty("")
    bg = ListProperty(list(theme.PRIMARY))
    fg = ListProperty(list(theme.ON_PRIMARY))

    def on_kind(self, *_: object) -> None:
        bg, fg = BUTTON_COLOURS.get(self.kind, BUTTON_COLOURS["primary"])
        self.bg, self.fg = list(bg), list(fg)

    def on_disabled(self, *_: object) -> None:
        if self.disabled:
            self.bg, self.fg = list(theme.DISABLED), list(theme.ON_DISABLED)
        else:
            self.on_kind()


MAX_NAMED_STEPS = 6


class StepIndicator(BoxLayout):
    """Step i of n: a numbered dot per step with its label; the current one filled."""

    step = NumericProperty(0)
    labels = ListProperty([])  # translated step names

    def on_step(self, *_: object) -> None:
        self.rebuild()

    def on_labels(self, *_: object) -> None:
        self.rebuild()

    def rebuild(self) -> None:
        self.clear_widgets()
        many = len(self.labels) > MAX_NAMED_STEPS  # then only the current step is named: no 3-line labels
        for i, text in enumerate(self.labels, start=1):
            self.add_widget(StepDot(number=i, text=text if not many or i == self.step else "", state_name=(
                "current" if i == self.step else "done" if i < self.step else "todo"),
                size_hint_x=3 if many and i == self.step else 1))


class StepDot(BoxLayout):
    number = NumericProperty(1)
    text = StringProperty("")
    state_name = StringProperty("todo")


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
