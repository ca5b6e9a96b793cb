"""The words of the technician screens: device roles, statuses, commissioning checks and their
targets, in the screen's language (catalog `technician.po`). No Kivy here, so the Chinese view of
every technician line can be tested without a window.

Identifiers (`id_reader`, `hardware_error`, `bus_scan`, `board 1`) never reach the screen as they
are; free text a device driver wrote (an error detail) is shown apart, marked as the device's own
words, because it is not ours to translate (the diagnostics bundle keeps it too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kiosk import i18n

ROLES = ("id_reader", "camera", "face", "scanner", "printer", "cabinet", "docprinter", "speech")
STATUSES = ("online", "offline", "busy", "no_device", "hardware_error", "user_error", "fraud_attempt")
TARGETS = ("bus", "map", "printer", "camera", "backoffice", "bundle")
TASKS = ("apply", "query", "collect", "deposit", "retrieve", "commission")
_BOARD = re.compile(r"board (\d+)$")
_COMPARTMENT = re.compile(r"[A-Z]\d{2,3}$")  # the label printed on the door: shown as it is


@dataclass(frozen=True)
class TechLine:
    """One line of a technician list: what we say (translated) and the device's own words."""

    ok: bool
    text: str
    raw: str = ""  # a driver's free text, shown apart (may be English)

    @property
    def mark(self) -> str:
        return "✓" if self.ok else "×"


def _tr(key: str, lang: str, **params: Any) -> str:
    return i18n.translate(key, lang, **params)


def role_name(role: str, lang: str) -> str:
    return _tr(f"tech.role.{role}", lang) if role in ROLES else _tr("tech.role.other", lang, role=role)


def status_name(status: Any, lang: str) -> str:
    s = str(status)
    return _tr(f"tech.status.{s}", lang) if s in STATUSES else _tr("tech.status.other", lang)


def task_name(task: str, lang: str) -> str:
    return _tr(f"{task}.title", lang) if task in TASKS else task


def target_name(target: str, lang: str) -> str:
    if target in ROLES:
        return role_name(target, lang)
    if target in TARGETS:
        return _tr(f"tech.target.{target}", lang)
    m = _BOARD.match(target)
    if m:
        return _tr("tech.target.board", lang, n=m.group(1))
    if _COMPARTMENT.match(target):
        return _tr("tech.target.compartment", lang, id=target)
    return _tr("tech.target.other", lang)


def device_line(role: str, snap: dict[str, Any], lang: str) -> TechLine:
    """A device's health line: role and status in words, the driver's detail apart."""
    status = snap.get("status")
    ok = status in ("online", "busy")
    return TechLine(ok, f"{role_name(role, lang)}：{status_name(status, lang)}" if lang == "zh"
                    else f"{role_name(role, lang)}: {status_name(status, lang)}", str(snap.get("detail") or ""))


def check_line(row: dict[str, Any], lang: str) -> TechLine:
    """A commissioning row `{check, target, ok, detail}` in words."""
    check = str(row.get("check", ""))
    ok = bool(row.get("ok"))
    verdict = _tr("tech.check.passed" if ok else "tech.check.failed", lang)
    name = _tr(f"commission.step.{check}", lang)
    text = f"{name} · {target_name(str(row.get('target', '')), lang)}：{verdict}" if lang == "zh" else \
        f"{name} · {target_name(str(row.get('target', '')), lang)}: {verdict}"
    detail = str(row.get("detail") or "")
    if detail == "not configured":
        return TechLine(ok, text + ("，" if lang == "zh" else ", ") + _tr("tech.detail.not_configured", lang))
    return TechLine(ok, text, detail)


def unavailable_line(task: str, why: str, lang: str) -> TechLine:
    return TechLine(False, _tr("ui.tech.unavailable_task", lang, task=task_name(task, lang)), why)


def raw_label(raw: str, lang: str) -> str:
    """How a driver's own words are shown: marked as such."""
    return _tr("tech.raw", lang, text=raw)
