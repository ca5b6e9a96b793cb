"""Plays the scripted visits (`kiosk.scenarios.library`) through the REAL screens and writes a
screenshot of every step: `out/screens/<scenario>/NN-<state>.png`, plus `out/screens/index.html`.
With `variants` ("en", "elder") each distinct screen (flow, state, error) is also captured in
English and in elder mode, the visit held meanwhile: `NN-<state>.en.png`, `NN-<state>.elder.png`.

The player runs on the Kivy Clock and never blocks it: a step that waits (`wait`, `wait_idle`,
`scan`) is re-checked every `POLL_S`, so the window keeps drawing and device events keep flowing.
A touch step (`act`) finds the on-screen button that offers the action and touches it with a
`UnitTestTouch` (keypad digits one by one; a rating level, a form field or a choice by its
`<action>:<value>` button); only an action with no
button on screen (none today) falls back to `app.act()` and the transcript says so. Simulator
steps (`sim`, `page`, `door`, `advance`, `tick`) go through the scenario runner's own step code.
"""

from __future__ import annotations

import html
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kivy.clock import Clock

from kiosk.flows.texts import render
from kiosk.scenarios.model import SCREEN_LOOKS, Scenario, fill

log = logging.getLogger(__name__)
POLL_S = 0.05
SETTLE_S = 0.35  # the attract screen is on for this long before its screenshot
FRAME_WAIT_S = 0.12  # a new screen is captured once it has been drawn (a few frames)
VARIANTS = SCREEN_LOOKS
VARIANT_LIMIT_S = 4.0  # the other looks of one screen are given up after this (a slow machine)


@dataclass
class _VariantJob:
    """The extra looks of one screen still to capture, and how to put the screen back."""

    shot: dict[str, Any]
    stem: str
    sig: Any
    lang: str
    elder: bool
    todo: list[str]
    applied: str | None = None
    at: float = 0.0
    started: float = 0.0


def walk(widget: Any) -> Iterator[Any]:
    yield widget
    for child in widget.children:
        yield from walk(child)


def touch_widget(widget: Any) -> None:
    """A real touch (down + up) at the widget's centre, through the window like a finger's."""
    from kivy.tests.common import UnitTestTouch

    x, y = widget.to_window(*widget.center)
    t = UnitTestTouch(x, y)
    t.touch_down()
    t.touch_up()


