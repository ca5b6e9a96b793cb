"""Generated material pages with ground truth: for OCR, document-kind and field tests and bench/ocr.py.

`material_page(kind, person, **variant)` renders an A4 page (150 dpi, BGR) of one document
kind in Chinese with the sample person's data (`hw_sim.identities`), and returns it with its
`MaterialTruth` (kind and the fields a reader should extract). Variants: `font` (wqy | wqy_mono),
`stamp` (a red seal over the text), `expired` (a validity that ended), `signed` (application
forms), `other_id` (another person's ID number), `scale` (text size factor).
`material_set()` is the generated benchmark set: every kind × flat and photographed variants
(perspective, blur, glare, shadow, stamps, fonts) through `hw_sim.documents.page_photo`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hw_sim.documents import PAGE_HEIGHT, PAGE_WIDTH, page_photo
from hw_sim.identities import get_identity

# face 1 of the Micro Hei collection is its monospaced cut (other letter and digit shapes);
# Droid Sans Fallback has no Latin digits, so it cannot print an ID number
FONTS = {"wqy": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
         "wqy_mono": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 1)}
MATERIAL_KINDS = ("id_card_front", "id_card_back", "household_register", "application_form",
                  "marriage_certificate", "business_licence", "property_certificate", "unknown")
CREDIT_CODE = "92110101MA01B2C3D"  # 17 characters; the check character is computed


@dataclass(frozen=True)
class MaterialTruth:
    kind: str
    fields: dict[str, str] = field(default_factory=dict)
    variant: dict[str, Any] = field(default_factory=dict)


@functools.lru_cache(maxsize=16)
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    path, index = FONTS.get(name, FONTS["wqy"])
    try:
        return ImageFont.truetype(path, size, index=index)
    except OSError:
        return ImageFont.truetype(FONTS["wqy"][0], size, index=0)


def _credit_code() -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(chars.index(c) * w for c, w in zip(CREDIT_CODE, weights))
    return CREDIT_CODE + chars[(31 - total % 31) % 31]


def _cn_date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{y}年{m}月{d}日"


def material_page(kind: str, person: str = "obama", *, font: str = "wqy", stamp: bool = False,
                  expired: bool = False, signed: bool = True, other_id: bool = False,
                  scale: float = 1.0) -> tuple[np.ndarray, MaterialTruth]:
    if kind not in MATERIAL_KINDS:
        raise ValueError(f"unknown material kind {kind!r} (known: {', '.join(MATERIAL_KINDS)})")
    who = get_identity(person)
    shown = get_identity("biden") if other_id else who
    img = Image.new("RGB", (PAGE_WIDTH, PAGE_HEIGHT), "white")
    d = ImageDraw.Draw(img)

    def f(size: int) -> ImageFont.FreeTypeFont:
        return _font(font, max(10, round(size * scale)))

    def text(xy: tuple[int, int], s: str, size: int = 32, fill: Any = "black") -> None:
        d.text(xy, s, font=f(size), fill=fill)

    truth: dict[str, str] = {}
    birth = who.birth_date.isoformat()
    if kind in ("id_card_front", "id_card_back"):
        # an ID card copy, enlarged 1.5x, in the top half of the page
        x0, y0, w, h = 230, 160, 780, 490
        d.rounded_rectangle((x0, y0, x0 + w, y0 + h), radius=28, outline=(90, 90, 90), width=3)
        if kind == "id_card_front":
            text((x0 + 40, y0 + 40), f"姓名  {shown.name_zh}", 34)
            text((x0 + 40, y0 + 100), f"性别  {'男' if shown.sex == '1' else '女'}     民族  汉", 30)
            b = shown.birth_date
            text((x0 + 40, y0 + 160), f"出生  {b.year}年{b.month}月{b.day}日", 30)
            text((x0 + 40, y0 + 220), f"住址  {shown.address[:14]}", 30)
            text((x0 + 118, y0 + 262), shown.address[14:28], 30)
            text((x0 + 40, y0 + 400), f"公民身份号码  {shown.id_number}", 32)
            d.rectangle((x0 + w - 230, y0 + 50, x0 + w - 50, y0 + 280), outline=(150, 150, 150), width=2)
            truth = {"name": shown.name_zh, "id_number": shown.id_number}
        else:
            text((x0 + 200, y0 + 60), "中华人民共和国", 44)
            text((x0 + 230, y0 + 140), "居民身份证", 52)
            text((x0 + 60, y0 + 300), f"签发机关  {who.issuer}", 30)
            start = who.valid_from
            if expired:
                start = start.replace(year=start.year - 20)
                end = start.replace(year=start.year + 10)
                period = f"{start:%Y.%m.%d}-{end:%Y.%m.%d}"
                truth = {"valid_until": end.isoformat()}
            else:
                period = f"{start:%Y.%m.%d}-长期"
                truth = {"valid_until": "long_term"}
            text((x0 + 60, y0 + 370), f"有效期限  {period}", 30)
            truth["issuer"] = who.issuer
    elif kind == "household_register":
        text((430, 110), "常住人口登记卡", 56)
        rows = [("户别", "家庭户", "户号", "110101234"), ("姓名", shown.name_zh, "户主或与户主关系", "户主"),
                ("性别", "男" if shown.sex == "1" else "女", "民族", "汉族"), ("出生日期", _cn_date(birth), "籍贯", "北京市"),
                ("公民身份证件编号", shown.id_number, "", ""), ("登记日期", "2010年05月06日", "", "")]
        y = 260
        for a, b, c, e in rows:
            d.rectangle((110, y - 14, PAGE_WIDTH - 110, y + 70), outline=(60, 60, 60), width=2)
            text((130, y), f"{a}  {b}", 32)
            if c:
                text((700, y), f"{c}  {e}", 32)
            y += 84
        truth = {"name": shown.name_zh, "id_number": shown.id_number, "household_no": "110101234"}
    elif kind == "application_form":
        text((300, 110), "个体工商户设立登记申请表", 50)
        lines = [f"申请人：{shown.name_zh}", f"证件号码：{shown.id_number}", "联系电话：13800138000",
                 "申请事项：个体工商户设立登记", "经营场所：北京市东城区景山前街4号"]
        y = 260
        for s in lines:
            text((130, y), s, 34)
            d.line((130, y + 52, PAGE_WIDTH - 130, y + 52), fill=(170, 170, 170), width=1)
            y += 90
        for i in range(6):
            text((130, y + 20 + i * 46), "本人承诺所填信息真实有效，如有虚假愿承担相应法律责任。", 28, (40, 40, 40))
        y += 360
        text((130, y), "申请人签名：", 34)
        if signed:
            text((360, y - 6), who.name_zh, 44, (20, 20, 120))
        text((760, y), "日期：2026年11月20日", 34)
        truth = {"name": shown.name_zh, "id_number": shown.id_number, "signature": "present" if signed else "missing"}
    elif kind == "marriage_certificate":
        text((480, 110), "结婚证", 80)
        other = get_identity("rose_leslie")
        lines = [f"持证人  {shown.name_zh}", "登记日期  2001年10月03日", "结婚证字号  J110101-2001-003456", "",
                 f"姓名  {shown.name_zh}   性别  男   国籍  中国", f"公民身份号码  {shown.id_number}",
                 f"姓名  {other.name_zh}   性别  女   国籍  中国", f"公民身份号码  {other.id_number}"]
        y = 300
        for s in lines:
            if s:
                text((160, y), s, 34)
            y += 80
        truth = {"name": shown.name_zh, "id_number": shown.id_number, "marriage_no": "J110101-2001-003456"}
    elif kind == "business_licence":
        text((460, 110), "营业执照", 80)
        code = _credit_code()
        text((130, 240), f"统一社会信用代码  {code}", 32)
        until = "2019年03月12日至2029年03月11日" if not expired else "2009年03月12日至2019年03月11日"
        lines = [f"名称  北京市东城区欧记便利店", "类型  个体工商户", f"经营者  {shown.name_zh}",
                 "经营场所  北京市东城区景山前街4号", "经营范围  日用百货零售", "组成形式  个人经营",
                 f"注册日期  2019年03月12日", f"营业期限  {until}", "登记机关  北京市东城区市场监督管理局"]
        y = 330
        for s in lines:
            text((130, y), s, 34)
            y += 78
        truth = {"name": shown.name_zh, "credit_code": code,
                 "valid_until": "2029-03-11" if not expired else "2019-03-11"}
    elif kind == "property_certificate":
        text((400, 110), "不动产权证书", 70)
        no = "京(2020)东城区不动产权第0012345号"
        lines = [no, f"权利人  {shown.name_zh}", "共有情况  单独所有", "坐落  北京市东城区景山前街4号院2号楼301室",
                 "不动产单元号  110101001001GB00001F00010001", "权利类型  国有建设用地使用权/房屋所有权",
                 "用途  住宅", "面积  89.50平方米"]
        y = 260
        for s in lines:
            text((130, y), s, 34)
            y += 84
        truth = {"name": shown.name_zh, "property_no": no}
    else:  # unknown: a notice that is none of the kinds
        text((330, 110), "关于召开业主大会的通知", 50)
        body = ["各位业主：", "定于本月二十五日晚七时在小区会所召开业主大会，", "讨论物业服务合同续签及停车位管理办法。",
                "请各位业主准时参加。", "", "小区业主委员会", "二〇二六年十一月十八日"]
        y = 260
        for s in body:
            if s:
                text((130, y), s, 34)
            y += 76
        truth = {}
    if stamp:
        cx, cy, r = PAGE_WIDTH - 330, 470, 130
        seal = Image.new("RGBA", img.size, (0, 0, 0, 0))
        sd = ImageDraw.Draw(seal)
        sd.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(220, 30, 30, 170), width=9)
        sd.regular_polygon((cx, cy, 40), 5, fill=(220, 30, 30, 170))
        sd.text((cx - 95, cy + 50), "专用章", font=_font("wqy", 44), fill=(220, 30, 30, 170))
        img = Image.alpha_composite(img.convert("RGBA"), seal).convert("RGB")
    page = cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)
    return page, MaterialTruth(kind, truth, {"person": person, "font": font, "stamp": stamp, "expired": expired,
                                             "signed": signed, "other_id": other_id, "scale": scale})


def shadow(page: np.ndarray, strength: float = 0.45) -> np.ndarray:
    """A soft diagonal shadow over part of the page (a hand or the camera arm)."""
    h, w = page.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = np.clip((xx / w + yy / h - 0.9) * 3.0, 0, 1)
    factor = 1.0 - strength * ramp
    return np.clip(page.astype(np.float32) * factor[..., None], 0, 255).astype(np.uint8)


PHOTO_VARIANTS: dict[str, dict[str, Any]] = {
    "flat": {},
    "photo": {"photo": {}},
    "perspective": {"photo": {"skew": 0.3, "rotation": 6.0}},
    "blur": {"photo": {"blur": 1.2}},
    "glare": {"photo": {"glare": 0.7, "glare_at": (0.7, 0.75)}},
    "shadow": {"shadow": 0.45, "photo": {}},
    "stamp": {"page": {"stamp": True}},
    "mono_font": {"page": {"font": "wqy_mono"}, "photo": {}},
}


def material_set(kinds: tuple[str, ...] = MATERIAL_KINDS, variants: tuple[str, ...] = tuple(PHOTO_VARIANTS),
                 ) -> list[tuple[str, np.ndarray, MaterialTruth, bool]]:
    """(name, image, truth, is_photo) for every kind × variant."""
    out = []
    for i, kind in enumerate(kinds):
        for j, variant in enumerate(variants):
            spec = PHOTO_VARIANTS[variant]
            page, truth = material_page(kind, **spec.get("page", {}))
            if "shadow" in spec:
                page = shadow(page, spec["shadow"])
            if "photo" in spec:
                image, _ = page_photo("custom", page_image=page, seed=i * 10 + j, **spec["photo"])
                out.append((f"{kind}-{variant}", image, truth, True))
            else:
                out.append((f"{kind}-{variant}", page, truth, False))
    return out
