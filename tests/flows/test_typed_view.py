"""Typed data between flows and screens: every hint the scanner can give reaches the scan view
in both languages; action ids and view data keys come from one declared vocabulary, and a typo
in a flow, a template or a scenario is an error, not a quiet no-op."""

from __future__ import annotations

import ast
import itertools
import logging
import re
from pathlib import Path

import pytest

from kiosk.devices.base import DeviceEvent
from kiosk.devices.scanner import FEEDBACK_TEXT, PROBLEM_TO_FEEDBACK, PROBLEMS, PageResult, feedback_key
from kiosk.flows.actions import ActionId, UnknownAction
from kiosk.flows.scan_hints import ScanHint, UnknownScanHint, scan_hint
from kiosk.flows.texts import render
from kiosk.flows.view_data import VIEW_DATA, UnknownViewKey, ViewData
from kiosk.flows.viewmodel import Action, Text, ViewModel

ROOT = Path(__file__).resolve().parents[2]
CAPTURE = ROOT / "kiosk" / "devices" / "scanner" / "capture.py"


def scanner_hints() -> set[str]:
    """Everything the scanner can put in a `feedback` event's key: its table, what its problems map
    to, every problem combination through `feedback_key`, and the literal keys in the capture loop."""
    keys = set(FEEDBACK_TEXT) | set(PROBLEM_TO_FEEDBACK.values())
    for n in range(len(PROBLEMS) + 1):
        for combo in itertools.combinations(PROBLEMS, n):
            for found, moving in itertools.product((True, False), repeat=2):
                keys.add(feedback_key(PageResult(found, None, not combo, list(combo)), moving))
    keys |= set(re.findall(r'key\s*=\s*"([a-z_]+)"', CAPTURE.read_text(encoding="utf-8")))
    keys |= set(re.findall(r'FEEDBACK_TEXT\["([a-z_]+)"\]', CAPTURE.read_text(encoding="utf-8")))
    return keys


def test_the_flow_knows_every_hint_the_scanner_can_give():
    hints = scanner_hints()
    assert {"move_into_view", "straighten", "no_page", "next_page"} <= hints
    unknown = sorted(hints - {h.value for h in ScanHint})
    assert not unknown, f"the scanner can say {unknown} but kiosk.flows.scan_hints.ScanHint does not list them"


@pytest.mark.parametrize("hint", list(ScanHint))
def test_every_hint_has_chinese_and_english_words(hint):
    zh, en = render(Text(hint.message_key), "zh"), render(Text(hint.message_key), "en")
    assert zh != hint.message_key and re.search(r"[\u4e00-\u9fff]", zh), zh
    assert en != hint.message_key and en.isascii() and en[0].isupper(), en


@pytest.mark.parametrize("key", ["move_into_view", "straighten"])
def test_scan_view_shows_the_hints_that_used_to_be_dropped(world, key):
    f = world.start("apply")
    assert f.act("category", code="real_estate") and f.act("select", code="RE-003") and f.act("start")
    world.identify(f)
    assert f.act("decline") and f.state == "scan"
    assert f.handle(DeviceEvent("scanner", "feedback", {"key": key}))
    vm = f.view()
    assert vm.data["feedback"] == key
    assert f"scan.feedback.{key}" in [b.key for b in vm.body]


def test_an_unknown_scanner_hint_is_logged_not_shown(world, caplog):
    f = world.start("apply")
    assert f.act("category", code="real_estate") and f.act("select", code="RE-003") and f.act("start")
    world.identify(f)
    assert f.act("decline") and f.state == "scan"
    with caplog.at_level(logging.ERROR):
        assert not f.handle(DeviceEvent("scanner", "feedback", {"key": "wiggle"}))
    assert "'wiggle'" in caplog.text and "ScanHint" in caplog.text
    assert f.state == "scan" and f.view().data["feedback"] is None
    with pytest.raises(UnknownScanHint, match="flows.po"):
        scan_hint("wiggle")


def test_unknown_action_ids_are_errors():
    with pytest.raises(UnknownAction, match="'finsh'"):
        Action("finsh", Text("common.finish"))
    assert Action("finish", Text("common.finish")).id is ActionId.FINISH


def test_view_data_rejects_unknown_keys_and_wrong_types():
    with pytest.raises(UnknownViewKey, match="'compartmnet'.*VIEW_DATA"):
        ViewModel("collect", "open", Text("x"), data={"compartmnet": "A01"})
    with pytest.raises(TypeError, match="'page' must be"):
        ViewModel("apply", "scan", Text("x"), data={"page": "1"})
    vm = ViewModel("collect", "open", Text("x"), data={"compartment": "A01"})
    assert isinstance(vm.data, ViewData)
    assert vm.data["compartment"] == "A01" and vm.data.get("qr") is None and "qr" not in vm.data
    for read in (lambda d: d["qrr"], lambda d: d.get("qrr"), lambda d: "qrr" in d):
        with pytest.raises(UnknownViewKey, match="'qrr'"):
            read(vm.data)
    with pytest.raises(UnknownViewKey):
        vm.data.update(qrr="x")


def _literals(path: Path, views: tuple[str, ...]) -> tuple[set[str], set[str]]:
    """(action ids, view data keys) a module names as string literals; `views` are the names the
    module reads view data through."""
    actions: set[str] = set()
    keys: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))

    def strs(node: ast.AST) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
        return set()

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("Action", "act") and node.args:
                actions |= strs(node.args[0])
            for kw in node.keywords:
                if kw.arg == "data" and isinstance(kw.value, ast.Dict):
                    keys |= {k.value for k in kw.value.keys if isinstance(k, ast.Constant)}
            if name == "_view":  # commission's helper: keyword arguments become view data
                keys |= {kw.arg for kw in node.keywords if kw.arg and kw.arg != "busy"}
            if name == "get" and isinstance(node.func, ast.Attribute) and node.args and \
                    ast.unparse(node.func.value) in views:
                keys |= strs(node.args[0])
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == "action_id":
            for comp in node.comparators:
                actions |= strs(comp)
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) in views and \
                isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            keys.add(node.slice.value)
    return actions, keys


def test_flows_screens_and_scenarios_use_only_declared_actions_and_keys():
    """Static, so a feature merged later (a new action, a new view key) fails here until declared."""
    files = [*sorted((ROOT / "kiosk" / "flows").glob("*.py")), *sorted((ROOT / "kiosk" / "screens").glob("*.py")),
             ROOT / "kiosk" / "scenarios" / "library.py", ROOT / "kiosk" / "app.py"]
    known_actions = {a.value for a in ActionId}
    found_actions: set[str] = set()
    bad: list[str] = []
    for path in files:
        actions, keys = _literals(path, ("vm.data", "d") if path.name == "templates.py" else ("vm.data",))
        found_actions |= actions
        rel = path.relative_to(ROOT)
        bad += [f"{rel}: action {a!r}" for a in sorted(actions - known_actions)]
        if path.parent.name == "flows" or path.name == "templates.py":
            bad += [f"{rel}: view key {k!r}" for k in sorted(keys - set(VIEW_DATA))]
    assert not bad, "not declared in kiosk/flows/actions.py or view_data.py:\n" + "\n".join(bad)
    assert {"finish", "select", "rate", "pin", "taken"} <= found_actions  # the scan sees real code

