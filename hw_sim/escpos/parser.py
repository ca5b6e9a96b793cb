"""An incremental ESC/POS parser: the byte stream a receipt printer receives, turned into
receipts (`model.Receipt`) the way a GBK thermal printer would print them.

Handled: ESC @ (init), text (ASCII; in Chinese mode FS & / FS . two-byte GBK, else the ESC t code
page), LF/CR/HT, ESC ! / ESC E / ESC - / GS B / GS ! (styles and sizes), ESC a (alignment),
ESC d / ESC J / ESC 2 / ESC 3 (feeds, line spacing), GS ( k (QR store/print/settings), GS v 0
(raster image), GS V (cut), DLE EOT n (real-time status, answered through `reply`), and the
argument lengths of the other common commands so they are skipped cleanly.

Bad input never raises: unknown commands, invalid double-byte codes, oversize images, and a stream
that ends inside a command each add a clear message to the receipt's `errors` and parsing goes on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from hw_sim.escpos.model import Feed, Image, Line, QrCode, Receipt

PAPER_DOTS = 576
COLUMNS = 48
DEFAULT_LINE_DOTS = 30
MAX_RASTER_BYTES = 1 << 20  # one GS v 0 image
MAX_ERRORS = 40
MAX_LINE_COLUMNS = 100 * COLUMNS
KEEP_RECEIPTS = 1000
_PRINTABLE = re.compile(rb"[\x20-\x7f]+")
_CODEPAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 17: "cp866", 19: "cp858"}
_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}

# argument bytes after ESC <x> / GS <x> / FS <x> for commands that only need skipping or a value
_ESC_ARGS = {b"@": 0, b"!": 1, b"E": 1, b"-": 1, b"a": 1, b"d": 1, b"J": 1, b"t": 1, b"M": 1, b"2": 0,
             b"3": 1, b"{": 1, b"G": 1, b"V": 1, b"R": 1, b"=": 1, b"p": 3, b"B": 2, b" ": 1, b"e": 1,
             b"U": 1, b"r": 1, b"S": 0, b"L": 0, b"9": 1, b"$": 2, b"\\": 2, b"K": 1, b"c": 2, b"i": 0,
             b"m": 0, b"%": 1, b"T": 1, b"<": 0}
_GS_ARGS = {b"!": 1, b"B": 1, b"h": 1, b"w": 1, b"H": 1, b"f": 1, b"L": 2, b"W": 2, b"a": 1, b"r": 1,
            b"I": 1, b"b": 1, b"|": 1, b"P": 2, b"$": 2, b"\\": 2, b"^": 3, b":": 0, b"T": 1}
_FS_ARGS = {b"&": 0, b".": 0, b"!": 1, b"-": 1, b"W": 1, b"C": 1, b"S": 2, b"p": 2, b"2": 0, b"?": 0}


class _Need(Exception):
    """The buffer ends inside a command: wait for more bytes."""

    def __init__(self, what: str) -> None:
        self.what = what


class EscposParser:
    def __init__(
        self,
        reply: Callable[[bytes], None] | None = None,
        status: Callable[[int], int] | None = None,
        not_ready: Callable[[], str | None] | None = None,
        on_receipt: Callable[[Receipt], None] | None = None,
        on_line: Callable[[], None] | None = None,
        four_byte_gb18030: bool = False,
    ) -> None:
        self.reply = reply or (lambda _b: None)
        self.status = status or (lambda _n: 0x12)
        self.not_ready = not_ready or (lambda: None)
        self.on_receipt = on_receipt or (lambda _r: None)
        self.on_line = on_line or (lambda: None)
        self.four_byte = four_byte_gb18030
        self.receipts: list[Receipt] = []
        self.buf = bytearray()
        self.offset = 0  # stream offset of buf[0]
        self._discard = 0
        self._discard_what = ""
        self.status_requests = 0
        self._reset()
        self.current = Receipt()

    # -- modes --------------------------------------------------------------------------------
    def _reset(self) -> None:
        self.align = "left"
        self.bold = False
        self.underline = False
        self.invert = False
        self.width = 1
        self.height = 1
        self.chinese = False
        self.codepage = 0
        self.line_dots = DEFAULT_LINE_DOTS
        self.qr_data: bytes | None = None
        self.qr_module = 3
        self.qr_ec = "L"
        self._line: list[str] = []
        self._line_style: dict[str, object] | None = None
        self._line_cols = 0

    # -- input --------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        self.buf += data
        pos = 0
        buf = self.buf
        while pos < len(buf):
            if self._discard:
                n = min(self._discard, len(buf) - pos)
                pos += n
                self._discard -= n
                continue
            try:
                pos += self._step(buf, pos)
            except _Need:
                break
        del buf[:pos]
        self.offset += pos

    def close(self) -> None:
        """The stream ended (connection closed): report a half command and keep what printed."""
        if self.buf:
            try:
                self._step(self.buf, 0)
                what = "a command"
            except _Need as need:
                what = need.what
            self.error(f"stream ended inside {what} ({len(self.buf)} byte(s) unused)", self.offset)
            self.buf.clear()
        if self._discard:
            self.error(f"stream ended inside {self._discard_what} ({self._discard} byte(s) missing)", self.offset)
            self._discard = 0
        if self._line:
            self._end_line()
        if self.current.items or self.current.errors:
            self.current.errors.append("stream ended without a cut")
            self._finish(None)

    # -- helpers ------------------------------------------------------------------------------
    def error(self, message: str, at: int | None = None) -> None:
        errors = self.current.errors
        if len(errors) < MAX_ERRORS:
            errors.append(message + (f" at byte {at}" if at is not None else ""))
        elif len(errors) == MAX_ERRORS:
            errors.append("more errors not shown")

    def _add(self, item: object) -> bool:
        reason = self.not_ready()
        if reason:
            if not self.current.lost:
                self.current.lost = reason
            return False
        self.current.items.append(item)
        return True

    def _finish(self, cut: str | None) -> None:
        r = self.current
        r.cut = cut
        self.receipts.append(r)
        if len(self.receipts) > KEEP_RECEIPTS:
            del self.receipts[0]
        self.current = Receipt()
        self.on_receipt(r)

    def _char(self, ch: str, cols: int) -> None:
        if self._line_cols >= MAX_LINE_COLUMNS:  # bounded memory for a stream that never sends LF
            self.error(f"line longer than {MAX_LINE_COLUMNS} columns without a line feed; broken here")
            self._end_line()
        if self._line_style is None:
            self._line_style = dict(align=self.align, width=self.width, height=self.height, bold=self.bold,
                                    underline=self.underline, invert=self.invert)
        self._line.append(ch)
        self._line_cols += cols * self.width

    def _end_line(self) -> None:
        if self._line_style is None:
            self._add(Feed(self.line_dots + (self.height - 1) * 24))
        else:
            text = "".join(self._line)
            line = Line(text=text, columns=self._line_cols // int(self._line_style["width"]),  # type: ignore[arg-type]
                        overflow=self._line_cols > COLUMNS, **self._line_style)  # type: ignore[arg-type]
            if self._add(line):
                self.on_line()
        self._line, self._line_style, self._line_cols = [], None, 0

    @staticmethod
    def _need(buf: bytearray, pos: int, n: int, what: str) -> None:
        if len(buf) - pos < n:
            raise _Need(what)

    # -- one command --------------------------------------------------------------------------
    def _step(self, buf: bytearray, pos: int) -> int:
        b = buf[pos]
        at = self.offset + pos
        if 0x20 <= b < 0x7F:
            m = _PRINTABLE.match(buf, pos)
            assert m is not None
            for ch in m.group().decode("ascii"):
                self._char(ch, 1)
            return m.end() - pos
        if b == 0x0A:
            self._end_line()
            return 1
        if b in (0x0D, 0x00, 0x7F):
            return 1
        if b == 0x09:
            n = 8 - (self._line_cols % 8)
            for _ in range(n):
                self._char(" ", 1)
            return 1
        if b == 0x0C:  # FF: print and return to the start (page mode); on a roll: end the line
            if self._line:
                self._end_line()
            return 1
        if b == 0x18:  # CAN: cancel the line buffer
            self._line, self._line_style, self._line_cols = [], None, 0
            return 1
        if b == 0x1B:
            return self._esc(buf, pos, at)
        if b == 0x1D:
            return self._gs(buf, pos, at)
        if b == 0x1C:
            return self._fs(buf, pos, at)
        if b == 0x10:
            return self._dle(buf, pos, at)
        if b >= 0x80:
            return self._high(buf, pos, at)
        self.error(f"unknown control byte 0x{b:02x}", at)
        return 1

    def _high(self, buf: bytearray, pos: int, at: int) -> int:
        b = buf[pos]
        if not self.chinese:
            ch = bytes([b]).decode(_CODEPAGES.get(self.codepage, "cp437"), errors="replace")
            self._char(ch, 1)
            return 1
        if b == 0x80 or b == 0xFF:
            self.error(f"byte 0x{b:02x} is not a GBK lead byte", at)
            self._char("\ufffd", 1)
            return 1
        self._need(buf, pos, 2, "a double-byte character")
        t = buf[pos + 1]
        if 0x40 <= t <= 0xFE and t != 0x7F:
            # the font is GBK (or GB18030 with --gb18030): codes outside it and the user-defined
            # areas have no glyph, so they print blank, and the receipt says so
            try:
                ch = bytes(buf[pos:pos + 2]).decode("gb18030" if self.four_byte else "gbk")
            except UnicodeDecodeError:
                ch = ""
            if not ch or unicodedata.category(ch) == "Co":
                font = "GB18030" if self.four_byte else "GBK"
                self.error(f"double-byte code {b:02x} {t:02x} has no glyph in this printer's {font} font; "
                           "printed blank", at)
                ch = "\ufffd"
            self._char(ch, 2)
            return 2
        if 0x30 <= t <= 0x39:
            self._need(buf, pos, 4, "a four-byte GB18030 character")
            seq = bytes(buf[pos:pos + 4])
            if self.four_byte:
                try:
                    self._char(seq.decode("gb18030"), 2)
                    return 4
                except UnicodeDecodeError:
                    pass
            self.error(f"four-byte GB18030 code {seq.hex(' ')} is not in this printer's GBK font; printed as garbage", at)
            self._char("\ufffd", 2)
            self._char("\ufffd", 2)
            return 4
        self.error(f"invalid double-byte code {b:02x} {t:02x}", at)
        self._char("\ufffd", 2)
        return 2

    def _esc(self, buf: bytearray, pos: int, at: int) -> int:
        self._need(buf, pos, 2, "an ESC command")
        c = bytes(buf[pos + 1:pos + 2])
        if c == b"D":  # tab positions, NUL terminated (at most 32)
            end = buf.find(b"\x00", pos + 2, pos + 35)
            if end < 0:
                if len(buf) - pos < 35:
                    raise _Need("ESC D")
                self.error("ESC D tab list without NUL terminator", at)
                return 2
            return end + 1 - pos
        if c not in _ESC_ARGS:
            self.error(f"unknown command ESC 0x{ord(c):02x}", at)
            return 2
        n = _ESC_ARGS[c]
        self._need(buf, pos, 2 + n, f"ESC {c.decode('latin-1')}")
        args = buf[pos + 2:pos + 2 + n]
        if c == b"@":
            if self._line:
                self._end_line()
            self._reset()
        elif c == b"!":
            m = args[0]
            self.bold = bool(m & 0x08)
            self.height = 2 if m & 0x10 else 1
            self.width = 2 if m & 0x20 else 1
            self.underline = bool(m & 0x80)
        elif c == b"E":
            self.bold = bool(args[0] & 1)
        elif c == b"-":
            self.underline = args[0] in (1, 2, 49, 50)
        elif c == b"a":
            self.align = {0: "left", 48: "left", 1: "center", 49: "center", 2: "right", 50: "right"}.get(args[0], self.align)
        elif c == b"d":
            if self._line:
                self._end_line()
            if args[0]:
                self._add(Feed(args[0] * self.line_dots))
        elif c == b"J":
            if self._line:
                self._end_line()
            if args[0]:
                self._add(Feed(args[0]))
        elif c == b"t":
            self.codepage = args[0]
        elif c == b"2":
            self.line_dots = DEFAULT_LINE_DOTS
        elif c == b"3":
            self.line_dots = max(args[0], 24)
        return 2 + n

    def _gs(self, buf: bytearray, pos: int, at: int) -> int:
        self._need(buf, pos, 2, "a GS command")
        c = bytes(buf[pos + 1:pos + 2])
        if c == b"V":
            self._need(buf, pos, 3, "GS V")
            m = buf[pos + 2]
            n = 4 if m in (65, 66, 97, 98, 103, 104) else 3
            self._need(buf, pos, n, "GS V")
            if m in (65, 66, 97, 98, 103, 104) and buf[pos + 3]:
                self._add(Feed(buf[pos + 3]))
            if self._line:
                self._end_line()
            full = m in (0, 48, 65, 97, 103)
            if self.current.items or self.current.errors or self.current.lost:
                # a printer out of paper (or jammed, or open) does not cut either
                self._finish(None if self.not_ready() else ("full" if full else "partial"))
            return n
        if c == b"v":
            return self._raster(buf, pos, at)
        if c == b"(":
            return self._gs_paren(buf, pos, at)
        if c == b"k":
            return self._barcode(buf, pos, at)
        if c == b"*":
            self._need(buf, pos, 4, "GS *")
            size = buf[pos + 2] * buf[pos + 3] * 8
            self._discard_chunk(pos + 4, size, "GS * image data")
            return 4
        if c not in _GS_ARGS:
            self.error(f"unknown command GS 0x{ord(c):02x}", at)
            return 2
        n = _GS_ARGS[c]
        self._need(buf, pos, 2 + n, f"GS {c.decode('latin-1')}")
        args = buf[pos + 2:pos + 2 + n]
        if c == b"!":
            self.width = (args[0] >> 4) + 1
            self.height = (args[0] & 0x0F) + 1
            if self.width > 8 or self.height > 8:
                self.error(f"GS ! 0x{args[0]:02x} asks for size {self.width}x{self.height}; at most 8x8", at)
                self.width, self.height = min(self.width, 8), min(self.height, 8)
        elif c == b"B":
            self.invert = bool(args[0] & 1)
        elif c == b"r":
            self.reply(bytes([self.status(4 if args[0] in (1, 49) else 2)]))
        return 2 + n

    def _discard_chunk(self, start: int, size: int, what: str) -> None:
        """Skip `size` bytes starting at buffer index `start` (they may not have arrived yet)."""
        have = len(self.buf) - start
        if have >= size:
            del self.buf[start:start + size]
        else:
            del self.buf[start:]
            self._discard = size - have
            self._discard_what = what

    def _raster(self, buf: bytearray, pos: int, at: int) -> int:
        self._need(buf, pos, 8, "GS v 0 header")
        if buf[pos + 2] != 0x30:
            self.error(f"unknown command GS v 0x{buf[pos + 2]:02x}", at)
            return 3
        m = buf[pos + 3]
        xb = buf[pos + 4] | buf[pos + 5] << 8
        h = buf[pos + 6] | buf[pos + 7] << 8
        size = xb * h
        if size > MAX_RASTER_BYTES or xb == 0 or h == 0:
            self.error(f"GS v 0 image {xb * 8}x{h} dots ({size} bytes) is empty or too large; skipped", at)
            self._discard_chunk(pos + 8, size, "an oversize GS v 0 image")
            return 8
        self._need(buf, pos, 8 + size, f"GS v 0 image data ({size} bytes)")
        rows = bytes(buf[pos + 8:pos + 8 + size])
        if self._line:
            self._end_line()
        if xb * 8 > PAPER_DOTS:
            self.error(f"GS v 0 image is {xb * 8} dots wide; the paper prints {PAPER_DOTS} (clipped)", at)
        img = Image(width=xb * 8, height=h, rows=rows, align=self.align)
        if m & 1 or m & 2:  # double width / height modes: record the printed size
            img = _scale(img, 2 if m & 1 else 1, 2 if m & 2 else 1)
        self._add(img)
        return 8 + size

    def _gs_paren(self, buf: bytearray, pos: int, at: int) -> int:
        self._need(buf, pos, 5, "GS ( header")
        kind = bytes(buf[pos + 2:pos + 3])
        plen = buf[pos + 3] | buf[pos + 4] << 8
        self._need(buf, pos, 5 + plen, f"GS ( {kind.decode('latin-1')} data ({plen} bytes)")
        body = bytes(buf[pos + 5:pos + 5 + plen])
        if kind == b"k":
            self._code2d(body, at)
        elif kind not in (b"L", b"H", b"A", b"C", b"D", b"E", b"K", b"M", b"N", b"P", b"Q", b"z"):
            self.error(f"unknown command GS ( 0x{kind[0]:02x}", at)
        return 5 + plen

    def _code2d(self, body: bytes, at: int) -> None:
        if len(body) < 2:
            self.error("GS ( k with fewer than 2 parameter bytes", at)
            return
        cn, fn, rest = body[0], body[1], body[2:]
        if cn != 49:
            self.error(f"2D code type cn={cn} is not supported by this printer (QR is cn=49)", at)
            return
        if fn == 65:
            return
        if fn == 67 and rest:
            if 1 <= rest[0] <= 16:
                self.qr_module = rest[0]
            else:
                self.error(f"QR module size {rest[0]} outside 1..16", at)
        elif fn == 69 and rest:
            self.qr_ec = _EC.get(rest[0], self.qr_ec)
        elif fn == 80:
            if not rest or rest[0] != 48:
                self.error("QR store without m=48", at)
                return
            if len(rest) - 1 > 7089:
                self.error(f"QR data of {len(rest) - 1} bytes exceeds 7089", at)
                return
            self.qr_data = rest[1:]
        elif fn == 81:
            if not self.qr_data:
                self.error("QR print without stored data", at)
                return
            if self._line:
                self._end_line()
            payload = self.qr_data.decode("utf-8", errors="replace")
            self._add(QrCode(payload=payload, module=self.qr_module, ec=self.qr_ec, align=self.align))
        elif fn == 82:
            self.reply(b"\x37\x36\x30\x00")  # size information not modelled: a fixed answer
        else:
            self.error(f"QR function fn={fn} unknown", at)

    def _barcode(self, buf: bytearray, pos: int, at: int) -> int:
        self._need(buf, pos, 3, "GS k")
        m = buf[pos + 2]
        if m <= 6:
            end = buf.find(b"\x00", pos + 3, pos + 3 + 256)
            if end < 0:
                if len(buf) - pos < 259:
                    raise _Need("GS k barcode data")
                self.error("GS k barcode data without NUL terminator", at)
                return 3
            return end + 1 - pos
        self._need(buf, pos, 4, "GS k")
        n = buf[pos + 3]
        self._need(buf, pos, 4 + n, "GS k barcode data")
        self.error(f"1D barcodes (GS k m={m}) are not drawn by the simulator", at)
        return 4 + n

    def _fs(self, buf: bytearray, pos: int, at: int) -> int:
        self._need(buf, pos, 2, "an FS command")
        c = bytes(buf[pos + 1:pos + 2])
        if c not in _FS_ARGS:
            self.error(f"unknown command FS 0x{ord(c):02x}", at)
            return 2
        n = _FS_ARGS[c]
        self._need(buf, pos, 2 + n, f"FS {c.decode('latin-1')}")
        if c == b"&":
            self.chinese = True
        elif c == b".":
            self.chinese = False
        return 2 + n

    def _dle(self, buf: bytearray, pos: int, at: int) -> int:
        self._need(buf, pos, 2, "a DLE command")
        c = buf[pos + 1]
        if c == 0x04:  # EOT n
            self._need(buf, pos, 3, "DLE EOT")
            n = buf[pos + 2]
            if 1 <= n <= 4:
                self.status_requests += 1
                self.reply(bytes([self.status(n)]))
            else:
                self.error(f"DLE EOT {n}: n must be 1..4", at)
            return 3
        if c == 0x05:  # ENQ n: recover from an error
            self._need(buf, pos, 3, "DLE ENQ")
            return 3
        if c == 0x14:  # DC4 fn m t
            self._need(buf, pos, 5, "DLE DC4")
            return 5
        self.error(f"unknown command DLE 0x{c:02x}", at)
        return 2


def _scale(img: Image, sx: int, sy: int) -> Image:
    """Double-density raster modes print each dot sx x sy times."""
    wb = img.width_bytes
    out = bytearray()
    for y in range(img.height):
        row = img.rows[y * wb:(y + 1) * wb]
        bits = "".join(f"{b:08b}" for b in row)
        wide = "".join(ch * sx for ch in bits)
        packed = int(wide, 2).to_bytes(len(wide) // 8, "big") if wide else b""
        out += packed * sy
    return Image(width=img.width * sx, height=img.height * sy, rows=bytes(out), align=img.align)
