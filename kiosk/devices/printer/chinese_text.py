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
    """Break `text` into lines of at most `width` columns. ASCII words stay whole when they fit;
    Chinese breaks between any two characters, but closing punctuation never starts a line (the
    character before it moves down with it)."""
    if width < 4:
        raise ValueError("wrap width must be at least 4 columns")
    lines: list[str] = []
    for para in normalise(text).split("\n"):
        line = ""
        for tok in _tokens(para):
            if columns(line + tok) <= width:
                line += tok
                continue
            if tok == " ":
                lines.append(line.rstrip())
                line = ""
                continue
            if columns(tok) > width:  # a word longer than a line: break inside it
                for ch in tok:
                    if columns(line + ch) > width:
                        lines.append(line.rstrip())
                        line = ""
                    line += ch
                continue
            if tok in _NO_LINE_START and len(line.rstrip()) > 1:
                carry = line.rstrip()[-1]
                lines.append(line.rstrip()[:-1].rstrip())
                line = carry + tok
                continue
            lines.append(line.rstrip())
            line = tok.lstrip()
        lines.append(line.rstrip())
    return lines


_NO_LINE_START = set("，。、；：！？）》」』】,.;:!?)")


def _tokens(text: str) -> list[str]:
    """ASCII words and spaces as tokens, each double-byte character its own token."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ord(ch) < 0x80 and ch != " ":
            word += ch
            continue
        if word:
            out.append(word)
            word = ""
        out.append(ch)
    if word:
        out.append(word)
    return out


def pad_between(left: str, right: str, width: int) -> str:
    """`left ....... right` filling `width` columns (at least one space between)."""
    gap = max(1, width - columns(left) - columns(right))
    return left + " " * gap + right