class ScenarioPlayer:
    def __init__(self, app: Any, controls: Any, clock: Any, scenarios: list[Scenario], out_dir: str | Path,
                 on_done: Callable[[list[dict[str, Any]]], None] | None = None, timeout_scale: float = 1.0,
                 variants: tuple[str, ...] = ()) -> None:
        from kiosk.scenarios.runner import ScenarioRunner

        unknown = [v for v in variants if v not in VARIANTS]
        if unknown:
            raise ValueError(f"unknown screenshot variant {', '.join(unknown)} (known: {', '.join(VARIANTS)})")

        self.app = app
        self.controls = controls
        self.clock = clock
        self.scenarios = list(scenarios)
        self.out = Path(out_dir)
        self.on_done = on_done
        self.timeout_scale = timeout_scale
        self.runner = ScenarioRunner(app.station, controls, clock, lang=app.lang)
        self.results: list[dict[str, Any]] = []
        self._gen: Iterator[None] | None = None
        self._ev: Any = None
        # the scenario being played: where its shots go, and what is on screen vs. last captured
        self._folder: Path | None = None
        self._shots: list[dict[str, Any]] = []
        self._shot_sig: Any = None
        self._seen_sig: Any = None
        self._seen_at = 0.0
        self.variants = tuple(variants)
        self._variant_job: _VariantJob | None = None
        self._variant_seen: set[tuple[Any, ...]] = set()  # (flow, state, error) already captured in every look

    # -- driving ----------------------------------------------------------------------------------
    def start(self) -> None:
        self._gen = self._play_all()
        self._ev = Clock.schedule_interval(self._poll, POLL_S)

    def _poll(self, _dt: float) -> bool:
        assert self._gen is not None
        self._auto_shot()
        try:
            next(self._gen)
        except StopIteration:
            self._write_index()
            if self.on_done is not None:
                self.on_done(self.results)
            return False
        return True

    def _play_all(self) -> Iterator[None]:
        for scenario in self.scenarios:
            yield from self._play(scenario)
        yield

    # -- one scenario -----------------------------------------------------------------------------
    def _play(self, sc: Scenario) -> Iterator[None]:
        app, st = self.app, self.app.station
        folder = self.out / sc.name
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        shots: list[dict[str, Any]] = []
        notes: list[str] = []
        result: dict[str, Any] = {"scenario": sc.name, "title": sc.title, "expected": sc.expect, "shots": shots,
                                  "notes": notes}
        self.results.append(result)
        self.controls.reset()
        try:  # one station plays every visit: no card left in the reader from the last one
            self.controls.call("id_reader", "remove")
        except Exception:
            pass
        try:
            setup_args = dict(getattr(sc, "setup_args", {}) or {})
            context = self.runner_setup(sc, setup_args)
        except Exception as exc:
            result.update(outcome=f"error:setup {exc}", ok=False)
            log.exception("scenario %s: setup failed", sc.name)
            return
        t0 = time.perf_counter()
        app.go_home()
        yield from self._settle()
        self._shot(folder, shots, "attract", "attract")
        self._folder, self._shots, self._shot_sig, self._seen_sig = folder, shots, None, None
        flow = app.start_flow(sc.flow, **fill(dict(sc.flow_args), context))
        self._mark = 0  # flow.history index up to which earlier waits have looked
        outcome = None
        try:
            for raw in sc.steps:
                step = fill(dict(raw), context)
                if "wait" not in step and "wait_idle" not in step:
                    yield from self._wait_shot()
                yield from self._do(step, notes)
            deadline = time.monotonic() + 5.0
            while not flow.ended and time.monotonic() < deadline:
                yield
            outcome = flow.outcome if flow.ended else f"stuck:{flow.state}"
        except _Stuck as exc:
            outcome = str(exc)
            notes.append(f"!! {exc}")
        finally:
            if not flow.ended:
                flow.end("canceled")
        yield from self._wait_shot(2.0)  # the last screen: the outcome
        if self._variant_job is not None:
            self._variant_done(self._variant_job)
        self._folder = None
        # the last screen (the outcome) is in the shots; back home for the next scenario
        result.update(outcome=outcome, ok=outcome == sc.expect, ms=round((time.perf_counter() - t0) * 1000))
        app.go_home()
        yield

    def _auto_shot(self) -> None:
        """Capture each new screen (state, error, timeout warning, end) once it has been drawn."""
        if self._folder is None or self.app.flow is None or self.app.sm.current != "flow":
            if self._variant_job is not None:
                self._variant_done(self._variant_job)
            return
        sig = self._signature()
        now = time.monotonic()
        if sig != self._seen_sig:
            self._seen_sig, self._seen_at = sig, now
            return
        if self._variant_job is not None:
            self._variant_step(sig, now)
            return
        if sig != self._shot_sig and now - self._seen_at >= FRAME_WAIT_S:
            flow = self.app.flow
            suffix = "-timeout-warning" if sig[2:3] == (True,) else "-error" if len(sig) > 1 and sig[1] else ""
            self._shot(self._folder, self._shots, f"{flow.state}{suffix}", flow.state)
            key = (flow.name, *sig[:3])
            todo = [v for v in self.variants if not (v == "en" and self.app.lang == "en") and not (v == "elder" and self.app.elder)]
            if todo and self._shots and key not in self._variant_seen:
                # the screen is not marked as captured until its other looks are: the visit waits
                self._variant_seen.add(key)
                shot = self._shots[-1]
                self._variant_job = _VariantJob(shot, shot["file"].removesuffix(".png"), sig, self.app.lang,
                                                bool(self.app.elder), todo, started=now)
                self._voice_off()
                return
            self._shot_sig = sig

    # -- the other looks of a screen ----------------------------------------------------------------
    def _variant_step(self, sig: Any, now: float) -> None:
        job = self._variant_job
        assert job is not None and self._folder is not None
        # the same screen is (state, error): a countdown in its data does not make it another one
        if sig[:2] != job.sig[:2] or (job.applied is None and not job.todo) or now - job.started > VARIANT_LIMIT_S:
            self._variant_done(job)  # captured every look, or the flow moved on meanwhile
            return
        if job.applied is None:
            job.applied, job.at = job.todo.pop(0), now
            self._look(job.applied, job)
            return
        if now - job.at < FRAME_WAIT_S:
            return
        name = f"{job.stem}.{job.applied}.png"
        try:
            self.app.screenshot(self._folder / name)
            job.shot.setdefault("variants", {})[job.applied] = name
        except Exception as exc:
            log.error("screenshot %s failed: %s", name, exc)
        self._look(None, job)
        job.applied, job.at = None, now

    def _look(self, variant: str | None, job: _VariantJob) -> None:
        """Show the screen in `variant` (None: as the visit is played)."""
        lang = "en" if variant == "en" else job.lang
        if self.app.lang != lang:
            self.app.switch_language(lang)
        elder = True if variant == "elder" else job.elder
        if bool(self.app.elder) != elder:
            self.app.set_elder(elder)

    def _variant_done(self, job: _VariantJob) -> None:
        self._look(None, job)
        self._variant_job = None
        self._voice_on()
        self._shot_sig = job.sig

    def _voice_off(self) -> None:
        """The other looks are not spoken: the voice keeps to the visit's language."""
        voice = getattr(self.app, "voice", None)
        if voice is not None and voice.on_render in self.app.on_render:
            self.app.on_render.remove(voice.on_render)

    def _voice_on(self) -> None:
        voice = getattr(self.app, "voice", None)
        if voice is not None and voice.on_render not in self.app.on_render:
            self.app.on_render.append(voice.on_render)

    def _wait_shot(self, limit_s: float = 1.0) -> Iterator[None]:
        """Before a touch: let the current screen be captured first."""
        end = time.monotonic() + limit_s
        while self._variant_job is not None or (self._signature() != self._shot_sig and time.monotonic() < end):
            yield  # never touch while the screen is shown in another look (a job ends within VARIANT_LIMIT_S)

    def runner_setup(self, sc: Scenario, setup_args: dict[str, Any]) -> dict[str, Any]:
        if not sc.setup:
            return {}
        return self.controls.setup(sc.setup, self.app.station, **setup_args)

    def _settle(self, seconds: float = SETTLE_S) -> Iterator[None]:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            yield

    def _signature(self) -> tuple[Any, ...]:
        flow = self.app.flow
        if flow is None:
            return ("none",)
        vm = self.app.current_view()
        if vm is None:
            return (flow.state,)
        data = {k: v for k, v in vm.data.items() if k != "timeout_in"}
        return (vm.state, vm.error.key if vm.error else None, "timeout_in" in vm.data, vm.final,
                hash(repr(sorted(data.items(), key=lambda kv: kv[0]))))

    def _shot(self, folder: Path, shots: list[dict[str, Any]], name: str, state: str) -> None:
        n = len(shots) + 1
        path = folder / f"{n:02d}-{name}.png"
        try:
            self.app.screenshot(path)
        except Exception as exc:
            log.error("screenshot %s failed: %s", path, exc)
            return
        vm = self.app.current_view()
        caption = render(vm.title, self.app.lang) if vm is not None else "attract"
        body = " / ".join(render(b, self.app.lang) for b in vm.body) if vm is not None else ""
        err = render(vm.error, self.app.lang) if vm is not None and vm.error else ""
        shots.append({"file": path.name, "state": state, "title": caption, "body": body, "error": err})

    # -- steps ------------------------------------------------------------------------------------
    def _do(self, step: dict[str, Any], notes: list[str]) -> Iterator[None]:
        flow = self.app.flow
        if "act" in step:
            notes.append(f"> {step['act']} {step.get('args') or ''}".rstrip())
            ok = yield from self._press(step["act"], dict(step.get("args") or {}), notes)
            if not ok:
                raise _Stuck(f"error:action {step['act']!r} not offered in {flow.state}")
            yield
        elif "wait" in step:
            # the UI polls every frame, not every 2 ms: a state the flow passed through since the
            # last wait counts as reached (a card read and a face match can take 50 ms together)
            target = step["wait"]
            deadline = time.monotonic() + float(step.get("timeout", 30.0)) * self.timeout_scale

            def reached() -> bool:
                return target in flow.history[self._mark:]

            while not reached() and not (flow.ended and target != "ended"):
                if time.monotonic() > deadline:
                    break
                yield
            if not reached():
                raise _Stuck(f"stuck:{flow.state}:{flow.outcome} (waiting for {target})")
            self._mark = len(flow.history) - 1 - flow.history[::-1].index(target)
        elif "wait_idle" in step:
            deadline = time.monotonic() + float(step.get("timeout", 30.0)) * self.timeout_scale
            while flow._pending and time.monotonic() < deadline:
                yield
        elif "scan" in step:
            for i in range(int(step["scan"])):
                deadline = time.monotonic() + 10.0 * self.timeout_scale
                while not flow.pending("page"):
                    if time.monotonic() > deadline or flow.ended:
                        raise _Stuck(f"stuck:{flow.state} (no capture running)")
                    yield
                cmd = flow._pending["page"]
                from kiosk.scenarios.runner import scanner_gives_feedback

                while scanner_gives_feedback(self.app.station) and flow.scan_feedback != "no_page":  # sheet away
                    if time.monotonic() > deadline or flow.ended:
                        raise _Stuck(f"stuck:{flow.state} (scanning area never seen empty)")
                    yield
                notes.append(f"~ document camera sees page {i + 1}")
                self.controls.good_page()
                yield from self._settle(0.6)  # the page preview shows the page
                deadline = time.monotonic() + 20.0 * self.timeout_scale
                while not cmd.done() and time.monotonic() < deadline:
                    yield
                self.controls.no_page()
                yield
                deadline = time.monotonic() + 60.0 * self.timeout_scale
                while flow.state == "reading" and time.monotonic() < deadline:  # OCR of the page before the next touch
                    yield
        else:
            self.runner._step(step, notes.append)  # sim / page / door / advance / tick: quick calls
            yield

    def _press(self, action: str, args: dict[str, Any], notes: list[str]) -> Iterator[None]:
        """Touch the button(s) a person would touch for `action`; returns whether it was offered."""
        app = self.app
        flow = app.flow
        root = app.root_view

        def button(action_id: str) -> Any:
            from kiosk.screens.widgets import KButton

            for w in walk(root):
                if isinstance(w, KButton) and w.action_id == action_id and not w.disabled and w.opacity > 0 \
                        and w.get_root_window() is not None:
                    return w
            return None

        pad_arg = {"search": "query", "code": "code", "pin": "pin", "enter_case": "case_no", "set": "value"}.get(action)
        # one button per value (a rating level, a form field, a choice): action_id "<action>:<value>"
        one = button(f"{action}:{next(iter(args.values()))}") if len(args) == 1 else None
        if one is not None:
            b = one
        elif action == "more_time":
            b = button("more_time")
        elif pad_arg and pad_arg in args:
            value = str(args[pad_arg])
            opener = button(action)
            if opener is not None and flow.view().screen != "keypad":
                touch_widget(opener)  # opens the pad in place of the picture
                yield from self._settle(0.15)
            for ch in value.upper():
                key = button(f"key:{ch}")
                if key is None:
                    notes.append(f"  (no key {ch!r} on screen: acting directly)")
                    return app.act(action, **args)
                touch_widget(key)
                yield
            b = button("key:ok")
        elif action in ("select", "category") and "code" in args:
            b = button(str(args["code"]))
        elif action == "open" and "compartment" in args:
            b = button(str(args["compartment"]))
        elif action == "rate":
            b = button(f"rate:{args.get('score', 5)}")  # one touch per level (tags are not on the screen)
        else:
            b = button(action)
        if b is None:
            notes.append(f"  (no button for {action!r} on screen: acting directly)")
            return app.act(action, **args)
        app.last_act = None
        touch_widget(b)
        yield
        return app.last_act is None or app.last_act[1]  # (action, offered?) as app.act() saw it

    # -- index ------------------------------------------------------------------------------------
    def _write_index(self) -> Path:
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "index.json").write_text(json.dumps(self.results, ensure_ascii=False, indent=1))
        parts = ["<!doctype html><meta charset='utf-8'><title>Station screens</title>",
                 "<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:.5em;"
                 "width:420px;vertical-align:top}img{width:100%;border:1px solid #999}"
                 "figcaption{font-size:13px}.bad{color:#b3261e}</style>",
                 "<h1>Scripted visits through the real screens</h1>"]
        for r in self.results:
            cls = "" if r.get("ok") else " class='bad'"
            parts.append(f"<h2 id='{html.escape(r['scenario'])}'>{html.escape(r['scenario'])}: "
                         f"{html.escape(r['title'])}</h2><p{cls}>outcome: {html.escape(str(r.get('outcome')))} "
                         f"(expected {html.escape(r['expected'])})</p>")
            for s in r["shots"]:
                cap = f"<b>{html.escape(s['state'])}</b> — {html.escape(s['title'])}<br>{html.escape(s['body'])}"
                if s["error"]:
                    cap += f"<br><span class='bad'>{html.escape(s['error'])}</span>"
                looks = "".join(f" · <a href='{html.escape(r['scenario'])}/{html.escape(f)}'>{html.escape(v)}</a>"
                                for v, f in s.get("variants", {}).items())
                parts.append(f"<figure><img src='{html.escape(r['scenario'])}/{html.escape(s['file'])}'>"
                             f"<figcaption>{cap}{'<br>also:' + looks if looks else ''}</figcaption></figure>")
        path = self.out / "index.html"
        path.write_text("\n".join(parts), encoding="utf-8")
        return path


class _Stuck(Exception):
    pass
