"""The simulator panel: a second, separate window (its own process) for the person trying the
simulated station — clearly not part of what a citizen sees. It talks to the simulators only
through their control socket (`hw_sim.control.ControlClient`), like `python -m hw_sim.ctl`:

    python -m kiosk.screens.sim_panel --socket var/sim/sim.sock --config config/sim.toml

Insert or remove an ID card (any sample identity); choose who stands at the camera (the card
holder, an impostor, a printed photo, a phone screen, nobody); place a document page or take it
away; close a compartment door (or all), open one by hand; run the printer out of paper, jam it;
take a lock board offline; approve cases; read the last SMS and the last receipt; pay: hold up a
phone's payment code (a fresh one, or one charged before: a screenshot shown again), make the next
code bounce, or pay the station's QR as the phone would.

Every label is Chinese / English side by side (whoever tries the station reads either); the output
line shows the simulators' own answer (technical, English).

`PanelActions` holds what every button does (no Kivy: tested against real simulators).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

CAMERA_PEOPLE = (("holder", "持证人本人 / card holder"), ("impostor", "他人 / impostor"),
                 ("printed_photo", "打印照片 / printed photo"), ("phone_screen", "手机屏幕 / phone screen"),
                 ("nobody", "无人 / nobody"))
PAGES = (("page_good", "放一页材料 / place a page"), ("page_glare", "反光 / glare"), ("page_skewed", "歪斜 / skewed"),
         ("no_page", "拿走 / take it away"))


class PanelActions:
    """Every panel button as a method; each returns a short text for the panel's output line."""

    def __init__(self, socket_path: str, compartments: list[tuple[str, int, int]] | None = None) -> None:
        from kiosk import simulation
        ControlClient = simulation.ControlClient

        self.client = ControlClient(socket_path, timeout=10.0)
        self.compartments = {c: (b, lk) for c, b, lk in (compartments or [])}

    def call(self, device: str, cmd: str, **args: Any) -> str:
        from kiosk import simulation
        ControlError = simulation.ControlError

        try:
            result = self.client.call(device, cmd, **args)
        except ControlError as exc:
            return f"{device}.{cmd}: {exc}"
        text = json.dumps(result, ensure_ascii=False, default=str)
        return f"{device}.{cmd}: {text[:400]}"

    def identities(self) -> list[str]:
        try:
            return list(self.client.call("id_reader", "identities"))
        except Exception:
            return ["obama"]

    def insert_card(self, identity: str) -> str:
        return self.call("id_reader", "insert", identity=identity)

    def remove_card(self) -> str:
        return self.call("id_reader", "remove")

    def camera(self, source: str, identity: str | None = None) -> str:
        if identity and source in ("holder", "printed_photo", "phone_screen"):
            self.call("camera", "set_person", identity=identity)
        return self.call("camera", "show", source=source)

    def page(self, source: str) -> str:
        return self.call("document_camera", "show", source=source)

    def close_door(self, compartment: str) -> str:
        if compartment not in self.compartments:
            return f"没有柜格 / no compartment {compartment!r}"
        board, lock = self.compartments[compartment]
        return self.call("cabinet", "close_door", board=board, lock=lock)

    def open_by_hand(self, compartment: str) -> str:
        if compartment not in self.compartments:
            return f"没有柜格 / no compartment {compartment!r}"
        board, lock = self.compartments[compartment]
        return self.call("cabinet", "open_door_by_hand", board=board, lock=lock)

    def close_all(self) -> str:
        return self.call("cabinet", "close_all")

    def board_offline(self, board: int, offline: bool) -> str:
        return self.call("cabinet", "set_board_offline", board=board, offline=offline)

    def paper(self, state: str) -> str:
        return self.call("printer", "set_paper", state=state)

    def jam(self, on: bool) -> str:
        return self.call("printer", "jam", on=on)

    def show_payment_code(self) -> str:
        return self.call("document_camera", "show_payment_code")

    def show_used_payment_code(self) -> str:
        """A code the provider has charged before (a screenshot of an old code shown again)."""
        try:
            code = str(self.client.call("backoffice", "payment_code"))
            self.client.call("backoffice", "mark_code_used", code=code)
        except Exception as exc:
            return f"backoffice.payment_code: {exc}"
        return self.call("document_camera", "show_payment_code", code=code)

    def decline_next_code(self) -> str:
        return self.call("backoffice", "decline_next_code")

    def phone_pays_qr(self) -> str:
        return self.call("backoffice", "pay")

    def approve_all(self) -> str:
        return self.call("backoffice", "approve")

    def last_sms(self) -> str:
        return self.call("backoffice", "last_sms")

    def last_receipt(self) -> str:
        return self.call("printer", "last_receipt")


