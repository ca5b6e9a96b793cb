"""The compartment map: the cabinet drawn as its boards' columns of doors, the door(s) to use
highlighted and labelled, open doors drawn open. Citizens see it with their compartment marked
("take your documents from A03: this door"); technicians see every door's live state.

`CabinetMap(layout=[(id, board, lock, size)...], highlight={"A03"}, open_doors={"A03"}, problems={...})`.
"""

from __future__ import annotations

from typing import Any

from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Line, Rectangle
from kivy.properties import DictProperty, ListProperty, NumericProperty
from kivy.uix.widget import Widget

from kiosk.screens import theme

ROWS_PER_COLUMN = 8
SIZE_WEIGHT = {"S": 1.0, "M": 1.4, "L": 2.0}


class CabinetMap(Widget):
    layout = ListProperty([])  # [(compartment id, board, lock, size)]
    highlight = ListProperty([])
    open_doors = ListProperty([])
    problems = DictProperty({})  # id -> short text (jammed, sensor, ...)
    label_size = NumericProperty(16)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._textures: dict[tuple[str, int, bool], Any] = {}
        self.bind(pos=self._redraw, size=self._redraw, layout=self._redraw, highlight=self._redraw,
                  open_doors=self._redraw, problems=self._redraw)

    def columns(self) -> list[list[tuple[str, int, int, str]]]:
        cols: list[list[tuple[str, int, int, str]]] = []
        for item in self.layout:
            if not cols or len(cols[-1]) >= ROWS_PER_COLUMN or cols[-1][0][1] != item[1]:
                cols.append([])
            cols[-1].append(tuple(item))  # type: ignore[arg-type]
        return cols

    def _redraw(self, *_: Any) -> None:
        self.canvas.clear()
        cols = self.columns()
        if not cols or self.width < 20:
            return
        gap = 4
        col_w = (self.width - gap * (len(cols) + 1)) / len(cols)
        with self.canvas:
            Color(*theme.HEADER)
            Rectangle(pos=self.pos, size=self.size)
            for ci, col in enumerate(cols):
                weights = [SIZE_WEIGHT.get(c[3], 1.0) for c in col]
                total = sum(weights)
                avail = self.height - gap * (len(col) + 1)
                y = self.top - gap
                x = self.x + gap + ci * (col_w + gap)
                for (cid, _b, _l, _s), wgt in zip(col, weights):
                    h = avail * wgt / total
                    y -= h
                    hot = cid in self.highlight
                    is_open = cid in self.open_doors
                    bad = cid in self.problems
                    Color(*(theme.HIGHLIGHT if hot else theme.DANGER if bad else theme.SECONDARY))
                    Rectangle(pos=(x, y), size=(col_w, h))
                    if is_open:
                        Color(0.05, 0.05, 0.05, 1)
                        Rectangle(pos=(x + col_w * 0.08, y + h * 0.1), size=(col_w * 0.84, h * 0.8))
                        Color(*(theme.HIGHLIGHT if hot else theme.SECONDARY))
                        Rectangle(pos=(x, y), size=(col_w * 0.12, h))
                    if hot:
                        Color(*theme.TEXT)
                        Line(rectangle=(x + 1, y + 1, col_w - 2, h - 2), width=3)
                    fg = theme.ON_HIGHLIGHT if hot and not is_open else (
                        theme.ON_DANGER if bad else theme.SURFACE if is_open else theme.ON_SECONDARY)
                    # two sizes at most: every new font size makes SDL_ttf open the font file again
                    size = int(self.label_size if h * 0.6 >= self.label_size else self.label_size * 0.7)
                    tex = self._label(cid, size, hot)
                    Color(*fg)
                    Rectangle(texture=tex, size=tex.size,
                              pos=(x + (col_w - tex.width) / 2, y + (h - tex.height) / 2))
                    y -= gap

    def _label(self, text: str, size: int, bold: bool) -> Any:
        key = (text, size, bold)
        tex = self._textures.get(key)
        if tex is None:
            lbl = CoreLabel(text=text, font_size=size, bold=bold)
            lbl.refresh()
            tex = self._textures[key] = lbl.texture
        return tex
