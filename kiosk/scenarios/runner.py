"""Run a scripted visit on a station: real flows and services, devices driven through the
simulators' control API (or the instant devices), and a transcript of every state with the
words the screen shows.

    runner = ScenarioRunner(station, controls, clock)   # controls: the simulators' side (hw_sim.station)
    result = runner.run(SCENARIOS["collect"])   # {"scenario", "outcome", "ok", "states", "ms", "transcript"}

`controls` is what a person (and the simulators) do: `call(device, cmd, **args)`,
`setup(name, station, **args)` for the seed data a visit needs, `reset()`, `show_page(...)`,
`good_page()`, `no_page()`, `close_doors(locks)`.
    result = runner.run(SCENARIOS["collect"])   # {"scenario", "outcome", "ok", "states", "ms", "transcript"}

`states` is a list of `StateSpoken(state, spoken)`: every state the visit passed through and what
the station's speaker really said there, taken from the speaker's own record (`Speaker.record()`),
not recomputed from the screen text. When the station has a speaker, a `VoicePrompter` speaks each
screen as the app does (elder mode with `elder=True`), the idle warning included, and before each
thing the person does the runner waits until the current instruction has been spoken (the person
listens before acting). A state passed through faster than speech can start (a busy screen the next
one replaced) has `spoken == ""`; so has every state on a station without a speaker.

`ms` is the wall time of the visit itself (setup excluded). A step that cannot be done (a state
never reached, an unknown simulator command) stops the run with outcome `stuck:<state>` or
`error:<why>` and the transcript says where.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from kiosk.flows.texts import render
from kiosk.flows.voice import VoicePrompter
from kiosk.scenarios.model import Scenario, fill

log = logging.getLogger(__name__)
SECRET_ARGS = ("pin", "code")  # never printed in a transcript


LISTEN_S = 20.0  # longest wait for an instruction to be spoken before the person acts
# steps before which the current instruction has been heard: what a person does, and time passing
LISTEN_BEFORE = ("act", "page", "scan", "door", "sim", "advance")


class ScenarioError(Exception):
    pass


@dataclass(frozen=True)
class StateSpoken:
    """One state of the visit and what the speaker said while it was on screen."""

    state: str
    spoken: str = ""

    def to_json(self) -> dict[str, str]:
        return {"state": self.state, "spoken": self.spoken}


def scanner_gives_feedback(station: Any) -> bool:
    """Whether the station's document scanner reports what it sees frame by frame (a camera does)."""
    scanner = getattr(station.devices, "scanner", None)
    return "feedback" in getattr(scanner, "capabilities", ())


