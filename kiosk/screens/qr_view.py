"""A QR code drawn on screen (the receipt's query link, a payment link): `qrcode` makes the
matrix, a Kivy texture shows it with nearest-neighbour scaling so the modules stay sharp."""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import StringProperty
from kivy.uix.widget import Widget


def qr_matrix(text: str) -> list[list[bool]]:
    import qrcode

    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.get_matrix()


class QrCode(Widget):
    text = StringProperty("")

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._tex: Texture | None = None
        self.bind(text=self._make, pos=self._redraw, size=self._redraw)
        self._make()

    def _make(self, *_: Any) -> None:
        self._tex = None
        if self.text:
            m = qr_matrix(self.text)
            n = len(m)
            buf = bytes(0 if m[n - 1 - r][c] else 255 for r in range(n) for c in range(n))
            tex = Texture.create(size=(n, n), colorfmt="luminance")
            tex.blit_buffer(buf, colorfmt="luminance", bufferfmt="ubyte")
            tex.mag_filter = "nearest"
            tex.min_filter = "nearest"
            self._tex = tex
        self._redraw()

    def _redraw(self, *_: Any) -> None:
        self.canvas.clear()
        if self._tex is None:
            return
        s = min(self.width, self.height)
        with self.canvas:
            Color(1, 1, 1, 1)
            Rectangle(texture=self._tex, size=(s, s),
                      pos=(self.x + (self.width - s) / 2, self.y + (self.height - s) / 2))
