"""Line breaking for Chinese text on the station's labels.

Kivy breaks a line only at a space; a run of Chinese characters (which has none) is cut wherever
it overflows, so a closing 。 or ） can start a line and an opening （ or “ can end one. Here a
paragraph that holds CJK text is wrapped first, by the common rules of Chinese typesetting
(GB/T 15834 punctuation, the kinsoku classes of JIS X 4051): a break may fall between any two
CJK characters or at a space, never inside a Latin word or number, never before a closing mark
and never after an opening mark; where a break would, the character before it moves down too.
Paragraphs without CJK text are left to Kivy. No Kivy import: `measure` is the font's width.
"""

from __future__ import annotations

import re
from collections.abc import Callable

NO_LINE_START = frozenset("。，、；：？！）」』》】〕〉〗”’…—·～%‰℃,.;:?!)]}>")
NO_LINE_END = frozenset("（「『《【〔〈〖“‘([{<")

# a Latin word or number (with the marks that stay inside it) is one unit; anything else one char
_UNIT = re.compile(r"[A-Za-z0-9@#$&*+\-_=/\\.:,'%]+[.,;:!?)\]]?|\s|.", re.S)


def has_cjk(text: str) -> bool:
    return any("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef"
               for ch in text)


def wrap(text: str, width: float, measure: Callable[[str], float]) -> str:
    """`text` with line breaks where a label `width` wide must break its CJK paragraphs."""
    if width <= 0:
        return text
    out = []
    for para in text.split("\n"):
        if not has_cjk(para) or measure(para) <= width:
            out.append(para)
        else:
            out.extend(_wrap_paragraph(para, width, measure))
    return "\n".join(out)


def _wrap_paragraph(para: str, width: float, measure: Callable[[str], float]) -> list[str]:
    units = _UNIT.findall(para)
    lines: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(units):
        unit = units[i]
        if not cur and unit.isspace() and lines:
            i += 1  # a space at a break is dropped
            continue
        if not cur or measure("".join(cur) + unit) <= width:
            cur.append(unit)
            i += 1
            continue
        if unit.isspace():
            lines.append("".join(cur).rstrip())
            cur = []
            i += 1
            continue
        # break before units[i]; move it earlier while the next line would start with a closing
        # mark or this one end with an opening mark (keeping at least one unit on this line)
        cut = len(cur)
        while cut > 1 and _bad_break(cur, cut, unit):
            cut -= 1
        if _bad_break(cur, cut, unit):  # only beside a unit wider than the label: keep them together
            cur.append(unit)
            i += 1
            continue
        lines.append("".join(cur[:cut]).rstrip())
        cur = cur[cut:]
        while cur and cur[0].isspace():
            cur.pop(0)
    if cur:
        lines.append("".join(cur).rstrip())
    return lines


def _bad_break(cur: list[str], cut: int, unit: str) -> bool:
    return _starts_badly(cur[cut:] + [unit]) or _ends_badly(cur[:cut])


def _starts_badly(units: list[str]) -> bool:
    return bool(units) and units[0][:1] in NO_LINE_START


def _ends_badly(units: list[str]) -> bool:
    tail = "".join(units).rstrip()
    return bool(tail) and tail[-1] in NO_LINE_END
