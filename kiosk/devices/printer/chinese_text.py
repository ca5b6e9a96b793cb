"""Chinese text for ESC/POS printers: encode to the printer's double-byte set, measure columns.

python-escpos sends a string holding a CJK ideograph as raw GB18030 (so `¥` becomes the four-byte
sequence 81 30 84 36 that a GBK printer prints as garbage) and sends a string without one through
its code-page guesser (so `，` becomes `?`). Here every character is mapped explicitly:

- ASCII stays one byte; it prints the same in the printer's Chinese mode (FS &);
- everything else becomes a two-byte GBK code (Python's `gbk` table, which is what a GBK font
  holds: `䶮` has a two-byte GB18030 code but no GBK one), after mapping characters that have no two-byte
  code to their full-width or look-alike equivalents (`¥` -> `￥` A3A4, `•` -> `·`);
- with `charset="gb18030"` (a printer with a GB18030 font) four-byte codes are allowed too;
- anything left (private-use characters included) is printed as `□` (A1F5) and reported,
  never as a silent `?` or a blank.

`columns()` counts print columns: one for ASCII, two for a double-byte character, matching the
printer's Font A cell (12 x 24 dots for ASCII, 24 x 24 for Chinese).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from kiosk.core import line_break

CHARSETS = ("gbk", "gb18030")
REPLACEMENT = "□"

# Characters GBK lacks but a receipt meets, mapped to a two-byte character that prints alike.
_LOOKALIKE = {
    "¥": "￥",
    "•": "·",
    "\u00a0": " ",
    "\u2002": " ",
    "\u2003": "　",
    "\u2009": " ",
    "\u200b": "",
    "\ufeff": "",
    "\u2212": "－",
    "€": "EUR",
    "\u2010": "-",
    "\u2011": "-",
    "\u00ad": "",
}


@dataclass
class Encoded:
    data: bytes
    replaced: list[str] = field(default_factory=list)


def _char_bytes(ch: str, charset: str) -> bytes | None:
    if ord(ch) < 0x80:
        if ch == "\t" or ch >= " ":
            return ch.encode("ascii")
        return None  # control characters never reach the printer from text
    if unicodedata.category(ch) == "Co":
        return None  # private use: the code lands in a user-defined area that has no glyph
    try:
        # a GBK font has exactly the codec's table: not the 80-odd characters (䶮, ⺁, €) GB18030
        # later gave two-byte codes that GBK left in its user-defined area
        b = ch.encode("gbk" if charset == "gbk" else "gb18030")
    except UnicodeEncodeError:
        return None
    if len(b) == 2 or (charset == "gb18030" and len(b) == 4):
        return b
    return None


def normalise(text: str) -> str:
    """NFC-normalise and map characters GBK lacks to look-alikes (before encoding or measuring)."""
    text = unicodedata.normalize("NFC", text)
    return "".join(_LOOKALIKE.get(ch, ch) for ch in text)


def encode_text(text: str, charset: str = "gbk") -> Encoded:
    """Encode `text` for a printer in Chinese mode. Returns the bytes and the characters that
    had to be printed as `□`."""
    if charset not in CHARSETS:
        raise ValueError(f"unknown printer charset {charset!r} (known: {', '.join(CHARSETS)})")
    out = bytearray()
    replaced: list[str] = []
    for ch in normalise(text):
        b = _char_bytes(ch, charset)
        if b is None:
            replaced.append(ch)
            b = REPLACEMENT.encode("gb18030")
        out += b
    return Encoded(bytes(out), replaced)


def char_columns(ch: str) -> int:
    return 1 if ord(ch) < 0x80 else 2


def columns(text: str) -> int:
    """Print columns `text` takes at normal width (ASCII 1, every double-byte character 2)."""
    return sum(char_columns(ch) for ch in normalise(text))


def wrap(text: str, width: int) -> list[str]:
    """Break `text` into lines of at most `width` columns by the rules of Chinese line breaking
    (`kiosk.core.line_break`: words whole, no closing mark starting a line, no opening mark
    ending one); a word longer than a line is cut (paper has no margin to spill into)."""
    if width < 4:
        raise ValueError("wrap width must be at least 4 columns")
    lines: list[str] = []
    for para in normalise(text).split("\n"):
        for line in line_break.break_paragraph(para, width, columns):
            while columns(line) > width:
                cut = _columns_prefix(line, width)
                while cut > 1 and line[cut] in line_break.NO_LINE_START:
                    cut -= 1
                lines.append(line[:cut].rstrip())
                line = line[cut:].lstrip()
            lines.append(line)
    return lines


def _columns_prefix(text: str, width: int) -> int:
    """How many characters of `text` fit in `width` columns (at least one)."""
    used = 0
    for i, ch in enumerate(text):
        used += char_columns(ch)
        if used > width:
            return max(1, i)
    return len(text)


def pad_between(left: str, right: str, width: int) -> str:
    """`left ....... right` filling `width` columns (at least one space between)."""
    gap = max(1, width - columns(left) - columns(right))
    return left + " " * gap + right
