"""The station's Kivy app: the touch screen on top of a `kiosk.station.Station`.

    from kiosk.app import run_app
    run_app(station)                     # blocks until the window closes

or, for tests and the headless scenario player, `KioskApp(station, ...)` with `app.run()`.

How it stays responsive: devices never touch widgets. Their events and command completions are
posted to the station's core EventQueue from worker threads; `station.on_wake` fires ONE Kivy
Clock trigger, and the trigger drains the queue on the main thread (`station.pump()`), where the
flow changes state and the screen re-renders from `flow.view()`. `station.tick()` runs once a
second (timeouts, polls). Camera previews pull `latest_frame()` on the Clock (a read of what the
camera's owner thread last stored) — nothing on the UI thread waits for a device.

Idle: every touch on the window re-arms the flow's deadline (`flow.session.touch()`); in the last
`warning_s` seconds the flow's view carries `timeout_in` and the idle overlay counts down with a
beep and a one-touch "more time"; at zero the flow ends (`timeout`, data wiped) and after its last
screen the app is back on the attract screen. Technician mode has its own idle deadline.
"""

from __future__ import annotations

import collections
import logging
import os
import time
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk import i18n
from kiosk.flows.viewmodel import ViewModel
from kiosk.screens import theme
from kiosk.services.maintenance_pin import hash_pin, verify_pin_hash  # noqa: F401 - re-exported

log = logging.getLogger(__name__)



class _RingLog(logging.Handler):
    """The last N log lines for the technician's log view (no personal data is logged)."""

    def __init__(self, n: int = 500) -> None:
        super().__init__(logging.INFO)
        self.lines: collections.deque[str] = collections.deque(maxlen=n)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname).1s %(name)s: %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:
            pass


