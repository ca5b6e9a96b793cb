"""Receipt templates: application receipt, pickup receipt, staff deposit slip, technician test
page, each in Simplified Chinese (default) and English, laid out for 48 columns (80 mm paper).

`build_receipt(kind, data, lang)` validates the data (see `receipts.py`) and returns a `Receipt`
of blocks; it never touches a printer, so a screen can show the same receipt as a fallback.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from kiosk.devices.printer.chinese_text import columns, pad_between, wrap
from kiosk.devices.printer.layout import COLUMNS, Cut, Feed, Qr, Raster, Receipt, Text
from kiosk.devices.printer.receipts import (
    MODELS,
    ApplicationReceipt,
    DepositSlip,
    MissingNotice,
    PaymentRefund,
    PickupReceipt,
    TestPage,
    check_lang,
    parse_receipt,
)

DEFAULT_STATION = {"zh": "政务服务24小时自助服务站", "en": "24-hour Government Self-Service Station"}

T: dict[str, dict[str, str]] = {
    "zh": {
        "application": "受理回执",
        "pickup": "取件回执",
        "deposit_slip": "投件单（工作人员联）",
        "test_page": "打印机测试页",
        "case_number": "受理编号",
        "service_item": "办理事项",
        "applicant": "申请人",
        "id": "证件号码",
        "issued_at": "申请时间",
        "promised": "承诺办结",
        "fee": "费用",
        "paid": "已缴",
        "unpaid": "未缴",
        "free": "免费",
        "materials": "已收材料",
        "no_materials": "（无）",
        "scan": "扫描",
        "paper": "纸质",
        "e-cert": "电子证照",
        "pages": "{n}页",
        "scan_query": "扫码查询办理进度",
        "keep": "请妥善保管本回执，凭受理编号查询进度。",
        "compartment": "柜格",
        "items": "领取物品",
        "items_deposited": "投放物品",
        "picked_up_at": "取件时间",
        "pickup_thanks": "感谢您的使用，欢迎对本次服务进行评价。",
        "staff": "工作人员",
        "deposited_at": "投件时间",
        "notified": "已短信通知",
        "deadline": "取件期限",
        "slip_note": "本联由工作人员留存。",
        "printed_at": "打印时间",
        "align": "对齐",
        "left": "左对齐",
        "center": "居中",
        "right": "右对齐",
        "sizes": "字号",
        "styles": "字形",
        "bold": "粗体",
        "underline": "下划线",
        "invert": "反白",
        "chinese": "中文与全角标点",
        "ruler": "列宽标尺（48列）",
        "qr": "二维码",
        "logo": "图像",
        "cut_below": "下方为切纸位置",
        "technician": "技术员",
        "printer": "打印机",
        "missing_notice": "一次性告知单",
        "missing_items": "尚需补齐的材料",
        "reason": "原因",
        "where": "获取",
        "place": "办理地点",
        "enquiry": "咨询电话",
        "notice_note": "以上为本事项尚需补齐的全部材料，补齐后即可办理。",
        "payment_refund": "退款凭条",
        "order": "支付订单",
        "amount": "金额",
        "refund_at": "时间",
        "refund_done": "申请未能提交，已缴费用已原路退回。",
        "refund_failed": "申请未能提交，已缴费用暂未退回。请凭本凭条订单号致电办理退款。",
        "pickup_code": "取件码",
        "sms_failed": "短信未能发送：请将取件码告知群众或重新发送。群众也可凭身份证和人脸在终端查看新取件码，届时本码失效。",
    },
    "en": {
        "application": "Application Receipt",
        "pickup": "Pickup Receipt",
        "deposit_slip": "Deposit Slip",
        "test_page": "Printer Test Page",
        "case_number": "Case No.",
        "service_item": "Service",
        "applicant": "Applicant",
        "id": "ID No.",
        "issued_at": "Applied",
        "promised": "Due by",
        "fee": "Fee",
        "paid": "paid",
        "unpaid": "not paid",
        "free": "free",
        "materials": "Materials received",
        "no_materials": "(none)",
        "scan": "scanned",
        "paper": "paper",
        "e-cert": "e-certificate",
        "pages": "{n} p.",
        "scan_query": "Scan to check progress",
        "keep": "Please keep this receipt; quote the case number to check progress.",
        "compartment": "Compartment",
        "items": "Items collected",
        "items_deposited": "Items deposited",
        "picked_up_at": "Collected",
        "pickup_thanks": "Thank you. Please rate our service.",
        "staff": "Staff",
        "deposited_at": "Deposited",
        "notified": "SMS sent to",
        "deadline": "Collect by",
        "slip_note": "Staff copy, keep on file.",
        "printed_at": "Printed",
        "align": "Alignment",
        "left": "Left",
        "center": "Centre",
        "right": "Right",
        "sizes": "Sizes",
        "styles": "Styles",
        "bold": "Bold",
        "underline": "Underline",
        "invert": "Inverse",
        "chinese": "Chinese and full-width punctuation",
        "ruler": "Column ruler (48 columns)",
        "qr": "QR code",
        "logo": "Raster image",
        "cut_below": "The paper is cut below",
        "technician": "Technician",
        "printer": "Printer",
        "missing_notice": "One-Time Notice",
        "missing_items": "Materials still needed",
        "reason": "Why",
        "where": "Get it",
        "place": "Where to apply",
        "enquiry": "Enquiries",
        "notice_note": "These are all the materials still needed; with them the matter can be done.",
        "payment_refund": "Refund Slip",
        "order": "Payment order",
        "amount": "Amount",
        "refund_at": "Time",
        "refund_done": "The application could not be sent; the payment has been refunded to the wallet it came from.",
        "refund_failed": "The application could not be sent and the payment was NOT refunded yet. Call the number "
                         "below with this order number to get it back.",
        "pickup_code": "Pickup code",
        "sms_failed": "SMS not sent: tell the citizen the code or resend it. The citizen can also get a new "
                      "code at the station with ID card and face; this one then stops working.",
    },
}

RULE = Text("-" * COLUMNS)


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M")


class _Builder:
    def __init__(self, kind: str, lang: str, station: str, logo: Raster | None) -> None:
        self.t = T[lang]
        self.lang = lang
        self.r = Receipt(kind, lang)
        self.label_cols = 10 if lang == "zh" else 13
        if logo is not None:
            self.r.add(logo, Feed(1))
        for line in wrap(station, COLUMNS):
            self.r.add(Text(line, align="center", bold=True))
        for line in wrap(self.t[kind], COLUMNS // 2):
            self.r.add(Text(line, align="center", width=2, height=2, bold=True))
        self.r.add(RULE)

    def kv(self, key: str, value: str, **style: Any) -> None:
        """`label：value`, the value wrapped under itself when long."""
        sep = "：" if self.lang == "zh" else ": "
        label = self.t[key] + sep
        indent = max(self.label_cols, columns(label))
        label = label + " " * (indent - columns(label))
        for i, line in enumerate(wrap(value, COLUMNS - indent)):
            self.r.add(Text((label if i == 0 else " " * indent) + line, **style))

    def line(self, text: str, **style: Any) -> None:
        width = style.get("width", 1)
        for part in wrap(text, COLUMNS // width):
            self.r.add(Text(part, **style))

    def heading(self, key: str) -> None:
        self.r.add(Text(self.t[key] + ("：" if self.lang == "zh" else ":"), bold=True))

    def finish(self, printed_at: datetime | None) -> Receipt:
        if printed_at is not None:
            self.r.add(Text(f"{self.t['printed_at']}{'：' if self.lang == 'zh' else ': '}{_ts(printed_at)}",
                            align="center"))
        self.r.add(Feed(3), Cut())
        return self.r


def _money(fee: Decimal) -> str:
    return f"¥{fee:.2f}"


def _application(d: ApplicationReceipt, b: _Builder) -> None:
    t = b.t
    b.r.add(Text(t["case_number"], align="center"))
    width = 2 if columns(d.case_number) <= COLUMNS // 2 else 1
    for part in wrap(d.case_number, COLUMNS // width):
        b.r.add(Text(part, align="center", width=width, height=2, bold=True))
    b.r.add(Feed(1))
    b.kv("service_item", d.service_item)
    if d.applicant_name_masked:
        b.kv("applicant", d.applicant_name_masked)
    b.kv("id", d.applicant_id_masked)
    b.kv("issued_at", _ts(d.issued_at))
    b.kv("promised", d.promised_date.isoformat(), bold=True)
    if d.fee_yuan is None or d.fee_yuan == 0:
        b.kv("fee", t["free"])
    else:
        sep = "，" if b.lang == "zh" else ", "
        b.kv("fee", _money(d.fee_yuan) + sep + (t["paid"] if d.fee_paid else t["unpaid"]))
    b.r.add(RULE)
    b.heading("materials")
    if not d.materials:
        b.line(t["no_materials"])
    for i, m in enumerate(d.materials, 1):
        right = t[m.form] + (" " + t["pages"].format(n=m.pages) if m.pages else "")
        name_lines = wrap(f"{i}. {m.name}", COLUMNS - columns(right) - 2)
        b.r.add(Text(pad_between(name_lines[0], right, COLUMNS)))
        for extra in name_lines[1:]:
            b.r.add(Text("   " + extra))
    b.r.add(RULE)
    b.r.add(Qr(d.query_url, module=6, ec="M"))
    b.r.add(Text(t["scan_query"], align="center", bold=True))
    for line in wrap(t["keep"], COLUMNS):
        b.r.add(Text(line, align="center"))


def _pickup(d: PickupReceipt, b: _Builder) -> None:
    b.kv("case_number", d.case_number, bold=True)
    b.kv("compartment", d.compartment, bold=True)
    if d.applicant_id_masked:
        b.kv("id", d.applicant_id_masked)
    b.kv("picked_up_at", _ts(d.picked_up_at))
    b.r.add(RULE)
    b.heading("items")
    for i, item in enumerate(d.items, 1):
        b.line(f"{i}. {item}")
    b.r.add(RULE)
    for line in wrap(b.t["pickup_thanks"], COLUMNS):
        b.r.add(Text(line, align="center"))


def _deposit(d: DepositSlip, b: _Builder) -> None:
    b.kv("case_number", d.case_number, bold=True)
    b.r.add(Text(d.compartment, align="center", width=3, height=3, bold=True))
    b.kv("compartment", d.compartment)
    b.kv("staff", d.staff_id)
    b.kv("deposited_at", _ts(d.deposited_at))
    if d.notified_phone_masked:
        b.kv("notified", d.notified_phone_masked)
    if d.pickup_deadline:
        b.kv("deadline", d.pickup_deadline.isoformat())
    if d.pickup_code:
        b.kv("pickup_code", d.pickup_code, bold=True)
        for line in wrap(b.t["sms_failed"], COLUMNS):
            b.line(line)
    if d.items:
        b.r.add(RULE)
        b.heading("items_deposited")
        for i, item in enumerate(d.items, 1):
            b.line(f"{i}. {item}")
    b.r.add(RULE)
    b.r.add(Qr(f"CASE:{d.case_number}", module=5, ec="M"))
    b.line(b.t["slip_note"], align="center")


def _test_page(d: TestPage, b: _Builder, logo: Raster) -> None:
    t = b.t
    if d.technician:
        b.kv("technician", d.technician)
    if d.printer_url:
        b.kv("printer", d.printer_url)
    b.r.add(RULE)
    b.heading("align")
    both = (lambda label, en: f"{label} {en}") if b.lang == "zh" else (lambda label, _en: label)
    for a in ("left", "center", "right"):
        b.r.add(Text(both(t[a], a.upper()), align=a))  # type: ignore[arg-type]
    b.heading("sizes")
    for w, h in ((1, 1), (2, 1), (1, 2), (2, 2), (3, 3)):
        b.r.add(Text(f"{w}x{h} 字号 Aa", width=w, height=h))
    b.heading("styles")
    b.r.add(Text(both(t["bold"], "Bold"), bold=True))
    b.r.add(Text(both(t["underline"], "Underline"), underline=True))
    b.r.add(Text(both(t["invert"], "Inverse"), invert=True))
    b.heading("chinese")
    b.r.add(Text("费用：¥20.00，已缴"))
    b.r.add(Text("（全角括号）「引号」《书名》——破折号……。"))
    b.r.add(Text("身份证号码：110101********1234"))
    b.heading("ruler")
    b.r.add(Text("".join(str(i % 10) for i in range(1, COLUMNS + 1))))
    b.r.add(Text("一二三四五六七八九十" * 2 + "一二三四"))
    b.heading("qr")
    b.r.add(Qr(f"TESTPAGE:{d.printed_at:%Y%m%dT%H%M%S}", module=6, ec="M"))
    b.heading("logo")
    b.r.add(Raster(logo.width_bytes, logo.height, logo.data, "left"))
    b.r.add(Raster(logo.width_bytes, logo.height, logo.data, "right"))
    b.r.add(RULE)
    b.line(t["cut_below"], align="center")


def _missing_notice(d: MissingNotice, b: _Builder) -> None:
    t = b.t
    b.kv("service_item", d.service_item)
    b.kv("issued_at", _ts(d.issued_at))
    b.r.add(RULE)
    b.heading("missing_items")
    for i, item in enumerate(d.items, 1):
        for n, line in enumerate(wrap(f"{i}. {item.name}", COLUMNS)):
            b.r.add(Text(line if n == 0 else "   " + line, bold=n == 0))
        for key, value in (("reason", item.reason), ("where", item.where)):
            if value:
                for line in wrap(f"{t[key]}: {value}", COLUMNS - 3):
                    b.r.add(Text("   " + line))
    b.r.add(RULE)
    if d.place:
        b.kv("place", d.place)
    if d.enquiry_phone:
        b.kv("enquiry", d.enquiry_phone)
    for line in wrap(t["notice_note"], COLUMNS):
        b.r.add(Text(line, align="center"))


def _refund(d: PaymentRefund, b: _Builder) -> None:
    b.kv("case_number", d.case_number, bold=True)
    b.kv("order", d.order_id)
    b.kv("amount", f"¥{d.amount_yuan}" if b.lang == "zh" else f"CNY {d.amount_yuan}", bold=True)
    b.kv("refund_at", _ts(d.at))
    b.r.add(RULE)
    for line in wrap(b.t["refund_done" if d.refunded else "refund_failed"], COLUMNS):
        b.line(line)
    if d.enquiry_phone:
        b.kv("enquiry", d.enquiry_phone)


def build_receipt(
    kind: str,
    data: dict[str, Any] | Any,
    lang: str = "zh",
    *,
    station_name: dict[str, str] | None = None,
    logo: Raster | None = None,
) -> Receipt:
    """Validate `data` and lay out receipt `kind` in `lang`. Raises ReceiptDataError."""
    check_lang(lang)
    # an already validated model is taken only for its own kind; anything else is validated (and
    # refused with ReceiptDataError when it is not a dict)
    model = data if kind in MODELS and type(data) is MODELS[kind] else parse_receipt(kind, data)
    station = getattr(model, "station_name", None) or (station_name or DEFAULT_STATION).get(lang) \
        or DEFAULT_STATION[lang]
    if logo is None:
        from kiosk.devices.printer.logo import default_logo

        logo = default_logo()
    b = _Builder(kind, lang, station, logo)
    if isinstance(model, ApplicationReceipt):
        _application(model, b)
        return b.finish(None)
    if isinstance(model, PickupReceipt):
        _pickup(model, b)
        return b.finish(None)
    if isinstance(model, DepositSlip):
        _deposit(model, b)
        return b.finish(None)
    if isinstance(model, MissingNotice):
        _missing_notice(model, b)
        return b.finish(None)
    if isinstance(model, PaymentRefund):
        _refund(model, b)
        return b.finish(None)
    if isinstance(model, TestPage):
        _test_page(model, b, logo)
        return b.finish(model.printed_at)
    raise TypeError(f"no template for {type(model).__name__}")
