"""The flow framework: named states, a view model per state, actions, device completions, timeouts.

A flow is a state machine driven from outside, on one thread (the UI thread or a test):

- `view() -> ViewModel`: what to show now (built by the state's `view_<state>()` method; the
  base adds step i of n, the idle-timeout warning and the cancel / more-time actions);
- `act(action_id, **args)`: a touch; dispatched to `act_<state>(action_id, **args)`;
- `handle(event)`: a `CommandDone` (a device command this flow started has completed — posted to
  the core EventQueue by the command's done callback) or a `DeviceEvent` (card inserted, door
  closed, scanner feedback); dispatched to `done_<tag>(completion)` / `on_event(event)`;
- `tick()`: called about once a second with the injected clock; ends the visit on idle timeout
  and runs `tick_<state>()` (polling a payment, a door left open).

Every end — completed, timeout, canceled, error, or a named failure outcome — goes through
`end()`, which cancels running commands, wipes the `Session` and releases devices (`release()`),
and leaves the flow in state `ended` with a final view that holds nothing personal.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from kiosk.core.clock import Clock
from kiosk.core.events import EventQueue
from kiosk.devices.base import Command, Completion, DeviceEvent
from kiosk.flows.actions import action_id as checked_action
from kiosk.flows.session import Session
from kiosk.flows.texts import t
from kiosk.flows.viewmodel import Action, Text, ViewModel

log = logging.getLogger(__name__)
_tokens = itertools.count(1)

ENDED = "ended"


@dataclass(frozen=True)
class CommandDone:
    """A device command a flow started has completed (posted to the EventQueue)."""

    flow_token: int
    tag: str
    completion: Completion[Any]


@dataclass
class Devices:
    """The station's devices by role; `None` where a device is not configured."""

    id_reader: Any = None
    camera: Any = None
    face: Any = None
    scanner: Any = None
    printer: Any = None
    cabinet: Any = None
    docprinter: Any = None  # kiosk.devices.docprinter.DocumentPrinter (A4 certificates)
    speech: Any = None  # kiosk.devices.speech.Speaker (voice prompts)
    passport_reader: Any = None  # a pcsc:// IdReader for passports beside a sam:// ID card reader

    def items(self) -> list[tuple[str, Any]]:
        optional = tuple(r for r in ("docprinter", "speech", "passport_reader")
                         if getattr(self, r) is not None)  # newer, optional roles
        return [(k, getattr(self, k)) for k in ("id_reader", "camera", "face", "scanner", "printer", "cabinet",
                                                *optional)]


@dataclass
class FlowContext:
    """What a flow may use: clock, event queue, devices, services, settings."""

    clock: Clock
    events: EventQueue
    devices: Devices
    services: Any  # kiosk.flows.ports.Services
    idle_timeout_s: float = 60.0
    warning_s: float = 20.0
    more_time_s: float = 60.0
    station_id: str = "station"
    lang: str = "zh"
    settings: dict[str, Any] = field(default_factory=dict)


