"""The certificate document: an A4 PDF with Chinese text and a verification QR code.

`render_certificate(CertificateData)` lays out what an issuing office prints for a certificate
item (参保证明, 缴存证明, ...): the title in Chinese and English, the holder by masked name and
masked ID number, the statement lines, the issuer, the issue date, the case number and a QR code
that encodes the verification URL with the verification code (nothing personal). The font is a
standalone Simplified-Chinese TrueType face (WenQuanYi Micro Hei, face 0 of its .ttc) for Chinese
and DejaVu Sans for Latin runs, embedded as subsets by fpdf2 (Type0, Identity-H, ToUnicode), so
the text can be read back (pdftotext) — also from the PDF a CUPS PDF printer produces after
PostScript (with the pdftocairo renderer; see hw_sim/cups_printer.py and ADR 0212).

The simulated back office issues its certificates with this template; the station only prints
the office's PDF as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
FONT_NAME = "KioskSC"
LATIN_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
)
LATIN_FONT_NAME = "KioskLatin"
_RUNS = re.compile(r"[\x20-\x7e]+|[^\x20-\x7e]+")
VERIFY_URL_PREFIX = "https://zwfw.example.gov.cn/verify/"


class CertificateError(ValueError):
    """Certificate data that cannot be rendered (missing field, no Chinese font)."""


@dataclass(frozen=True)
class CertificateData:
    title_zh: str
    title_en: str
    case_no: str
    holder_name_masked: str
    holder_id_masked: str
    issuer_zh: str
    issued_on: str  # YYYY-MM-DD
    verify_code: str
    lines_zh: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verify_url(self) -> str:
        return verify_url(self.verify_code)


def verify_url(verify_code: str) -> str:
    """Where anyone checks a certificate, and fetches its electronic copy (nothing personal)."""
    return VERIFY_URL_PREFIX + verify_code


def mask_name(name: str) -> str:
    """'奥巴马' -> '奥*马', '李四' -> '李*', 'Kit Harington' -> 'K***********n'."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _font_path(candidates: tuple[Path, ...], package: str) -> Path:
    for path in candidates:
        if path.exists():
            return path
    raise CertificateError(f"font missing: install the Debian package {package}")


def _qr_image(text: str) -> Any:
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image()


class _Writer:
    """Text in runs: printable ASCII in the Latin face, everything else in the Chinese face.
    One face per script keeps each embedded font to one subset when the PDF is turned into
    PostScript on its way through CUPS; two subsets of one face under one name lose their text
    mapping in Ghostscript's pdfwrite (the text then cannot be read back)."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        pdf.add_font(FONT_NAME, fname=str(_font_path(FONT_CANDIDATES, "fonts-wqy-microhei")), collection_font_number=0)
        pdf.add_font(LATIN_FONT_NAME, fname=str(_font_path(LATIN_FONT_CANDIDATES, "fonts-dejavu-core")))

    def _runs(self, text: str, size: float) -> list[tuple[str, str, float]]:
        out = []
        for run in _RUNS.findall(text):
            face = LATIN_FONT_NAME if run[0] <= "\x7e" else FONT_NAME
            self.pdf.set_font(face, size=size)
            out.append((face, run, self.pdf.get_string_width(run)))
        return out

    def width(self, text: str, size: float) -> float:
        return sum(w for _, _, w in self._runs(text, size))

    def text(self, x: float, y: float, text: str, size: float = 12, align: str = "L") -> None:
        """`y` is the baseline (mm from the top); align L at x, C centred on x, R ending at x."""
        runs = self._runs(text, size)
        total = sum(w for _, _, w in runs)
        x = x - total / 2 if align == "C" else x - total if align == "R" else x
        for face, run, w in runs:
            self.pdf.set_font(face, size=size)
            self.pdf.text(x, y, run)
            x += w


def render_certificate(data: CertificateData) -> bytes:
    """One A4 page (more if the statement is long) as PDF bytes."""
    for name in ("title_zh", "case_no", "holder_id_masked", "verify_code", "issued_on"):
        if not getattr(data, name):
            raise CertificateError(f"certificate field {name} is empty")
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{data.title_zh} {data.case_no}")
    pdf.set_author(data.issuer_zh)
    pdf.set_creator("kiosk-station certificate template")
    w = _Writer(pdf)
    width = 210.0

    def page() -> float:
        pdf.add_page()
        w.text(width / 2, 38, data.title_zh, 22, "C")
        w.text(width / 2, 47, data.title_en, 11, "C")
        pdf.set_line_width(0.3)
        pdf.line(25, 52, width - 25, 52)
        return 66.0

    y = page()
    for label, value in (("姓名", data.holder_name_masked), ("公民身份号码", data.holder_id_masked),
                         ("办件编号", data.case_no)):
        w.text(30, y, f"{label}：{value}")
        y += 9
    y += 4
    for line in data.lines_zh:
        for chunk in [line[i:i + 34] for i in range(0, len(line), 34)] or [""]:
            if y > 226:  # leave room for the issuer block and the QR code
                y = page()
            w.text(30, y, chunk)
            y += 8
    w.text(width - 30, 238, data.issuer_zh, 12, "R")
    w.text(width - 30, 246, f"出具日期：{data.issued_on}", 12, "R")
    pdf.image(_qr_image(data.verify_url), x=28, y=235, w=32, h=32)
    w.text(28, 274, f"验证码：{data.verify_code}  扫码或登录政务服务网核验真伪", 9)
    return bytes(pdf.output())
