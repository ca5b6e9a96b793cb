"""Live camera preview: the newest frame of a Camera device blitted to a texture on the Kivy
Clock (never blocking: `latest_frame()` only reads what the camera's owner thread last stored),
a guide oval for where the face goes, and the face box the verifier last reported.

`CameraPreview(frames=callable)` where the callable returns a `Frame` (or a BGR array, or None).
`face_box` is (x, y, w, h) in frame pixels, set by the app from the verifier's `face_found` event.
`shown` counts distinct frames put on screen (the benchmark's preview frame rate).

Per new frame: downscale (INTER_AREA) to the preview's on-screen pixel size and convert to RGB into
preallocated arrays, upload into the one of two fixed textures that is not on screen (no GL wait for
the last draw, bounded GL memory), mirror and flip by texture coordinates, swap the rectangle's texture.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from kivy.clock import Clock
from kivy.graphics import Color, Line, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.screens import theme

BOX_VISIBLE_S = 2.0


class CameraPreview(Widget):
    frames = ObjectProperty(None, allownone=True)  # () -> Frame | ndarray | None
    boxes = ObjectProperty(None, allownone=True)  # () -> ((x, y, w, h), monotonic time) | None
    mirror = BooleanProperty(True)  # people expect a mirror image of themselves
    guide = BooleanProperty(True)  # the dashed oval where the face goes
    face_box = ListProperty([])
    face_box_at = NumericProperty(0.0)
    fps = NumericProperty(30.0)
    shown = NumericProperty(0)
    placeholder = StringProperty("")
    def __init__(self, frames: Callable[[], Any] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.frames = frames
        self._texture: Texture | None = None
        self._last_index: Any = None
        self._frame_size = (0, 0)
        self._textures: list[Texture] = []
        self._turn = 0
        self._small: np.ndarray | None = None
        self._rgb: np.ndarray | None = None
        self._flat: np.ndarray | None = None
        self._picture: Rectangle | None = None
        self._ev = None
        self.bind(pos=self._redraw, size=self._redraw, face_box=self._redraw)

    def on_parent(self, _w: Any, parent: Any) -> None:
        if parent is not None and self._ev is None:
            self._ev = Clock.schedule_interval(self._tick, 1 / self.fps)
        elif parent is None and self._ev is not None:
            self._ev.cancel()
            self._ev = None
        if parent is None:
            self.forget()

    def forget(self) -> None:
        """Drop the shown picture (it is the last citizen's face): the next visit starts blank."""
        self._texture = None
        self._last_index = None
        self._redraw()

    def _tick(self, _dt: float) -> None:
        # Off screen (its template was replaced, which leaves this widget's own parent set, or
        # another screen is up): nothing to draw. Uploading frames nobody sees starved the page's
        # OCR on the same cores (a page read took 9-21 s instead of 1-3 s in the UI tests).
        if self.get_root_window() is None:
            return
        self.update()  # never return False here: Kivy would unschedule the interval

    def update(self, _dt: float = 0.0) -> bool:
        """Put the newest frame on screen if there is a new one. Returns True if it drew one."""
        if self.boxes is not None:
            latest = self.boxes()
            if latest is not None and latest[1] != self.face_box_at:
                self.face_box, self.face_box_at = list(latest[0]), latest[1]
        if self.frames is None:
            return False
        try:
            frame = self.frames()
        except Exception:  # a camera going away must never break the screen
            frame = None
        if frame is None:
            return False
        image = getattr(frame, "image", frame)
        index = getattr(frame, "index", id(image))
        if index == self._last_index or image is None or getattr(image, "ndim", 0) != 3 or image.shape[2] != 3:
            return False
        self._last_index = index
        h, w = image.shape[:2]
        if self._frame_size != (w, h):
            self._frame_size = (w, h)
            self._redraw()  # the fitted rectangle depends on the frame's aspect ratio
        tw, th = self._target_size()
        if self._rgb is None or self._rgb.shape[:2] != (th, tw):
            # Two textures of the preview's pixel size, drawn in turn: the upload goes to the one
            # not on screen, so it need not wait until the last frame drawn from it is rasterised
            # (software GL). Bounded: two textures, replaced only when the widget's size changes.
            self._textures = [self._new_texture(tw, th), self._new_texture(tw, th)]
            self._small = np.empty((th, tw, 3), np.uint8)
            self._rgb = np.empty((th, tw, 3), np.uint8)
            self._flat = self._rgb.reshape(-1)
        src = image if image.flags["C_CONTIGUOUS"] else np.ascontiguousarray(image)
        if (tw, th) == (w, h):
            cv2.cvtColor(src, cv2.COLOR_BGR2RGB, dst=self._rgb)
        else:  # only the pixels the screen can show are converted and uploaded
            cv2.resize(src, (tw, th), dst=self._small, interpolation=cv2.INTER_AREA)
            # BGR -> RGB on the CPU: given "bgr", Kivy converts pixel by pixel on GL drivers
            # without GL_BGR (Mesa llvmpipe, GLES), ~150 ms a 640x480 frame
            cv2.cvtColor(self._small, cv2.COLOR_BGR2RGB, dst=self._rgb)
        self._turn ^= 1
        tex = self._textures[self._turn]
        tex.blit_buffer(self._flat, colorfmt="rgb", bufferfmt="ubyte")
        self._texture = tex
        if self._picture is None:
            self._redraw()
        else:
            self._picture.texture = tex
        self.shown += 1
        return True

    def _target_size(self) -> tuple[int, int]:
        """The frame's size on screen in pixels (never larger than the frame)."""
        fw, fh = self._frame_size
        _, _, w, h = self._fit()
        if w < 2 or h < 2:  # not laid out yet
            w, h = min(fw, 640), min(fw, 640) * fh / fw
        tw, th = min(fw, int(w + 0.5)), min(fh, int(h + 0.5))
        return max(tw, 1), max(th, 1)

    def _new_texture(self, w: int, h: int) -> Texture:
        tex = Texture.create(size=(w, h), colorfmt="rgb")
        tex.flip_vertical()  # flips by texture coordinates: no pixel copy
        if self.mirror:
            tex.flip_horizontal()
        return tex

    def _fit(self) -> tuple[float, float, float, float]:
        fw, fh = self._frame_size if self._frame_size[0] else (4, 3)
        scale = min(self.width / fw, self.height / fh)
        w, h = fw * scale, fh * scale
        return self.x + (self.width - w) / 2, self.y + (self.height - h) / 2, w, h

    def _redraw(self, *_: Any) -> None:
        self.canvas.clear()
        self._picture = None
        x, y, w, h = self._fit()
        with self.canvas:
            Color(0.1, 0.12, 0.15, 1)
            Rectangle(pos=(x, y), size=(w, h))
            if self._texture is not None:
                Color(1, 1, 1, 1)
                self._picture = Rectangle(texture=self._texture, pos=(x, y), size=(w, h))
            if self.guide:  # where the face should be
                Color(*theme.SURFACE[:3], 0.9)
                Line(ellipse=(x + w * 0.33, y + h * 0.18, w * 0.34, h * 0.64), width=2)
            if len(self.face_box) == 4 and self._frame_size[0] and time.monotonic() - self.face_box_at < BOX_VISIBLE_S:
                fx, fy, fw, fh = self.face_box
                sx, sy = w / self._frame_size[0], h / self._frame_size[1]
                if self.mirror:
                    fx = self._frame_size[0] - fx - fw
                Color(*theme.HIGHLIGHT)
                Line(rectangle=(x + fx * sx, y + h - (fy + fh) * sy, fw * sx, fh * sy), width=3)