class Flow:
    name: ClassVar[str] = "flow"
    title_key: ClassVar[str] = "flow.title"
    # (step label key, states belonging to that step); states not listed show no step.
    STEPS: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = ()
    # states where the person may cancel (default: every non-final state)
    initial: ClassVar[str] = "start"

    def __init__(self, ctx: FlowContext) -> None:
        self.ctx = ctx
        self.clock = ctx.clock
        self.token = next(_tokens)
        self.session = Session(ctx.clock, ctx.idle_timeout_s, ctx.warning_s, ctx.more_time_s)
        self.state = ""
        self.outcome: str | None = None
        self.outcome_text: Text | None = None
        self.error: Text | None = None  # the last problem, shown on the current screen
        self.history: list[str] = []
        self._pending: dict[str, Command[Any]] = {}
        self._listeners: list[Callable[["Flow"], None]] = []
        self.go(self.initial)

    # -- state changes ------------------------------------------------------------------------
    def go(self, state: str) -> None:
        """Enter `state` and run its `enter_<state>()` (which may start commands or go on)."""
        self.state = state
        self.history.append(state)
        log.debug("%s -> %s", self.name, state)
        enter = getattr(self, f"enter_{state}", None)
        if enter is not None:
            try:
                enter()
            except Exception as exc:  # a bug or a failing service must not leave the person stuck
                self._crash(f"enter_{state}", exc)
                return
        self._changed()

    def on_change(self, listener: Callable[["Flow"], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener(self)

    @property
    def ended(self) -> bool:
        return self.state == ENDED

    # -- the screen's side --------------------------------------------------------------------
    def view(self) -> ViewModel:
        builder = getattr(self, f"view_{self.state}", None)
        if self.state == ENDED:
            vm = self.view_ended()
        elif builder is None:
            vm = ViewModel(self.name, self.state, t(self.title_key))
        else:
            vm = builder()
        step, steps, labels = self._step()
        actions = tuple(vm.actions)
        data = dict(vm.data)
        if not self.ended:
            remaining = self.session.remaining()
            if self.session.warning():
                data["timeout_in"] = max(0, int(remaining + 0.999))
                vm = replace(vm, body=tuple(vm.body) + (t("flow.timeout_warning", seconds=data["timeout_in"]),))
                actions += (Action("more_time", t("flow.more_time"), "secondary"),)
            if self.cancellable() and not any(a.id == "cancel" for a in actions):
                actions += (Action("cancel", t("common.cancel"), "secondary"),)
        return replace(vm, flow=self.name, state=self.state, actions=actions, data=data,
                       step=step, steps=steps, step_labels=labels,
                       error=vm.error or (self.error if not self.ended else None),
                       busy=vm.busy or (bool(self._pending) and not self.ended),
                       final=self.ended)

    def cancellable(self) -> bool:
        return True

    def _step(self) -> tuple[int | None, int | None, tuple[Text, ...]]:
        if not self.STEPS:
            return None, None, ()
        labels = tuple(t(k) for k, _ in self.STEPS)
        for i, (_key, states) in enumerate(self.STEPS, start=1):
            if self.state in states:
                return i, len(self.STEPS), labels
        return None, None, ()

    def actions(self) -> list[str]:
        return [a.id for a in self.view().actions if a.enabled]

    def act(self, action_id: str, **args: Any) -> bool:
        """A touch. Returns False (and changes nothing) for an action the state does not offer;
        raises `UnknownAction` for an id outside `ActionId` (a typo, not a late touch)."""
        action_id = checked_action(action_id)
        if self.ended:
            return False
        if action_id == "more_time":  # the remaining time plus more_time_s
            self.session.more_time()
            self._changed()
            return True
        self.session.touch()
        if action_id == "cancel" and self.cancellable():
            self.end("canceled", t("flow.canceled"))
            return True
        handler = getattr(self, f"act_{self.state}", None)
        if handler is None:
            return False
        try:
            handled = handler(action_id, **args)
        except TypeError as exc:
            log.warning("%s.%s: bad arguments for %s: %s", self.name, self.state, action_id, exc)
            self.error = t("flow.bad_input")
            self._changed()
            return False
        except Exception as exc:
            self._crash(f"act_{self.state}:{action_id}", exc)
            return True
        if handled is False:
            return False
        self._changed()
        return True

    # -- devices ------------------------------------------------------------------------------
    def start(self, tag: str, cmd: Command[Any]) -> Command[Any]:
        """Track a device command; its completion comes back through the EventQueue as
        `CommandDone(token, tag, completion)` and is handled by `done_<tag>()`."""
        old = self._pending.pop(tag, None)
        if old is not None and not old.done():
            old.cancel()
        self._pending[tag] = cmd
        self.session.track(cmd)
        events, token = self.ctx.events, self.token
        cmd.add_done_callback(lambda c: events.post(CommandDone(token, tag, c)))
        return cmd

    def pending(self, tag: str) -> bool:
        return tag in self._pending

    def cancel_command(self, tag: str) -> None:
        cmd = self._pending.pop(tag, None)
        if cmd is not None and not cmd.done():
            cmd.cancel()

    def handle(self, event: Any) -> bool:
        """A completion or device event from the EventQueue. Returns True if the flow used it."""
        if self.ended:
            return False
        if isinstance(event, CommandDone):
            if event.flow_token != self.token:
                return False
            cmd = self._pending.get(event.tag)
            if cmd is None or not cmd.done() or cmd.result(0) is not event.completion:
                return False  # a command replaced or canceled meanwhile
            del self._pending[event.tag]
            handler = getattr(self, f"done_{event.tag}", None)
            if handler is None:
                return False
            self.session.touch()
            try:
                handler(event.completion)
            except Exception as exc:
                self._crash(f"done_{event.tag}", exc)
                return True
            self._changed()
            return True
        if isinstance(event, DeviceEvent):
            try:
                used = self.on_event(event)
            except Exception as exc:
                self._crash(f"on_event:{event.kind}", exc)
                return True
            if used:
                self.session.touch()
                self._changed()
            return bool(used)
        return False

    def on_event(self, event: DeviceEvent) -> bool:
        return False

    def tick(self) -> None:
        if self.ended:
            return
        if self.session.expired():
            self.end("timeout", t("flow.timed_out"))
            return
        ticker = getattr(self, f"tick_{self.state}", None)
        if ticker is not None:
            try:
                ticker()
            except Exception as exc:
                self._crash(f"tick_{self.state}", exc)

    # -- ending -------------------------------------------------------------------------------
    def end(self, outcome: str, text: Text | None = None) -> None:
        """End the visit: cancel commands, wipe personal data, release devices."""
        if self.ended:
            return
        for cmd in self._pending.values():
            if not cmd.done():
                cmd.cancel()
        self._pending = {}
        try:
            self.release()
        except Exception:
            log.exception("%s: releasing devices failed", self.name)
        self.session.wipe()
        self.error = None
        self.outcome = outcome
        self.outcome_text = text or t(f"outcome.{outcome}")
        log.info("%s ended: %s", self.name, outcome)
        self.go(ENDED)

    def flag_for_staff(self, compartments: list[str], why: str) -> None:
        """A visit ending with a door open or a release unconfirmed: staff must look (finding 15)."""
        for cid in compartments:
            try:
                self.ctx.services.cabinet.flag(cid, f"{why} (visit ended in state {self.state})")
                self.ctx.services.audit.append("station", "visit.ended_door_unsettled", cid, state=self.state,
                                               flow=self.name)
            except Exception:
                log.exception("%s: could not flag %s", self.name, cid)

    def release(self) -> None:
        """Give devices back (stop the camera, ...). Subclasses extend."""
        cam = self.ctx.devices.camera
        if cam is not None and getattr(self, "_camera_started", False):
            try:
                cam.stop()
            except Exception:
                log.exception("camera stop failed")
            self._camera_started = False

    def view_ended(self) -> ViewModel:
        return ViewModel(self.name, ENDED, t(self.title_key),
                         body=(self.outcome_text,) if self.outcome_text else (),
                         actions=(Action("finish", t("common.finish")),),
                         data={"outcome": self.outcome}, final=True)

    def _crash(self, where: str, exc: Exception) -> None:
        log.exception("%s: %s failed: %s", self.name, where, exc)
        self.end("error", t("flow.error"))
