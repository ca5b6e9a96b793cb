"""Line breaking for Chinese text, shared by the screen's labels and the receipt printer.

The rules of Chinese typesetting (GB/T 15834 punctuation, the kinsoku classes of JIS X 4051,
simplified): a break may fall between two CJK characters or at a space, never inside a word or
number (Latin, accented or full-width), never before a closing mark (。，、）」…) and never after an
opening mark (（「“); where a break would, the character before it moves down too. A unit wider
than the line stays whole on a line of its own (the caller cuts it if it must). Widths come from
the caller's `measure` (a font's pixels, a printer's columns): nothing here knows about either.
"""

from __future__ import annotations

from collections.abc import Callable

NO_LINE_START = frozenset("。，、；：？！）」』》】〕〉〗”’…—·～%‰℃,.;:?!)]}>")
NO_LINE_END = frozenset("（「『《【〔〈〖“‘([{<")
_IN_WORD = frozenset("@#$&*+-_=/\\.:,'%")  # marks that stay inside a Latin word, number, code or URL


def is_cjk(ch: str) -> bool:
    """A character set solid in Chinese text: ideographs, kana, Hangul, CJK and full-width marks."""
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF
            or 0xFE30 <= o <= 0xFE4F or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF)


def has_cjk(text: str) -> bool:
    return any(is_cjk(ch) for ch in text)


def _word_char(ch: str) -> bool:
    if ch.isalnum():  # letters and digits of any script, full-width ones too, but not ideographs
        return not is_cjk(ch) or "\uff10" <= ch <= "\uff19" or "\uff21" <= ch <= "\uff3a" or "\uff41" <= ch <= "\uff5a"
    return ch in _IN_WORD


def units(paragraph: str) -> list[str]:
    """A word or number (with the marks inside it and one closing mark right after it) is one
    unit; every other character is a unit of its own."""
    out: list[str] = []
    i, n = 0, len(paragraph)
    while i < n:
        j = i
        while j < n and _word_char(paragraph[j]):
            j += 1
        if j > i:
            if j < n and paragraph[j] in ".,;:!?)]" and paragraph[j].isascii():
                j += 1
            out.append(paragraph[i:j])
            i = j
        else:
            out.append(paragraph[i])
            i += 1
    return out


def break_paragraph(paragraph: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """One paragraph (no newline) as lines no wider than `width`, but for a unit wider than it."""
    lines: list[str] = []
    cur: list[str] = []
    parts = units(paragraph)
    i = 0
    while i < len(parts):
        unit = parts[i]
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
        # break before parts[i]; move it earlier while the next line would start with a closing
        # mark or this one end with an opening mark (keeping at least one unit on this line)
        cut = len(cur)
        while cut > 1 and _bad_break(cur, cut, unit):
            cut -= 1
        if _bad_break(cur, cut, unit):  # only beside a unit wider than the line: keep them together
            cur.append(unit)
            i += 1
            continue
        lines.append("".join(cur[:cut]).rstrip())
        cur = cur[cut:]
        while cur and cur[0].isspace():
            cur.pop(0)
    if cur or not lines:
        lines.append("".join(cur).rstrip())
    return lines


def wrap_cjk(text: str, width: float, measure: Callable[[str], float]) -> str:
    """`text` with line breaks where a box `width` wide must break its CJK paragraphs; other
    paragraphs, and those that fit, are returned as they are."""
    if width <= 0:
        return text
    out = []
    for para in text.split("\n"):
        if not has_cjk(para) or measure(para) <= width:
            out.append(para)
        else:
            out.extend(break_paragraph(para, width, measure))
    return "\n".join(out)


def _bad_break(cur: list[str], cut: int, unit: str) -> bool:
    rest = cur[cut:] + [unit]
    head = "".join(cur[:cut]).rstrip()
    return rest[0][:1] in NO_LINE_START or (bool(head) and head[-1] in NO_LINE_END)
