"""The flow screen: renders the current flow's ViewModel — step indicator, title, what to do
now, the error (what happened + the one next action), a progress note while a device works, the
template for the kind of state (picture, camera, page preview, cabinet map, keypad, lists) and the
action buttons. A touch becomes `app.act(action_id, **args)`; nothing here decides anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import ObjectProperty
from kivy.uix.screenmanager import Screen

from kiosk.flows.texts import render
from kiosk.flows.viewmodel import Text, ViewModel
from kiosk.screens import form_view, rating_view  # noqa: F401  (their templates register themselves)
from kiosk.screens.keypad import Keypad
from kiosk.screens.templates import KEYPAD_ARGS, Template, template_for
from kiosk.screens.widgets import Banner, KButton, KLabel

HIDDEN_ACTIONS = ("more_time",)  # the idle overlay offers it
# a command runs in these states, but it is waiting for the person (card, face, page, door, digits):
# "please wait" would tell them the wrong thing
WAITING_FOR_PERSON = ("identify_card", "camera", "scan", "keypad")


class FlowScreen(Screen):
    vm = ObjectProperty(None, allownone=True)

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(name="flow", **kw)
        self.app = app
        self.template: Template | None = None
        self._template_key: tuple[str, str] | None = None
        self._popup_action: str | None = None

    # -- what templates call ----------------------------------------------------------------
    def text(self, t: Text | None) -> str:
        return render(t, self.app.lang)

    def act(self, action_id: str, **args: Any) -> None:
        self.app.act(action_id, **args)

    def camera_frames(self) -> Any:
        return self.app.latest_frame("camera")

    def page_frames(self) -> Any:
        return self.app.latest_frame("scanner")

    def face_box(self) -> Any:
        return self.app.face_box

    def cabinet_layout(self) -> list[tuple[str, int, int, str]]:
        return self.app.cabinet_layout()

    def door_state(self, cid: str) -> str:
        return self.app.door_state(cid)

    # -- rendering ----------------------------------------------------------------------------
    def show(self, vm: ViewModel) -> None:
        self.vm = vm
        ids = self.ids
        ids.steps.labels = [self.text(t) for t in vm.step_labels] if vm.steps else []
        ids.steps.step = vm.step or 0
        ids.steps.opacity = 1 if vm.steps else 0
        ids.steps.height = ids.steps.minimum_height if vm.steps else 0
        ids.step_text.text = self.app.tr("ui.step", i=vm.step, n=vm.steps) if vm.steps else ""
        ids.title.text = self.text(vm.title)
        texts = ids.texts
        texts.clear_widgets()
        shown_by_template = template_for(vm.screen).SHOWS_BODY_KEYS
        short = template_for(vm.screen).ELDER_SHORT if self.app.elder else {}
        for t in vm.body:
            if t.key == "flow.timeout_warning" or t.key in shown_by_template:
                continue  # shown by the idle overlay / larger by the template
            if t.key in short:
                t = Text(short[t.key], t.params)
            texts.add_widget(KLabel(text=self.text(t)))
        if vm.error is not None:
            texts.add_widget(Banner(kind="error", text=self.text(vm.error)))
        if vm.busy and vm.screen not in WAITING_FOR_PERSON:
            texts.add_widget(Banner(kind="warning", text=self.app.tr("ui.busy")))
        if self._popup_action is None:
            self._show_template(vm)
        self._show_actions(vm)

    def _show_template(self, vm: ViewModel) -> None:
        key = (vm.flow, vm.screen)
        if self.template is None or self._template_key != key:
            self.ids.template_area.clear_widgets()
            self.template = template_for(vm.screen)(self)
            self._template_key = key
            share = self.template.TEXT_SHARE
            self.ids.text_column.size_hint_x, self.ids.template_area.size_hint_x = share, 1 - share
            self.ids.template_area.add_widget(self.template)
        self.template.update(vm)

    def _show_actions(self, vm: ViewModel) -> None:
        bar = self.ids.actions
        bar.clear_widgets()
        handled_by_template = vm.screen in ("keypad",) and True
        for a in vm.actions:
            if a.id in HIDDEN_ACTIONS or a.kind == "choice":
                continue
            if a.kind == "keypad" and handled_by_template:
                continue
            if vm.screen == "choose" and "categories" not in vm.data and a.kind == "primary":
                continue  # shown as big tiles by the template
            kind = "secondary" if a.kind == "secondary" else "danger" if a.kind == "danger" else "primary"
            b = KButton(text=self.text(a.label), kind=kind, action_id=a.id, disabled=not a.enabled)
            if a.kind == "keypad":
                b.bind(on_release=lambda btn, act=a: self.open_pad(act.id, self.text(act.label)))
            else:
                b.bind(on_release=lambda btn: self.act(btn.action_id))
            bar.add_widget(b)
        if vm.final:
            bar.clear_widgets()
            b = KButton(text=self.app.tr("ui.final.home"), kind="primary", action_id="home")
            b.bind(on_release=lambda *_: self.app.go_home())
            bar.add_widget(b)

    def open_pad(self, action_id: str, label: str) -> None:
        """A keypad-kind action outside the keypad screen (matter search, key in a case number)."""
        arg, pad = KEYPAD_ARGS.get(action_id, (action_id, "digits"))
        self._popup_action = action_id
        area = self.ids.template_area
        area.clear_widgets()
        self.template, self._template_key = None, None
        self.ids.text_column.size_hint_x, area.size_hint_x = Template.TEXT_SHARE, 1 - Template.TEXT_SHARE

        def submit(value: str) -> None:
            self._popup_action = None
            self.act(action_id, **{arg: value})

        kp = Keypad(on_submit=submit, letters=pad == "letters", max_len=12 if pad == "letters" else 20,
                    min_len=1, submit_text=label, delete_text=self.app.tr("ui.key.delete"))
        area.add_widget(kp)
        if pad == "letters":
            area.add_widget(KLabel(text=self.app.tr("ui.search.initials"), role="small"))

    def close_pad(self) -> None:
        if self._popup_action is not None:
            self._popup_action = None
            if self.vm is not None:
                self._show_template(self.vm)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
