"""The technician screens in Chinese show no raw English identifiers (`bus_scan · board 1`,
`id_reader: hardware_error`): every device role, status, commissioning check and target is in
words; a driver's own free text is shown apart, marked as the device's words. No window needed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.flows.commission import CHECKS
from kiosk.screens import technician_text as words

ROOT = Path(__file__).resolve().parents[2]
LATIN_WORD = re.compile(r"[A-Za-z_]{2,}")  # "A01" or "A4" pass; "board", "id_reader", "ok" do not
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def commission_targets() -> set[str]:
    """Every target the commissioning flow records: its literal targets, a board, a compartment."""
    src = (ROOT / "kiosk" / "flows" / "commission.py").read_text(encoding="utf-8")
    literal = set(re.findall(r'_record\("\w+", "([^"]+)"', src))
    return literal | set(words.ROLES) | {"board 1", "board 12", "A01", "B104"}


def visible(line: words.TechLine) -> str:
    return f"{line.mark} {line.text}"


def test_every_check_row_reads_in_chinese():
    targets = commission_targets()
    assert {"bus", "map", "printer", "camera", "backoffice", "bundle"} <= targets
    for check in (*CHECKS, "report"):
        for target in targets:
            for ok, detail in ((True, "3 compartments match the boards"), (False, "not configured"),
                               (False, "hardware_error: no answer from board 1")):
                row = {"check": check, "target": target, "ok": ok, "detail": detail}
                zh = visible(words.check_line(row, "zh"))
                assert not LATIN_WORD.search(zh), zh
                assert "其他" not in zh, f"target {target!r} has no words"
                en = visible(words.check_line(row, "en"))
                assert not SNAKE.search(en) and "·" in en, en
    raw = words.check_line({"check": "bus_scan", "target": "board 1", "ok": False, "detail": "timeout"}, "zh")
    assert raw.raw == "timeout" and words.raw_label(raw.raw, "zh").startswith("设备原文")


@pytest.mark.parametrize("status", [*words.STATUSES, "weird"])
def test_every_device_line_reads_in_chinese(status):
    for role in words.ROLES:
        line = words.device_line(role, {"status": status, "detail": "frames again"}, "zh")
        assert not LATIN_WORD.search(visible(line).replace("A4", "")), visible(line)
        assert line.raw == "frames again"
        assert not SNAKE.search(visible(words.device_line(role, {"status": status}, "en")))
    for task in words.TASKS:
        line = words.unavailable_line(task, "cabinet hardware_error", "zh")
        assert not LATIN_WORD.search(line.text), line.text


def test_the_screens_use_these_words():
    tech = (ROOT / "kiosk" / "screens" / "technician.py").read_text(encoding="utf-8")
    templates = (ROOT / "kiosk" / "screens" / "templates.py").read_text(encoding="utf-8")
    assert "words.device_line(" in tech and "words.check_line(" in templates
    assert "r.get('check'" not in templates and "{role}: {snap" not in tech
