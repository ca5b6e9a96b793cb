"""Every picture a flow asks for is one the screen can draw: an unknown illustration name would
leave the screen blank (the passport screens were blank until their drawings were added). Read
from the sources, so no window is needed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _names_and_drawings() -> tuple[set[str], set[str]]:
    tree = ast.parse((ROOT / "kiosk/screens/illustrations.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    drawings: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "NAMES" for t in node.targets):
            names = set(ast.literal_eval(node.value))
        if isinstance(node, ast.FunctionDef) and node.name.startswith("_draw_"):
            drawings.add(node.name.removeprefix("_draw_"))
    return names, drawings


def test_every_declared_picture_has_a_drawing_and_every_drawing_is_declared():
    names, drawings = _names_and_drawings()
    assert names and names == drawings


def test_every_picture_a_flow_names_is_declared():
    names, _ = _names_and_drawings()
    wanted: dict[str, str] = {}
    for path in sorted((ROOT / "kiosk/flows").glob("*.py")):
        for name in re.findall(r'illustration="([a-z_]+)"', path.read_text(encoding="utf-8")):
            wanted.setdefault(name, path.name)
    assert len(wanted) > 8
    assert {n: f for n, f in wanted.items() if n not in names} == {}