class ScenarioRunner:
    def __init__(self, station: Any, controls: Any, clock: Any = None, lang: str = "zh",
                 poll_s: float = 0.002, tick_s: float = 0.1, elder: bool = False) -> None:
        self.station = station
        self.speaker = getattr(getattr(station, "devices", None), "speech", None)
        self.voice = VoicePrompter(self.speaker, lambda: self.lang, lambda: elder) if self.speaker is not None else None
        self.controls = controls
        self._states: list[str] = []  # the visit's states so far (run() fills it; the screen player drives _step alone)
        self.clock = clock
        self.lang = lang
        self.poll_s = poll_s
        self.tick_s = tick_s

    # -- one visit ----------------------------------------------------------------------------
    def run(self, scenario: Scenario, echo: Any = None) -> dict[str, Any]:
        st = self.station
        self.controls.reset()
        context = self.controls.setup(scenario.setup, st, **scenario.setup_args) if scenario.setup else {}
        states: list[str] = []
        transcript: list[str] = []

        def note(line: str) -> None:
            transcript.append(line)
            if echo:
                echo(line)

        last_error: list[Any] = [None]

        def on_change(flow: Any) -> None:
            if states and states[-1] == flow.state and flow.error is not None and flow.error != last_error[0]:
                note(f"  ! {render(flow.error, self.lang)}")
            last_error[0] = flow.error
            if not states or states[-1] != flow.state:
                states.append(flow.state)
                vm = flow.view()
                body = " / ".join(render(b, self.lang) for b in vm.body)
                step = f" ({vm.step}/{vm.steps})" if vm.step else ""
                err = f"  ! {render(vm.error, self.lang)}" if vm.error else ""
                note(f"  [{flow.state}]{step} {render(vm.title, self.lang)}" + (f" — {body}" if body else "") + err)
            self._speak(flow, len(states) - 1)

        self._states = states
        if self.speaker is not None:
            self.speaker.forget()
        t0 = time.perf_counter()
        flow = st.start_flow(scenario.flow, **fill(dict(scenario.flow_args), context))
        flow.on_change(on_change)
        on_change(flow)
        outcome: str | None = None
        try:
            for raw in scenario.steps:
                step = fill(dict(raw), context)
                self._step(step, note)
                st.pump()
            if not flow.ended:
                self._wait_for(lambda: flow.ended, 5.0, "ended")
            outcome = flow.outcome
        except ScenarioError as exc:
            outcome = str(exc)
            note(f"  !! {exc}")
        finally:
            if not flow.ended:
                flow.end("canceled")
        ms = (time.perf_counter() - t0) * 1000
        return {"scenario": scenario.name, "outcome": outcome, "expected": scenario.expect,
                "ok": outcome == scenario.expect, "states": self._spoken(states), "ms": round(ms, 1),
                "transcript": transcript}

    # -- voice --------------------------------------------------------------------------------
    def _speak(self, flow: Any, index: int) -> None:
        if self.voice is not None and index >= 0:
            self.voice.on_render(flow.view(), cue=str(index))

    def _listen(self) -> None:
        """The person hears the current instruction out before acting."""
        cmd = self.voice.last_command if self.voice is not None else None
        if cmd is not None:
            try:
                cmd.result(LISTEN_S)
            except TimeoutError:  # a hung speaker must not hold the visit up
                log.warning("speaker still busy after %g s; the visit goes on", LISTEN_S)

    def _spoken(self, states: list[str]) -> list[StateSpoken]:
        """Each state with what the speaker's record says was spoken there; the record is then
        forgotten with the visit (it may name the person's case)."""
        if self.voice is None:
            return [StateSpoken(s) for s in states]
        self._listen()  # the last screen's words
        said: dict[str, list[str]] = {}
        for u in self.speaker.record():
            said.setdefault(u.cue, []).append(u.text)
        self.voice.on_render(None)
        return [StateSpoken(s, " ".join(said.get(str(i), []))) for i, s in enumerate(states)]

    # -- steps --------------------------------------------------------------------------------
    def _step(self, step: dict[str, Any], note: Any) -> None:
        st = self.station
        flow = st.flow
        if any(k in step for k in LISTEN_BEFORE):
            self._listen()
        if "act" in step:
            shown = {k: ("*" * len(str(v)) if k in SECRET_ARGS else v) for k, v in step.get("args", {}).items()}
            note(f"  > {step['act']} {shown or ''}".rstrip())
            if not flow.act(step["act"], **step.get("args", {})):
                raise ScenarioError(f"error:action {step['act']!r} not offered in {flow.state}")
        elif "sim" in step:
            device, cmd = step["sim"]
            note(f"  ~ {device}.{cmd} {step.get('args') or ''}".rstrip())
            try:
                self.controls.call(device, cmd, **step.get("args", {}))
            except Exception as exc:
                raise ScenarioError(f"error:sim {device}.{cmd}: {exc}") from None
        elif "wait" in step:
            target = step["wait"]
            self._wait_for(lambda: flow.state == target or (flow.ended and target != "ended"),
                           step.get("timeout", 30.0), target)
            if flow.state != target:
                raise ScenarioError(f"stuck:{flow.state}:{flow.outcome} (waiting for {target})")
        elif "wait_idle" in step:
            self._wait_for(lambda: not flow._pending, step.get("timeout", 30.0), f"{flow.state} idle")
        elif "page" in step:
            note(f"  ~ document camera sees a page {step['page']}")
            self.controls.show_page(**step["page"])
        elif "scan" in step:
            for i in range(int(step["scan"])):
                self._wait_for(lambda: flow.pending("page"), 10.0, "capture running")
                cmd = flow._pending["page"]
                if scanner_gives_feedback(st):  # the next sheet goes down once the station saw the area empty
                    self._wait_for(lambda: flow.scan_feedback == "no_page", 10.0, "scanning area seen empty")
                note(f"  ~ document camera sees page {i + 1}")
                self.controls.good_page()
                self._wait_for(cmd.done, 20.0, "page captured", pump=False)
                self.controls.no_page()
                st.pump()
                # the station reads each captured page (OCR, document kind) before the next touch
                self._wait_for(lambda: flow.state != "reading", 60.0, "page read")
        elif "door" in step:
            data = flow.view().data
            comps = data.get("compartments") or ([data["compartment"]] if data.get("compartment") else [])
            locks = []
            for cid in comps:
                c = st.services.cabinet.get(cid)
                if c is not None:
                    locks.append((c.board, c.lock))
            note(f"  ~ closes door {', '.join(comps)}")
            self.controls.close_doors(locks)
        elif "advance" in step:
            note(f"  ~ {step['advance']} s pass")
            self.clock.advance(step["advance"])
        elif "tick" in step:
            st.tick()
            self._speak(flow, len(self._states) - 1)  # the idle warning appears on a tick
        else:
            raise ScenarioError(f"error:unknown step {step}")

    def _wait_for(self, cond: Any, timeout: float, what: str, pump: bool = True) -> None:
        st = self.station
        deadline = time.monotonic() + timeout
        next_tick = time.monotonic() + self.tick_s
        while True:
            if pump:
                st.pump()
            if cond():
                return
            now = time.monotonic()
            if now > deadline:
                flow = st.flow
                raise ScenarioError(f"stuck:{flow.state}" + (f":{flow.outcome}" if flow.ended else "") +
                                    f" (waiting {timeout:g} s for {what})")
            if pump and now >= next_tick:
                st.tick()
                self._speak(st.flow, len(self._states) - 1)
                next_tick = now + self.tick_s
            time.sleep(self.poll_s)