class KioskApp(App):
    lang = StringProperty(i18n.DEFAULT_LANGUAGE)
    elder = BooleanProperty(False)
    station_name = StringProperty("")
    voice_level = StringProperty("none")  # none (no speaker) | normal | loud | off: the header's voice button
    # sizes in pixels for the .kv rules (dp applied); switched by elder mode
    s_target = NumericProperty(0)
    s_body = NumericProperty(0)
    s_small = NumericProperty(0)
    s_title = NumericProperty(0)
    s_button = NumericProperty(0)
    s_pad = NumericProperty(0)
    s_spacing = NumericProperty(0)
    line_height = NumericProperty(1.2)

    def __init__(self, station: Any, *, lang: str | None = None, elder: bool = False,
                 sound_path: str | Path | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.title = "Self-service station"
        self.station = station
        cfg = getattr(station, "config", None)
        self.ui_cfg = cfg.ui if cfg is not None else None
        self.translator = i18n.Translator(lang or (self.ui_cfg.language if self.ui_cfg else "zh"))
        self.lang = self.translator.lang
        self.translator.on_switch(lambda new: setattr(self, "lang", new))
        self._apply_sizes(elder)
        self.elder = elder
        self.face_box: tuple[tuple[int, int, int, int], float] | None = None
        self.ringlog = _RingLog()
        logging.getLogger().addHandler(self.ringlog)
        self.sound_path = Path(sound_path) if sound_path else Path(os.environ.get("KIVY_HOME", "var")) / "idle-beep.wav"
        self.beeper: Any = None
        self._last_vm: ViewModel | None = None
        self._final_ev: Any = None
        self._pad: Any = None  # the maintenance pad service, built on first use
        self.maintenance_card: str | None = None  # a technician's card number read at the maintenance pad
        self._tech_deadline = 0.0
        self.renders = 0
        self.last_act: tuple[str, bool] | None = None
        self.on_render: list[Any] = []  # callbacks(vm) after each render (scenario player, tests)
        self.voice: Any = None  # kiosk.flows.voice.VoicePrompter when a speaker is configured
        speaker = getattr(getattr(station, "devices", None), "speech", None)
        if speaker is not None:
            from kiosk.flows.voice import VoicePrompter

            self.voice = VoicePrompter(speaker, lambda: self.lang, lambda: self.elder)
            self.on_render.append(self.voice.on_render)
            self.voice_level = "off" if speaker.muted else "loud" if speaker.volume >= 100 else "normal"
        self.notifier: Any = None  # a kiosk.core.sdnotify.Notifier when run as a service (run_cmd sets it)
        self._watchdog_ev: Any = None

    # -- sizes / language ------------------------------------------------------------------------
    def _apply_sizes(self, elder: bool) -> None:
        from kivy.metrics import dp

        s = theme.SIZES[bool(elder)]
        self.s_target, self.s_body, self.s_small = dp(s["target"]), dp(s["body"]), dp(s["small"])
        self.s_title, self.s_button = dp(s["title"]), dp(s["button"])
        self.s_pad, self.s_spacing = dp(s["pad"]), dp(s["spacing"])
        self.line_height = s["line_height"]

    def on_elder(self, *_: Any) -> None:
        self._apply_sizes(self.elder)
        self._rerender(rebuild=True)

    def set_elder(self, on: bool) -> None:
        self.elder = bool(on)

    VOICE_LEVELS = {"normal": ("loud", 100, False), "loud": ("off", 100, True), "off": ("normal", 80, False)}

    def cycle_voice(self) -> None:
        """The header's voice button: normal -> loud -> off (muted) -> normal."""
        if self.voice is None or self.voice_level not in self.VOICE_LEVELS:
            return
        level, volume, muted = self.VOICE_LEVELS[self.voice_level]
        self.voice.speaker.set_volume(volume)
        self.voice.set_muted(muted)
        self.voice_level = level

    def tr(self, key: str, lang: str | None = None, **params: Any) -> str:
        """Translate a ui/flows message key; in .kv pass `app.lang` so the binding re-renders."""
        return i18n.translate(key, lang or self.lang, **params)

    def switch_language(self, lang: str) -> None:
        self.translator.switch(lang)  # sets self.lang through the listener
        if self.station is not None and hasattr(self.station, "ctx"):
            self.station.ctx.lang = lang  # receipts print in the person's language
        self._rerender(rebuild=False)

    # -- building ----------------------------------------------------------------------------------
    def build(self) -> Any:
        theme.register_fonts()
        from kivy.core.window import Window

        from kiosk.screens.attract import AttractScreen
        from kiosk.screens.flow_screen import FlowScreen
        from kiosk.screens.idle_overlay import IdleOverlay  # noqa: F401 (registers the kv class)
        from kiosk.screens.root import RootView
        from kiosk.screens.sound import Beeper
        from kiosk.screens.technician import MaintenanceScreen, TechnicianScreen

        st = self.station
        if st is not None:
            name = st.config.station
            self.station_name = name.name_zh if self.lang == "zh" else name.name_en
            self.bind(lang=lambda *_: setattr(self, "station_name", name.name_zh if self.lang == "zh" else name.name_en))
        Window.clearcolor = theme.BG
        self.beeper = Beeper(self.sound_path)
        self.root_view = RootView()
        sm = self.root_view.ids.sm
        from kivy.uix.screenmanager import NoTransition

        sm.transition = NoTransition()
        self.attract = AttractScreen(self)
        self.flow_screen = FlowScreen(self)
        self.maintenance = MaintenanceScreen(self)
        self.technician = TechnicianScreen(self)
        for s in (self.attract, self.flow_screen, self.maintenance, self.technician):
            sm.add_widget(s)
        sm.current = "attract"
        self.sm = sm
        self.idle = self.root_view.ids.idle
        Window.bind(on_touch_down=self._on_any_touch, on_touch_up=self._on_any_touch)
        if st is not None:
            self._pump_trigger = Clock.create_trigger(self._pump, 0)
            st.on_wake(self._pump_trigger)
            face = getattr(st.devices, "face", None)
            if face is not None:
                face.subscribe(self._on_face_event)  # worker thread: stores a tuple, touches no widget
            self._tick_ev = Clock.schedule_interval(self._tick, 1.0)
            self._pump_trigger()
            self.attract.refresh(st.available())
        return self.root_view

    def on_start(self) -> None:
        self._service_started()

    def on_stop(self) -> None:
        if self._watchdog_ev is not None:
            self._watchdog_ev.cancel()
            self._watchdog_ev = None
        logging.getLogger().removeHandler(self.ringlog)

    # -- service manager (systemd notify; ADR 0140) --------------------------------------------------
    def _service_started(self) -> None:
        """READY=1 once the window is up over a built station, then WATCHDOG=1 from this main loop:
        a Clock callback, so a hung main loop stops the pings and systemd restarts the station."""
        n = self.notifier
        if n is None or not n.enabled:
            return
        st = self.station
        status = f"station {st.config.station.id} up" if st is not None else "up"
        n.ready(status)
        from kiosk.core.journal_log import MESSAGE_IDS

        log.info("ready: %s", status, extra={"message_id": MESSAGE_IDS["station.ready"]})
        if n.watchdog_interval_s:
            n.watchdog()
            self._watchdog_ev = Clock.schedule_interval(self._watchdog_ping, n.watchdog_interval_s)

    def _watchdog_ping(self, _dt: float) -> None:
        self.notifier.watchdog()

    def request_stop(self, reason: str) -> None:
        """Stop the app from a signal handler: STOPPING=1 now, the window closes on the next frame.
        No door is touched on the way out; the caller closes the station after `run()` returns."""
        log.warning("stopping: %s", reason)
        if self.notifier is not None:
            self.notifier.stopping(reason)
        Clock.schedule_once(lambda _dt: self.stop(), 0)

    # -- device side (main thread) -------------------------------------------------------------------
    def _on_face_event(self, event: Any) -> None:
        if event.kind == "face_found" and event.data.get("box"):
            self.face_box = (tuple(event.data["box"]), time.monotonic())

    def _pump(self, *_: Any) -> None:
        try:
            self.station.pump()
        except Exception:
            log.exception("pump failed")
        self._render_if_changed()

    def _tick(self, _dt: float) -> None:
        try:
            self.station.tick()
        except Exception:
            log.exception("tick failed")
        self._render_if_changed()
        if self.sm.current == "attract":
            self.attract.refresh(self.station.available())
        elif self.sm.current in ("maintenance", "technician") and time.monotonic() > self._tech_deadline:
            log.info("technician mode: idle, back to the attract screen")
            self.go_home()

    def _on_any_touch(self, _window: Any, _touch: Any) -> None:
        self._tech_deadline = time.monotonic() + (self.ui_cfg.technician_idle_s if self.ui_cfg else 120.0)
        flow = self.station.flow if self.station is not None else None
        if flow is not None and not flow.ended and not self.idle.active:
            flow.session.touch()  # a touch anywhere is activity, even a keypad digit

    # -- flows ----------------------------------------------------------------------------------------
    @property
    def flow(self) -> Any:
        return self.station.flow if self.station is not None else None

    def start_flow(self, name: str, **kwargs: Any) -> Any:
        flow = self.station.start_flow(name, **kwargs)
        flow.on_change(lambda _f: self._render_trigger())
        self._cancel_final()
        self.face_box = None
        self._last_vm = None
        self.flow_screen.template = None
        self.flow_screen._template_key = None
        self.flow_screen._popup_action = None
        self.sm.current = "flow"
        self._render_if_changed()
        return flow

    def _render_trigger(self) -> None:
        Clock.schedule_once(lambda _dt: self._render_if_changed(), 0)

    def act(self, action_id: str, **args: Any) -> bool:
        flow = self.flow
        if flow is None:
            return False
        if flow.ended:
            if action_id in ("finish", "home"):
                self.go_home()
                return True
            return False
        ok = flow.act(action_id, **args)
        self.last_act = (action_id, ok)
        if not ok:
            log.info("action %s not offered in %s.%s", action_id, flow.name, flow.state)
        self._render_if_changed()
        return ok

    def more_time(self) -> None:
        flow = self.flow
        if flow is not None and not flow.ended:
            flow.act("more_time")
        self.idle.hide()
        self._render_if_changed()

    def end_visit(self) -> None:
        flow = self.flow
        if flow is not None and not flow.ended:
            flow.end("canceled")
        self.go_home()

    def go_home(self) -> None:
        flow = self.flow
        if flow is not None and not flow.ended:
            flow.end("canceled")
        self._cancel_final()
        self.idle.hide()
        self.face_box = None
        self._last_vm = None
        self.flow_screen.close_pad()
        self.sm.current = "attract"
        if self.station is not None:
            self.attract.refresh(self.station.available())
        for cb in list(self.on_render):
            cb(None)

    def _cancel_final(self) -> None:
        if self._final_ev is not None:
            self._final_ev.cancel()
            self._final_ev = None

    def current_view(self) -> ViewModel | None:
        flow = self.flow
        return flow.view() if flow is not None and self.sm.current == "flow" else None

    def _render_if_changed(self) -> None:
        if self.sm.current != "flow" or self.flow is None:
            return
        vm = self.flow.view()
        if vm == self._last_vm:
            return
        self._render(vm)

    def _rerender(self, rebuild: bool) -> None:
        if not hasattr(self, "flow_screen"):
            return
        if rebuild:
            self.flow_screen.template = None
            self.flow_screen._template_key = None
        if self.sm.current == "flow" and self.flow is not None:
            self._render(self.flow.view())

    def _render(self, vm: ViewModel) -> None:
        self._last_vm = vm
        self.flow_screen.show(vm)
        self.renders += 1
        if "timeout_in" in vm.data and not vm.final:
            if self.idle.show(int(vm.data["timeout_in"])):
                self.beeper.play()
        else:
            self.idle.hide()
        if vm.final and self._final_ev is None:
            delay = self.ui_cfg.final_screen_s if self.ui_cfg else 10.0
            self._final_ev = Clock.schedule_once(lambda _dt: self.go_home(), delay)
        for cb in list(self.on_render):
            cb(vm)

    # -- what screens read --------------------------------------------------------------------------
    def latest_frame(self, role: str) -> Any:
        dev = getattr(self.station.devices, role, None) if self.station is not None else None
        if dev is None:
            return None
        if role == "scanner":  # the document scanner's own camera (a Camera device it opened)
            dev = getattr(dev, "camera", None) or getattr(dev, "_camera", None)
            if dev is None or not hasattr(dev, "latest_frame"):
                return None
        return dev.latest_frame()

    def cabinet_layout(self) -> list[tuple[str, int, int, str]]:
        if self.station is None:
            return []
        return [(c.id, c.board, c.lock, c.size) for c in self.station.config.cabinet.compartments]

    def door_state(self, cid: str) -> str:
        for c, board, lock, _size in self.cabinet_layout():
            if c == cid:
                cab = self.station.devices.cabinet
                try:
                    return cab.door_state(board, lock) if cab is not None else "unknown"
                except Exception:
                    return "unknown"
        return "unknown"

    def door_states(self) -> dict[str, str]:
        cab = self.station.devices.cabinet if self.station is not None else None
        if cab is None:
            return {}
        try:
            doors = cab.doors()
        except Exception:
            return {}
        return {c: doors.get((board, lock), "unknown") for c, board, lock, _s in self.cabinet_layout()}

    def log_lines(self) -> list[str]:
        return list(self.ringlog.lines)

    # -- technician mode ---------------------------------------------------------------------------
    def open_maintenance(self) -> None:
        flow = self.flow
        if flow is not None and not flow.ended:
            return  # not in the middle of someone's visit
        self._tech_deadline = time.monotonic() + (self.ui_cfg.technician_idle_s if self.ui_cfg else 120.0)
        self.sm.current = "maintenance"

    def open_technician(self) -> None:
        self._tech_deadline = time.monotonic() + (self.ui_cfg.technician_idle_s if self.ui_cfg else 120.0)
        self.sm.current = "technician"

    def check_technician_pin(self, pin: str, card_number: str | None = None) -> tuple[bool, str]:
        """The maintenance pad (kiosk.services.technician_pad): the station's maintenance PIN, or a
        technician's card + own PIN; escalating lock-outs kept in the store; every try audited."""
        pad = self._technician_pad()
        if pad is None:
            return False, self.tr("ui.maint.wrong_pin", left=0)
        check = pad.check(pin, card_number=card_number or self.maintenance_card)
        if check.ok:
            return True, ""
        if check.reason == "locked":
            return False, self.tr("ui.maint.locked", minutes=5)
        if check.reason in ("card_needed", "not_technician"):
            return False, self.tr("ui.maint.card_needed")
        return False, self.tr("ui.maint.wrong_pin", left=check.attempts_left)

    def maintenance_entry(self) -> Any:
        """The card-then-PIN entry of the maintenance screen (kiosk.flows.maintenance_entry), started."""
        from kiosk.flows.maintenance_entry import MaintenanceEntry

        pad = self._technician_pad()
        if pad is None:
            return None
        entry = MaintenanceEntry(pad, getattr(self.station.devices, "id_reader", None))
        entry.start()
        return entry

    def _technician_pad(self) -> Any:
        if self._pad is None and self.station is not None:
            from kiosk.services.technician_pad import TechnicianPad

            services = self.station.services
            self._pad = TechnicianPad(services.staff.store, services.staff, services.staff.audit or self.station.audit,
                                      services.staff.clock,
                                      station_pin_hash=self.ui_cfg.technician_pin_hash if self.ui_cfg else None)
        return self._pad

    # -- screenshots --------------------------------------------------------------------------------
    def screenshot(self, path: str | Path) -> Path:
        """Write the window as PNG to exactly `path` (Kivy appends a counter; we rename)."""
        from kivy.core.window import Window

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        written = Window.screenshot(name=str(path))  # writes <stem>0001.png
        if not written:
            raise RuntimeError("the window could not be captured")
        Path(written).replace(path)
        return path


def run_app(station: Any, **kw: Any) -> None:
    KioskApp(station, **kw).run()
