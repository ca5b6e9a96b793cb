"""A receipt as a printer-independent list of blocks (text lines, QR codes, raster images, feeds,
a cut). Templates build it; the ESC/POS backend turns it into bytes; a screen can show it
instead of printing (`screen_fallback`). No device library here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

Align = Literal["left", "center", "right"]

PAPER_DOTS = 576  # printable width of 80 mm paper at 203 dpi
COLUMNS = 48  # Font A (12 dots per ASCII column) across 576 dots


@dataclass(frozen=True)
class Text:
    text: str
    align: Align = "left"
    width: int = 1  # character width multiplier 1..8 (GS !)
    height: int = 1  # character height multiplier 1..8
    bold: bool = False
    underline: bool = False
    invert: bool = False


@dataclass(frozen=True)
class Qr:
    payload: str
    module: int = 6  # dots per module, 1..16
    ec: Literal["L", "M", "Q", "H"] = "M"
    align: Align = "center"


@dataclass(frozen=True)
class Raster:
    """A 1-bit image: `rows` packed MSB first, 1 = black, `width_bytes` bytes per row."""

    width_bytes: int
    height: int
    data: bytes
    align: Align = "center"

    def __post_init__(self) -> None:
        if len(self.data) != self.width_bytes * self.height:
            raise ValueError(f"raster data is {len(self.data)} bytes, expected {self.width_bytes}x{self.height}")


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    partial: bool = False


Block = Union[Text, Qr, Raster, Feed, Cut]


@dataclass
class Receipt:
    kind: str
    lang: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> "Receipt":
        self.blocks.extend(blocks)
        return self

    def text_lines(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, Text)]

    def qr_payloads(self) -> list[str]:
        return [b.payload for b in self.blocks if isinstance(b, Qr)]

    def screen_fallback(self) -> dict[str, object]:
        """What a screen shows when the receipt cannot be printed: the text and the QR payload."""
        qrs = self.qr_payloads()
        return {"kind": self.kind, "lang": self.lang, "lines": [t.strip() for t in self.text_lines()],
                "qr": qrs[0] if qrs else None}