def run_panel(actions: PanelActions, screenshot: str | None = None) -> None:
    import os

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    Config.set("graphics", "width", "560")
    Config.set("graphics", "height", "820")
    Config.set("kivy", "exit_on_escape", "1")
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button
    from kivy.uix.gridlayout import GridLayout
    from kivy.uix.label import Label
    from kivy.uix.scrollview import ScrollView
    from kivy.uix.spinner import Spinner

    from kiosk.screens.theme import register_fonts

    class Panel(App):
        def build(self) -> Any:
            register_fonts()
            self.title = "模拟器面板（不属于自助服务站）/ Simulator panel (not part of the station)"
            Window.clearcolor = (0.16, 0.16, 0.18, 1)
            root = BoxLayout(orientation="vertical", padding=8, spacing=6)
            root.add_widget(Label(text="模拟器面板 — 不是市民看到的屏幕\nSimulator panel — not the citizen's screen",
                                  size_hint_y=None, height=48, color=(1, 0.85, 0.3, 1), halign="center"))
            people = actions.identities()
            self.person = Spinner(text=people[0] if people else "obama", values=people, size_hint_y=None, height=40)
            self.out = Label(text="", size_hint_y=None, halign="left", valign="top", color=(0.9, 0.9, 0.9, 1))
            self.out.bind(width=lambda w, v: setattr(w, "text_size", (v, None)),
                          texture_size=lambda w, v: setattr(w, "height", v[1]))
            grid = GridLayout(cols=2, spacing=4, size_hint_y=None)
            grid.bind(minimum_height=grid.setter("height"))

            def add(text: str, fn: Any) -> None:
                b = Button(text=text, size_hint_y=None, height=48, halign="center")
                b.bind(width=lambda w, v: setattr(w, "text_size", (v - 8, None)))
                b.bind(on_release=lambda *_: self.show(fn()))
                grid.add_widget(b)

            grid.add_widget(Label(text="身份证 / ID card: who", size_hint_y=None, height=40))
            grid.add_widget(self.person)
            add("插入身份证 / insert card", lambda: actions.insert_card(self.person.text))
            add("取出身份证 / remove card", actions.remove_card)
            for src, label in CAMERA_PEOPLE:
                add(f"摄像头 / camera: {label}", lambda s=src: actions.camera(s, self.person.text))
            for src, label in PAGES:
                add(f"高拍仪 / document: {label}", lambda s=src: actions.page(s))
            comps = sorted(actions.compartments) or ["A01"]
            self.comp = Spinner(text=comps[0], values=comps, size_hint_y=None, height=40)
            grid.add_widget(Label(text="柜格 / compartment", size_hint_y=None, height=40))
            grid.add_widget(self.comp)
            add("关门 / close its door", lambda: actions.close_door(self.comp.text))
            add("手动开门 / open by hand", lambda: actions.open_by_hand(self.comp.text))
            add("关闭所有柜门 / close all doors", actions.close_all)
            add("1号锁控板离线 / board 1 offline", lambda: actions.board_offline(1, True))
            add("1号锁控板恢复 / board 1 back", lambda: actions.board_offline(1, False))
            add("打印机缺纸 / printer out of paper", lambda: actions.paper("out"))
            add("打印机有纸 / printer paper ok", lambda: actions.paper("ok"))
            add("打印机卡纸 / printer jammed", lambda: actions.jam(True))
            add("打印机恢复 / printer unjammed", lambda: actions.jam(False))
            add("出示手机付款码 / show a payment code", actions.show_payment_code)
            add("出示用过的付款码（截图） / show a used code (screenshot)", actions.show_used_payment_code)
            add("下一次付款码扣款失败 / next code declined", actions.decline_next_code)
            add("手机扫码支付 / phone pays the QR", actions.phone_pays_qr)
            add("后台审批通过 / back office approves", actions.approve_all)
            add("最近短信 / last SMS", actions.last_sms)
            add("最近凭条 / last receipt", actions.last_receipt)
            sv = ScrollView()
            sv.add_widget(grid)
            root.add_widget(sv)
            out_sv = ScrollView(size_hint_y=0.25)
            out_sv.add_widget(self.out)
            root.add_widget(out_sv)
            if screenshot:
                Clock.schedule_once(lambda _dt: (Window.screenshot(name=screenshot), self.stop()), 1.5)
            return root

        def show(self, text: str) -> None:
            self.out.text = text

    Panel().run()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kiosk.screens.sim_panel", description=__doc__.splitlines()[0])
    p.add_argument("--socket", required=True, help="the simulators' control socket ([simulator] control_socket)")
    p.add_argument("--config", default="config/sim.toml", help="station config (for the compartment map)")
    p.add_argument("--screenshot", help="write one screenshot of the panel and exit (tests)")
    args = p.parse_args(argv)
    compartments: list[tuple[str, int, int]] = []
    try:
        from kiosk.config import load_config

        compartments = [(c.id, c.board, c.lock) for c in load_config(args.config).cabinet.compartments]
    except Exception as exc:  # the panel still works for everything but doors by name
        print(f"sim_panel: no compartment map ({exc})")
    run_panel(PanelActions(args.socket, compartments), args.screenshot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
