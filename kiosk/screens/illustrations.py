"""Pictures of the physical actions, drawn with Kivy canvas instructions (no image files):
insert the ID card, look at the camera, place the page, take the receipt, take your documents and
close the door, show the receipt's QR code, hold the phone's payment code under the document
camera, scan the envelope's barcode; and the attract screen's
task icons. A slow loop (`phase` 0..1) moves the card, the page or the door so the action reads
as motion. Unknown names draw nothing (a new flow illustration degrades to text only).
"""

from __future__ import annotations

import math

from kivy.clock import Clock
from kivy.graphics import Color, Ellipse, Line, Rectangle, RoundedRectangle, Triangle
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.screens import theme

INK = theme.HEADER
ACCENT = theme.PRIMARY
PAPER = theme.SURFACE
MARK = theme.HIGHLIGHT

NAMES = ("insert_id_card", "look_at_camera", "place_page", "take_receipt", "close_door", "take_and_close",
         "show_receipt_qr", "show_payment_code", "envelope_barcode", "task_apply", "task_query", "task_collect", "task_staff",
         "outcome_ok", "outcome_info", "outcome_stop", "passport_data_page", "passport_on_reader")


class Illustration(Widget):
    name = StringProperty("")
    phase = NumericProperty(0.0)
    animate = BooleanProperty(True)

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)
        self._ev = None
        self.bind(pos=self._redraw, size=self._redraw, name=self._redraw, phase=self._redraw)

    def on_parent(self, _w: object, parent: object) -> None:
        if parent is not None and self.animate and self._ev is None:
            self._ev = Clock.schedule_interval(self._step, 1 / 15)
        elif parent is None and self._ev is not None:
            self._ev.cancel()
            self._ev = None

    def _step(self, dt: float) -> None:
        self.phase = (self.phase + dt / 2.0) % 1.0

    def _redraw(self, *_: object) -> None:
        self.canvas.clear()
        draw = getattr(self, f"_draw_{self.name}", None)
        if draw is None or self.width < 10 or self.height < 10:
            return
        s = min(self.width, self.height)
        ox = self.x + (self.width - s) / 2
        oy = self.y + (self.height - s) / 2
        with self.canvas:
            draw(ox, oy, s, 0.5 - 0.5 * math.cos(2 * math.pi * self.phase))

    # every drawing gets its square (ox, oy, side) and an eased motion value m in 0..1
    def _draw_insert_id_card(self, ox: float, oy: float, s: float, m: float) -> None:
        Color(*INK)
        RoundedRectangle(pos=(ox + s * 0.1, oy + s * 0.1), size=(s * 0.8, s * 0.35), radius=[s * 0.04])  # reader
        Color(0.1, 0.1, 0.1, 1)
        Rectangle(pos=(ox + s * 0.25, oy + s * 0.40), size=(s * 0.5, s * 0.03))  # slot
        card_y = oy + s * 0.42 + s * 0.25 * (1 - m)
        Color(*MARK)
        RoundedRectangle(pos=(ox + s * 0.28, card_y), size=(s * 0.44, s * 0.28), radius=[s * 0.02])
        Color(*INK)
        Ellipse(pos=(ox + s * 0.32, card_y + s * 0.06), size=(s * 0.12, s * 0.16))  # photo
        for i in range(3):
            Rectangle(pos=(ox + s * 0.48, card_y + s * (0.18 - i * 0.05)), size=(s * 0.2, s * 0.025))
        self._arrow(ox + s * 0.85, oy + s * 0.85, ox + s * 0.85, oy + s * 0.55)

    def _draw_look_at_camera(self, ox: float, oy: float, s: float, m: float) -> None:
        Color(*INK)
        RoundedRectangle(pos=(ox + s * 0.38, oy + s * 0.86), size=(s * 0.24, s * 0.1), radius=[s * 0.02])
        Color(*MARK)
        Ellipse(pos=(ox + s * 0.46, oy + s * 0.87), size=(s * 0.08, s * 0.08))  # lens
        Color(*ACCENT)
        Ellipse(pos=(ox + s * 0.3, oy + s * 0.25), size=(s * 0.4, s * 0.5))  # face
        Color(*PAPER)
        eye_h = s * 0.06 * (1 - 0.85 * (m if m > 0.8 else 0))  # blink near the end of the loop
        Ellipse(pos=(ox + s * 0.39, oy + s * 0.52), size=(s * 0.07, eye_h))
        Ellipse(pos=(ox + s * 0.54, oy + s * 0.52), size=(s * 0.07, eye_h))
        Line(points=[ox + s * 0.42, oy + s * 0.36, ox + s * 0.5, oy + s * 0.33, ox + s * 0.58, oy + s * 0.36],
             width=max(1.0, s * 0.012))
        Color(*MARK)
        Line(rectangle=(ox + s * 0.24, oy + s * 0.18, s * 0.52, s * 0.64), width=max(1.5, s * 0.012))

    def _draw_place_page(self, ox: float, oy: float, s: float, m: float) -> None:
        Color(*INK)
        Rectangle(pos=(ox + s * 0.05, oy + s * 0.05), size=(s * 0.9, s * 0.12))  # desk
        Color(*MARK)
        Line(rectangle=(ox + s * 0.25, oy + s * 0.17, s * 0.5, s * 0.03), width=max(1.5, s * 0.01))
        page_y = oy + s * 0.2 + s * 0.3 * (1 - m)
        Color(*PAPER)
        Rectangle(pos=(ox + s * 0.3, page_y), size=(s * 0.4, s * 0.5))
        Color(*INK)
        Line(rectangle=(ox + s * 0.3, page_y, s * 0.4, s * 0.5), width=max(1.0, s * 0.006))
        for i in range(5):
            Rectangle(pos=(ox + s * 0.35, page_y + s * (0.4 - i * 0.07)), size=(s * 0.3, s * 0.02))
        self._camera_above(ox, oy, s, 0.78)

    def _draw_passport_data_page(self, ox: float, oy: float, s: float, m: float) -> None:
        """An open passport lowered face up under the document camera; the two MRZ lines at the
        foot of the data page marked, as the prompt asks them to be seen."""
        Color(*INK)
        Rectangle(pos=(ox + s * 0.05, oy + s * 0.05), size=(s * 0.9, s * 0.12))  # desk
        y = oy + s * 0.2 + s * 0.25 * (1 - m)
        Color(*ACCENT)
        RoundedRectangle(pos=(ox + s * 0.12, y - s * 0.02), size=(s * 0.76, s * 0.42), radius=[s * 0.02])  # cover
        Color(*PAPER)
        Rectangle(pos=(ox + s * 0.14, y), size=(s * 0.35, s * 0.38))  # visa page
        Rectangle(pos=(ox + s * 0.51, y), size=(s * 0.35, s * 0.38))  # data page
        Color(*INK)
        Rectangle(pos=(ox + s * 0.54, y + s * 0.16), size=(s * 0.1, s * 0.17))  # photo
        for i in range(3):
            Rectangle(pos=(ox + s * 0.67, y + s * (0.29 - i * 0.05)), size=(s * 0.16, s * 0.02))
        Color(*MARK)
        Line(rectangle=(ox + s * 0.52, y + s * 0.02, s * 0.33, s * 0.11), width=max(1.5, s * 0.008))
        Color(*INK)
        for i in range(2):  # the machine-readable zone
            Rectangle(pos=(ox + s * 0.54, y + s * (0.09 - i * 0.045)), size=(s * 0.29, s * 0.018))
        self._camera_above(ox, oy, s, 0.76)

    def _draw_passport_on_reader(self, ox: float, oy: float, s: float, m: float) -> None:
        """The closed passport lowered flat onto the reader's pad, the chip's waves above it."""
        Color(*INK)
        RoundedRectangle(pos=(ox + s * 0.1, oy + s * 0.1), size=(s * 0.8, s * 0.3), radius=[s * 0.04])  # reader
        Color(*PAPER)
        Line(rectangle=(ox + s * 0.3, oy + s * 0.33, s * 0.4, s * 0.05), width=max(1.0, s * 0.006))  # pad
        y = oy + s * 0.36 + s * 0.18 * (1 - m)  # the top stays inside the square (0.88 at most)
        Color(*ACCENT)
        RoundedRectangle(pos=(ox + s * 0.37, y), size=(s * 0.26, s * 0.34), radius=[s * 0.02])  # booklet
        Color(*MARK)
        Ellipse(pos=(ox + s * 0.45, y + s * 0.17), size=(s * 0.1, s * 0.1))  # emblem
        Rectangle(pos=(ox + s * 0.44, y + s * 0.06), size=(s * 0.12, s * 0.025))  # chip symbol
        for i in range(3):  # contactless waves
            r = s * (0.04 + 0.04 * i)
            Line(circle=(ox + s * 0.72, oy + s * 0.6, r, 30, 150), width=max(1.0, s * 0.008))

    def _draw_take_receipt(self, ox: float, oy: float, s: float, m: float) -> None:
        Color(*INK)
        RoundedRectangle(pos=(ox + s * 0.15, oy + s * 0.55), size=(s * 0.7, s * 0.25), radius=[s * 0.03])
        Color(0.1, 0.1, 0.1, 1)
        Rectangle(pos=(ox + s * 0.3, oy + s * 0.56), size=(s * 0.4, s * 0.02))
        h = s * (0.15 + 0.3 * m)
        Color(*PAPER)
        Rectangle(pos=(ox + s * 0.33, oy + s * 0.56 - h), size=(s * 0.34, h))
        Color(*INK)
        Line(rectangle=(ox + s * 0.33, oy + s * 0.56 - h, s * 0.34, h), width=max(1.0, s * 0.005))
        self._arrow(ox + s * 0.8, oy + s * 0.45, ox + s * 0.8, oy + s * 0.15)

    def _draw_close_door(self, ox: float, oy: float, s: float, m: float) -> None:
        self._locker(ox, oy, s, open_frac=1 - m)

    def _draw_take_and_close(self, ox: float, oy: float, s: float, m: float) -> None:
        self._locker(ox, oy, s, open_frac=1 - m, item=m < 0.5)

    def _draw_show_receipt_qr(self, ox: float, oy: float, s: float, m: float) -> None:
        Color(*PAPER)
        Rectangle(pos=(ox + s * 0.3, oy + s * 0.2 + s * 0.1 * (1 - m)), size=(s * 0.4, s * 0.55))
        Color(*INK)
        base_y = oy + s * 0.35 + s * 0.1 * (1 - m)
        for r in range(5):
            for c in range(5):
                if (r * 3 + c * 7) % 3 != 1:
                    Rectangle(pos=(ox + s * 0.38 + c * s * 0.048, base_y + r * s * 0.048), size=(s * 0.045, s * 0.045))
        Color(*ACCENT)
        Ellipse(pos=(ox + s * 0.45, oy + s * 0.88), size=(s * 0.1, s * 0.07))

    def _draw_show_payment_code(self, ox: float, oy: float, s: float, m: float) -> None:
        """A phone showing its payment code (barcode above a QR) lowered under the document camera."""
        Color(*INK)
        Rectangle(pos=(ox + s * 0.05, oy + s * 0.05), size=(s * 0.9, s * 0.08))  # desk
        Color(*MARK)
        Line(rectangle=(ox + s * 0.28, oy + s * 0.13, s * 0.44, s * 0.02), width=max(1.5, s * 0.01))
        y = oy + s * 0.17 + s * 0.14 * (1 - m)
        Color(*INK)
        RoundedRectangle(pos=(ox + s * 0.33, y), size=(s * 0.34, s * 0.5), radius=[s * 0.04])  # phone
        Color(*PAPER)
        Rectangle(pos=(ox + s * 0.36, y + s * 0.05), size=(s * 0.28, s * 0.4))  # its screen
        Color(*INK)
        for i in range(11):  # the barcode
            Rectangle(pos=(ox + s * 0.385 + i * s * 0.021, y + s * 0.35), size=(s * (0.008 if i % 3 else 0.014), s * 0.07))
        for r in range(5):  # and the QR under it
            for c in range(5):
                if (r * 5 + c * 3) % 4 != 1 or (r in (0, 4) and c in (0, 4)):
                    Rectangle(pos=(ox + s * 0.42 + c * s * 0.032, y + s * 0.09 + r * s * 0.032), size=(s * 0.03, s * 0.03))
        Color(*ACCENT)
        Ellipse(pos=(ox + s * 0.44, oy + s * 0.88), size=(s * 0.12, s * 0.07))  # document camera above
        Line(points=[ox + s * 0.5, oy + s * 0.88, ox + s * 0.5, y + s * 0.53], width=max(1.0, s * 0.008),
             dash_offset=4, dash_length=6)

    def _draw_envelope_barcode(self, ox: float, oy: float, s: float, m: float) -> None:
        Color(*MARK)
        Rectangle(pos=(ox + s * 0.15, oy + s * 0.25), size=(s * 0.7, s * 0.45))
        Color(*INK)
        Line(points=[ox + s * 0.15, oy + s * 0.7, ox + s * 0.5, oy + s * 0.45, ox + s * 0.85, oy + s * 0.7],
             width=max(1.0, s * 0.008))
        for i in range(14):
            w = s * (0.012 if i % 3 else 0.022)
            Rectangle(pos=(ox + s * 0.3 + i * s * 0.028, oy + s * 0.3), size=(w, s * 0.1))
        Color(*ACCENT)
        Line(points=[ox + s * 0.25, oy + s * (0.3 + 0.1 * m), ox + s * 0.75, oy + s * (0.3 + 0.1 * m)],
             width=max(1.5, s * 0.01))

    def _draw_task_apply(self, ox: float, oy: float, s: float, m: float) -> None:
        Color(*PAPER)
        Rectangle(pos=(ox + s * 0.22, oy + s * 0.1), size=(s * 0.5, s * 0.75))
        Color(*INK)
        Line(rectangle=(ox + s * 0.22, oy + s * 0.1, s * 0.5, s * 0.75), width=max(1.0, s * 0.012))
        for i in range(4):
            Rectangle(pos=(ox + s * 0.3, oy + s * (0.68 - i * 0.12)), size=(s * 0.34, s * 0.04))
        Color(*MARK)
        Triangle(points=[ox + s * 0.62, oy + s * 0.2, ox + s * 0.86, oy + s * 0.5, ox + s * 0.8, oy + s * 0.56])

    def _draw_task_query(self, ox: float, oy: float, s: float, m: float) -> None:
        Color(*INK)
        Line(circle=(ox + s * 0.42, oy + s * 0.58, s * 0.24), width=max(2.0, s * 0.04))
        Line(points=[ox + s * 0.6, oy + s * 0.4, ox + s * 0.85, oy + s * 0.14], width=max(2.0, s * 0.06))
        Color(*MARK)
        Ellipse(pos=(ox + s * 0.3, oy + s * 0.46), size=(s * 0.24, s * 0.24))

    def _draw_task_collect(self, ox: float, oy: float, s: float, m: float) -> None:
        self._locker(ox, oy, s, open_frac=0.6, item=True)

    def _draw_task_staff(self, ox: float, oy: float, s: float, m: float) -> None:
        Color(*INK)
        Ellipse(pos=(ox + s * 0.35, oy + s * 0.55), size=(s * 0.3, s * 0.3))
        RoundedRectangle(pos=(ox + s * 0.2, oy + s * 0.1), size=(s * 0.6, s * 0.4), radius=[s * 0.1])

    # how a visit ended: done (green tick), ended without harm (blue i), stopped (red !)
    def _draw_outcome_ok(self, ox: float, oy: float, s: float, m: float) -> None:
        Color(*theme.SUCCESS)
        Ellipse(pos=(ox + s * 0.15, oy + s * 0.15), size=(s * 0.7, s * 0.7))
        Color(*PAPER)
        Line(points=[ox + s * 0.32, oy + s * 0.5, ox + s * 0.45, oy + s * 0.36, ox + s * 0.68, oy + s * 0.64],
             width=max(2.0, s * 0.04), joint="round", cap="round")

    def _draw_outcome_info(self, ox: float, oy: float, s: float, m: float) -> None:
        Color(*ACCENT)
        Ellipse(pos=(ox + s * 0.15, oy + s * 0.15), size=(s * 0.7, s * 0.7))
        Color(*PAPER)
        Ellipse(pos=(ox + s * 0.46, oy + s * 0.64), size=(s * 0.08, s * 0.08))
        Rectangle(pos=(ox + s * 0.465, oy + s * 0.28), size=(s * 0.07, s * 0.3))

    def _draw_outcome_stop(self, ox: float, oy: float, s: float, m: float) -> None:
        Color(*theme.DANGER)
        Ellipse(pos=(ox + s * 0.15, oy + s * 0.15), size=(s * 0.7, s * 0.7))
        Color(*PAPER)
        Rectangle(pos=(ox + s * 0.465, oy + s * 0.42), size=(s * 0.07, s * 0.3))
        Ellipse(pos=(ox + s * 0.46, oy + s * 0.27), size=(s * 0.08, s * 0.08))

    # -- parts ------------------------------------------------------------------------------
    def _locker(self, ox: float, oy: float, s: float, open_frac: float, item: bool = False) -> None:
        Color(*INK)
        Rectangle(pos=(ox + s * 0.15, oy + s * 0.1), size=(s * 0.7, s * 0.8))
        Color(*theme.SECONDARY)
        for r in range(3):
            for c in range(2):
                Rectangle(pos=(ox + s * (0.19 + c * 0.33), oy + s * (0.14 + r * 0.26)), size=(s * 0.29, s * 0.22))
        # the highlighted compartment (middle left), its door swinging
        x, y, w, h = ox + s * 0.19, oy + s * 0.40, s * 0.29, s * 0.22
        Color(0.08, 0.08, 0.08, 1)
        Rectangle(pos=(x, y), size=(w, h))
        if item:
            Color(*PAPER)
            Rectangle(pos=(x + w * 0.2, y + h * 0.15), size=(w * 0.6, h * 0.5))
        Color(*MARK)
        door_w = w * (1 - 0.85 * open_frac)
        Rectangle(pos=(x, y), size=(door_w, h))
        Color(*INK)
        Line(rectangle=(x, y, door_w, h), width=max(1.0, s * 0.006))

    def _camera_above(self, ox: float, oy: float, s: float, beam_to: float) -> None:
        """The document camera at the top, its dashed view line down to `beam_to` (of the side)."""
        Color(*ACCENT)
        Ellipse(pos=(ox + s * 0.45, oy + s * 0.9), size=(s * 0.1, s * 0.07))
        Line(points=[ox + s * 0.5, oy + s * 0.9, ox + s * 0.5, oy + s * beam_to], width=max(1.0, s * 0.008), dash_offset=4,
             dash_length=6)

    def _arrow(self, x1: float, y1: float, x2: float, y2: float) -> None:
        Color(*ACCENT)
        Line(points=[x1, y1, x2, y2], width=3)
        ang = math.atan2(y2 - y1, x2 - x1)
        size = 16
        Triangle(points=[x2, y2,
                         x2 - size * math.cos(ang - 0.5), y2 - size * math.sin(ang - 0.5),
                         x2 - size * math.cos(ang + 0.5), y2 - size * math.sin(ang + 0.5)])
