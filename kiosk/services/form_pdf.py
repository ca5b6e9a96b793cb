"""The filled application form as an A4 PDF with Chinese text (智能填表's output).

`render_form_pdf(FormPdfData)` lays out one or more A4 pages: the form's title in Chinese and
English, the service item, one row per field (label and value; an empty optional field shows
"—"), where each value came from (card, material, keyed, chosen), the date it was filled and the
station. Fonts and text runs are the certificate template's (`kiosk.services.certificate_pdf`:
WenQuanYi Micro Hei for Chinese, DejaVu Sans for Latin, embedded subsets with ToUnicode), so
the text reads back with pdftotext. The result travels to the back office as a submitted file
of kind `form`, which the office checks like any material (parseable, A4, page count).
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.services.certificate_pdf import CertificateError, _Writer
from kiosk.services.material_pdf import PDF_MEDIA_TYPE

ORIGIN_ZH = {"card": "身份证读取", "ocr": "材料识别", "keyed": "本人输入", "chosen": "本人选择", "": ""}
ROW_H = 11.0
TOP, BOTTOM = 62.0, 262.0
VALUE_CHARS = 30  # a wrapped value line (CJK characters at 12 pt in the value column)


class FormPdfError(ValueError):
    """Form data that cannot be rendered (no title, no rows, no Chinese font)."""


@dataclass(frozen=True)
class FormRow:
    label_zh: str
    label_en: str
    value: str
    origin: str = ""  # card | ocr | keyed | chosen | ""


@dataclass(frozen=True)
class FormPdfData:
    title_zh: str
    title_en: str
    matter_zh: str
    matter_code: str
    rows: tuple[FormRow, ...]
    filled_on: str  # YYYY-MM-DD
    station_id: str = ""


@dataclass(frozen=True)
class FormPdf:
    title: str
    content: bytes
    pages: int

    @property
    def media_type(self) -> str:
        return PDF_MEDIA_TYPE


def _wrap(text: str, n: int) -> list[str]:
    return [text[i:i + n] for i in range(0, len(text), n)] or [""]


def render_form_pdf(data: FormPdfData) -> FormPdf:
    if not data.title_zh or not data.rows:
        raise FormPdfError("a form needs its title and at least one field")
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(data.title_zh)
    pdf.set_creator("kiosk-station form")
    try:
        w = _Writer(pdf)
    except CertificateError as exc:
        raise FormPdfError(str(exc)) from None
    width = 210.0
    pages = 0

    def page() -> float:
        nonlocal pages
        pdf.add_page()
        pages += 1
        w.text(width / 2, 28, data.title_zh, 20, "C")
        w.text(width / 2, 36, data.title_en, 10, "C")
        w.text(20, 48, f"办理事项：{data.matter_zh}（{data.matter_code}）", 11)
        w.text(width - 20, 48, f"第 {pages} 页", 9, "R")
        pdf.set_line_width(0.3)
        pdf.line(20, 52, width - 20, 52)
        return TOP

    y = page()
    for row in data.rows:
        lines = _wrap(row.value or "—", VALUE_CHARS)
        height = ROW_H + (len(lines) - 1) * 6.5
        if y + height > BOTTOM:
            y = page()
        w.text(20, y, row.label_zh, 12)
        w.text(20, y + 4.5, row.label_en, 7)
        for i, line in enumerate(lines):
            w.text(70, y + i * 6.5, line, 12)
        if row.origin:
            w.text(width - 20, y, ORIGIN_ZH.get(row.origin, row.origin), 8, "R")
        pdf.set_draw_color(200, 200, 200)
        pdf.line(20, y + height - 4, width - 20, y + height - 4)
        y += height
    pdf.set_draw_color(0, 0, 0)
    w.text(20, 272, "本表由24小时自助服务终端根据身份证和材料识别结果填写，经申请人在终端上逐项确认。", 9)
    w.text(20, 279, f"填表日期：{data.filled_on}" + (f"    终端：{data.station_id}" if data.station_id else ""), 10)
    return FormPdf(data.title_zh, bytes(pdf.output()), pages)
