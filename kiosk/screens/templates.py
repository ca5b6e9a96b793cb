"""One template per kind of flow state (`ViewModel.screen`): the right-hand side of the flow
screen — the picture of the physical action, the live camera or page preview, the compartment
map, the keypad, the lists a person chooses from. Templates only show view-model data and turn
touches into `host.act(action_id, **args)`; they decide nothing.

Every template has `update(vm)`; the flow screen keeps a template while the screen kind stays the
same (so a live camera preview is not rebuilt on every state change) and calls `update` again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView

from kiosk.flows.viewmodel import ViewModel
from kiosk.screens.cabinet_view import CabinetMap
from kiosk.screens.camera_view import CameraPreview
from kiosk.screens.illustrations import Illustration
from kiosk.screens.keypad import Keypad
from kiosk.screens.qr_view import QrCode
from kiosk.screens import technician_text as words
from kiosk.screens.widgets import Banner, KButton, KLabel

# keypad-kind actions: which argument of flow.act() the keyed value goes to, and which pad
KEYPAD_ARGS = {"search": ("query", "letters"), "code": ("code", "digits"), "pin": ("pin", "digits"),
               "enter_case": ("case_no", "digits")}


class Template(BoxLayout):
    """Base: `host` is the FlowScreen (act, app, station). `SHOWS_BODY_KEYS`: body texts this
    template shows itself (larger, in its own place); the flow screen leaves them out of the text
    column so nothing is said twice on screen (the voice still speaks the whole body)."""

    SHOWS_BODY_KEYS: tuple[str, ...] = ()
    # body texts the text column says shorter in elder mode (bigger letters, the same screen):
    # message key -> short message key with the same parameters
    ELDER_SHORT: dict[str, str] = {}
    TEXT_SHARE = 0.46  # of the screen's width for the text column; the template has the rest

    def __init__(self, host: Any, **kw: Any) -> None:
        kw.setdefault("orientation", "vertical")
        super().__init__(**kw)
        self.host = host
        self.app = host.app

    def tr(self, key: str, **params: Any) -> str:
        return self.app.tr(key, **params)

    def name(self, d: dict[str, Any], key: str = "name") -> str:
        if self.app.lang == "en" and d.get(f"{key}_en"):
            return str(d[f"{key}_en"])
        return str(d.get(f"{key}_zh", d.get(key, "")))

    def update(self, vm: ViewModel) -> None:
        pass

    def scroll(self, content: Any) -> ScrollView:
        sv = ScrollView(do_scroll_x=False, bar_width=8)
        content.size_hint_y = None
        content.bind(minimum_height=content.setter("height"))
        sv.add_widget(content)
        return sv


class PictureTemplate(Template):
    """message / identify_card / notice without lists: the illustration, and a QR if there is one.
    A picture needs less room than the message beside it (refusals, refunds, outcomes are long)."""

    TEXT_SHARE = 0.56

    def update(self, vm: ViewModel) -> None:
        self.clear_widgets()
        qr = vm.data.get("qr")
        if vm.final:
            self.add_widget(Illustration(name=_picture_for(vm), animate=False))
            return
        if vm.illustration:
            self.add_widget(Illustration(name=vm.illustration))
        if qr and vm.final is False:
            self.add_widget(QrCode(text=str(qr)))
            self.add_widget(KLabel(text=self.tr("ui.receipt.scan_to_follow"), role="small", halign="center"))
        if vm.data.get("case_no"):
            self.add_widget(KLabel(text=self.tr("ui.receipt.case_no", case_no=vm.data["case_no"]), halign="center"))
        if not self.children:
            self.add_widget(Illustration(name=_picture_for(vm)))


OK_OUTCOMES = ("completed", "guided")
NEUTRAL_OUTCOMES = ("canceled", "timeout", "missing_material", "nothing_to_collect", "not_found")


def _picture_for(vm: ViewModel) -> str:
    if vm.final:
        outcome = vm.data.get("outcome")
        return "outcome_ok" if outcome in OK_OUTCOMES else "outcome_info" if outcome in NEUTRAL_OUTCOMES \
            else "outcome_stop"
    return {"apply": "task_apply", "query": "task_query", "collect": "task_collect"}.get(vm.flow, "task_staff")


class CameraTemplate(Template):
    """Face verification: live preview with the guide oval and the face box."""

    def __init__(self, host: Any, **kw: Any) -> None:
        super().__init__(host, **kw)
        self.preview = CameraPreview(frames=host.camera_frames, boxes=host.face_box)
        self.add_widget(self.preview)
        self.hint = Banner(kind="warning", text="")
        self.add_widget(self.hint)

    def update(self, vm: ViewModel) -> None:
        challenge = vm.data.get("challenge")  # the one action the liveness check wants now
        self.hint.text = self.tr(f"identify.face.guidance.{challenge}") if challenge else self.tr("ui.camera.hint")


class ScanTemplate(Template):
    """Page or receipt under the document camera: live page preview and what to fix."""

    def __init__(self, host: Any, **kw: Any) -> None:
        super().__init__(host, **kw)
        self.spacing = self.app.s_spacing
        row = BoxLayout(spacing=self.app.s_spacing)
        self.preview = CameraPreview(frames=host.page_frames, boxes=None, mirror=False, guide=False)
        self.picture = Illustration(size_hint_x=0.45)
        row.add_widget(self.preview)
        row.add_widget(self.picture)
        self.add_widget(row)
        self.info = BoxLayout(orientation="vertical", size_hint_y=None, spacing=self.app.s_spacing * 0.5)
        self.info.bind(minimum_height=self.info.setter("height"))
        self.add_widget(self.info)

    def update(self, vm: ViewModel) -> None:
        self.picture.name = vm.illustration or "place_page"
        self.info.clear_widgets()
        d = vm.data
        if d.get("material"):
            name = d.get("material_en") if self.app.lang == "en" and d.get("material_en") else d["material"]
            self.info.add_widget(KLabel(text=self.tr("ui.scan.page_of", name=name, page=d.get("page", 1),
                                                     pages=d.get("pages", 1)), role="small"))
        for p in d.get("problems") or ():
            self.info.add_widget(Banner(kind="warning", text=self.tr(f"ui.scan.problem.{p}")))
        if d.get("deposited"):
            self.info.add_widget(KLabel(text=self.tr("ui.deposit.done_count", n=len(d["deposited"])), role="small"))


class ChooseTemplate(Template):
    """Choose a matter (categories, then matters) or a way (big tiles for the flow's choices)."""

    def update(self, vm: ViewModel) -> None:
        self.clear_widgets()
        d = vm.data
        if "categories" not in d:
            tiles = GridLayout(cols=1, spacing=self.app.s_spacing, size_hint_y=None)
            tiles.bind(minimum_height=tiles.setter("height"))
            for a in vm.actions:
                if a.kind in ("primary", "choice") and a.id not in ("cancel", "more_time"):
                    b = KButton(text=self.host.text(a.label), kind="primary", action_id=a.id,
                                height=self.app.s_target * 1.6)
                    b.bind(on_release=lambda btn: self.host.act(btn.action_id))
                    tiles.add_widget(b)
            self.add_widget(Illustration(name=_picture_for(vm), size_hint_y=0.6))
            self.add_widget(tiles)
            return
        cats = GridLayout(cols=3, spacing=self.app.s_spacing * 0.5, size_hint_y=None)
        cats.bind(minimum_height=cats.setter("height"))
        for c in d["categories"]:
            b = KButton(text=self.name(c), kind="primary" if c["code"] == d.get("category") else "choice",
                        action_id=c["code"])
            b.bind(on_release=lambda btn: self.host.act("category", code=btn.action_id))
            cats.add_widget(b)
        self.add_widget(cats)
        items = GridLayout(cols=1, spacing=self.app.s_spacing * 0.5, size_hint_y=None)
        for m in d.get("items") or ():
            label = self.name(m) + ("" if m.get("self_service") else "  · " + self.tr("ui.choose.guide_only"))
            b = KButton(text=label, kind="choice", action_id=m["code"], halign="left")
            b.bind(on_release=lambda btn: self.host.act("select", code=btn.action_id))
            items.add_widget(b)
        if d.get("items"):
            self.add_widget(KLabel(text=self.tr("ui.choose.results", n=len(d["items"])), role="small"))
        self.add_widget(self.scroll(items))


class GuideTemplate(Template):
    """The service guide: who decides, how long, what it costs, what to bring."""

    def update(self, vm: ViewModel) -> None:
        self.clear_widgets()
        g = vm.data.get("guide") or {}
        box = BoxLayout(orientation="vertical", spacing=self.app.s_spacing * 0.5)
        rows = [
            ("ui.guide.name", self.name(g)),
            ("ui.guide.authority", self.name(g, "authority")),
            ("ui.guide.days", self.tr("ui.guide.days_value", days=g.get("promised_days", "?"),
                                      statutory=g.get("statutory_days", "?"))),
            ("ui.guide.fee", self.tr("ui.guide.free") if not g.get("fee_fen") else
             self.tr("ui.money", yuan=f"{g['fee_fen'] / 100:.2f}")),
        ]
        for key, value in rows:
            box.add_widget(KLabel(text=f"{self.tr(key)}: {value}", role="small"))
        box.add_widget(KLabel(text=self.tr("ui.guide.materials"), role="body", bold=True))
        for m in g.get("materials") or ():
            form = self.tr(f"ui.material.form.{m.get('form', 'paper')}")
            need = "" if m.get("required", True) else " " + self.tr("ui.material.optional")
            box.add_widget(KLabel(text=f"• {self.name(m)} ({form}){need}", role="small"))
        self.add_widget(self.scroll(box))


class ListTemplate(Template):
    """Lists from the view model: e-certificates to fetch, missing materials, items to retrieve."""

    def update(self, vm: ViewModel) -> None:
        self.clear_widgets()
        d = vm.data
        box = BoxLayout(orientation="vertical", spacing=self.app.s_spacing * 0.5)
        for e in d.get("ecerts") or ():
            box.add_widget(KLabel(text=f"• {self.name(e)}"))
        for m in d.get("missing") or ():
            box.add_widget(KLabel(text=f"• {self.name(m)}"))
        for item in d.get("items") or ():
            row = BoxLayout(spacing=self.app.s_spacing, size_hint_y=None, height=self.app.s_target)
            row.add_widget(KLabel(text=self.tr(f"ui.retrieve.kind.{item.get('kind', 'dropoff')}",
                                               case_no=item.get("case_no", ""), compartment=item.get("compartment", ""))))
            b = KButton(text=self.tr("ui.retrieve.open", compartment=item.get("compartment", "")), kind="primary",
                        action_id=str(item.get("compartment", "")), size_hint_x=0.4)
            b.bind(on_release=lambda btn: self.host.act("open", compartment=btn.action_id))
            row.add_widget(b)
            box.add_widget(row)
        if not box.children:
            self.add_widget(Illustration(name=vm.illustration or _picture_for(vm)))
            return
        self.add_widget(self.scroll(box))


class PayTemplate(Template):
    """Payment: the station's QR for the phone (never below `theme.QR_MIN_DP`, so it scans from
    40 cm), beside it the picture of a payment code held under the document camera (when the
    station has one), and under both the amount and the payment countdown, large."""

    SHOWS_BODY_KEYS = ("apply.pay.amount", "apply.pay.scan_qr", "pay.show_code", "pay.time_left")

    def __init__(self, host: Any, **kw: Any) -> None:
        from kivy.metrics import dp

        from kiosk.screens import theme

        super().__init__(host, **kw)
        self.spacing = self.app.s_spacing
        self.ways = BoxLayout(spacing=self.app.s_spacing * 1.5)
        self.qr_box = BoxLayout(orientation="vertical", spacing=self.app.s_spacing * 0.5,
                                size_hint_min_x=dp(theme.QR_MIN_DP))
        self.qr = QrCode(size_hint_min_y=dp(theme.QR_MIN_DP))
        self.qr_caption = KLabel(role="small", halign="center")
        self.qr_box.add_widget(self.qr)
        self.qr_box.add_widget(self.qr_caption)
        self.code_box = BoxLayout(orientation="vertical", spacing=self.app.s_spacing * 0.5, size_hint_x=0.55)
        self.code_picture = Illustration(name="show_payment_code")
        self.code_caption = KLabel(role="small", halign="center")
        self.code_box.add_widget(self.code_picture)
        self.code_box.add_widget(self.code_caption)
        self.ways.add_widget(self.qr_box)
        self.add_widget(self.ways)
        self.facts = BoxLayout(spacing=self.app.s_spacing, size_hint_y=None)
        self.facts.bind(minimum_height=self.facts.setter("height"))
        self.amount = KLabel(role="title", halign="center", size_hint_x=0.45)
        self.countdown = Banner(kind="warning", halign="center", size_hint_x=0.55)
        self.facts.add_widget(self.amount)
        self.facts.add_widget(self.countdown)
        self.add_widget(self.facts)

    def update(self, vm: ViewModel) -> None:
        d = vm.data
        self.qr.text = str(d.get("qr") or "")
        self.qr_box.opacity = 1 if self.qr.text else 0
        self.qr_caption.text = self.tr("ui.pay.scan")
        with_camera = bool(d.get("code_camera"))
        if with_camera and self.code_box.parent is None:
            self.ways.add_widget(self.code_box)
        elif not with_camera and self.code_box.parent is not None:
            self.ways.remove_widget(self.code_box)
        self.code_caption.text = self.tr("ui.pay.code_under_camera")
        fen = d.get("amount_fen")
        self.amount.text = self.tr("ui.money", yuan=f"{fen / 100:.2f}") if fen is not None else ""
        left = d.get("seconds_left")
        self.countdown.text = self.tr("pay.time_left", seconds=left) if left is not None else ""
        self.countdown.opacity = 1 if left is not None else 0
        self.countdown.kind = "error" if left is not None and left <= 30 else "warning"


class QrTemplate(Template):
    """Receipt QR code on screen, with the case number."""

    def update(self, vm: ViewModel) -> None:
        self.clear_widgets()
        d = vm.data
        if d.get("qr"):
            self.add_widget(QrCode(text=str(d["qr"])))
        if d.get("case_no"):
            self.add_widget(KLabel(text=self.tr("ui.receipt.case_no", case_no=d["case_no"]), halign="center",
                                   role="title"))
        if d.get("amount_fen") is not None:
            self.add_widget(KLabel(text=self.tr("ui.money", yuan=f"{d['amount_fen'] / 100:.2f}"), halign="center",
                                   role="title"))
        self.add_widget(KLabel(text=self.tr("ui.receipt.scan_to_follow"), halign="center", role="small"))


class CabinetTemplate(Template):
    """Which door: the cabinet map with the compartment(s) highlighted, and the action pictured."""

    def __init__(self, host: Any, **kw: Any) -> None:
        super().__init__(host, **kw)
        self.spacing = self.app.s_spacing
        self.label = KLabel(role="title", halign="center")
        self.map = CabinetMap(layout=host.cabinet_layout(), label_size=self.app.s_small)
        self.picture = Illustration(size_hint_y=0.45)
        self.add_widget(self.label)
        self.add_widget(self.map)
        self.add_widget(self.picture)

    def update(self, vm: ViewModel) -> None:
        comps = list(vm.data.get("compartments") or ([vm.data["compartment"]] if vm.data.get("compartment") else []))
        self.map.highlight = comps
        self.map.open_doors = [c for c in comps if self.host.door_state(c) == "open"]
        self.label.text = self.tr("ui.cabinet.this_door", compartment="、".join(comps) if self.app.lang == "zh"
                                  else ", ".join(comps)) if comps else ""
        self.picture.name = vm.illustration or "take_and_close"


class KeypadTemplate(Template):
    """Digits for a pickup code or PIN; OK calls the view model's keypad action."""

    def __init__(self, host: Any, **kw: Any) -> None:
        super().__init__(host, **kw)
        self.keypad = Keypad(on_submit=self._submit, size_hint_x=None)
        self.keypad.width = self.app.s_target * 3 + self.app.s_spacing * 2 * 1.2 + 4 * self.app.s_target
        self.action_id = ""
        self.add_widget(BoxLayout())
        self.add_widget(self.keypad)
        self.add_widget(BoxLayout())
        self.keypad.pos_hint = {"center_x": 0.5}

    def update(self, vm: ViewModel) -> None:
        pad = next((a for a in vm.actions if a.kind == "keypad"), None)
        self.action_id = pad.id if pad else ""
        digits = int(vm.data.get("digits") or 6)
        mask = bool(vm.data.get("mask"))
        if (self.keypad.max_len, self.keypad.mask) != (digits, mask):
            self.keypad.value = ""
        self.keypad.max_len, self.keypad.mask, self.keypad.min_len = digits, mask, digits
        self.keypad.submit_text = self.host.text(pad.label) if pad else self.tr("ui.ok")
        self.keypad.delete_text = self.tr("ui.key.delete")
        if vm.error is not None and self.keypad.value and len(self.keypad.value) == digits:
            self.keypad.value = ""  # a wrong code: empty the pad for the next try

    def _submit(self, value: str) -> None:
        if self.action_id:
            arg = KEYPAD_ARGS.get(self.action_id, (self.action_id, "digits"))[0]
            self.host.act(self.action_id, **{arg: value})


class TimelineTemplate(Template):
    """The person's cases, each with its timeline."""

    def update(self, vm: ViewModel) -> None:
        self.clear_widgets()
        box = BoxLayout(orientation="vertical", spacing=self.app.s_spacing * 0.5)
        for case in vm.data.get("cases") or ():
            box.add_widget(KLabel(text=f"{case.get('case_no', '')}  {self.name(case, 'matter')}", bold=True))
            box.add_widget(Banner(kind="info", text=self.name(case, "status")))
            if case.get("promised_date"):
                box.add_widget(KLabel(text=self.tr("ui.case.promised", date=case["promised_date"]), role="small"))
            for ev in case.get("timeline") or ():
                when = str(ev.get("at", ""))[:16].replace("T", " ")
                box.add_widget(KLabel(text=f"{when}  {self.name(ev, 'note') or ev.get('status', '')}", role="small"))
        self.add_widget(self.scroll(box))


class ChecklistTemplate(Template):
    """Commissioning checks: one row per target with pass / fail and the detail."""

    def update(self, vm: ViewModel) -> None:
        self.clear_widgets()
        box = BoxLayout(orientation="vertical", spacing=self.app.s_spacing * 0.4)
        for r in vm.data.get("rows") or ():
            line = words.check_line(r, self.app.lang)
            box.add_widget(Banner(kind="info" if line.ok else "error", text=f"{line.mark} {line.text}"))
            if line.raw:  # what the device or check itself reported: technical, shown as it is
                box.add_widget(KLabel(text=words.raw_label(line.raw, self.app.lang), role="small"))
        if vm.data.get("bundle"):
            box.add_widget(KLabel(text=self.tr("ui.commission.bundle", path=vm.data["bundle"]), role="small"))
        self.add_widget(self.scroll(box))


TEMPLATES: dict[str, type[Template]] = {
    "message": PictureTemplate, "identify_card": PictureTemplate, "notice": ListTemplate,
    "camera": CameraTemplate, "scan": ScanTemplate, "choose": ChooseTemplate, "guide": GuideTemplate,
    "consent": ListTemplate, "list": ListTemplate, "pay": PayTemplate, "receipt_qr": QrTemplate,
    "cabinet": CabinetTemplate, "keypad": KeypadTemplate,
    "timeline": TimelineTemplate, "checklist": ChecklistTemplate,
}


def template_for(screen: str) -> type[Template]:
    return TEMPLATES.get(screen, PictureTemplate)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
