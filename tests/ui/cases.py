"""The UI cases `tests.ui.driver` runs, each in its own process: touches through apply, collect
(English, elder mode), deposit and the idle timeout; technician mode; the layout sweep over every
screen template in both languages and elder mode. Each is a generator over a `Tester`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kiosk.flows.texts import both, render
from kiosk.flows.viewmodel import Action, Text, ViewModel

CJK = re.compile(r"[\u4e00-\u9fff]")


def _tile(t: Any, task: str) -> Any:
    from kiosk.screens.attract import TaskTile
    from kiosk.screens.scenario_player import walk

    return next(w for w in walk(t.app.root_view) if isinstance(w, TaskTile) and w.task == task)


def _controls(t: Any) -> Any:
    from hw_sim.station.controls import SimControls

    return SimControls(t.hub, t.station)


def _flow_labels(t: Any) -> list[str]:
    from kivy.uix.label import Label

    from kiosk.screens.scenario_player import walk

    return [w.text for w in walk(t.app.flow_screen) if isinstance(w, Label) and w.text.strip()]


def _good_page(t: Any) -> Iterator[None]:
    """The document camera sees a good page until one more page is captured."""
    flow = t.app.flow
    yield from t.wait(lambda: flow.pending("page"), 10, "a page capture running")
    old = t.app.flow_screen.template.preview  # the scan screen's page preview
    cmd = flow._pending.get("page")
    # a person lays the next sheet once the station saw the area empty (it says "place the page")
    yield from t.wait(lambda: flow.scan_feedback == "no_page", 10, "the scanning area seen empty")
    t.hub.call("document_camera", "show", source="page_good")
    yield from t.wait(lambda: cmd is None or cmd.done(), 20, "the page captured")
    t.hub.call("document_camera", "show", source="no_page")
    yield from t.frames(3)
    # the station reads each captured page (OCR, kind, cross-check) before it is accepted
    yield from t.wait(lambda: flow.state != "reading", 90, "the page read")
    # the reading screen replaced the scan screen's template: its preview no longer uploads frames
    # nobody sees (that starved the page's OCR); the next scan screen's own preview draws
    new = getattr(t.app.flow_screen.template, "preview", None)
    if flow.state == "scan" and new is not None and new is not old:
        n_old, n_new = old.shown, new.shown
        yield from t.wait(lambda: new.shown >= n_new + 3, 10, "the next page preview drawing")
        t.check(old.shown == n_old, f"a replaced page preview stops drawing ({old.shown - n_old} frames off screen)")


# -- apply, Chinese, touches only -----------------------------------------------------------------
def apply_zh(t: Any) -> Iterator[None]:
    app = t.app
    t.shot("attract")
    t.layout("attract zh")
    t.touch(_tile(t, "apply"))
    yield from t.wait_state("choose")
    t.check(app.sm.current == "flow", "touching the apply tile shows the flow screen")
    yield from t.press("search")  # opens the letter pad (no free-text Chinese input)
    for ch in "GTGSH":
        yield from t.press(f"key:{ch}")
    yield from t.press("key:ok")
    yield from t.wait(lambda: t.button("ME-001") is not None, 5, "the search result ME-001 on screen")
    t.shot("choose-results")
    t.layout("choose results")
    yield from t.press("ME-001")
    yield from t.wait_state("guide")
    t.shot("guide")
    # voice: the guide's own text is spoken; the header's voice button goes loud -> off -> normal
    t.check(app.voice is not None and app.voice.last_spoken and app.voice.last_spoken[0] == "guide",
            f"the guide's instruction is spoken (last: {app.voice.last_spoken if app.voice else None})")
    t.check(app.voice_level == "normal", "the voice button is in the header (voice: normal)")
    yield from t.press("voice")
    yield from t.press("voice")
    t.check(app.voice.speaker.muted and app.voice_level == "off", "two touches on the voice button mute the prompts")
    yield from t.press("voice")
    t.check(not app.voice.speaker.muted and app.voice_level == "normal", "a third touch brings the voice back")
    yield from t.press("start")
    yield from t.wait_state("identify_card")
    t.check(app.flow.view().step == 2, "identify is step 2")
    t.check(any("第 2 步" in s for s in _flow_labels(t)), "the step indicator says 第 2 步")
    t.shot("insert-card")
    t.hub.call("camera", "show", source="holder")
    t.hub.call("camera", "set_person", identity="obama")
    t.hub.call("id_reader", "insert", identity="obama")
    yield from t.wait_state("identify_face", 20)
    preview = app.flow_screen.template.preview
    shown0 = preview.shown
    yield from t.sleep(0.5)
    t.check(preview.shown > shown0, f"the camera preview shows live frames ({preview.shown - shown0} in 0.5 s)")
    t.shot("face")
    yield from t.wait_state("ecert_consent", 30)
    yield from t.press("consent")
    yield from t.wait_state("scan", 20)
    t.shot("scan")
    t.layout("scan zh")
    yield from _good_page(t)
    yield from _good_page(t)
    while app.flow.state == "scan":
        yield from t.press("skip")
        yield from t.frames(5)
    # 智能填表: the form pre-filled from the card; the phone keyed, the form of business touched
    yield from t.wait_state("form", 40)
    from hw_sim.identities import get_identity

    t.check(any(get_identity("obama").name_zh in s for s in _flow_labels(t)), "the card's name is on the form")
    t.shot("form")
    t.layout("form zh")
    yield from t.press("confirm")
    t.check(app.flow.state == "form" and app.flow.error is not None, "a required field left empty keeps the form")
    t.shot("form-missing")
    yield from t.press("edit:phone")
    yield from t.wait_state("form_edit")
    t.shot("form-keypad")
    t.layout("form keypad zh")
    yield from t.keys("13800138000")
    yield from t.wait_state("form")
    yield from t.press("edit:organisation")
    yield from t.wait_state("form_edit")
    t.shot("form-choices")
    yield from t.press("set:family")
    yield from t.wait_state("form")
    yield from t.press("confirm")
    yield from t.wait_state("done", 40)
    from kiosk.screens.qr_view import QrCode
    from kiosk.screens.scenario_player import walk

    qrs = [w for w in walk(app.flow_screen) if isinstance(w, QrCode) and w.text]
    t.check(qrs, "the receipt's QR code is shown on screen")
    case_no = app.flow.view().data.get("case_no", "")
    t.check(case_no and any(case_no in s for s in _flow_labels(t)), "the case number is on screen")
    t.shot("done")
    t.layout("done zh")
    yield from t.press("finish")
    yield from t.wait_state("rating")
    t.shot("rating")
    t.layout("rating zh")
    yield from t.press("skip")  # 好差评: skipped in one touch
    yield from t.frames(3)
    t.check(app.flow.ended and app.flow.outcome == "completed", f"outcome completed (got {app.flow.outcome})")
    t.check(not app.flow.session.holds_personal_data(), "no personal data left after the visit")
    t.shot("ended")
    yield from t.press("home")
    t.check(app.sm.current == "attract", "home goes back to the attract screen")
    t.info["outcome"] = app.flow.outcome


# -- collect by code, English, elder mode -----------------------------------------------------------
def collect_en_elder(t: Any) -> Iterator[None]:
    from hw_sim.station.setups import SETUPS

    app = t.app
    ctx = SETUPS["deposited_result"](t.station, _controls(t))
    yield from t.press("lang")
    yield from t.press("elder")
    yield from t.frames(3)
    t.check(app.lang == "en" and app.elder, "one touch each: English and elder mode")
    tile = _tile(t, "collect")
    labels = [c.text for c in tile.walk() if hasattr(c, "text") and isinstance(getattr(c, "text"), str)]
    t.check("Collect documents" in labels, f"the attract tiles speak English ({labels})")
    t.shot("attract-en-elder")
    t.layout("attract en elder")
    t.touch(tile)
    yield from t.wait_state("method")
    t.layout("method en elder")
    yield from t.press("code")
    yield from t.wait_state("code_entry")
    t.shot("code-entry")
    t.layout("keypad en elder")
    yield from t.keys(str(ctx["code"]))
    yield from t.wait_state("identify_card", 10)
    t.hub.call("id_reader", "insert", identity="obama")
    yield from t.wait(lambda: app.flow.state in ("identify_face", "take"), 30, "face check or the door")
    if app.flow.state == "identify_face":
        t.hub.call("camera", "set_person", identity="obama")
    yield from t.wait_state("take", 40)
    cmap = app.flow_screen.template.map
    t.check(list(cmap.highlight) == [ctx["compartment"]], f"the map highlights {ctx['compartment']} ({cmap.highlight})")
    t.check(not [s for s in _flow_labels(t) if CJK.search(s)], f"no Chinese left on the English screen: "
            f"{[s for s in _flow_labels(t) if CJK.search(s)][:3]}")
    t.shot("take")
    t.layout("take en elder")
    t.hub.call("cabinet", "close_door", board=ctx["board"], lock=ctx["lock"])
    yield from t.wait_state("confirm", 20)
    yield from t.press("taken")
    yield from t.wait_state("rating")
    t.shot("rating")
    t.layout("rating en elder")
    yield from t.press("rate:5")  # one touch rates
    yield from t.wait_state("done", 30)
    yield from t.press("finish")
    yield from t.frames(3)
    t.check(app.flow.outcome == "completed", f"collect completed (got {app.flow.outcome})")
    t.info["outcome"] = app.flow.outcome


# -- staff deposit ------------------------------------------------------------------------------------
def deposit_zh(t: Any) -> Iterator[None]:
    from hw_sim.station.setups import SETUPS

    app = t.app
    ctx = SETUPS["result_ready"](t.station, _controls(t), person="foreign_origin")
    yield from t.press("deposit")
    yield from t.wait_state("identify_card")
    t.hub.call("id_reader", "insert", identity="biden")
    yield from t.wait_state("staff_pin", 20)
    yield from t.keys("999999")
    yield from t.frames(3)
    t.check(app.flow.state == "staff_pin" and app.flow.error is not None, "a wrong PIN says so and stays")
    t.shot("wrong-pin")
    yield from t.keys("246810")
    yield from t.wait_state("scan_envelope", 10)
    t.shot("scan-envelope")
    _controls(t).show_page(barcode=ctx["case_no"])
    yield from t.wait_state("deposit_close", 30)
    comp = app.flow.view().data.get("compartment")
    t.check(comp and app.flow_screen.template.map.highlight == [comp], "the door to use is highlighted")
    t.shot("deposit-close")
    c = t.station.services.cabinet.get(comp)
    t.hub.call("cabinet", "close_door", board=c.board, lock=c.lock)
    yield from t.wait_state("deposit_done", 30)
    t.shot("deposit-done")
    yield from t.press("finish")
    yield from t.frames(3)
    t.check(app.flow.outcome == "completed", f"deposit completed (got {app.flow.outcome})")
    t.info["outcome"] = app.flow.outcome


# -- idle timeout ----------------------------------------------------------------------------------------
def _short_final(config: Any) -> Any:
    return config.model_copy(update={"ui": config.ui.model_copy(update={"final_screen_s": 3.0})})


def idle_timeout(t: Any) -> Iterator[None]:
    from kivy.metrics import dp

    app = t.app
    t.touch(_tile(t, "apply"))
    yield from t.wait_state("choose")
    flow = app.flow
    t.clock.advance(45)  # idle 60 s, warning in the last 20 s
    yield from t.wait(lambda: app.idle.active, 3, "the idle countdown")
    t.check(app.beeper.played == 1, f"one beep when the countdown appears (played {app.beeper.played})")
    t.check(0 < app.idle.seconds <= 20, f"countdown shows the seconds left ({app.idle.seconds})")
    more = t.button("more_time")
    t.check(more is not None and more.height >= dp(48), "a one-touch 'more time' of >= 48 dp")
    t.shot("countdown")
    t.layout("idle overlay zh")
    before = flow.session.remaining()
    yield from t.press("more_time")
    yield from t.frames(3)
    t.check(not app.idle.active, "more time closes the countdown")
    t.check(flow.session.remaining() >= before + 20, f"at least 20 s more ({before:.0f} -> {flow.session.remaining():.0f})")
    # a touch anywhere re-arms the deadline, and the language switches live mid-visit
    yield from t.press("lang")
    yield from t.frames(3)
    t.check(app.flow_screen.ids.title.text == "Choose a service", f"title switched live: {app.flow_screen.ids.title.text!r}")
    finals: list[bool] = []
    app.on_render.append(lambda vm: finals.append(vm is not None and vm.final and app.sm.current == "flow"))
    t.clock.advance(200)
    yield from t.wait(lambda: flow.ended, 4, "the visit ending on timeout")
    t.check(flow.outcome == "timeout", f"outcome timeout (got {flow.outcome})")
    t.check(not flow.session.holds_personal_data(), "data cleared on timeout")
    yield from t.frames(1)
    t.check(any(finals), "the visit's last screen says what happened before going home")
    t.shot("timed-out")
    yield from t.wait(lambda: app.sm.current == "attract", 6, "back on the attract screen")
    t.shot("attract-again")


idle_timeout.config = _short_final  # type: ignore[attr-defined]


# -- technician mode -------------------------------------------------------------------------------------
def technician(t: Any) -> Iterator[None]:
    from kivy.tests.common import UnitTestTouch

    app = t.app
    label = app.root_view.ids.station_name
    x, y = label.to_window(*label.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    yield from t.sleep(1.0)
    t.check(app.sm.current == "attract", "a short press does nothing")
    yield from t.sleep(2.4)
    touch.touch_up()
    yield from t.frames(3)
    t.check(app.sm.current == "maintenance", "holding the station name 3 s opens the maintenance PIN screen")
    t.shot("maintenance")
    t.layout("maintenance")
    # the pad wants the technician's card on the reader first, then that technician's PIN (finding 3)
    t.check(app.maintenance.entry is not None and app.maintenance.entry.state == "card",
            "the maintenance screen asks for the technician card first")
    t.hub.call("id_reader", "insert", identity="rose_leslie")
    yield from t.wait(lambda: app.maintenance.entry.state == "pin", 20, "the technician card read at the pad")
    t.hub.call("id_reader", "remove")
    yield from t.keys("0000")
    t.check(app.sm.current == "maintenance" and "4" in app.maintenance.message,
            f"a wrong PIN is refused with tries left ({app.maintenance.message!r})")
    yield from t.keys("135790")
    yield from t.frames(3)
    t.check(app.sm.current == "technician", "the technician's PIN opens the dashboard")
    yield from t.sleep(1.2)
    from kiosk.screens.scenario_player import walk
    from kiosk.screens.widgets import Banner

    from kiosk.screens.technician_text import role_name, status_name

    banners = [w for w in walk(app.technician) if isinstance(w, Banner)]
    texts = [w.text for w in banners]
    printer, cabinet = role_name("printer", app.lang), role_name("cabinet", app.lang)
    t.check(any(cabinet in s for s in texts) and any(printer in s for s in texts),
            f"the dashboard lists the devices in words ({texts[:3]})")
    t.check(not any("printer" in s or "online" in s for s in texts) if app.lang == "zh" else True,
            f"no raw identifiers on the Chinese dashboard ({texts[:3]})")
    t.check(all(b.kind == "info" for b in banners if b.text.startswith("✓")) and
            any(b.text.startswith(f"✓ {printer}") and status_name("online", app.lang) in b.text for b in banners),
            f"working devices marked ✓ ({texts[:3]})")
    t.hub.call("printer", "offline", on=True)
    yield from t.wait(lambda: any(w.text.startswith(f"× {printer}") for w in walk(app.technician)
                                  if isinstance(w, Banner)), 10, "the printer shown failed on the dashboard")
    t.shot("devices")
    t.layout("technician devices")
    t.hub.call("printer", "offline", on=False)
    yield from t.press("tab:doors")
    t.hub.call("cabinet", "open_door_by_hand", board=1, lock=3)
    yield from t.wait(lambda: app.technician.map is not None and "A03" in app.technician.map.open_doors, 8,
                      "A03 shown open on the live map")
    t.shot("doors")
    t.hub.call("cabinet", "close_door", board=1, lock=3)
    yield from t.wait(lambda: "A03" not in app.technician.map.open_doors, 8, "A03 shown closed again")
    yield from t.press("tab:log")
    yield from t.sleep(0.3)
    t.check(app.log_lines(), "the log view has lines")
    t.shot("log")
    yield from t.press("exit")
    t.check(app.sm.current == "attract", "exit returns to the attract screen")


# -- layout sweep over every template ---------------------------------------------------------------------
PAY_STEPS = dict(step=4, steps=5, step_labels=tuple(Text(k) for k in (
    "apply.step.choose", "apply.step.identify", "apply.step.materials", "apply.step.pay", "apply.step.submit")))
PAY_ORDER = "https://pay.example.gov.cn/o/SIM0001-20261122-0001-V-7f3a9c2e"


def payment_views() -> list[ViewModel]:
    """The payment screens as `kiosk.flows.payment` builds them (tests/flows/test_payment_screens.py
    holds these to the real flow's keys): pay with the station's QR, the code camera and the
    countdown; each refusal of a payment code; the refund that could not go through (the longest text)."""
    retry_or_cancel = (Action("retry", Text("common.retry")), Action("cancel_payment", Text("pay.cancel"), "secondary"))
    views = [ViewModel("apply", "pay", Text("apply.pay.title"),
                       (Text("apply.pay.amount", {"yuan": "20.00"}), Text("apply.pay.scan_qr"), Text("pay.show_code"),
                        Text("pay.time_left", {"seconds": 179})),
                       (Action("check", Text("apply.pay.check")), Action("cancel_payment", Text("pay.cancel"), "secondary")),
                       screen="pay", illustration="show_payment_code",
                       data={"qr": PAY_ORDER, "amount_fen": 2000, "amount_yuan": "20.00", "basis_zh": "《收费标准》",
                             "code_camera": True, "seconds_left": 179}, **PAY_STEPS)]
    views += [ViewModel("apply", "pay_refused", Text("apply.pay.title"), (Text(f"pay.code.{why}"),), retry_or_cancel,
                        screen="message", illustration="show_payment_code", data={"refusal": why}, **PAY_STEPS)
              for why in ("code_used", "code_invalid", "declined")]
    views.append(ViewModel("apply", "refund_done", Text("pay.refund.title"),
                           (Text("apply.submit.failed"),
                            Text("pay.refund.failed", {"yuan": "20.00", "order": "PO-20261122-000123",
                                                       "phone": "0571-87654321"}),
                            Text("pay.refund.printed")),
                           (Action("ok", Text("common.ok")),), screen="message", illustration="take_receipt",
                           data={"refunded": False, "order_id": "PO-20261122-000123", "amount_yuan": "20.00"},
                           step=5, steps=5, step_labels=PAY_STEPS["step_labels"]))
    return views


def shot_name(vm: ViewModel) -> str:
    extra = vm.data.get("refusal") or ""
    return f"{vm.flow}-{vm.state}" + (f"-{extra}" if extra else "")


def sample_views() -> list[ViewModel]:
    """One view model per template kind, with the longest real texts the flows produce."""
    steps = dict(step=3, steps=5, step_labels=tuple(Text(k) for k in (
        "apply.step.choose", "apply.step.identify", "apply.step.materials", "apply.step.pay", "apply.step.submit")))
    cancel = Action("cancel", Text("common.cancel"), "secondary")
    long_name = "住所（经营场所）使用证明"
    guide = {"code": "ME-001", "name_zh": "个体工商户营业执照（设立登记）", "name_en": "Individual business licence (registration)",
             "authority_zh": "临江市市场监督管理局", "authority_en": "Linjiang Market Regulation Bureau", "promised_days": 1,
             "statutory_days": 3, "fee_fen": 0,
             "materials": [{"name_zh": long_name, "name_en": "Proof of the business premises", "form": "copy",
                            "required": True, "pages": 2},
                           {"name_zh": "居民身份证", "name_en": "Resident ID card", "form": "original", "required": False,
                            "pages": 1}]}
    cats = [{"code": c, "name_zh": z, "name_en": e, "icon": ""} for c, z, e in (
        ("SI", "社会保险", "Social insurance"), ("ME", "市场主体", "Businesses"), ("PS", "户籍与公安", "Residence and police"),
        ("HF", "住房公积金", "Housing fund"), ("TX", "税务", "Taxes"))]
    items = [{"code": "ME-001", "name_zh": guide["name_zh"], "name_en": guide["name_en"], "self_service": True},
             {"code": "PS-003", "name_zh": "居住证签注", "name_en": "Residence permit endorsement", "self_service": False}]
    return [
        ViewModel("apply", "choose", Text("apply.choose.title"), (Text("apply.choose.hint"),),
                  (Action("search", Text("apply.choose.search"), "keypad"), cancel), screen="choose",
                  data={"categories": cats, "category": "ME", "items": items}, **steps),
        ViewModel("apply", "guide", Text("apply.guide.title", {"name": guide["name_zh"]}),
                  (Text("apply.guide.self_service"),),
                  (Action("start", Text("apply.guide.start")), Action("back", Text("common.back"), "secondary"), cancel),
                  screen="guide", data={"guide": guide}, **steps),
        ViewModel("apply", "identify_card", Text("identify.card.title"), (Text("identify.card.insert"),), (cancel,),
                  screen="identify_card", illustration="insert_id_card", busy=True,
                  error=Text("identify.card.unreadable"), **steps),
        ViewModel("apply", "identify_face", Text("identify.face.title"),
                  (Text("identify.face.look"), Text("identify.face.guidance.turn_left")), (cancel,),
                  screen="camera", illustration="look_at_camera", error=Text("identify.face.no_match"),
                  data={"challenge": "turn_left"}, **steps),
        ViewModel("apply", "identify_face", Text("identify.face.title"),
                  (Text("identify.face.look"), Text("identify.face.guidance.blink")), (cancel,),
                  screen="camera", illustration="look_at_camera", data={"challenge": "blink"}, **steps),
        ViewModel("apply", "ecert_consent", Text("apply.ecert.title"), (Text("apply.ecert.ask"),),
                  (Action("consent", Text("apply.ecert.consent")), Action("decline", Text("apply.ecert.decline"), "secondary"),
                   cancel), screen="consent",
                  data={"ecerts": [{"name_zh": "营业执照", "name_en": "Business licence"}]}, **steps),
        ViewModel("apply", "scan", Text("apply.scan.title"),
                  (Text("apply.scan.place", {"name": long_name, "page": 1, "pages": 2}), Text("scan.feedback.glare")),
                  (Action("retake", Text("apply.scan.retake")), Action("skip", Text("apply.scan.skip"), "secondary"), cancel),
                  screen="scan", illustration="place_page",
                  data={"material": long_name, "material_en": "Proof of the business premises", "page": 1, "pages": 2,
                        "problems": ["glare", "skewed"]}, **steps),
        ViewModel("apply", "scan", Text("apply.scan.title"),
                  (Text("apply.scan.place", {"name": "居民身份证", "page": 1, "pages": 1}),
                   Text("scan.feedback.move_into_view")),
                  (Action("skip", Text("apply.scan.skip"), "secondary"), cancel), screen="scan", illustration="place_page",
                  data={"material": "居民身份证", "material_en": "Resident ID card", "page": 1, "pages": 1,
                        "feedback": "move_into_view", "problems": []}, **steps),
        ViewModel("apply", "missing", Text("apply.missing.title"), (Text("apply.missing.explain"),),
                  (Action("finish", Text("apply.missing.understood")), Action("rescan", Text("apply.missing.rescan"),
                                                                              "secondary")),
                  screen="notice", data={"missing": [{"name_zh": long_name, "name_en": "Proof of the business premises",
                                                      "form": "copy"}]}, **steps),
        *payment_views(),
        ViewModel("apply", "receipt_on_screen", Text("apply.receipt.title"), (Text("apply.receipt.on_screen"),),
                  (Action("continue", Text("common.ok")),), screen="receipt_qr",
                  data={"qr": "https://q.example/c/SIM0001-20261122-0001-V", "case_no": "SIM0001-20261122-0001-V"},
                  **steps),
        ViewModel("collect", "code_entry", Text("collect.code.title"), (Text("collect.code.enter"),),
                  (Action("code", Text("common.ok"), "keypad"), cancel), screen="keypad",
                  data={"digits": 6, "mask": False}, error=Text("collect.code.wrong", {"left": 2}), step=1, steps=5),
        ViewModel("collect", "take", Text("collect.take.title"), (Text("collect.take.body", {"compartments": "A03"}),),
                  (), screen="cabinet", illustration="take_and_close", data={"compartments": ["A03"]}, step=3, steps=5),
        ViewModel("collect", "rating", Text("rating.title"), (Text("rating.ask"),),
                  (Action("rate", Text("rating.send"), "choice"), Action("skip", Text("rating.skip"), "secondary")),
                  screen="rating", data={"levels": [5, 4, 3, 2, 1], "service": "collect"}, step=4, steps=5),
        *form_views(steps),
        ViewModel("query", "timeline", Text("query.timeline.title"), (Text("query.timeline.count", {"n": 1}),),
                  (Action("finish", Text("common.finish")),), screen="timeline",
                  data={"cases": [{"case_no": "SIM0001-20261122-0001-V", "matter_zh": guide["name_zh"],
                                   "matter_en": guide["name_en"], "status_zh": "审批中", "status_en": "Being reviewed",
                                   "promised_date": "2026-11-23",
                                   "timeline": [{"at": "2026-11-22T09:00:00", "status": "submitted",
                                                 "note_zh": "已受理", "note_en": "Accepted"}]}]},
                  step=3, steps=3),
        ViewModel("retrieve", "retrieve_list", Text("retrieve.title"), (Text("retrieve.count", {"n": 2}),),
                  (Action("open", Text("retrieve.open"), "choice"), Action("finish", Text("common.finish"), "secondary")),
                  screen="list", data={"items": [{"kind": "dropoff", "case_no": "SIM0001-20261122-0002-X",
                                                  "compartment": "A07"},
                                                 {"kind": "expired", "case_no": "SIM0001-20261101-0009-K",
                                                  "compartment": "B02"}]}, step=2, steps=3),
        ViewModel("commission", "door_test", Text("commission.step.door_test"),
                  (Text("commission.door_test.body", {"left": 2}),),
                  (Action("next", Text("commission.next")), Action("repeat", Text("commission.repeat"), "secondary")),
                  screen="checklist", data={"rows": [{"check": "door_test", "target": "A01", "ok": True, "detail": "opened"},
                                                     {"check": "door_test", "target": "A02", "ok": False,
                                                      "detail": "not_opened: no reply from board 1"}]},
                  step=4, steps=9),
        ViewModel("apply", "ended", Text("apply.title"), (Text("flow.timed_out"),), (Action("finish", Text("common.finish")),),
                  data={"outcome": "timeout"}, final=True),
    ]


def _check_pay_screen(t: Any, vm: ViewModel, tag: str) -> None:
    """What a citizen needs on the payment screen: a QR a phone reads from 40 cm, the countdown
    and the amount in sight, the payment-code picture, a way to cancel."""
    from kivy.metrics import dp

    from kiosk.screens import theme
    from kiosk.screens.qr_view import QrCode
    from kiosk.screens.scenario_player import walk

    qrs = [w for w in walk(t.app.flow_screen) if isinstance(w, QrCode) and w.text and w.get_root_window()]
    side = min(qrs[0].size) if qrs else 0
    t.check(side >= dp(theme.QR_MIN_DP) - 0.5, f"pay {tag}: the QR is {side / dp(1):.0f} dp (< {theme.QR_MIN_DP})")
    labels = _flow_labels(t)
    seconds = str(vm.data["seconds_left"])
    t.check(sum(seconds in s for s in labels) == 1, f"pay {tag}: the countdown shown once ({labels})")
    t.check(sum("20.00" in s for s in labels) == 1, f"pay {tag}: the amount shown once ({labels})")
    t.check(t.button("cancel_payment") is not None and t.button("cancel") is None,
            f"pay {tag}: one way to cancel ({[b.action_id for b in t.buttons()]})")
    tpl = t.app.flow_screen.template
    t.check(tpl.code_picture.get_root_window() is not None and tpl.code_picture.width > dp(100),
            f"pay {tag}: the payment-code picture is shown")


def form_views(steps: dict[str, Any]) -> list[ViewModel]:
    """The form step's two screens with the longest labels of the shipped forms."""
    cancel = Action("cancel", Text("common.cancel"), "secondary")
    # labels go into the texts in both languages, as the flow sends them (kiosk.flows.form)
    phone, organisation = both("联系电话", "Phone number"), both("组成形式", "Form of business")
    title = {"title": both("个体工商户营业执照申请表", "Application for an individual business licence")}
    fields = [
        {"key": "name", "label_zh": "经营者姓名", "label_en": "Operator's name", "type": "text", "required": True,
         "value_zh": "奥巴马", "value_en": "奥巴马", "origin": "card", "editable": False},
        {"key": "id_number", "label_zh": "公民身份号码", "label_en": "Resident ID number", "type": "id_number",
         "required": True, "value_zh": "1101**********4258", "value_en": "1101**********4258", "origin": "card",
         "editable": True},
        {"key": "address", "label_zh": "户籍地址", "label_en": "Registered address", "type": "text", "required": True,
         "value_zh": "北京市东城区景山前街4号紫禁城乾清宫", "value_en": "北京市东城区景山前街4号紫禁城乾清宫",
         "origin": "card", "editable": False},
        {"key": "phone", "label_zh": "联系电话", "label_en": "Phone number", "type": "phone", "required": True,
         "value_zh": "", "value_en": "", "origin": "", "editable": True},
        {"key": "premises_no", "label_zh": "经营场所产权证号", "label_en": "Title certificate no. of the premises",
         "type": "text", "required": False, "value_zh": "京(2023)东城区不动产权第0012345号",
         "value_en": "京(2023)东城区不动产权第0012345号", "origin": "ocr", "editable": False},
        {"key": "capital", "label_zh": "资金数额（元）", "label_en": "Capital (yuan)", "type": "number", "required": False,
         "value_zh": "50000", "value_en": "50000", "origin": "keyed", "editable": True},
    ]
    return [
        ViewModel("apply", "form", Text("form.title"), (Text("form.check", title), Text("form.text_note")),
                  (Action("confirm", Text("form.confirm")), Action("edit", Text("form.edit"), "choice"), cancel),
                  screen="form", data={"title_zh": title["title"].zh, "title_en": title["title"].en,
                                       "fields": fields},
                  error=Text("form.missing", {"names": [phone]}), **steps),
        ViewModel("apply", "form_edit", Text("form.edit.title", {"label": phone}),
                  (Text("form.edit.key_phone", {"label": phone}),),
                  (Action("set", Text("common.ok"), "choice"), Action("back", Text("common.back"), "secondary"), cancel),
                  screen="form_field", data={"key": "phone", "label_zh": "联系电话", "label_en": "Phone number",
                                             "type": "phone", "value_zh": "", "value_en": "", "digits": 12},
                  error=Text("form.refused", {"reason": both(
                      "电话号码应为11位手机号或区号加座机号（只输数字）",
                      "A phone number is an 11-digit mobile or an area code and number (digits only)")}), **steps),
        ViewModel("apply", "form_choice", Text("form.edit.title", {"label": organisation}),
                  (Text("form.edit.choose", {"label": organisation}),),
                  (Action("set", Text("common.ok"), "choice"), Action("back", Text("common.back"), "secondary"), cancel),
                  screen="form_field", data={"key": "organisation", "label_zh": "组成形式", "label_en": "Form of business",
                                             "type": "choice", "value_zh": "个人经营", "value_en": "Run by one person",
                                             "choices": [{"value": "individual", "zh": "个人经营", "en": "Run by one person"},
                                                         {"value": "family", "zh": "家庭经营", "en": "Run by a family"}]},
                  **steps),
    ]


def _check_form_screen(t: Any, vm: ViewModel, lang: str, elder: bool, tag: str) -> None:
    """The form screens' own texts (title, explanation, error, the note on text items) are in the
    screen's language: field labels reach them in both languages. In elder mode the explanation
    is the short one and the note sits beside the list, not in the text column."""
    ids = t.app.flow_screen.ids
    column = [ids.title.text] + [w.text for w in ids.texts.children if getattr(w, "text", "")]
    if lang == "en":
        t.check(not [s for s in column if CJK.search(s)],
                f"{shot_name(vm)} {tag}: Chinese in the English text column: {[s for s in column if CJK.search(s)]}")
    if vm.state == "form":
        note = t.app.tr("ui.form.text_note_short") if elder else render(vm.body[1], lang)
        t.check(note in _flow_labels(t) and note not in column,
                f"{shot_name(vm)} {tag}: the note on text items is beside the list ({column})")
        check = render(Text("ui.form.check_short"), lang) if elder else render(vm.body[0], lang)
        t.check(check in column, f"{shot_name(vm)} {tag}: the explanation {check[:20]!r}... in the text column")


# Text columns the sweep finds cut off that are not fixed yet (known defects, not accepted ones).
KNOWN_CUT_OFF: set[tuple[str, bool]] = set()


def layout_all(t: Any) -> Iterator[None]:
    app = t.app
    views = sample_views()
    t.info["views"] = len(views)
    checked = 0
    for lang in ("zh", "en"):
        for elder in (False, True):
            app.switch_language(lang)
            app.set_elder(elder)
            tag = f"{lang}{'-elder' if elder else ''}"
            app.go_home()
            yield from t.frames(4)
            t.layout(f"attract {tag}")
            t.shot(f"attract-{tag}")
            app.sm.current = "flow"
            for vm in views:
                app.flow_screen.template, app.flow_screen._template_key = None, None
                app.flow_screen.show(vm)
                yield from t.frames(4)
                problems = t.layout(f"{shot_name(vm)} {tag}")
                if (vm.state, elder) in KNOWN_CUT_OFF:  # reported, not fixed here: see KNOWN_CUT_OFF
                    t.failures[:] = [f for f in t.failures if not (f.startswith(f"{shot_name(vm)} {tag}:")
                                                                   and "text column" in f)]
                    t.info.setdefault("known_cut_off", []).extend(p for p in problems if "text column" in p)
                if vm.screen == "pay":
                    _check_pay_screen(t, vm, tag)
                if vm.screen in ("form", "form_field"):
                    _check_form_screen(t, vm, lang, elder, tag)
                variant = vm.data.get("challenge") or vm.data.get("feedback")
                t.shot(f"{shot_name(vm)}-{tag}" + (f"-{variant}" if variant else ""))
                checked += 1
            app.idle.show(17)
            yield from t.frames(3)
            t.layout(f"idle overlay {tag}")
            t.shot(f"idle-{tag}")
            app.idle.hide()
            app.go_home()
            # the app's own way in (it arms the technician idle deadline; setting sm.current alone
            # let the next clock tick send the screen home before the shot)
            app.open_maintenance()
            yield from t.frames(3)
            t.check(app.sm.current == "maintenance", f"the maintenance screen is shown ({tag})")
            t.layout(f"maintenance {tag}")
            t.shot(f"maintenance-{tag}")
            app.open_technician()
            for tab in ("devices", "doors", "log"):
                app.technician.tab = tab
                yield from t.frames(3)
                t.check(app.sm.current == "technician", f"the technician screen is shown ({tab} {tag})")
                t.layout(f"technician {tab} {tag}")
                if tab == "devices":
                    t.shot(f"technician-{tag}")
            app.go_home()
    t.info["checked"] = checked


CASES = {"apply_zh": apply_zh, "collect_en_elder": collect_en_elder, "deposit_zh": deposit_zh,
         "idle_timeout": idle_timeout, "technician": technician, "layout_all": layout_all}
