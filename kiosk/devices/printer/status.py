"""Decode the ESC/POS real-time status bytes (DLE EOT n) into a printer state.

n=1 printer status: bit 3 offline. n=2 offline cause: bit 2 cover open, bit 3 feed button,
bit 5 printing stopped by paper end, bit 6 error. n=3 error cause: bit 3 autocutter error (a jam
at the cutter), bit 5 unrecoverable, bit 6 auto-recoverable. n=4 roll paper sensor: bits 2+3
near end, bits 5+6 paper end. Every reply has bit 1 and bit 4 set and bit 0 and bit 7 clear,
which is how a real status byte is told from noise. Pure functions, no device library.
"""

from __future__ import annotations

from dataclasses import dataclass

DLE_EOT = b"\x10\x04"
QUERIES = (1, 2, 3, 4)
FIXED_MASK, FIXED_BITS = 0x93, 0x12


class StatusByteError(ValueError):
    pass


@dataclass(frozen=True)
class PrinterState:
    online: bool
    paper: str  # ok | low | out | jammed | unknown
    cover_open: bool = False
    jammed: bool = False
    error: str = ""

    @property
    def ready(self) -> bool:
        # an error bit counts even if the printer still says online (not every firmware sets both)
        return (self.online and self.paper in ("ok", "low", "unknown") and not self.jammed
                and not self.cover_open and not self.error)

    def problem(self, lang: str = "en") -> str:
        """A one-line reason the printer cannot print ('' when it can)."""
        if self.ready:
            return ""
        if self.paper == "out":
            return "paper out" if lang == "en" else "打印纸已用完"
        if self.jammed:
            return "paper jam at the cutter" if lang == "en" else "卡纸"
        if self.cover_open:
            return "cover open" if lang == "en" else "打印机盖未关"
        if self.error:
            return self.error
        return "printer offline" if lang == "en" else "打印机离线"


def check_byte(n: int, b: int) -> None:
    if b & FIXED_MASK != FIXED_BITS:
        raise StatusByteError(f"DLE EOT {n} reply 0x{b:02x} is not a status byte (fixed bits wrong)")


def decode(replies: dict[int, int]) -> PrinterState:
    """Build the state from the replies to DLE EOT 1..4 (any subset; missing ones count as fine)."""
    for n, b in replies.items():
        check_byte(n, b)
    s1, s2, s3, s4 = (replies.get(n, FIXED_BITS) for n in QUERIES)
    online = not s1 & 0x08
    cover_open = bool(s2 & 0x04)
    paper_end_stop = bool(s2 & 0x20)
    jammed = bool(s3 & 0x08)
    error = ""
    if s3 & 0x20:
        error = "unrecoverable printer error"
    elif s3 & 0x40:
        error = "print head overheated (recovers by itself)"
    elif s2 & 0x40 and not jammed:
        error = "printer error"
    if s4 & 0x60 or paper_end_stop:
        paper = "out"
    elif jammed:
        paper = "jammed"
    elif s4 & 0x0C:
        paper = "low"
    elif 4 in replies:
        paper = "ok"
    else:
        paper = "unknown"
    return PrinterState(online=online, paper=paper, cover_open=cover_open, jammed=jammed, error=error)
