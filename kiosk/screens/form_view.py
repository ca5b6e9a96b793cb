"""Templates of the apply flow's form step (智能填表): the whole form (`form`: one row per field
with its value, where it came from and a "change" button where it may be changed) and one field
(`form_field`: a touch list for a choice, the numeric keypad for numbers, dates, phone and ID
numbers — with an X key for an ID number's last character). No free-text input anywhere.

Buttons carry `edit:<key>` and `set:<value>` as their action ids (the scenario player and the UI
tests touch them by id). The templates register themselves in `kiosk.screens.templates.TEMPLATES`.
"""

from __future__ import annotations

from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.flows.viewmodel import ViewModel
from kiosk.screens.keypad import Keypad
from kiosk.screens.templates import TEMPLATES, Template
from kiosk.screens.widgets import Banner, KButton, KLabel


class _Both(Template):
    def _both(self, d: Any, key: str) -> str:
        """`<key>_zh` / `<key>_en` of typed view data (which has no bare `<key>`) in the screen's language."""
        en = d.get(f"{key}_en") if self.app.lang == "en" else None
        return str(en or d.get(f"{key}_zh") or "")


class FormTemplate(_Both):
    """Every field of the form: label (required marked), value or "empty", source, change button.

    The note on text items (`form.text_note`) is shown here, under the form's title, beside the
    rows it is about, and not in the text column: that column keeps what to do and the error, which
    must fit without scrolling even in elder mode. In elder mode the note and the explanation
    (`form.check`, without the form's title: the list shows it) are the short versions."""

    SHOWS_BODY_KEYS = ("form.text_note",)
    ELDER_SHORT = {"form.check": "ui.form.check_short"}

    def update(self, vm: ViewModel) -> None:
        self.clear_widgets()
        d = vm.data
        # the right padding keeps the "Change" buttons clear of the scroll bar
        box = GridLayout(cols=1, spacing=self.app.s_spacing * 0.5, padding=(0, 0, 14, 0))
        box.add_widget(KLabel(text=self._both(d, "title"), role="body", bold=True))
        note = next((t for t in vm.body if t.key == "form.text_note"), None)
        if note is not None:
            text = self.tr("ui.form.text_note_short") if getattr(self.app, "elder", False) else self.host.text(note)
            box.add_widget(KLabel(text=text, role="small"))
        for row in d.get("fields") or ():
            value = self.name(row, "value")
            label = self.name(row, "label") + (f"  ({self.tr('ui.form.required')})" if row.get("required") else "")
            line = BoxLayout(spacing=self.app.s_spacing, size_hint_y=None)
            texts = BoxLayout(orientation="vertical", size_hint_y=None)
            texts.bind(minimum_height=texts.setter("height"))
            texts.add_widget(KLabel(text=label, role="small"))
            if value:
                origin = row.get("origin") or ""
                shown = value + (f"  · {self.tr('ui.form.from.' + origin)}" if origin else "")
                texts.add_widget(KLabel(text=shown, bold=True))
            else:
                texts.add_widget(Banner(kind="error" if row.get("required") else "info", text=self.tr("ui.form.empty")))
            line.add_widget(texts)
            if row.get("editable"):
                b = KButton(text=self.host.text(next((a.label for a in vm.actions if a.id == "edit"), None)) or "…",
                            kind="choice", action_id=f"edit:{row['key']}", size_hint_x=0.32)
                b.bind(on_release=lambda btn: self.host.act("edit", key=btn.action_id.split(":", 1)[1]))
                line.add_widget(b)
            line.bind(minimum_height=line.setter("height"))
            line.height = max(self.app.s_target, texts.height)
            texts.bind(height=lambda w, h, ln=line: setattr(ln, "height", max(self.app.s_target, h)))
            box.add_widget(line)
        self.add_widget(self.scroll(box))


class FormFieldTemplate(_Both):
    """One field: its choices as big buttons, or the numeric keypad."""

    def update(self, vm: ViewModel) -> None:
        self.clear_widgets()
        d = vm.data
        current = self._both(d, "value")
        self.add_widget(KLabel(text=self.tr("ui.form.current", value=current or self.tr("ui.form.empty")),
                               role="small"))
        if d.get("choices"):
            box = GridLayout(cols=1, spacing=self.app.s_spacing * 0.6)
            for c in d["choices"]:
                text = c["en"] if self.app.lang == "en" else c["zh"]
                b = KButton(text=text, kind="choice", action_id=f"set:{c['value']}", height=self.app.s_target * 1.2)
                b.bind(on_release=lambda btn: self.host.act("set", value=btn.action_id.split(":", 1)[1]))
                box.add_widget(b)
            self.add_widget(self.scroll(box))
            return
        pad = Keypad(on_submit=lambda value: self.host.act("set", value=value), max_len=int(d.get("digits") or 12),
                     min_len=1, submit_text=self.tr("ui.ok"), delete_text=self.tr("ui.key.delete"),
                     size_hint_x=None)
        pad.width = self.app.s_target * 4.5
        pad.pos_hint = {"center_x": 0.5}
        self.add_widget(pad)
        if d.get("x_key"):
            x = KButton(text="X", kind="choice", action_id="key:X", size_hint_x=None, width=self.app.s_target * 1.5)
            x.pos_hint = {"center_x": 0.5}
            x.bind(on_release=lambda *_: setattr(pad, "value", (pad.value + "X")[:int(pad.max_len)]))
            self.add_widget(x)
        self.add_widget(BoxLayout())


TEMPLATES["form"] = FormTemplate
TEMPLATES["form_field"] = FormFieldTemplate
