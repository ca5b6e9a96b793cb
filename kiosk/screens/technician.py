"""Technician mode: the maintenance PIN screen (reached by holding the station name) and the
technician dashboard — each device's status, last error and counters (`Device.snapshot()`),
the compartment map with live door states, the station's recent log lines, and the
commissioning checks (the `commission` flow, which itself asks for the technician card + PIN).

The maintenance screen asks for the technician's card on the ID reader, then the PIN
(kiosk.flows.maintenance_entry, through `app.maintenance_entry()`); the PIN is checked by (kiosk.services.technician_pad: the
station's `[ui] technician_pin_hash`, or a technician's card and own PIN; escalating lock-outs kept
in the store, never locking other accounts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from kiosk.screens.cabinet_view import CabinetMap
from kiosk.screens import technician_text as words
from kiosk.screens.keypad import Keypad
from kiosk.screens.widgets import Banner, KLabel

TABS = ("devices", "doors", "log")


class MaintenanceScreen(Screen):
    message = StringProperty("")

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(name="maintenance", **kw)
        self.app = app
        self.keypad = Keypad(on_submit=self._submit, mask=True, max_len=8, min_len=4,
                             delete_text=app.tr("ui.key.delete"), submit_text=app.tr("ui.ok"))
        app.bind(lang=lambda *_: setattr(self.keypad, "delete_text", app.tr("ui.key.delete")))
        app.bind(lang=lambda *_: setattr(self.keypad, "submit_text", app.tr("ui.ok")))
        self.ids.pad_area.add_widget(self.keypad)
        self.entry: Any = None
        self._tick: Any = None

    def on_pre_enter(self, *_: Any) -> None:
        """The card first (kiosk.flows.maintenance_entry), then the PIN."""
        self.keypad.value = ""
        self.entry = self.app.maintenance_entry()
        self._show()
        self._tick = Clock.schedule_interval(lambda _dt: self._poll(), 0.2)

    def on_leave(self, *_: Any) -> None:
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        if self.entry is not None:
            self.entry.stop()

    def _poll(self) -> None:
        if self.entry is not None:
            self.entry.tick()
            self._show()

    def _show(self) -> None:
        view = self.entry.view() if self.entry is not None else None
        self.message = self.app.tr(view.message, **view.params) if view and view.message else ""

    def _submit(self, pin: str) -> None:
        self.keypad.value = ""
        entry = self.entry
        if entry is None:
            return
        if entry.state == "card" and entry.station_pin_offered:
            entry.use_station_pin()  # no card: this station has its own maintenance PIN
        entry.submit(pin)
        if entry.state == "open":
            self.app.open_technician()
        else:
            self._show()


class TechnicianScreen(Screen):
    tab = StringProperty("devices")

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(name="technician", **kw)
        self.app = app
        self._ev = None
        self.map: CabinetMap | None = None

    def on_enter(self, *_: Any) -> None:
        self.refresh()
        self._ev = Clock.schedule_interval(lambda _dt: self.refresh(), 1.0)

    def on_leave(self, *_: Any) -> None:
        if self._ev is not None:
            self._ev.cancel()
            self._ev = None

    def on_tab(self, *_: Any) -> None:
        self.map = None
        self.refresh()

    def refresh(self) -> None:
        area = self.ids.content
        if self.tab == "doors":
            if self.map is None:
                area.clear_widgets()
                self.map = CabinetMap(layout=self.app.cabinet_layout(), label_size=self.app.s_small)
                area.add_widget(self.map)
            states = self.app.door_states()
            self.map.open_doors = [c for c, s in states.items() if s == "open"]
            self.map.problems = {c: s for c, s in states.items() if s not in ("open", "closed")}
            return
        area.clear_widgets()
        box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=self.app.s_spacing * 0.4)
        box.bind(minimum_height=box.setter("height"))
        if self.tab == "devices":
            lang = self.app.lang
            health = self.app.station.health() if self.app.station else {"devices": {}}
            for role, snap in health["devices"].items():
                line = words.device_line(role, snap, lang)
                box.add_widget(Banner(kind="info" if line.ok else "error", text=f"{line.mark} {line.text}"))
                extra = {k: v for k, v in snap.items() if k in ("last_error", "counters") and v}
                raw = " ".join(filter(None, (line.raw, json.dumps(extra, ensure_ascii=False, default=str)
                                             if extra else "")))[:300]
                if raw:  # the driver's own words and counters: technical, shown as they are
                    box.add_widget(KLabel(text=words.raw_label(raw, lang), role="small"))
            for task, why in (health.get("available") or {}).items():
                if why:
                    line = words.unavailable_line(task, why, lang)
                    box.add_widget(KLabel(text=f"{line.text}  {words.raw_label(line.raw, lang)}", role="small"))
        else:  # one label for the whole tail: one texture, not one per line
            box.add_widget(KLabel(text="\n".join(self.app.log_lines()[-30:]) or "-", role="small"))
        from kivy.uix.scrollview import ScrollView

        sv = ScrollView(do_scroll_x=False)
        sv.add_widget(box)
        area.add_widget(sv)
        if self.tab == "log":
            sv.scroll_y = 0


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
