"""Every message key a flow can emit has a Chinese and an English translation with the same
parameters; flows import no UI or device library (checked in a fresh interpreter); the idle
warning offers more time."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from kiosk import i18n
from kiosk.devices.scanner import FEEDBACK_TEXT, PROBLEMS
from kiosk.flows.collect import CODE_OUTCOMES
from kiosk.flows.commission import CHECKS
from kiosk.flows.identify import FACE_GUIDANCE
from kiosk.flows.texts import render, t

FLOWS_DIR = Path(__file__).resolve().parents[2] / "kiosk" / "flows"
FORBIDDEN = ("kivy", "cv2", "serial", "smartcard", "escpos", "paho", "pyzbar", "hw_sim")


def emitted_keys() -> set[str]:
    keys: set[str] = set()
    outcomes: set[str] = {"timeout", "canceled", "error"}
    for path in FLOWS_DIR.glob("*.py"):
        src = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r'\bt\("([a-z0-9_.]+)"', src))
        keys |= set(re.findall(r'title_key = "([a-z0-9_.]+)"', src))
        keys |= set(re.findall(r'\("([a-z]+\.step\.[a-z_]+)",', src))
        outcomes |= set(re.findall(r'self\.end\("([a-z_]+)"', src))
    outcomes |= {o for o, _ in CODE_OUTCOMES.values()}
    keys |= {k for _, k in CODE_OUTCOMES.values()}
    keys |= {f"outcome.{o}" for o in outcomes}
    keys |= {f"identify.face.guidance.{g}" for g in FACE_GUIDANCE}
    keys |= {f"scan.feedback.{k}" for k in FEEDBACK_TEXT}
    keys |= {f"scan.problem.{p}" for p in PROBLEMS}
    keys |= {f"commission.step.{c}" for c in CHECKS}
    return keys


def test_every_key_has_both_translations():
    keys = emitted_keys()
    assert len(keys) > 150
    for lang in ("zh", "en"):
        missing = sorted(keys - i18n.message_ids(lang))
        assert not missing, f"{lang}: no translation for {missing}"


def test_translations_use_the_same_parameters():
    import polib

    def params(lang: str) -> dict[str, set[str]]:
        po = polib.pofile(str(i18n.LOCALE_DIR / i18n.LANGUAGES[lang] / "LC_MESSAGES" / "flows.po"))
        return {e.msgid: set(re.findall(r"{(\w+)}", e.msgstr)) for e in po}

    zh, en = params("zh"), params("en")
    assert set(zh) == set(en)
    bad = {k for k in zh if zh[k] != en[k]}
    assert not bad, bad
    assert all(re.search(r"[\u4e00-\u9fff]", v) or not v for v in
               (i18n.translate(k, "zh") for k in zh if k))


def test_render_fills_parameters_in_both_languages():
    text = t("apply.scan.place", name="申请表", page=1, pages=2)
    assert render(text, "zh") == "请将“申请表”第1页（共2页）放在扫描区"
    assert "page 1 of 2" in render(text, "en")
    assert render(t("collect.take.body", compartments=["A01", "A02"]), "zh").startswith("请从A01、A02")


def test_flow_modules_import_no_ui_or_device_library():
    """Each flow module imported alone in a fresh interpreter (run side by side)."""
    modules = sorted(p.stem for p in FLOWS_DIR.glob("*.py"))
    procs = {}
    for module in modules:
        code = (f"import sys, kiosk.flows.{module}\n"
                f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
                "print(','.join(sorted(bad)))")
        procs[module] = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, cwd=FLOWS_DIR.parents[1])
    problems = {}
    for module, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        if proc.returncode != 0:
            problems[module] = err.strip().splitlines()[-1:]
        elif out.strip():
            problems[module] = out.strip()
    assert len(modules) >= 12
    assert not problems, problems


def test_idle_warning_then_more_time(world):
    f = world.start("collect")
    world.clock.advance(45)
    vm = f.view()
    assert vm.data["timeout_in"] == 15 and "more_time" in f.actions()
    assert vm.body[-1].key == "flow.timeout_warning"
    assert f.act("more_time")
    world.clock.advance(60)
    f.tick()
    assert not f.ended
    world.clock.advance(20)
    f.tick()
    assert f.outcome == "timeout"


def test_cancel_ends_and_wipes(world):
    f = world.start("collect")
    f.act("identify")
    world.identify(f, face=False)
    assert f.state == "identify_face" and world.camera.active
    assert f.act("cancel")
    assert f.outcome == "canceled" and not world.camera.active
    assert not f.session.holds_personal_data()
    assert not world.face.live()
    assert not f.act("identify")  # an ended flow takes no more actions
