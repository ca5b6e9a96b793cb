"""Turn a laid-out `Receipt` into one ESC/POS byte string.

The job starts with ESC @ (reset) and FS & (the printer's Chinese mode: bytes 0x81-0xFE lead a
two-byte GBK character), so text goes out as our own GBK bytes (`chinese_text.encode_text`)
instead of python-escpos's `text()`, which garbles full-width punctuation and `¥`. Styles, QR
codes and the cut use python-escpos's own command builders on a `Dummy` printer, so the bytes are
the library's; raster images are sent as GS v 0 directly (python-escpos's `image()` wants a printer
profile with a known paper width and prints a warning to stdout without one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from escpos.constants import (
    PAPER_FULL_CUT,
    PAPER_PART_CUT,
    QR_ECLEVEL_H,
    QR_ECLEVEL_L,
    QR_ECLEVEL_M,
    QR_ECLEVEL_Q,
)
from escpos.printer import Dummy

from kiosk.devices.printer.chinese_text import encode_text
from kiosk.devices.printer.layout import Cut, Feed, Qr, Raster, Receipt, Text

ESC_INIT = b"\x1b@"
CHINESE_ON = b"\x1c&"
CHINESE_OFF = b"\x1c."
_EC = {"L": QR_ECLEVEL_L, "M": QR_ECLEVEL_M, "Q": QR_ECLEVEL_Q, "H": QR_ECLEVEL_H}
_ALIGN = {"left": b"\x1ba\x00", "center": b"\x1ba\x01", "right": b"\x1ba\x02"}


@dataclass
class Job:
    data: bytes
    replaced: list[str] = field(default_factory=list)  # characters printed as □


def text_bytes(text: str, charset: str = "gbk") -> bytes:
    """The bytes one line of text is sent as (the printer must be in Chinese mode)."""
    return encode_text(text, charset).data


def build_job(receipt: Receipt, charset: str = "gbk") -> Job:
    p = Dummy()
    replaced: list[str] = []
    p._raw(ESC_INIT + CHINESE_ON)
    for block in receipt.blocks:
        if isinstance(block, Text):
            p.set(align=block.align, bold=block.bold, underline=1 if block.underline else 0,
                  invert=block.invert, custom_size=True, width=block.width, height=block.height)
            enc = encode_text(block.text, charset)
            replaced += enc.replaced
            p._raw(enc.data + b"\n")
        elif isinstance(block, Qr):
            p.set(align=block.align, custom_size=True, width=1, height=1)
            p.qr(block.payload, ec=_EC[block.ec], size=block.module, native=True)
            p._raw(b"\n")
        elif isinstance(block, Raster):
            p._raw(_ALIGN[block.align] + raster_command(block))
        elif isinstance(block, Feed):
            p.print_and_feed(block.lines)
        elif isinstance(block, Cut):
            p.set(align="left", bold=False, underline=0, invert=False, custom_size=True, width=1, height=1)
            p._raw(PAPER_PART_CUT if block.partial else PAPER_FULL_CUT)
        else:  # pragma: no cover - the Block union is closed
            raise TypeError(f"unknown block {block!r}")
    return Job(p.output, replaced)


def raster_command(r: Raster) -> bytes:
    """GS v 0 m xL xH yL yH d1..dk (normal density)."""
    return (b"\x1dv0\x00" + r.width_bytes.to_bytes(2, "little") + r.height.to_bytes(2, "little") + r.data)
