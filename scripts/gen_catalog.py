"""Generate the service catalog data in kiosk/catalog_data/ (the committed JSON is what ships).

The catalog copies a city service hall's self-service station: 7 categories, 16 items the
station completes itself, and guidance-only matters (the guide is shown; the station says where
and how to apply) — 317 matters in all. The city (临江市), its addresses and its local phone
numbers are fictional but well-formed; the laws, regulations and national hotlines are real.

Run: .venv/bin/python scripts/gen_catalog.py [--out config/catalog]
Then check: .venv/bin/kiosk catalog list
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path

CITY = "临江市"
HALL_ZH = "临江市民中心（滨江大道188号）"
HALL_EN = "Linjiang Citizen Centre, 188 Binjiang Avenue"
SUPERVISION_ZH = "12345政务服务便民热线；临江市政务服务管理办公室监督电话；政务服务“好差评”系统"
SUPERVISION_PHONE = "0576-88120345"
SUPERVISION_EN = "12345 government service hotline; Linjiang Government Services Office supervision line; the government service rating system"
HOURS_ZH = "周一至周五 9:00-12:00，13:30-17:00（法定节假日除外）；自助服务站24小时开放"
HOURS_EN = "Mon-Fri 9:00-12:00 and 13:30-17:00 (closed on public holidays); the self-service station is open 24 hours"

LAW_EN = {
    "《不动产登记暂行条例》": "Interim Regulations on Real Estate Registration",
    "《不动产登记暂行条例实施细则》": "Implementing Rules of the Interim Regulations on Real Estate Registration",
    "《不动产登记资料查询暂行办法》": "Interim Measures for Searching Real Estate Registration Records",
    "《个体工商户税收定期定额征收管理办法》": "Measures for Fixed-Amount Tax Collection from Individual Businesses",
    "《中华人民共和国个人所得税法》": "Individual Income Tax Law of the PRC",
    "《中华人民共和国个人所得税法实施条例》": "Regulations for the Implementation of the Individual Income Tax Law of the PRC",
    "《中华人民共和国个人独资企业法》": "Law of the PRC on Sole Proprietorship Enterprises",
    "《中华人民共和国企业所得税法》": "Enterprise Income Tax Law of the PRC",
    "《中华人民共和国公司法》": "Company Law of the PRC",
    "《中华人民共和国农村土地承包法》": "Law of the PRC on Land Contract in Rural Areas",
    "《中华人民共和国农民专业合作社法》": "Law of the PRC on Farmers' Specialised Cooperatives",
    "《中华人民共和国出境入境管理法》": "Exit and Entry Administration Law of the PRC",
    "《中华人民共和国印花税法》": "Stamp Tax Law of the PRC",
    "《中华人民共和国发票管理办法》": "Measures of the PRC for the Administration of Invoices",
    "《中华人民共和国发票管理办法实施细则》": "Implementing Rules of the Measures of the PRC for the Administration of Invoices",
    "《中华人民共和国合伙企业法》": "Partnership Enterprise Law of the PRC",
    "《中华人民共和国土地管理法》": "Land Administration Law of the PRC",
    "《中华人民共和国城镇土地使用税暂行条例》": "Interim Regulations of the PRC on Urban Land Use Tax",
    "《中华人民共和国增值税法》": "Value-Added Tax Law of the PRC",
    "《中华人民共和国外商投资法》": "Foreign Investment Law of the PRC",
    "《中华人民共和国契税法》": "Deed Tax Law of the PRC",
    "《中华人民共和国居民身份证法》": "Resident Identity Card Law of the PRC",
    "《中华人民共和国市场主体登记管理条例》": "Regulations of the PRC on the Administration of Market Entity Registration",
    "《中华人民共和国市场主体登记管理条例实施细则》": "Implementing Rules of the Regulations of the PRC on the Administration of Market Entity Registration",
    "《中华人民共和国户口登记条例》": "Regulations of the PRC on Household Registration",
    "《中华人民共和国房产税暂行条例》": "Interim Regulations of the PRC on Property Tax",
    "《中华人民共和国普通护照和出入境通行证签发管理办法》": "Measures of the PRC for Issuing Ordinary Passports and Exit-Entry Permits",
    "《中华人民共和国民法典》": "Civil Code of the PRC",
    "《中华人民共和国海域使用管理法》": "Law of the PRC on the Administration of Sea Area Use",
    "《中华人民共和国环境保护税法》": "Environmental Protection Tax Law of the PRC",
    "《中华人民共和国社会保险法》": "Social Insurance Law of the PRC",
    "《中华人民共和国税收征收管理法》": "Law of the PRC on the Administration of Tax Collection",
    "《中华人民共和国税收征收管理法实施细则》": "Implementing Rules of the Law of the PRC on the Administration of Tax Collection",
    "《中华人民共和国药品管理法》": "Drug Administration Law of the PRC",
    "《中华人民共和国车辆购置税法》": "Vehicle Purchase Tax Law of the PRC",
    "《中华人民共和国道路交通安全法》": "Road Traffic Safety Law of the PRC",
    "《中华人民共和国食品安全法》": "Food Safety Law of the PRC",
    "《中国公民民族成份登记管理办法》": "Measures for the Registration of Ethnicity of Chinese Citizens",
    "《人力资源社会保障部 财政部关于失业保险支持参保职工提升职业技能有关问题的通知》": "Notice of the MOHRSS and the MOF on Unemployment Insurance Support for Insured Workers' Skills",
    "《企业信息公示暂行条例》": "Interim Regulations on Enterprise Information Disclosure",
    "《住房公积金个人住房贷款业务规范》": "Business Standard for Housing Provident Fund Personal Housing Loans",
    "《住房公积金管理条例》": "Regulations on the Administration of Housing Provident Funds",
    "《住房公积金统计管理办法》": "Measures for Housing Provident Fund Statistics",
    "《促进个体工商户发展条例》": "Regulations on Promoting the Development of Individual Businesses",
    "《保安服务管理条例》": "Regulations on the Administration of Security Services",
    "《全国住房公积金异地转移接续业务操作规程》": "Operating Rules for Transferring Housing Provident Funds between Cities",
    "《公安机关办理无犯罪记录证明工作规定》": "Provisions on Issuing No-Criminal-Record Certificates by Public Security Organs",
    "《关于职工基本养老保险遗属待遇有关问题的通知》": "Notice on Survivors' Benefits of Employee Basic Pension Insurance",
    "《医疗保障基金使用监督管理条例》": "Regulations on Supervising the Use of Medical Security Funds",
    "《医疗保障经办政务服务事项清单》": "List of Medical Security Government Services",
    "《医疗器械监督管理条例》": "Regulations on the Supervision and Administration of Medical Devices",
    "《医疗机构医疗保障定点管理暂行办法》": "Interim Measures for Designating Medical Institutions for Medical Security",
    "《印铸刻字业暂行管理规则》": "Interim Rules on the Printing, Casting and Engraving Trade",
    "《危险化学品安全管理条例》": "Regulations on the Safety Administration of Hazardous Chemicals",
    "《国务院关于建立统一的城乡居民基本养老保险制度的意见》": "Opinions of the State Council on a Unified Basic Pension Insurance for Rural and Urban Residents",
    "《国务院关于渐进式延迟法定退休年龄的办法》": "Measures of the State Council on Gradually Raising the Statutory Retirement Age",
    "《国务院办公厅关于全面推进生育保险和职工基本医疗保险合并实施的意见》": "Opinions of the General Office of the State Council on Merging Maternity and Employee Medical Insurance",
    "《国务院对确需保留的行政审批项目设定行政许可的决定》": "Decision of the State Council on Administrative Licences for Approval Items to Be Retained",
    "《国家医保局 财政部关于扩大长期护理保险制度试点的指导意见》": "Guiding Opinions of the NHSA and the MOF on Extending the Long-Term Care Insurance Pilot",
    "《国家医保局 财政部关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知》": "Notice of the NHSA and the MOF on Direct Settlement of Inter-Provincial Medical Care",
    "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》": "Notice of the NDRC and the MOF on Resident ID Card Fees",
    "《国家税务总局关于进一步做好个人所得税纳税记录开具工作的通知》": "Notice of the STA on Issuing Individual Income Tax Payment Records",
    "《城乡养老保险制度衔接暂行办法》": "Interim Measures for Linking Urban and Rural Pension Insurance Schemes",
    "《城镇企业职工基本养老保险关系转移接续暂行办法》": "Interim Measures for Transferring Urban Employees' Basic Pension Insurance",
    "《基本医疗保险用药管理暂行办法》": "Interim Measures for the Administration of Medicines under Basic Medical Insurance",
    "《增值税一般纳税人登记管理办法》": "Measures for the Registration of General VAT Taxpayers",
    "《大型群众性活动安全管理条例》": "Regulations on the Safety of Large-Scale Public Events",
    "《失业保险条例》": "Regulations on Unemployment Insurance",
    "《娱乐场所管理条例》": "Regulations on the Administration of Entertainment Venues",
    "《就业服务与就业管理规定》": "Provisions on Employment Services and Employment Management",
    "《居住证暂行条例》": "Interim Regulations on Residence Permits",
    "《工伤保险条例》": "Regulations on Work-Related Injury Insurance",
    "《旅馆业治安管理办法》": "Measures for Public Security Administration of the Hotel Trade",
    "《机动车登记规定》": "Provisions on Motor Vehicle Registration",
    "《流动就业人员基本医疗保障关系转移接续暂行办法》": "Interim Measures for Transferring Basic Medical Insurance of Mobile Workers",
    "《烟花爆竹安全管理条例》": "Regulations on the Safety Administration of Fireworks and Firecrackers",
    "《社会保险个人权益记录管理办法》": "Measures for the Administration of Personal Social Insurance Records",
    "《社会保险费征缴暂行条例》": "Interim Regulations on the Collection of Social Insurance Contributions",
    "《社会保障卡管理办法》": "Measures for the Administration of Social Security Cards",
    "《税务登记管理办法》": "Measures for the Administration of Tax Registration",
    "《税收减免管理办法》": "Measures for the Administration of Tax Reductions and Exemptions",
    "《税收完税证明管理办法》": "Measures for the Administration of Tax Payment Certificates",
    "《药品经营和使用质量监督管理办法》": "Measures for Quality Supervision of Drug Trading and Use",
    "《零售药店医疗保障定点管理暂行办法》": "Interim Measures for Designating Retail Pharmacies for Medical Security",
    "《食品经营许可和备案管理办法》": "Measures for Food Business Licensing and Filing",
}

_DIGITS = {"零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def zh_number(text: str) -> int:
    """Chinese numerals up to 9999: 二百三十九 -> 239, 十七 -> 17."""
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        else:
            unit = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (current or 1) * unit
            current = 0
    return total + current


def article_en(zh: str) -> str:
    """第五十七条、第五十八条 -> Art. 57, Art. 58; 第三章 -> Chapter 3; document numbers kept."""
    if not zh:
        return ""
    out = re.sub(r"第([零一二三四五六七八九十百千]+)条", lambda m: f"Art. {zh_number(m.group(1))}", zh)
    out = re.sub(r"第([零一二三四五六七八九十百千]+)章", lambda m: f"Chapter {zh_number(m.group(1))}", out)
    out = re.sub(r"第([零一二三四五六七八九十百千]+)项", lambda m: f"item {zh_number(m.group(1))}", out)
    out = out.replace("至", " to ").replace("、", ", ").replace("〔", "[").replace("〕", "] ").replace("号", "")
    out = out.replace("发改价格", "NDRC Pricing ")
    if re.search(r"[\u4e00-\u9fff]", out):
        raise ValueError(f"article {zh!r} not translated: {out!r}")
    return out


# material key -> (name_zh, name_en, form, pages, ecert_type or None)
MAT: dict[str, tuple[str, str, str, int, str | None]] = {
    "id": ("居民身份证", "Resident ID card", "original", 1, "resident_id"),
    "hukou": ("居民户口簿", "Household register", "original", 1, "household_register"),
    "marriage": ("结婚证", "Marriage certificate", "original", 1, "marriage_certificate"),
    "sscard": ("社会保障卡", "Social security card", "original", 1, "social_security_card"),
    "license": ("营业执照", "Business licence", "original", 1, "business_license"),
    "property": ("不动产权证书", "Real estate title certificate", "original", 1, "real_estate_certificate"),
    "birth": ("出生医学证明", "Medical birth certificate", "original", 1, "birth_certificate"),
    "degree": ("学历学位证书", "Diploma and degree certificate", "original", 1, "degree_certificate"),
    "permit": ("居住证", "Residence permit", "original", 1, "residence_permit"),
    "drive": ("机动车驾驶证", "Driving licence", "original", 1, "driving_license"),
    "proxy": ("授权委托书（委托他人办理时提供）", "Power of attorney (when an agent applies)", "original", 1, None),
    "agent_id": ("受托人居民身份证（委托他人办理时提供）", "Agent's resident ID card (when an agent applies)", "original", 1, None),
    "photo": ("近期免冠彩色证件照片", "Recent colour passport-style photo", "original", 2, None),
    "labor": ("劳动合同或劳动关系证明", "Employment contract or proof of employment", "copy", 2, None),
    "bank": ("本人银行账户信息（银行卡或存折）", "Own bank account details (card or passbook)", "copy", 1, None),
    "death": ("死亡医学证明或火化证明", "Medical death certificate or cremation certificate", "original", 1, None),
    "kinship": ("亲属关系证明", "Proof of kinship", "original", 1, None),
    "invoice": ("医疗费用收据（发票）", "Medical expense receipts (invoices)", "original", 3, None),
    "medrec": ("门诊病历或出院记录", "Outpatient record or discharge summary", "copy", 2, None),
    "expense_list": ("费用明细清单", "Itemised expense list", "original", 2, None),
    "referral": ("转诊备案表", "Referral filing form", "copy", 1, None),
    "diagnosis": ("医疗机构诊断证明", "Medical diagnosis certificate", "original", 1, None),
    "rent": ("房屋租赁合同", "Housing lease contract", "copy", 3, None),
    "purchase": ("购房合同（协议）", "House purchase contract", "original", 5, None),
    "payment_proof": ("购房款付款凭证", "Proof of payment for the house", "copy", 1, None),
    "loan_contract": ("借款合同", "Loan contract", "original", 4, None),
    "settle": ("贷款结清证明", "Loan settlement certificate", "original", 1, None),
    "retire": ("退休证明或退休审批表", "Retirement certificate or approval form", "copy", 1, None),
    "leave_cert": ("离职证明或解除劳动关系证明", "Proof of leaving the employer", "original", 1, None),
    "unit_letter": ("单位介绍信（加盖公章）", "Employer's letter (sealed)", "original", 1, None),
    "seal": ("单位公章（现场使用）", "Company seal (used on the spot)", "original", 1, None),
    "articles": ("公司章程", "Articles of association", "original", 4, None),
    "resolution": ("股东会决议或股东决定", "Shareholders' resolution or decision", "original", 2, None),
    "appoint": ("法定代表人、董事、监事和经理的任职文件", "Appointment papers of the legal representative, directors, supervisors and manager", "original", 2, None),
    "premises": ("住所（经营场所）使用证明", "Proof of the right to use the premises", "copy", 2, None),
    "liquidation": ("清算报告", "Liquidation report", "original", 3, None),
    "food_plan": ("食品安全管理制度文本", "Food safety management rules", "copy", 3, None),
    "layout": ("经营场所平面图和设备布局图", "Floor plan and equipment layout of the premises", "copy", 2, None),
    "health": ("从业人员健康证明", "Staff health certificates", "copy", 1, None),
    "tax_form": ("税务事项申报表", "Tax filing form", "original", 1, None),
    "contract": ("合同或协议", "Contract or agreement", "copy", 3, None),
    "invoice_tax": ("发票或收款凭证", "Invoices or receipts", "copy", 1, None),
    "transfer_doc": ("权属转移登记申请材料（买卖合同等）", "Transfer documents (sale contract etc.)", "original", 5, None),
    "survey": ("不动产权籍调查表、宗地图及房屋平面图", "Cadastral survey form, parcel map and floor plan", "original", 3, None),
    "mortgage": ("抵押合同及主债权合同", "Mortgage contract and principal loan contract", "original", 6, None),
    "release": ("抵押权人同意注销的证明", "Mortgagee's consent to cancel", "original", 1, None),
    "land": ("土地权属来源材料", "Source-of-title documents for the land", "copy", 3, None),
    "court": ("人民法院生效法律文书", "Effective court ruling", "copy", 2, None),
    "inherit": ("继承（受遗赠）权利证明材料", "Proof of inheritance or bequest", "original", 3, None),
    "notice": ("遗失声明（登报或网站公告）", "Loss notice (newspaper or official website)", "copy", 1, None),
    "school": ("学校或单位出具的在读/在职证明", "Proof of study or employment from the school or employer", "original", 1, None),
    "abroad_form": ("出入境证件申请表", "Exit-entry document application form", "original", 1, None),
    "invitation": ("赴港澳台事由证明材料", "Proof of the purpose of the visit to HK/Macao/Taiwan", "copy", 1, None),
    "vehicle": ("机动车登记证书、行驶证", "Vehicle registration certificate and licence", "original", 2, None),
    "safety": ("安全管理制度及应急预案", "Safety rules and emergency plan", "copy", 4, None),
    "fire": ("消防安全检查合格证明", "Fire safety inspection certificate", "copy", 1, None),
    "staff_list": ("从业人员名单及身份证明", "Staff list with identity documents", "copy", 2, None),
    "disability": ("残疾人证", "Disability certificate", "original", 1, None),
    "injury": ("工伤认定决定书", "Work-injury determination", "copy", 1, None),
    "accident": ("事故伤害发生经过及相关证明材料", "Account of the accident with supporting evidence", "original", 2, None),
    "training": ("职业资格证书或职业技能等级证书", "Vocational qualification or skill-level certificate", "copy", 1, None),
}


def mat(key: str, required: bool = True, pages: int | None = None, form: str | None = None,
        name_zh: str | None = None) -> dict:
    zh, en, f, p, ecert = MAT[key]
    if key in ("proxy", "agent_id"):
        required = False
    return {
        "name_zh": name_zh or zh, "name_en": en, "form": form or f, "pages": pages or p, "required": required,
        "ecert_replaceable": ecert is not None, "ecert_type": ecert,
    }


def form(name_zh: str, name_en: str) -> dict:
    base = re.sub(r"（[^）]*）$", "", name_zh)
    if base.endswith("申请材料投递"):
        base = base.removesuffix("申请材料投递") + "申请"
    title = f"{base}书" if base.endswith("登记申请") else f"{base}表" if base.endswith(("申请", "申报", "备案", "申领", "报告")) else f"{base}申请表"
    return {"name_zh": f"《{title}》", "name_en": f"Application form: {name_en}"[:120], "form": "original",
            "pages": 1, "required": True, "ecert_replaceable": False, "ecert_type": None}


def phone(seed: str, base: str = "0576-8") -> str:
    n = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 10_000_000
    return f"{base}{n:07d}"


# --------------------------------------------------------------------------- categories

CATS = [
    dict(code="social_insurance", prefix="SI", name_zh="社会保险", name_en="Social insurance", icon="shield",
         authority_zh=f"{CITY}社会保险事业管理中心", authority_en="Linjiang Social Insurance Administration Centre",
         place_zh=f"{HALL_ZH}二楼 社会保险综合窗口（B区201-216号）",
         place_en=f"{HALL_EN}, 2F, social insurance counters B201-B216",
         enquiry="12333", online_zh="浙里办APP“社保”专区、国家社会保险公共服务平台",
         online_en="Zheliban app (social insurance section); national social insurance public service platform"),
    dict(code="medical_insurance", prefix="MI", name_zh="医疗保障", name_en="Medical insurance", icon="medical",
         authority_zh=f"{CITY}医疗保障事业管理服务中心", authority_en="Linjiang Medical Security Service Centre",
         place_zh=f"{HALL_ZH}二楼 医保服务窗口（C区221-230号）",
         place_en=f"{HALL_EN}, 2F, medical insurance counters C221-C230",
         enquiry="0576-88130393", online_zh="国家医保服务平台APP、医保电子凭证",
         online_en="National medical insurance service app; medical insurance e-voucher"),
    dict(code="housing_fund", prefix="HF", name_zh="住房公积金", name_en="Housing provident fund", icon="house",
         authority_zh=f"{CITY}住房公积金管理中心", authority_en="Linjiang Housing Provident Fund Management Centre",
         place_zh=f"{HALL_ZH}三楼 住房公积金服务窗口（D区301-312号）",
         place_en=f"{HALL_EN}, 3F, housing fund counters D301-D312",
         enquiry="12329", online_zh="住房公积金网上服务大厅、手机公积金APP",
         online_en="Housing fund online service hall; housing fund mobile app"),
    dict(code="real_estate", prefix="RE", name_zh="不动产登记", name_en="Real estate registration", icon="deed",
         authority_zh=f"{CITY}不动产登记中心", authority_en="Linjiang Real Estate Registration Centre",
         place_zh=f"{HALL_ZH}三楼 不动产登记综合窗口（E区321-340号）",
         place_en=f"{HALL_EN}, 3F, real estate counters E321-E340",
         enquiry="0576-88140210", online_zh="不动产登记“一网通办”平台",
         online_en="Real estate registration one-stop online platform"),
    dict(code="public_security", prefix="PS", name_zh="户籍与公安", name_en="Household registration and public security",
         icon="police", authority_zh=f"{CITY}公安局", authority_en="Linjiang Public Security Bureau",
         place_zh=f"{HALL_ZH}一楼 公安综合窗口（A区101-118号）",
         place_en=f"{HALL_EN}, 1F, public security counters A101-A118",
         enquiry="0576-88150110", online_zh="公安“互联网+政务服务”平台",
         online_en="Public security \"Internet + government services\" platform"),
    dict(code="market_entity", prefix="ME", name_zh="市场主体", name_en="Market entities", icon="shop",
         authority_zh=f"{CITY}市场监督管理局", authority_en="Linjiang Administration for Market Regulation",
         place_zh=f"{HALL_ZH}四楼 企业开办综合窗口（F区401-420号）",
         place_en=f"{HALL_EN}, 4F, business start-up counters F401-F420",
         enquiry="12315", online_zh="企业开办“一网通办”平台、全程电子化登记系统",
         online_en="Business start-up one-stop online platform; fully electronic registration system"),
    dict(code="tax", prefix="TX", name_zh="税务", name_en="Tax", icon="tax",
         authority_zh=f"国家税务总局{CITY}税务局", authority_en="Linjiang Municipal Tax Service, State Taxation Administration",
         place_zh=f"{HALL_ZH}四楼 税务综合窗口（G区431-450号）",
         place_en=f"{HALL_EN}, 4F, tax counters G431-G450",
         enquiry="12366", online_zh="电子税务局、个人所得税APP",
         online_en="Electronic tax bureau; individual income tax app"),
]
CAT = {c["code"]: c for c in CATS}

# --------------------------------------------------------------------------- profiles
# A profile gives a family of matters its legal basis, type, time limits and materials.
# (type, statutory_days, promised_days, [(law, article)], [material keys], audience)

L_SI = "《中华人民共和国社会保险法》"
L_MI = "《医疗保障基金使用监督管理条例》"
L_HF = "《住房公积金管理条例》"
L_RE = "《不动产登记暂行条例》"
L_RE2 = "《不动产登记暂行条例实施细则》"
L_HK = "《中华人民共和国户口登记条例》"
L_ID = "《中华人民共和国居民身份证法》"
L_ME = "《中华人民共和国市场主体登记管理条例》"
L_ME2 = "《中华人民共和国市场主体登记管理条例实施细则》"
L_TX = "《中华人民共和国税收征收管理法》"
L_TX2 = "《中华人民共和国税收征收管理法实施细则》"

PROFILES: dict[str, dict] = {
    # social insurance
    "si_reg": dict(type="promised", statutory=15, promised=1, basis=[(L_SI, "第五十七条、第五十八条")], mats=["id"], audience="both"),
    "si_change": dict(type="instant", statutory=15, promised=0, basis=[(L_SI, "第五十七条"), ("《社会保险费征缴暂行条例》", "第九条")], mats=["id"], audience="both"),
    "si_transfer": dict(type="promised", statutory=45, promised=15, basis=[(L_SI, "第十九条"), ("《城镇企业职工基本养老保险关系转移接续暂行办法》", "第八条")], mats=["id", "sscard"]),
    "si_pension": dict(type="promised", statutory=20, promised=10, basis=[(L_SI, "第十六条、第十七条")], mats=["id", "sscard", "hukou", "bank"]),
    "si_survivor": dict(type="promised", statutory=20, promised=10, basis=[(L_SI, "第十七条"), ("《关于职工基本养老保险遗属待遇有关问题的通知》", "")], mats=["id", "death", "kinship", "bank"]),
    "si_injury": dict(type="promised", statutory=60, promised=30, basis=[("《工伤保险条例》", "第十七条、第十八条、第二十条")], mats=["id", "labor", "accident", "diagnosis"], audience="both"),
    "si_injury_pay": dict(type="promised", statutory=30, promised=15, basis=[("《工伤保险条例》", "第三十条至第三十九条")], mats=["id", "injury", "invoice", "bank"]),
    "si_unemp": dict(type="promised", statutory=10, promised=3, basis=[(L_SI, "第四十五条、第五十条"), ("《失业保险条例》", "第十四条、第十六条")], mats=["id", "sscard", "leave_cert"]),
    "si_subsidy": dict(type="promised", statutory=30, promised=15, basis=[("《失业保险条例》", "第十条"), ("《人力资源社会保障部 财政部关于失业保险支持参保职工提升职业技能有关问题的通知》", "")], mats=["id", "sscard", "training", "bank"]),
    "si_card": dict(type="promised", statutory=20, promised=5, basis=[("《社会保障卡管理办法》", "第十一条至第十五条")], mats=["id", "photo"]),
    "si_card_now": dict(type="instant", statutory=0, promised=0, basis=[("《社会保障卡管理办法》", "第十六条")], mats=["id", "sscard"]),
    "si_query": dict(type="instant", statutory=0, promised=0, basis=[("《社会保险个人权益记录管理办法》", "第十四条、第十五条")], mats=["id"]),
    "si_rural": dict(type="promised", statutory=15, promised=5, basis=[("《国务院关于建立统一的城乡居民基本养老保险制度的意见》", "")], mats=["id", "hukou"]),
    "si_fee": dict(type="promised", statutory=15, promised=5, basis=[(L_SI, "第六十条、第六十三条"), ("《社会保险费征缴暂行条例》", "第十条")], mats=["id", "labor"], audience="both"),
    # medical insurance
    "mi_reg": dict(type="instant", statutory=15, promised=0, basis=[(L_SI, "第二十三条、第二十五条"), ("《医疗保障经办政务服务事项清单》", "")], mats=["id"], audience="both"),
    "mi_transfer": dict(type="promised", statutory=45, promised=15, basis=[(L_SI, "第三十二条"), ("《流动就业人员基本医疗保障关系转移接续暂行办法》", "第八条")], mats=["id", "sscard"]),
    "mi_refund": dict(type="promised", statutory=30, promised=20, basis=[(L_SI, "第二十八条、第二十九条"), (L_MI, "第十九条")], mats=["id", "sscard", "invoice", "expense_list", "medrec", "bank"]),
    "mi_remote": dict(type="instant", statutory=5, promised=0, basis=[("《国家医保局 财政部关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知》", "")], mats=["id", "sscard"]),
    "mi_special": dict(type="promised", statutory=15, promised=5, basis=[(L_MI, "第十九条"), ("《基本医疗保险用药管理暂行办法》", "第二十一条")], mats=["id", "sscard", "diagnosis", "medrec"]),
    "mi_maternity": dict(type="promised", statutory=30, promised=10, basis=[(L_SI, "第五十四条、第五十六条"), ("《国务院办公厅关于全面推进生育保险和职工基本医疗保险合并实施的意见》", "")], mats=["id", "sscard", "birth", "bank"]),
    "mi_query": dict(type="instant", statutory=0, promised=0, basis=[(L_MI, "第十五条"), ("《医疗保障经办政务服务事项清单》", "")], mats=["id"]),
    "mi_org": dict(type="promised", statutory=20, promised=10, basis=[("《医疗机构医疗保障定点管理暂行办法》", "第十一条至第十五条")], mats=["license", "seal"], audience="legal_entity"),
    # housing fund
    "hf_open": dict(type="instant", statutory=20, promised=0, basis=[(L_HF, "第十四条、第十五条")], mats=["license", "unit_letter"], audience="legal_entity"),
    "hf_change": dict(type="instant", statutory=20, promised=0, basis=[(L_HF, "第十五条、第十六条")], mats=["unit_letter", "id"], audience="legal_entity"),
    "hf_withdraw": dict(type="promised", statutory=3, promised=1, basis=[(L_HF, "第二十四条、第二十五条")], mats=["id", "bank"]),
    "hf_loan": dict(type="promised", statutory=15, promised=10, basis=[(L_HF, "第二十六条"), ("《住房公积金个人住房贷款业务规范》", "")], mats=["id", "hukou", "marriage", "purchase", "payment_proof"]),
    "hf_loan_change": dict(type="promised", statutory=15, promised=5, basis=[(L_HF, "第二十六条"), ("《住房公积金个人住房贷款业务规范》", "")], mats=["id", "loan_contract"]),
    "hf_query": dict(type="instant", statutory=0, promised=0, basis=[(L_HF, "第三十一条"), ("《住房公积金统计管理办法》", "")], mats=["id"]),
    "hf_transfer": dict(type="promised", statutory=10, promised=3, basis=[(L_HF, "第二十三条"), ("《全国住房公积金异地转移接续业务操作规程》", "")], mats=["id"]),
    # real estate
    "re_first": dict(type="promised", statutory=30, promised=5, basis=[(L_RE, "第十四条、第二十条"), (L_RE2, "第三章")], mats=["id", "land", "survey"], audience="both"),
    "re_transfer": dict(type="promised", statutory=30, promised=3, basis=[(L_RE, "第十四条"), (L_RE2, "第三十八条"), ("《中华人民共和国民法典》", "第二百零九条")], mats=["id", "property", "transfer_doc", "marriage"]),
    "re_change": dict(type="promised", statutory=30, promised=3, basis=[(L_RE, "第三条"), (L_RE2, "第二十六条")], mats=["id", "property"]),
    "re_mortgage": dict(type="promised", statutory=30, promised=1, basis=[(L_RE2, "第六十五条至第七十一条"), ("《中华人民共和国民法典》", "第四百零二条")], mats=["id", "property", "mortgage"]),
    "re_cancel": dict(type="promised", statutory=30, promised=1, basis=[(L_RE2, "第二十八条"), ("《中华人民共和国民法典》", "第二百三十一条")], mats=["id", "property"]),
    "re_query": dict(type="instant", statutory=0, promised=0, basis=[("《不动产登记资料查询暂行办法》", "第十四条、第十九条")], mats=["id"]),
    "re_inherit": dict(type="promised", statutory=30, promised=10, basis=[(L_RE2, "第十四条"), ("《中华人民共和国民法典》", "第一千一百二十一条")], mats=["id", "property", "death", "kinship", "inherit"]),
    "re_court": dict(type="promised", statutory=30, promised=3, basis=[(L_RE, "第十四条"), ("《中华人民共和国民法典》", "第二百二十九条")], mats=["id", "court"]),
    "re_reissue": dict(type="promised", statutory=30, promised=10, basis=[(L_RE2, "第二十二条")], mats=["id", "notice"]),
    # public security
    "ps_hukou": dict(type="promised", statutory=20, promised=5, basis=[(L_HK, "第六条至第十条")], mats=["id", "hukou"]),
    "ps_hukou_now": dict(type="instant", statutory=0, promised=0, basis=[(L_HK, "第十七条")], mats=["id", "hukou"]),
    "ps_idcard": dict(type="promised", statutory=60, promised=20, basis=[(L_ID, "第八条、第十一条"), ("《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》", "发改价格〔2003〕2322号")], mats=["hukou", "photo"]),
    "ps_permit": dict(type="promised", statutory=15, promised=10, basis=[("《居住证暂行条例》", "第二条、第十条")], mats=["id", "rent", "photo"]),
    "ps_exit": dict(type="promised", statutory=20, promised=7, basis=[("《中华人民共和国出境入境管理法》", "第九条、第十条"), ("《中华人民共和国普通护照和出入境通行证签发管理办法》", "")], mats=["id", "abroad_form", "photo"]),
    "ps_record": dict(type="promised", statutory=3, promised=1, basis=[("《公安机关办理无犯罪记录证明工作规定》", "第四条、第八条")], mats=["id"]),
    "ps_permit_biz": dict(type="promised", statutory=20, promised=10, basis=[("《旅馆业治安管理办法》", "第四条"), ("《娱乐场所管理条例》", "第十一条")], mats=["license", "id", "safety", "fire", "staff_list"], audience="legal_entity"),
    "ps_event": dict(type="promised", statutory=7, promised=5, basis=[("《大型群众性活动安全管理条例》", "第十一条至第十四条")], mats=["id", "safety", "unit_letter"], audience="legal_entity"),
    "ps_traffic": dict(type="promised", statutory=20, promised=5, basis=[("《中华人民共和国道路交通安全法》", "第八条、第十九条"), ("《机动车登记规定》", "")], mats=["id", "vehicle"]),
    # market entities
    "me_set": dict(type="promised", statutory=3, promised=1, basis=[(L_ME, "第十九条、第二十一条"), (L_ME2, "第二十五条")], mats=["id", "articles", "appoint", "premises"], audience="legal_entity"),
    "me_change": dict(type="promised", statutory=3, promised=1, basis=[(L_ME, "第二十四条、第二十五条"), (L_ME2, "第三十一条")], mats=["license", "resolution", "id"], audience="legal_entity"),
    "me_cancel": dict(type="promised", statutory=10, promised=3, basis=[(L_ME, "第三十一条、第三十三条"), ("《中华人民共和国公司法》", "第二百三十九条")], mats=["license", "resolution", "liquidation"], audience="legal_entity"),
    "me_filing": dict(type="instant", statutory=10, promised=0, basis=[(L_ME, "第九条"), (L_ME2, "第三十五条")], mats=["license", "resolution"], audience="legal_entity"),
    "me_indiv": dict(type="instant", statutory=3, promised=0, basis=[("《促进个体工商户发展条例》", "第八条"), (L_ME, "第二十一条")], mats=["id", "premises"]),
    "me_food": dict(type="promised", statutory=10, promised=5, basis=[("《中华人民共和国食品安全法》", "第三十五条"), ("《食品经营许可和备案管理办法》", "第十二条至第二十条")], mats=["license", "id", "food_plan", "layout", "health"], audience="legal_entity"),
    "me_drug": dict(type="promised", statutory=20, promised=15, basis=[("《中华人民共和国药品管理法》", "第五十一条"), ("《药品经营和使用质量监督管理办法》", "第九条")], mats=["license", "id", "premises", "layout", "staff_list"], audience="legal_entity"),
    "me_query": dict(type="instant", statutory=0, promised=0, basis=[("《企业信息公示暂行条例》", "第十条"), (L_ME, "第三十五条")], mats=["id"], audience="both"),
    "me_coop": dict(type="promised", statutory=5, promised=2, basis=[("《中华人民共和国农民专业合作社法》", "第十六条"), (L_ME, "第二十一条")], mats=["id", "articles", "staff_list", "premises"], audience="legal_entity"),
    # tax
    "tx_reg": dict(type="instant", statutory=30, promised=0, basis=[(L_TX, "第十五条、第十六条"), ("《税务登记管理办法》", "第十条")], mats=["license", "id"], audience="legal_entity"),
    "tx_invoice": dict(type="instant", statutory=5, promised=0, basis=[("《中华人民共和国发票管理办法》", "第十五条、第十六条"), ("《中华人民共和国发票管理办法实施细则》", "")], mats=["id", "contract"], audience="both"),
    "tx_declare": dict(type="instant", statutory=0, promised=0, basis=[(L_TX, "第二十五条"), (L_TX2, "第三十二条")], mats=["id"], audience="both"),
    "tx_refund": dict(type="promised", statutory=30, promised=10, basis=[(L_TX, "第五十一条"), (L_TX2, "第七十八条")], mats=["id", "tax_form", "invoice_tax", "bank"], audience="both"),
    "tx_cert": dict(type="instant", statutory=0, promised=0, basis=[("《税收完税证明管理办法》", "第二条、第四条"), ("《国家税务总局关于进一步做好个人所得税纳税记录开具工作的通知》", "")], mats=["id"]),
    "tx_pref": dict(type="instant", statutory=10, promised=0, basis=[(L_TX, "第三十三条"), ("《税收减免管理办法》", "第六条")], mats=["id", "tax_form"], audience="both"),
    "tx_iit": dict(type="instant", statutory=0, promised=0, basis=[("《中华人民共和国个人所得税法》", "第十条、第十一条"), ("《中华人民共和国个人所得税法实施条例》", "")], mats=["id"]),
    "tx_prop": dict(type="instant", statutory=0, promised=0, basis=[("《中华人民共和国契税法》", "第九条、第十条"), ("《中华人民共和国印花税法》", "")], mats=["id", "contract", "property"]),
}

# profile -> (受理条件, conditions in English)
CONDITIONS: dict[str, tuple[str, str]] = {
    "si_reg": ("在本市依法设立的用人单位及其职工，或在本市灵活就业的人员", "Employers set up in the city and their staff, or persons flexibly employed in the city"),
    "si_change": ("已在本市办理社会保险登记的单位或个人，登记信息发生变化", "Employers or persons registered for social insurance in the city whose details have changed"),
    "si_transfer": ("参保人员跨统筹地区就业，且已在转入地参保", "Insured persons who have moved to work in another pooling area and are insured there"),
    "si_pension": ("达到法定退休年龄或符合相应条件，且累计缴费满15年", "Persons who have reached the statutory retirement age (or meet the conditions) with at least 15 years of contributions"),
    "si_survivor": ("参保人员或退休人员因病或非因工死亡，由其遗属申请", "Survivors of an insured person or pensioner who died of illness or not at work"),
    "si_injury": ("职工在工作时间和工作场所内因工作原因受到事故伤害或患职业病", "Employees injured by an accident at work or suffering an occupational disease"),
    "si_injury_pay": ("已认定为工伤的职工或其近亲属", "Employees with a recognised work injury, or their close relatives"),
    "si_unemp": ("失业前单位和本人已缴纳失业保险费满1年，非因本人意愿中断就业，并已办理失业登记", "At least 1 year of unemployment contributions, job lost involuntarily, registered as unemployed"),
    "si_subsidy": ("在本市参加失业保险的职工或符合条件的企业", "Employees insured against unemployment in the city, or eligible employers"),
    "si_card": ("在本市参加社会保险的人员", "Persons insured in the city's social insurance"),
    "si_card_now": ("本人持有本市发放的社会保障卡", "Holders of a social security card issued by the city"),
    "si_query": ("在本市参加社会保险的人员本人", "The insured person in person"),
    "si_rural": ("年满16周岁（不含在校学生），未参加职工基本养老保险的本市户籍居民", "Residents with local household registration aged 16 or over (not students) without employee pension insurance"),
    "si_fee": ("在本市参加社会保险的用人单位或个人", "Employers or persons insured in the city"),
    "mi_reg": ("符合本市基本医疗保险参保条件的单位、职工或居民", "Employers, employees or residents eligible for the city's basic medical insurance"),
    "mi_transfer": ("参保人员跨统筹地区流动就业或居住", "Insured persons who move to work or live in another pooling area"),
    "mi_refund": ("参保人员发生符合规定的医疗费用且未能直接结算", "Insured persons with eligible medical costs that could not be settled directly"),
    "mi_remote": ("参保人员异地长期居住、工作或转诊就医", "Insured persons living, working or referred for treatment in another place"),
    "mi_special": ("参保人员经定点医疗机构确诊患有规定病种或需使用规定药品", "Insured persons diagnosed by a designated hospital with a listed condition or needing a listed medicine"),
    "mi_maternity": ("参加职工基本医疗保险（生育保险）的参保人员", "Persons insured under employee medical (maternity) insurance"),
    "mi_query": ("本市基本医疗保险参保人员本人", "The person insured under the city's basic medical insurance"),
    "mi_org": ("依法设立、正式运营满3个月的医疗机构或零售药店", "Lawfully established medical institutions or retail pharmacies operating for at least 3 months"),
    "hf_open": ("在本市依法设立的单位", "Employers lawfully established in the city"),
    "hf_change": ("已在本市住房公积金管理中心开户的单位或职工", "Employers or employees with a housing fund account at the Linjiang centre"),
    "hf_withdraw": ("住房公积金账户状态正常，且符合相应提取情形的缴存职工", "Depositors with an account in good standing who meet the withdrawal condition"),
    "hf_loan": ("连续足额缴存住房公积金满6个月，购买、建造、翻建、大修自住住房", "At least 6 months of continuous full deposits, buying or building an owner-occupied home"),
    "hf_loan_change": ("住房公积金贷款未结清的借款人", "Borrowers with an outstanding housing fund loan"),
    "hf_query": ("住房公积金缴存职工本人或缴存单位", "The depositor in person or the depositing employer"),
    "hf_transfer": ("在异地缴存住房公积金，现在本市缴存的职工", "Employees who deposited elsewhere and now deposit in the city"),
    "re_first": ("权属来源合法、界址清楚、面积准确的不动产权利人", "Right holders of real estate with lawful title, clear boundaries and surveyed area"),
    "re_transfer": ("不动产已登记，因买卖、赠与、继承等发生权利转移", "Registered real estate whose rights pass by sale, gift, inheritance or the like"),
    "re_change": ("已登记的不动产，权利人姓名、坐落、面积、用途等发生变更", "Registered real estate whose holder's name, location, area or use has changed"),
    "re_mortgage": ("以已登记的不动产设立、变更或转移抵押权", "Creating, changing or transferring a mortgage over registered real estate"),
    "re_cancel": ("不动产权利消灭或抵押债务已清偿", "The real estate right has ended or the secured debt has been repaid"),
    "re_query": ("不动产权利人本人、利害关系人或其委托代理人", "The right holder, an interested party, or their agent"),
    "re_inherit": ("被继承人死亡，继承人或受遗赠人已确定", "The deceased's heirs or legatees have been determined"),
    "re_court": ("人民法院、仲裁委员会的生效法律文书确定不动产权利", "An effective court or arbitration ruling determines the real estate right"),
    "re_reissue": ("不动产权证书或登记证明遗失、灭失或破损，且已公告", "The certificate is lost, destroyed or damaged, and the loss has been announced"),
    "ps_hukou": ("符合本市户籍管理规定的相应落户、迁移或变更条件", "Meeting the city's household registration conditions for settling, moving or changing details"),
    "ps_hukou_now": ("本市户籍人员或其户内成员", "Persons registered in a household in the city, or members of that household"),
    "ps_idcard": ("本市户籍居民，16周岁以上应当申领，未满16周岁可以申领", "Residents registered in the city: required from 16, optional under 16"),
    "ps_permit": ("在本市居住半年以上，有合法稳定就业、合法稳定住所或连续就读之一", "Living in the city for over six months with stable work, a stable home or continuous study"),
    "ps_exit": ("中国公民因私出境，且不属于法律规定不准出境的情形", "Chinese citizens travelling privately who are not barred from leaving by law"),
    "ps_record": ("本市户籍人员或在本市居住的人员，为本人申请", "Persons registered or living in the city, applying for themselves"),
    "ps_permit_biz": ("依法取得营业执照，经营场所符合治安、消防安全要求", "Holding a business licence; premises meet public-security and fire-safety requirements"),
    "ps_event": ("预计参加人数在1000人以上的活动承办者", "Organisers of events expecting 1,000 or more participants"),
    "ps_traffic": ("机动车所有人或驾驶人本人", "The vehicle owner or the driver in person"),
    "me_set": ("名称、住所、经营范围等符合法律法规规定，股东、发起人资格符合要求", "Name, address and scope comply with the law; shareholders and founders are eligible"),
    "me_change": ("已登记的市场主体，登记事项发生变更", "Registered market entities whose registered details have changed"),
    "me_cancel": ("市场主体决议解散或被依法撤销，已完成清算", "Market entities resolved to dissolve or revoked by law, with liquidation completed"),
    "me_filing": ("已登记的市场主体，备案事项发生变化", "Registered market entities whose filed details have changed"),
    "me_indiv": ("有经营能力的自然人或家庭，经营场所符合规定", "Natural persons or families able to run a business, with compliant premises"),
    "me_food": ("已取得营业执照，场所、设备、人员和制度符合食品安全要求", "Holding a business licence; premises, equipment, staff and rules meet food-safety requirements"),
    "me_drug": ("已取得营业执照，配备执业药师，场所和设施符合规定", "Holding a business licence, with a licensed pharmacist and compliant premises"),
    "me_query": ("任何单位或个人（查询内部档案需为企业或其授权人员）", "Anyone (internal files: the company or its authorised person)"),
    "me_coop": ("5名以上成员，80%以上为农民，有符合规定的章程和住所", "At least 5 members, 80% of them farmers, with compliant articles and address"),
    "tx_reg": ("在本市从事生产、经营的纳税人或扣缴义务人", "Taxpayers or withholding agents doing business in the city"),
    "tx_invoice": ("已办理税务登记或临时从事经营活动的纳税人", "Taxpayers with tax registration or doing business temporarily"),
    "tx_declare": ("负有纳税申报义务的纳税人或扣缴义务人", "Taxpayers or withholding agents required to file a return"),
    "tx_refund": ("多缴税款或符合退税政策规定的纳税人", "Taxpayers who overpaid or qualify for a refund policy"),
    "tx_cert": ("已缴纳税款的纳税人本人", "The taxpayer who paid the tax, in person"),
    "tx_pref": ("符合税收优惠政策规定条件的纳税人", "Taxpayers meeting the conditions of a tax preference"),
    "tx_iit": ("取得综合所得或经营所得的居民个人", "Resident individuals with comprehensive or business income"),
    "tx_prop": ("在本市承受土地、房屋权属或购置应税车辆的单位和个人", "Entities and persons acquiring land, houses or taxable vehicles in the city"),
}

# Fees: (amount in fen, basis)
FEE_RE_REG = (8000, "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）：住宅类不动产登记费每件80元",
              "NDRC and MOF notice on real estate registration fees (NDRC Pricing [2016] 2559): residential registration 80 yuan per case")
FEE_RE_NONHOME = (55000, "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）：非住宅类不动产登记费每件550元",
                  "NDRC and MOF notice on real estate registration fees (NDRC Pricing [2016] 2559): non-residential registration 550 yuan per case")
FEE_RE_CERT = (1000, "《财政部 国家发展改革委关于不动产登记收费有关政策问题的通知》（财税〔2016〕79号）：证书工本费每本10元",
               "MOF and NDRC notice on real estate registration fee policy (Cai Shui [2016] 79): certificate fee 10 yuan each")
FEE_ID = (2000, "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》（发改价格〔2003〕2322号）：换领、补领每证20元",
          "NDRC and MOF notice on resident ID card fees (NDRC Pricing [2003] 2322): renewal or reissue 20 yuan")
FEE_ID_TEMP = (1000, "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》（发改价格〔2003〕2322号）：临时居民身份证每证10元",
               "NDRC and MOF notice on resident ID card fees (NDRC Pricing [2003] 2322): temporary ID card 10 yuan")
FEE_PASSPORT = (12000, "《国家发展改革委 财政部关于降低部分行政事业性收费标准的通知》（发改价格〔2019〕914号）：普通护照每本120元",
                "NDRC and MOF notice on lowering certain administrative fees (NDRC Pricing [2019] 914): ordinary passport 120 yuan")
FEE_HKMO = (6000, "《国家发展改革委 财政部关于降低部分行政事业性收费标准的通知》（发改价格〔2019〕914号）：往来港澳通行证（电子）每证60元",
            "NDRC and MOF notice on lowering certain administrative fees (NDRC Pricing [2019] 914): Hong Kong and Macao permit 60 yuan")
FEE_HKMO_ENDORSE = (1500, "《国家发展改革委 财政部关于降低部分行政事业性收费标准的通知》（发改价格〔2019〕914号）：往来港澳通行证签注每件15元",
                    "NDRC and MOF notice on lowering certain administrative fees (NDRC Pricing [2019] 914): Hong Kong and Macao endorsement 15 yuan each")
FEE_TW = (6000, "《国家发展改革委 财政部关于降低部分行政事业性收费标准的通知》（发改价格〔2019〕914号）：往来台湾通行证每证60元",
          "NDRC and MOF notice on lowering certain administrative fees (NDRC Pricing [2019] 914): Taiwan travel permit 60 yuan")
FEE_DRIVE = (1000, "机动车驾驶证工本费（国家发展改革委、财政部核定标准）：每证10元",
             "Driving licence fee approved by the NDRC and the MOF: 10 yuan per licence")
FEE_PLATE = (10000, "机动车号牌工本费（国家发展改革委、财政部核定标准）：汽车号牌每副100元",
             "Number plate fee approved by the NDRC and the MOF: 100 yuan per pair of car plates")
FEE_SSCARD = (2000, "《浙江省物价局 浙江省财政厅关于社会保障卡补（换）卡收费标准的通知》：非质量原因补换卡每张20元",
              "Zhejiang Price Bureau and Finance Department notice on social security card replacement fees: 20 yuan per card not replaced for a quality defect")

# --------------------------------------------------------------------------- guide-only matters
# (name_zh, name_en, profile, extras)

G: dict[str, list[tuple]] = {}

G["social_insurance"] = [
    ("单位参保登记", "Employer social insurance registration", "si_reg", {"mats": ["license", "unit_letter"], "audience": "legal_entity"}),
    ("职工参保登记", "Employee social insurance registration", "si_reg", {"mats": ["id", "labor"]}),
    ("灵活就业人员参保登记", "Social insurance registration of flexibly employed persons", "si_reg", {}),
    ("单位参保信息变更登记", "Change of employer social insurance details", "si_change", {"mats": ["license", "unit_letter"], "audience": "legal_entity"}),
    ("个人参保信息变更登记", "Change of personal social insurance details", "si_change", {}),
    ("单位社会保险注销登记", "Cancellation of employer social insurance registration", "si_change", {"type": "promised", "promised": 3, "mats": ["license", "unit_letter"], "audience": "legal_entity"}),
    ("职工停保登记", "Stopping an employee's social insurance", "si_change", {}),
    ("社会保险缴费基数申报", "Declaration of the social insurance contribution base", "si_fee", {"type": "instant", "promised": 0}),
    ("社会保险费补缴申请", "Application for back-payment of social insurance contributions", "si_fee", {}),
    ("社会保险费退费申请", "Application for refund of social insurance contributions", "si_fee", {"statutory": 30, "promised": 15}),
    ("企业职工基本养老保险关系转移接续（跨省转入）", "Transfer of employee basic pension insurance (inter-provincial, in)", "si_transfer", {}),
    ("企业职工基本养老保险关系转移接续（跨省转出）", "Transfer of employee basic pension insurance (inter-provincial, out)", "si_transfer", {}),
    ("企业职工基本养老保险关系转移接续（省内）", "Transfer of employee basic pension insurance (within the province)", "si_transfer", {"statutory": 20, "promised": 5}),
    ("机关事业单位基本养老保险关系转移接续", "Transfer of public-sector basic pension insurance", "si_transfer", {}),
    ("城乡居民养老保险与职工养老保险制度衔接", "Linking rural-urban residents' and employees' pension insurance", "si_transfer", {"basis": [("《城乡养老保险制度衔接暂行办法》", "第三条至第五条")]}),
    ("职工正常退休（职）申请", "Application for normal retirement of employees", "si_pension", {}),
    ("职工提前退休（退职）申请", "Application for early retirement of employees", "si_pension", {"mats": ["id", "sscard", "hukou", "diagnosis", "bank"]}),
    ("弹性提前退休申请", "Application for flexible early retirement", "si_pension", {"basis": [("《国务院关于渐进式延迟法定退休年龄的办法》", "第二条")]}),
    ("弹性延迟退休申请", "Application for flexible deferred retirement", "si_pension", {"basis": [("《国务院关于渐进式延迟法定退休年龄的办法》", "第二条")]}),
    ("病残津贴申领", "Claim for illness and disability allowance", "si_pension", {"mats": ["id", "sscard", "diagnosis", "bank"]}),
    ("基本养老保险个人账户一次性待遇申领", "One-off payment of the basic pension individual account", "si_pension", {}),
    ("丧葬补助金、抚恤金申领", "Claim for funeral grant and survivor's pension", "si_survivor", {}),
    ("遗属待遇申领", "Claim for survivors' benefits", "si_survivor", {}),
    ("养老保险待遇领取资格认证", "Eligibility certification for pension recipients", "si_query", {"mats": ["id", "sscard"], "keywords": ["生存认证", "年审"]}),
    ("暂停养老保险待遇", "Suspension of pension payments", "si_change", {}),
    ("恢复养老保险待遇", "Resumption of pension payments", "si_change", {"type": "promised", "promised": 5, "statutory": 15}),
    ("养老保险待遇发放账户维护", "Maintenance of the pension payment account", "si_change", {"mats": ["id", "bank"]}),
    ("城乡居民基本养老保险参保登记", "Rural-urban residents' basic pension insurance registration", "si_rural", {}),
    ("城乡居民基本养老保险参保信息变更", "Change of rural-urban residents' pension insurance details", "si_rural", {"type": "instant", "promised": 0}),
    ("城乡居民基本养老保险注销登记", "Cancellation of rural-urban residents' pension insurance", "si_rural", {"mats": ["id", "hukou", "death"]}),
    ("城乡居民基本养老保险待遇申领", "Claim for rural-urban residents' basic pension", "si_rural", {"mats": ["id", "hukou", "bank"]}),
    ("工伤认定申请", "Application for work-injury determination", "si_injury", {}),
    ("劳动能力鉴定申请", "Application for work-capacity assessment", "si_injury", {"basis": [("《工伤保险条例》", "第二十一条至第二十六条")], "mats": ["id", "injury", "medrec"]}),
    ("工伤医疗（康复）费用申报", "Claim for work-injury medical (rehabilitation) costs", "si_injury_pay", {}),
    ("伤残待遇申领", "Claim for disability benefits (work injury)", "si_injury_pay", {"mats": ["id", "injury", "bank"]}),
    ("一次性工亡补助金申领", "Claim for the one-off work-related death grant", "si_injury_pay", {"mats": ["id", "death", "kinship", "injury", "bank"]}),
    ("工伤职工辅助器具配置费用核付", "Payment for assistive devices of injured workers", "si_injury_pay", {}),
    ("工伤职工异地居住就医申请", "Application for medical care of injured workers living elsewhere", "si_injury_pay", {"type": "promised", "statutory": 15, "promised": 5, "mats": ["id", "injury"]}),
    ("工伤预防项目申报", "Application for work-injury prevention projects", "si_injury_pay", {"mats": ["license", "unit_letter"], "audience": "legal_entity"}),
    ("失业保险金申领", "Claim for unemployment insurance benefit", "si_unemp", {"keywords": ["失业金"]}),
    ("失业登记", "Unemployment registration", "si_unemp", {"type": "instant", "promised": 0, "mats": ["id", "leave_cert"], "basis": [("《就业服务与就业管理规定》", "第六十三条")]}),
    ("失业人员丧葬补助金和抚恤金申领", "Funeral grant and survivor pension for the unemployed", "si_unemp", {"mats": ["id", "death", "kinship", "bank"]}),
    ("失业保险关系转移接续", "Transfer of unemployment insurance", "si_unemp", {"statutory": 15, "promised": 5}),
    ("职业培训补贴申领", "Claim for vocational training subsidy", "si_subsidy", {}),
    ("技能提升补贴申领", "Claim for skills upgrading subsidy", "si_subsidy", {}),
    ("稳岗返还申领", "Claim for job-retention refund", "si_subsidy", {"mats": ["license", "unit_letter"], "audience": "legal_entity"}),
    ("农民合同制工人一次性生活补助申领", "One-off living allowance for rural contract workers", "si_unemp", {}),
    ("社会保障卡申领", "Application for a social security card", "si_card", {"keywords": ["社保卡"]}),
    ("社会保障卡启用（含社保应用和金融账户激活）", "Activation of a social security card", "si_card_now", {"keywords": ["社保卡"]}),
    ("社会保障卡应用状态查询", "Status enquiry of a social security card", "si_card_now", {"keywords": ["社保卡"]}),
    ("社会保障卡挂失与解挂", "Reporting a lost social security card and cancelling the report", "si_card_now", {"keywords": ["社保卡"]}),
    ("社会保障卡密码修改与重置", "Changing or resetting a social security card PIN", "si_card_now", {"keywords": ["社保卡"]}),
    ("社会保障卡注销", "Cancellation of a social security card", "si_card_now", {"keywords": ["社保卡"]}),
    ("个人权益记录查询", "Enquiry of personal social insurance rights record", "si_query", {}),
    ("社会保险个人账户对账单查询", "Statement of the social insurance individual account", "si_query", {}),
    ("单位社会保险参保缴费情况查询", "Employer social insurance contribution enquiry", "si_query", {"mats": ["license"], "audience": "legal_entity"}),
]

G["medical_insurance"] = [
    ("职工基本医疗保险参保登记", "Employee basic medical insurance registration", "mi_reg", {"mats": ["license", "unit_letter"]}),
    ("城乡居民基本医疗保险参保登记", "Rural-urban residents' basic medical insurance registration", "mi_reg", {"mats": ["id", "hukou"]}),
    ("新生儿参保登记", "Medical insurance registration of newborns", "mi_reg", {"mats": ["birth", "hukou"]}),
    ("大中专学生参保登记", "Medical insurance registration of college students", "mi_reg", {"mats": ["id", "school"]}),
    ("灵活就业人员医疗保险参保登记", "Medical insurance registration of flexibly employed persons", "mi_reg", {}),
    ("参保信息变更登记", "Change of medical insurance registration details", "mi_reg", {}),
    ("医疗保险参保缴费中断登记", "Registration of interrupted medical insurance contributions", "mi_reg", {}),
    ("基本医疗保险关系转移接续（跨省）", "Transfer of basic medical insurance (inter-provincial)", "mi_transfer", {}),
    ("基本医疗保险关系转移接续（省内）", "Transfer of basic medical insurance (within the province)", "mi_transfer", {"statutory": 15, "promised": 5}),
    ("职工医保个人账户一次性支取", "One-off withdrawal of the employee medical insurance individual account", "mi_transfer", {"mats": ["id", "death", "kinship", "bank"]}),
    ("职工医保个人账户家庭共济绑定", "Family sharing of the employee medical insurance individual account", "mi_query", {"mats": ["id", "hukou"]}),
    ("异地长期居住人员备案", "Filing of long-term residence in another place", "mi_remote", {}),
    ("异地转诊人员备案", "Filing of referral to a hospital in another place", "mi_remote", {"mats": ["id", "sscard", "referral"]}),
    ("异地急诊抢救人员备案", "Filing of emergency treatment in another place", "mi_remote", {}),
    ("临时外出就医人员备案", "Filing of temporary medical care away from home", "mi_remote", {}),
    ("异地就医备案变更与取消", "Change or cancellation of remote medical care filing", "mi_remote", {}),
    ("门诊慢特病待遇认定", "Determination of outpatient chronic and special disease benefits", "mi_special", {"keywords": ["慢性病", "特殊病"]}),
    ("门诊慢特病定点医疗机构变更", "Change of designated hospital for chronic disease care", "mi_special", {"type": "instant", "promised": 0}),
    ("特殊药品使用备案", "Filing for use of special medicines", "mi_special", {}),
    ("意外伤害费用备案", "Filing of accident injury medical costs", "mi_special", {"mats": ["id", "sscard", "accident", "medrec"]}),
    ("住院医疗费用零星报销", "Reimbursement of inpatient costs paid in full", "mi_refund", {}),
    ("异地就医费用手工报销", "Manual reimbursement of medical costs incurred in another place", "mi_refund", {}),
    ("大病保险费用报销", "Reimbursement under critical illness insurance", "mi_refund", {}),
    ("医疗救助费用报销", "Medical assistance reimbursement", "mi_refund", {"mats": ["id", "invoice", "expense_list", "bank", "disability"]}),
    ("生育医疗费用报销", "Reimbursement of maternity medical costs", "mi_maternity", {"mats": ["id", "sscard", "invoice", "bank"]}),
    ("生育津贴申领", "Claim for maternity allowance", "mi_maternity", {}),
    ("计划生育手术医疗费用报销", "Reimbursement of family-planning surgery costs", "mi_maternity", {"mats": ["id", "sscard", "invoice", "medrec"]}),
    ("参保人员医疗费用结算信息查询", "Enquiry of medical expense settlement records", "mi_query", {}),
    ("医疗保险个人账户余额查询", "Enquiry of the medical insurance individual account balance", "mi_query", {}),
    ("医保电子凭证激活与解绑", "Activation and unbinding of the medical insurance e-voucher", "mi_query", {}),
    ("医疗保障定点医疗机构申请", "Application to become a designated medical institution", "mi_org", {}),
    ("医疗保障定点零售药店申请", "Application to become a designated retail pharmacy", "mi_org", {"basis": [("《零售药店医疗保障定点管理暂行办法》", "第十一条至第十五条")]}),
    ("定点医药机构信息变更", "Change of details of a designated medical institution or pharmacy", "mi_org", {"statutory": 15, "promised": 5}),
    ("定点医药机构协议解除", "Termination of a designated medical institution's agreement", "mi_org", {}),
    ("医保费用结算清算申报", "Settlement declaration of medical insurance costs", "mi_org", {"statutory": 30, "promised": 20}),
    ("医药价格和招采信用评价申诉", "Appeal against a pricing and procurement credit rating", "mi_org", {}),
    ("长期护理保险失能评估申请", "Disability assessment for long-term care insurance", "mi_special", {"basis": [("《国家医保局 财政部关于扩大长期护理保险制度试点的指导意见》", "")]}),
    ("长期护理保险待遇申领", "Claim for long-term care insurance benefits", "mi_special", {"basis": [("《国家医保局 财政部关于扩大长期护理保险制度试点的指导意见》", "")]}),
]

G["housing_fund"] = [
    ("单位住房公积金缴存登记", "Employer housing fund deposit registration", "hf_open", {}),
    ("单位住房公积金缴存信息变更", "Change of employer housing fund deposit details", "hf_change", {}),
    ("单位住房公积金账户注销", "Closing an employer housing fund account", "hf_change", {"type": "promised", "promised": 3}),
    ("个人住房公积金账户设立", "Opening a personal housing fund account", "hf_change", {}),
    ("个人住房公积金账户封存与启封", "Sealing and unsealing a personal housing fund account", "hf_change", {}),
    ("个人住房公积金信息变更", "Change of personal housing fund details", "hf_change", {"audience": "person", "mats": ["id"]}),
    ("住房公积金缴存基数调整", "Adjustment of the housing fund deposit base", "hf_change", {}),
    ("住房公积金汇缴", "Monthly housing fund remittance", "hf_change", {}),
    ("住房公积金补缴", "Back-payment of housing fund deposits", "hf_change", {}),
    ("灵活就业人员住房公积金缴存登记", "Housing fund registration of flexibly employed persons", "hf_change", {"audience": "person", "mats": ["id", "bank"]}),
    ("缓缴住房公积金申请", "Application to defer housing fund deposits", "hf_change", {"type": "promised", "promised": 5}),
    ("降低住房公积金缴存比例申请", "Application to lower the housing fund deposit rate", "hf_change", {"type": "promised", "promised": 5}),
    ("购买自住住房提取住房公积金", "Withdrawal for buying an owner-occupied home", "hf_withdraw", {"mats": ["id", "purchase", "payment_proof", "bank"], "keywords": ["购房提取"]}),
    ("建造、翻建、大修自住住房提取住房公积金", "Withdrawal for building or renovating an owner-occupied home", "hf_withdraw", {"mats": ["id", "property", "contract", "bank"]}),
    ("偿还住房贷款本息提取住房公积金", "Withdrawal for repaying a housing loan", "hf_withdraw", {"mats": ["id", "loan_contract", "bank"], "keywords": ["还贷提取", "房贷提取"]}),
    ("离休、退休提取住房公积金", "Withdrawal on retirement", "hf_withdraw", {"mats": ["id", "retire", "bank"]}),
    ("出境定居提取住房公积金", "Withdrawal on settling abroad", "hf_withdraw", {"mats": ["id", "hukou", "bank"]}),
    ("死亡或被宣告死亡提取住房公积金", "Withdrawal on death of the depositor", "hf_withdraw", {"mats": ["death", "kinship", "inherit", "bank"]}),
    ("完全丧失劳动能力并与单位终止劳动关系提取住房公积金", "Withdrawal on total loss of work capacity", "hf_withdraw", {"mats": ["id", "diagnosis", "leave_cert", "bank"]}),
    ("享受城镇最低生活保障提取住房公积金", "Withdrawal by recipients of the urban minimum living allowance", "hf_withdraw", {}),
    ("支付老旧小区加装电梯费用提取住房公积金", "Withdrawal for installing a lift in an old residential building", "hf_withdraw", {"mats": ["id", "contract", "invoice_tax", "bank"]}),
    ("离职提取住房公积金（非本市户籍）", "Withdrawal on leaving a job (non-local household registration)", "hf_withdraw", {"mats": ["id", "leave_cert", "bank"]}),
    ("住房公积金个人住房贷款申请", "Application for a housing fund mortgage loan", "hf_loan", {"keywords": ["公积金贷款"]}),
    ("住房公积金组合贷款申请", "Application for a combined housing fund and commercial loan", "hf_loan", {}),
    ("商业性住房贷款转住房公积金贷款", "Switching a commercial mortgage to a housing fund loan", "hf_loan", {}),
    ("住房公积金贷款提前部分还款", "Partial early repayment of a housing fund loan", "hf_loan_change", {"type": "instant", "promised": 0}),
    ("住房公积金贷款提前结清", "Full early repayment of a housing fund loan", "hf_loan_change", {"type": "instant", "promised": 0}),
    ("住房公积金贷款还款方式变更", "Changing the repayment method of a housing fund loan", "hf_loan_change", {}),
    ("住房公积金贷款还款账户变更", "Changing the repayment account of a housing fund loan", "hf_loan_change", {"mats": ["id", "bank"]}),
    ("住房公积金贷款抵押物变更", "Changing the collateral of a housing fund loan", "hf_loan_change", {"mats": ["id", "loan_contract", "property", "mortgage"]}),
    ("住房公积金贷款结清证明开具", "Certificate of settlement of a housing fund loan", "hf_query", {}),
    ("住房公积金个人账户明细查询", "Statement of a personal housing fund account", "hf_query", {}),
    ("住房公积金异地转移接续", "Transfer of housing fund between cities", "hf_transfer", {}),
    ("异地贷款职工住房公积金缴存使用证明", "Housing fund certificate for a loan in another city", "hf_query", {}),
    ("住房公积金单位缴存登记信息查询", "Enquiry of employer housing fund registration", "hf_query", {"mats": ["license"], "audience": "legal_entity"}),
]

G["real_estate"] = [
    ("国有建设用地使用权首次登记", "First registration of state-owned construction land use rights", "re_first", {}),
    ("国有建设用地使用权及房屋所有权首次登记", "First registration of construction land use rights and building ownership", "re_first", {"fee": FEE_RE_NONHOME}),
    ("集体土地所有权首次登记", "First registration of collective land ownership", "re_first", {"basis": [(L_RE, "第十四条"), ("《中华人民共和国土地管理法》", "第十二条")]}),
    ("宅基地使用权及房屋所有权首次登记", "First registration of homestead use rights and house ownership", "re_first", {"fee": FEE_RE_REG}),
    ("集体建设用地使用权首次登记", "First registration of collective construction land use rights", "re_first", {}),
    ("土地承包经营权首次登记", "First registration of land contract management rights", "re_first", {"basis": [(L_RE, "第五条"), ("《中华人民共和国农村土地承包法》", "第二十四条")]}),
    ("海域使用权首次登记", "First registration of sea area use rights", "re_first", {"basis": [(L_RE, "第五条"), ("《中华人民共和国海域使用管理法》", "第十九条")]}),
    ("商品房首次转移登记（新建商品房）", "First transfer registration of a newly built commercial home", "re_transfer", {"mats": ["id", "purchase", "payment_proof", "marriage"], "fee": FEE_RE_REG, "keywords": ["新房过户", "办证"]}),
    ("存量房买卖转移登记（二手房）", "Transfer registration of a second-hand home sale", "re_transfer", {"fee": FEE_RE_REG, "keywords": ["二手房过户"]}),
    ("房屋赠与转移登记", "Transfer registration of a gifted home", "re_transfer", {"fee": FEE_RE_REG}),
    ("房屋继承（受遗赠）转移登记", "Transfer registration by inheritance or bequest", "re_inherit", {"fee": FEE_RE_REG}),
    ("夫妻间房屋份额变更转移登记", "Transfer of house shares between spouses", "re_transfer", {"fee": FEE_RE_REG}),
    ("离婚析产房屋转移登记", "Transfer registration after divorce property division", "re_transfer", {"mats": ["id", "property", "court"], "fee": FEE_RE_REG}),
    ("法院判决（裁定）转移登记", "Transfer registration by court ruling", "re_court", {"fee": FEE_RE_REG}),
    ("拍卖取得不动产转移登记", "Transfer registration of real estate bought at auction", "re_court", {"fee": FEE_RE_REG}),
    ("国有建设用地使用权转移登记", "Transfer registration of state-owned construction land use rights", "re_transfer", {"fee": FEE_RE_NONHOME}),
    ("非住宅房屋买卖转移登记", "Transfer registration of non-residential property sale", "re_transfer", {"fee": FEE_RE_NONHOME}),
    ("企业合并分立不动产转移登记", "Transfer registration on company merger or division", "re_transfer", {"mats": ["license", "property", "resolution"], "fee": FEE_RE_NONHOME, "audience": "legal_entity"}),
    ("权利人姓名或名称变更登记", "Change of the right holder's name", "re_change", {}),
    ("不动产坐落、门牌号变更登记", "Change of location or house number", "re_change", {}),
    ("不动产用途变更登记", "Change of real estate use", "re_change", {"statutory": 30, "promised": 10}),
    ("土地使用期限变更登记", "Change of land use term", "re_change", {"statutory": 30, "promised": 10}),
    ("共有性质变更登记", "Change of form of co-ownership", "re_change", {}),
    ("不动产面积变更登记", "Change of registered area", "re_change", {"mats": ["id", "property", "survey"]}),
    ("一般抵押权首次登记", "First registration of a general mortgage", "re_mortgage", {"fee": FEE_RE_REG}),
    ("最高额抵押权首次登记", "First registration of a maximum-amount mortgage", "re_mortgage", {"fee": FEE_RE_REG}),
    ("在建建筑物抵押权登记", "Mortgage registration of a building under construction", "re_mortgage", {"fee": FEE_RE_NONHOME, "audience": "legal_entity"}),
    ("预购商品房抵押预告登记", "Advance notice registration of a mortgage on a pre-sold home", "re_mortgage", {}),
    ("抵押权变更登记", "Change of mortgage registration", "re_mortgage", {}),
    ("抵押权转移登记", "Transfer of mortgage registration", "re_mortgage", {}),
    ("预购商品房预告登记", "Advance notice registration of a pre-sold commercial home", "re_change", {"mats": ["id", "purchase"]}),
    ("预告登记注销", "Cancellation of an advance notice registration", "re_cancel", {}),
    ("不动产注销登记（房屋灭失）", "Cancellation registration on loss of the building", "re_cancel", {}),
    ("居住权首次登记", "First registration of a right of habitation", "re_change", {"basis": [(L_RE2, "第三条"), ("《中华人民共和国民法典》", "第三百六十八条")]}),
    ("居住权注销登记", "Cancellation of a right of habitation", "re_cancel", {"basis": [("《中华人民共和国民法典》", "第三百七十条")]}),
    ("地役权首次登记", "First registration of an easement", "re_change", {"basis": [(L_RE2, "第六十条"), ("《中华人民共和国民法典》", "第三百七十四条")]}),
    ("异议登记", "Objection registration", "re_change", {"type": "instant", "promised": 0, "statutory": 1, "basis": [(L_RE2, "第八十二条"), ("《中华人民共和国民法典》", "第二百二十条")]}),
    ("更正登记", "Correction registration", "re_change", {"basis": [(L_RE2, "第七十九条"), ("《中华人民共和国民法典》", "第二百二十条")]}),
    ("查封登记", "Seizure registration", "re_court", {"type": "instant", "promised": 0, "statutory": 1, "audience": "legal_entity"}),
    ("解除查封登记", "Release of seizure registration", "re_court", {"type": "instant", "promised": 0, "statutory": 1, "audience": "legal_entity"}),
    ("不动产登记证明补发", "Reissue of a real estate registration certificate (other rights)", "re_reissue", {"fee": FEE_RE_CERT}),
    ("不动产权证书换发", "Replacement of a damaged real estate title certificate", "re_reissue", {"fee": FEE_RE_CERT, "mats": ["id", "property"]}),
    ("不动产登记资料查询（权利人）", "Search of real estate records by the right holder", "re_query", {}),
    ("不动产登记资料查询（利害关系人）", "Search of real estate records by an interested party", "re_query", {"mats": ["id", "court"]}),
    ("无房证明开具", "Certificate of owning no house", "re_query", {"keywords": ["无房", "住房情况"]}),
]

G["public_security"] = [
    ("出生登记", "Birth registration", "ps_hukou", {"mats": ["birth", "hukou", "marriage"], "type": "instant", "promised": 0}),
    ("死亡注销户口", "Cancelling household registration on death", "ps_hukou_now", {"mats": ["hukou", "death"]}),
    ("夫妻投靠落户", "Household registration to join a spouse", "ps_hukou", {"mats": ["id", "hukou", "marriage", "property"]}),
    ("父母投靠子女落户", "Household registration to join one's children", "ps_hukou", {"mats": ["id", "hukou", "kinship", "property"]}),
    ("未成年子女投靠父母落户", "Household registration of minors to join their parents", "ps_hukou", {"mats": ["birth", "hukou", "kinship"]}),
    ("人才引进落户", "Household registration of recruited talent", "ps_hukou", {"mats": ["id", "hukou", "degree", "labor"]}),
    ("购房落户", "Household registration on buying a home", "ps_hukou", {"mats": ["id", "hukou", "property"]}),
    ("大中专院校学生入学户口迁移", "Household transfer of students entering college", "ps_hukou", {"mats": ["id", "hukou", "school"]}),
    ("大中专院校毕业生落户", "Household registration of college graduates", "ps_hukou", {"mats": ["id", "degree", "labor"]}),
    ("户口迁移（跨省通办）", "Household transfer between provinces (handled across provinces)", "ps_hukou", {"statutory": 20, "promised": 10}),
    ("户口迁移（省内）", "Household transfer within the province", "ps_hukou", {}),
    ("兵役登记户口注销", "Cancelling household registration on enlistment", "ps_hukou_now", {"mats": ["hukou", "unit_letter"]}),
    ("退役士兵恢复户口", "Restoring household registration of discharged soldiers", "ps_hukou", {"mats": ["id", "unit_letter"]}),
    ("出国（境）定居注销户口", "Cancelling household registration on settling abroad", "ps_hukou_now", {}),
    ("姓名变更登记", "Change of name", "ps_hukou", {}),
    ("民族成份变更登记", "Change of ethnicity", "ps_hukou", {"statutory": 30, "promised": 20, "basis": [("《中国公民民族成份登记管理办法》", "第七条")]}),
    ("出生日期更正", "Correction of date of birth", "ps_hukou", {"statutory": 30, "promised": 20}),
    ("户口簿补领、换领", "Reissue or replacement of a household register", "ps_hukou_now", {"mats": ["id", "photo"]}),
    ("户口簿分户", "Splitting a household register", "ps_hukou", {"mats": ["id", "hukou", "property"]}),
    ("居民身份证首次申领", "First application for a resident ID card", "ps_idcard", {"fee": (2000, "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》（发改价格〔2003〕2322号）：申领每证20元（16周岁以下免收）", "NDRC and MOF notice on resident ID card fees (NDRC Pricing [2003] 2322): 20 yuan (free under 16)"), "keywords": ["身份证", "办身份证"]}),
    ("居民身份证到期换领", "Renewal of an expiring resident ID card", "ps_idcard", {"fee": FEE_ID, "keywords": ["身份证到期", "身份证"]}),
    ("居民身份证挂失补领", "Reissue of a lost resident ID card", "ps_idcard", {"fee": FEE_ID, "keywords": ["身份证丢失", "身份证"]}),
    ("临时居民身份证申领", "Application for a temporary resident ID card", "ps_idcard", {"type": "instant", "promised": 0, "statutory": 3, "fee": FEE_ID_TEMP}),
    ("居民身份证异地受理", "Application for an ID card outside one's registered place", "ps_idcard", {"fee": FEE_ID}),
    ("居住证申领", "Application for a residence permit", "ps_permit", {}),
    ("居住证签注", "Annual endorsement of a residence permit", "ps_permit", {"type": "instant", "promised": 0, "mats": ["permit", "rent"]}),
    ("居住证补领、换领", "Reissue or replacement of a residence permit", "ps_permit", {"fee": (2000, "《居住证暂行条例》第十八条：换领、补领居住证收取工本费，每证20元", "Interim Regulations on Residence Permits, Art. 18: replacement or reissue 20 yuan")}),
    ("居住登记", "Residence registration", "ps_permit", {"type": "instant", "promised": 0, "mats": ["id", "rent"]}),
    ("普通护照签发", "Issue of an ordinary passport", "ps_exit", {"fee": FEE_PASSPORT, "keywords": ["护照"]}),
    ("普通护照换发、补发", "Renewal or reissue of an ordinary passport", "ps_exit", {"fee": FEE_PASSPORT, "keywords": ["护照"]}),
    ("往来港澳通行证签发", "Issue of an exit-entry permit to Hong Kong and Macao", "ps_exit", {"fee": FEE_HKMO, "keywords": ["港澳通行证"]}),
    ("往来港澳通行证签注", "Endorsement for travel to Hong Kong and Macao", "ps_exit", {"fee": FEE_HKMO_ENDORSE, "mats": ["id", "invitation"], "keywords": ["港澳签注"]}),
    ("往来台湾通行证签发", "Issue of an exit-entry permit to Taiwan", "ps_exit", {"fee": FEE_TW}),
    ("出入境记录查询", "Enquiry of exit-entry records", "ps_exit", {"type": "instant", "promised": 0, "statutory": 0, "mats": ["id"]}),
    ("旅馆业特种行业许可证核发", "Special trade licence for hotels", "ps_permit_biz", {}),
    ("公章刻制业特种行业许可证核发", "Special trade licence for seal engraving", "ps_permit_biz", {"basis": [("《印铸刻字业暂行管理规则》", "第三条"), ("《国务院对确需保留的行政审批项目设定行政许可的决定》", "第三十七项")]}),
    ("公章刻制备案", "Filing of an official seal engraving", "ps_permit_biz", {"type": "instant", "promised": 0, "statutory": 1, "mats": ["license", "id"], "basis": [("《国务院对确需保留的行政审批项目设定行政许可的决定》", "第三十七项")]}),
    ("娱乐场所治安备案", "Public-security filing of an entertainment venue", "ps_permit_biz", {"type": "instant", "promised": 0, "statutory": 15, "basis": [("《娱乐场所管理条例》", "第十一条")]}),
    ("保安服务公司设立许可", "Licence to set up a security services company", "ps_permit_biz", {"basis": [("《保安服务管理条例》", "第八条、第九条")]}),
    ("大型群众性活动安全许可", "Safety licence for a large public event", "ps_event", {}),
    ("焰火晚会烟花爆竹燃放许可", "Licence for a fireworks display", "ps_event", {"basis": [("《烟花爆竹安全管理条例》", "第三十二条、第三十三条")]}),
    ("剧毒化学品购买许可", "Licence to buy highly toxic chemicals", "ps_event", {"statutory": 3, "promised": 3, "basis": [("《危险化学品安全管理条例》", "第三十八条、第三十九条")]}),
    ("机动车驾驶证期满换证", "Renewal of an expiring driving licence", "ps_traffic", {"type": "instant", "promised": 0, "mats": ["id", "drive", "photo"], "fee": FEE_DRIVE}),
    ("机动车驾驶证遗失补证", "Reissue of a lost driving licence", "ps_traffic", {"type": "instant", "promised": 0, "mats": ["id", "photo"], "fee": FEE_DRIVE}),
    ("机动车注册登记", "Registration of a motor vehicle", "ps_traffic", {"mats": ["id", "vehicle", "invoice_tax"], "fee": FEE_PLATE}),
    ("机动车转移登记", "Transfer registration of a motor vehicle", "ps_traffic", {}),
    ("机动车抵押登记", "Mortgage registration of a motor vehicle", "ps_traffic", {"type": "instant", "promised": 0, "mats": ["id", "vehicle", "mortgage"]}),
    ("交通违法记录查询", "Enquiry of traffic violation records", "ps_traffic", {"type": "instant", "promised": 0, "statutory": 0, "mats": ["id"]}),
    ("亲属关系证明开具", "Certificate of kinship (household records)", "ps_hukou_now", {"mats": ["id", "hukou"]}),
]

G["market_entity"] = [
    ("有限责任公司设立登记", "Registration of a limited liability company", "me_set", {"keywords": ["开公司", "注册公司"]}),
    ("股份有限公司设立登记", "Registration of a joint-stock company", "me_set", {"statutory": 15, "promised": 3}),
    ("分公司设立登记", "Registration of a branch company", "me_set", {"mats": ["license", "id", "premises", "resolution"]}),
    ("个人独资企业设立登记", "Registration of a sole proprietorship", "me_set", {"basis": [("《中华人民共和国个人独资企业法》", "第九条"), (L_ME, "第二十一条")], "mats": ["id", "premises"]}),
    ("合伙企业设立登记", "Registration of a partnership", "me_set", {"basis": [("《中华人民共和国合伙企业法》", "第九条"), (L_ME, "第二十一条")], "mats": ["id", "contract", "premises"]}),
    ("外商投资企业设立登记", "Registration of a foreign-invested enterprise", "me_set", {"basis": [("《中华人民共和国外商投资法》", "第三十一条"), (L_ME, "第二十一条")], "statutory": 15, "promised": 3}),
    ("农民专业合作社设立登记", "Registration of a farmers' specialised cooperative", "me_coop", {}),
    ("农民专业合作社变更登记", "Change registration of a farmers' cooperative", "me_coop", {"mats": ["license", "resolution"]}),
    ("农民专业合作社注销登记", "Deregistration of a farmers' cooperative", "me_coop", {"mats": ["license", "resolution", "liquidation"]}),
    ("公司名称变更登记", "Change of company name", "me_change", {}),
    ("公司住所变更登记", "Change of company address", "me_change", {"mats": ["license", "resolution", "premises"]}),
    ("公司法定代表人变更登记", "Change of a company's legal representative", "me_change", {"mats": ["license", "resolution", "appoint", "id"]}),
    ("公司注册资本变更登记", "Change of registered capital", "me_change", {}),
    ("公司经营范围变更登记", "Change of business scope", "me_change", {}),
    ("公司股东（发起人）变更登记", "Change of shareholders", "me_change", {"mats": ["license", "resolution", "contract", "id"]}),
    ("公司类型变更登记", "Change of company type", "me_change", {"statutory": 10, "promised": 3}),
    ("分公司变更登记", "Change registration of a branch", "me_change", {}),
    ("合伙企业变更登记", "Change registration of a partnership", "me_change", {"basis": [("《中华人民共和国合伙企业法》", "第十三条"), (L_ME, "第二十四条")]}),
    ("个人独资企业变更登记", "Change registration of a sole proprietorship", "me_change", {}),
    ("公司注销登记", "Deregistration of a company", "me_cancel", {}),
    ("公司简易注销登记", "Simplified deregistration of a company", "me_cancel", {"basis": [(L_ME, "第三十三条"), ("《中华人民共和国公司法》", "第二百四十条")], "mats": ["license", "resolution"], "keywords": ["简易注销"]}),
    ("分公司注销登记", "Deregistration of a branch", "me_cancel", {"mats": ["license", "resolution"]}),
    ("合伙企业注销登记", "Deregistration of a partnership", "me_cancel", {}),
    ("个人独资企业注销登记", "Deregistration of a sole proprietorship", "me_cancel", {}),
    ("个体工商户变更登记", "Change registration of an individual business", "me_indiv", {"mats": ["license", "id"], "keywords": ["个体户"]}),
    ("个体工商户注销登记", "Deregistration of an individual business", "me_indiv", {"mats": ["license", "id"], "keywords": ["个体户"]}),
    ("个体工商户转型为企业", "Conversion of an individual business into a company", "me_change", {"basis": [("《促进个体工商户发展条例》", "第十三条")]}),
    ("市场主体歇业备案", "Filing of a business suspension", "me_filing", {"basis": [(L_ME, "第三十条")]}),
    ("公司章程修正案备案", "Filing of amended articles of association", "me_filing", {"mats": ["license", "articles", "resolution"]}),
    ("公司董事、监事、经理备案", "Filing of directors, supervisors and managers", "me_filing", {"mats": ["license", "resolution", "appoint"]}),
    ("公司联络员备案", "Filing of the company liaison", "me_filing", {"mats": ["license", "id"]}),
    ("清算组备案", "Filing of the liquidation group", "me_filing", {"mats": ["license", "resolution"]}),
    ("营业执照遗失补领", "Reissue of a lost business licence", "me_filing", {"mats": ["id", "notice"]}),
    ("营业执照换发", "Replacement of a business licence", "me_filing", {}),
    ("食品经营许可证核发", "Issue of a food business licence", "me_food", {"keywords": ["食品许可", "开饭店"]}),
    ("食品经营许可证变更", "Change of a food business licence", "me_food", {"statutory": 10, "promised": 3}),
    ("食品经营许可证延续", "Renewal of a food business licence", "me_food", {"statutory": 10, "promised": 3}),
    ("食品经营许可证注销", "Cancellation of a food business licence", "me_food", {"type": "instant", "promised": 0, "mats": ["license", "id"]}),
    ("仅销售预包装食品备案", "Filing for selling only pre-packaged food", "me_food", {"type": "instant", "promised": 0, "mats": ["license", "id"]}),
    ("小餐饮经营登记", "Registration of a small catering business", "me_food", {"basis": [("《中华人民共和国食品安全法》", "第三十六条")]}),
    ("药品零售企业经营许可证核发", "Issue of a retail pharmacy licence", "me_drug", {}),
    ("第二类医疗器械经营备案", "Filing for trading Class II medical devices", "me_drug", {"type": "instant", "promised": 0, "basis": [("《医疗器械监督管理条例》", "第四十一条")]}),
    ("企业信用信息查询", "Enquiry of enterprise credit information", "me_query", {}),
    ("企业登记档案查询", "Search of enterprise registration files", "me_query", {"mats": ["id", "unit_letter"]}),
    ("经营异常名录移出申请", "Application for removal from the list of abnormal operations", "me_query", {"type": "promised", "statutory": 5, "promised": 3, "mats": ["license", "unit_letter"], "audience": "legal_entity"}),
]

G["tax"] = [
    ("多证合一登记信息确认", "Confirmation of multi-licence integrated registration", "tx_reg", {}),
    ("一照一码户登记信息变更", "Change of tax registration details", "tx_reg", {}),
    ("跨区域涉税事项报告", "Report of cross-region tax matters", "tx_reg", {"mats": ["license", "contract"]}),
    ("注销税务登记", "Cancellation of tax registration", "tx_reg", {"type": "promised", "promised": 10, "statutory": 20}),
    ("清税证明开具", "Tax clearance certificate", "tx_reg", {}),
    ("增值税一般纳税人登记", "Registration as a general VAT taxpayer", "tx_reg", {"basis": [("《中华人民共和国增值税法》", "第九条"), ("《增值税一般纳税人登记管理办法》", "第三条")]}),
    ("发票票种核定", "Approval of invoice types", "tx_invoice", {}),
    ("发票领用", "Receiving invoices", "tx_invoice", {}),
    ("发票验（交）旧", "Checking in used invoices", "tx_invoice", {}),
    ("发票遗失、损毁报告", "Report of lost or damaged invoices", "tx_invoice", {}),
    ("红字发票开具", "Issue of a red-letter (credit) invoice", "tx_invoice", {}),
    ("数电发票开票额度调整", "Adjustment of the e-invoice issuing limit", "tx_invoice", {"type": "promised", "promised": 5}),
    ("增值税及附加税费申报", "VAT and surcharges return", "tx_declare", {}),
    ("企业所得税月（季）度预缴申报", "Monthly/quarterly corporate income tax prepayment", "tx_declare", {"basis": [("《中华人民共和国企业所得税法》", "第五十四条")], "audience": "legal_entity"}),
    ("企业所得税年度汇算清缴申报", "Annual corporate income tax reconciliation", "tx_declare", {"basis": [("《中华人民共和国企业所得税法》", "第五十四条")], "audience": "legal_entity"}),
    ("个人所得税综合所得年度汇算", "Annual reconciliation of individual income tax on comprehensive income", "tx_iit", {"keywords": ["个税汇算", "退税"]}),
    ("个人所得税专项附加扣除信息采集", "Recording special additional deductions for individual income tax", "tx_iit", {}),
    ("个人所得税经营所得申报", "Individual income tax return on business income", "tx_iit", {}),
    ("房产税申报", "Property tax return", "tx_declare", {"basis": [("《中华人民共和国房产税暂行条例》", "第七条")]}),
    ("城镇土地使用税申报", "Urban land use tax return", "tx_declare", {"basis": [("《中华人民共和国城镇土地使用税暂行条例》", "第八条")]}),
    ("契税申报", "Deed tax return", "tx_prop", {}),
    ("印花税申报", "Stamp duty return", "tx_declare", {"basis": [("《中华人民共和国印花税法》", "第十五条")]}),
    ("车辆购置税申报", "Vehicle purchase tax return", "tx_prop", {"basis": [("《中华人民共和国车辆购置税法》", "第十二条")], "mats": ["id", "invoice_tax"]}),
    ("环境保护税申报", "Environmental protection tax return", "tx_declare", {"basis": [("《中华人民共和国环境保护税法》", "第十七条")], "audience": "legal_entity"}),
    ("个体工商户定期定额核定", "Fixed-amount tax assessment of individual businesses", "tx_reg", {"type": "promised", "promised": 10, "statutory": 20, "mats": ["license", "id"], "audience": "person", "basis": [(L_TX, "第三十五条"), ("《个体工商户税收定期定额征收管理办法》", "第七条")]}),
    ("代开增值税发票", "Issuing VAT invoices on behalf of a taxpayer", "tx_invoice", {"mats": ["id", "contract"], "keywords": ["代开发票"]}),
    ("税收优惠资格备案", "Filing for tax preference eligibility", "tx_pref", {}),
    ("小微企业税费减免办理", "Tax relief for small and micro enterprises", "tx_pref", {"audience": "legal_entity"}),
    ("残疾人个人所得税减免", "Individual income tax relief for persons with disabilities", "tx_pref", {"mats": ["id", "disability"]}),
    ("误收多缴退抵税", "Refund of overpaid or wrongly collected tax", "tx_refund", {}),
    ("增值税留抵退税申请", "Refund of excess input VAT credits", "tx_refund", {"audience": "legal_entity"}),
    ("出口退（免）税备案", "Filing for export tax refund (exemption)", "tx_refund", {"type": "instant", "promised": 0, "audience": "legal_entity"}),
    ("中国税收居民身份证明开具", "Certificate of Chinese tax residence", "tx_cert", {"type": "promised", "statutory": 10, "promised": 7}),
]

# --------------------------------------------------------------------------- station items
# The 16 items the station completes itself.

def station_item(code, cat, name_zh, name_en, profile, action, *, mats=None, dropoff=False, id_at_pickup=False,
                 via_cabinet=False, size=None, fee=None, keywords=(), note_zh="", note_en="", **over):
    p = dict(PROFILES[profile], profile=profile)
    p.update(over)
    return build(code, cat, name_zh, name_en, p, mats=mats, fee=fee, keywords=keywords,
                 station=dict(action=action, dropoff_compartment=dropoff, id_card_at_pickup=id_at_pickup,
                              result_via_cabinet=via_cabinet, result_size=size, consent_ecerts=True,
                              note_zh=note_zh, note_en=note_en))


def build(code, cat, name_zh, name_en, p, *, mats=None, fee=None, keywords=(), station=None):
    c = CAT[cat]
    keys = mats if mats is not None else p["mats"]
    materials = [form(name_zh, name_en)] if p["type"] == "promised" or keys != ["id"] else []
    materials += [mat(k) for k in keys]
    if p.get("audience", "person") != "legal_entity" and "id" in keys:
        materials += [mat("proxy"), mat("agent_id")]
    if station and station["action"] == "print":
        materials = [mat("id")]
    elif station and materials and materials[0]["name_zh"].startswith("《"):
        # the station fills the application form in on screen: nothing to bring or scan
        materials[0] = {**materials[0], "form": "electronic", "note_zh": "在自助终端上在线填写，无需携带",
                        "note_en": "Filled in on the station's screen; nothing to bring"}
    fee_obj = {"amount_fen": 0, "basis_zh": "", "basis_en": "", "note_zh": "不收费", "note_en": "Free of charge"}
    if fee:
        fee_obj = {"amount_fen": fee[0], "basis_zh": fee[1], "basis_en": fee[2], "note_zh": "", "note_en": ""}
    statutory = p["statutory"]
    promised = p["promised"] if p["type"] == "promised" else 0
    if statutory and promised > statutory:
        statutory = promised
    out = {
        "code": code, "category": cat, "name_zh": name_zh, "name_en": name_en,
        "audience": p.get("audience", "person"),
        "legal_basis": [{"law_zh": law, "law_en": LAW_EN[law], "article_zh": art, "article_en": article_en(art)}
                        for law, art in p["basis"]],
        "authority_zh": p.get("authority_zh", c["authority_zh"]),
        "authority_en": p.get("authority_en", c["authority_en"]),
        "type": p["type"], "statutory_days": statutory, "promised_days": promised,
        "place_zh": c["place_zh"] if station is None else f"本自助服务站；亦可到{c['place_zh']}办理",
        "place_en": c["place_en"] if station is None else f"This self-service station; or {c['place_en']}",
        "hours_zh": HOURS_ZH, "hours_en": HOURS_EN,
        "conditions_zh": CONDITIONS[p["profile"]][0], "conditions_en": CONDITIONS[p["profile"]][1],
        "materials": materials,
        "fee": fee_obj,
        "supervision_zh": SUPERVISION_ZH, "supervision_en": SUPERVISION_EN, "supervision_phone": SUPERVISION_PHONE,
        "enquiry_phone": c["enquiry"] if code.endswith(("0", "2", "4", "6", "8")) else phone(code + "enq"),
        "online_zh": c["online_zh"], "online_en": c["online_en"],
        "keywords": list(keywords),
        "station": station,
    }
    return out


STATION = [
    station_item("SI-001", "social_insurance", "社会保险个人参保证明", "Certificate of personal social insurance coverage",
                 "si_query", "print", keywords=["参保证明", "社保证明", "社保缴费证明"],
                 note_zh="刷身份证、人脸核验后即时打印，加盖电子印章，可扫码验真",
                 note_en="Printed at once after ID card and face check; e-sealed, verifiable by QR code"),
    station_item("SI-002", "social_insurance", "社会保险个人缴费明细", "Statement of personal social insurance contributions",
                 "si_query", "print", keywords=["社保缴费明细", "缴费记录", "社保缴费"],
                 note_zh="可选择查询年度，即时打印", note_en="Choose the years; printed at once"),
    station_item("SI-003", "social_insurance", "社会保障卡补换领", "Replacement of a social security card",
                 "si_card", "apply", mats=["id", "photo"], id_at_pickup=True, via_cabinet=True, size="S", fee=FEE_SSCARD,
                 keywords=["社保卡补办", "社保卡丢失", "社保卡"],
                 note_zh="制卡完成后放入智能柜，凭取件码和本人身份证领取",
                 note_en="The new card is placed in the cabinet; collect it with the pickup code and your ID card"),
    station_item("MI-001", "medical_insurance", "医疗保险参保凭证", "Certificate of medical insurance coverage",
                 "mi_query", "print", keywords=["医保证明", "医保参保证明"],
                 note_zh="即时打印", note_en="Printed at once"),
    station_item("MI-002", "medical_insurance", "医疗费用零星报销（材料投递）", "Reimbursement of medical costs paid in full (drop-off)",
                 "mi_refund", "drop_off", dropoff=True, keywords=["医保报销", "报销", "零星报销"],
                 note_zh="扫描材料后将发票原件放入投递格口，审核后款项打入社保卡金融账户",
                 note_en="Scan the papers, then leave the original invoices in the drop-off compartment; the refund goes to your social security card account"),
    station_item("HF-001", "housing_fund", "住房公积金缴存证明", "Certificate of housing fund deposits",
                 "hf_query", "print", keywords=["公积金证明", "公积金缴存证明"],
                 note_zh="即时打印", note_en="Printed at once"),
    station_item("HF-002", "housing_fund", "租房提取住房公积金", "Withdrawal of housing fund for rent",
                 "hf_withdraw", "apply", mats=["id", "rent", "bank"], keywords=["公积金提取", "租房提取", "提公积金"],
                 note_zh="审核通过后款项转入本人银行账户，可在本机查询进度",
                 note_en="Once approved the money goes to your bank account; check progress here"),
    station_item("RE-001", "real_estate", "不动产登记资料查询结果证明", "Certificate of real estate register search results",
                 "re_query", "print", keywords=["房产证明", "不动产查询", "有房无房证明", "房产查询"],
                 note_zh="本人名下不动产登记信息，即时打印", note_en="Real estate registered in your name; printed at once"),
    station_item("RE-002", "real_estate", "不动产权证书补发（遗失）", "Reissue of a lost real estate title certificate",
                 "re_reissue", "apply", mats=["id", "notice"], id_at_pickup=True, via_cabinet=True, size="M", fee=FEE_RE_CERT,
                 keywords=["房产证丢失", "补办房产证", "房产证补办"],
                 note_zh="公告期满后制证，证书放入智能柜，凭取件码和本人身份证领取",
                 note_en="After the public notice period the certificate is placed in the cabinet; collect it with the pickup code and your ID card"),
    station_item("PS-001", "public_security", "无犯罪记录证明", "Certificate of no criminal record",
                 "ps_record", "apply", mats=["id"], id_at_pickup=True, via_cabinet=True, size="S",
                 keywords=["无犯罪证明", "无犯罪记录", "良民证"],
                 note_zh="出具后放入智能柜，凭取件码和本人身份证领取",
                 note_en="Once issued it is placed in the cabinet; collect it with the pickup code and your ID card"),
    station_item("PS-002", "public_security", "户籍证明", "Certificate of household registration",
                 "ps_hukou_now", "print", keywords=["户口证明", "户籍证明"],
                 note_zh="即时打印", note_en="Printed at once"),
    station_item("PS-003", "public_security", "居住证申领（材料投递）", "Application for a residence permit (drop-off)",
                 "ps_permit", "drop_off", dropoff=True, id_at_pickup=True, via_cabinet=True, size="S",
                 keywords=["居住证", "办居住证"],
                 note_zh="租赁合同原件放入投递格口；制证后放入智能柜，凭取件码和本人身份证领取",
                 note_en="Leave the original lease in the drop-off compartment; the permit comes back to the cabinet for collection"),
    station_item("ME-001", "market_entity", "个体工商户营业执照（设立登记）", "Business licence of an individual business (registration)",
                 "me_indiv", "apply", mats=["id", "premises"], id_at_pickup=True, via_cabinet=True, size="M",
                 keywords=["个体户营业执照", "个体户", "开店", "营业执照办理"], type="promised", promised=1,
                 note_zh="审核通过后营业执照正副本放入智能柜，凭取件码和经营者身份证领取",
                 note_en="Once approved the licence (original and duplicate) is placed in the cabinet; collect it with the pickup code and your ID card"),
    station_item("ME-002", "market_entity", "企业登记申请材料投递", "Drop-off of company registration papers",
                 "me_change", "drop_off", mats=["license", "resolution", "id"], dropoff=True,
                 keywords=["企业变更", "材料投递", "公司变更"],
                 note_zh="扫描材料后将纸质原件放入投递格口，工作人员次日受理",
                 note_en="Scan the papers, leave the originals in the drop-off compartment; staff process them the next working day"),
    station_item("TX-001", "tax", "个人所得税纳税记录", "Individual income tax payment record",
                 "tx_cert", "print", keywords=["个税证明", "纳税证明", "完税证明", "个税纳税记录"],
                 note_zh="可选择开具期间，即时打印，可扫码验真", note_en="Choose the period; printed at once; verifiable by QR code"),
    station_item("TX-002", "tax", "税收完税证明", "Tax payment certificate",
                 "tx_cert", "print", keywords=["完税证明", "税单"],
                 note_zh="即时打印", note_en="Printed at once"),
]


def generate() -> dict[str, dict]:
    files: dict[str, dict] = {}
    for c in CATS:
        matters = [m for m in STATION if m["category"] == c["code"]]
        n = len(matters)
        for name_zh, name_en, profile, extra in G[c["code"]]:
            n += 1
            p = dict(PROFILES[profile], profile=profile)
            p.update({k: v for k, v in extra.items() if k not in ("mats", "fee", "keywords")})
            if "type" in extra and extra["type"] == "instant":
                p["promised"] = 0
            matters.append(build(f"{c['prefix']}-{n:03d}", c["code"], name_zh, name_en, p,
                                 mats=extra.get("mats"), fee=extra.get("fee"), keywords=extra.get("keywords", ())))
        files[c["code"]] = {"category": c["code"], "matters": matters}
    return files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "kiosk" / "catalog_data"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cats = {"categories": [{k: c[k] for k in ("code", "name_zh", "name_en", "prefix", "icon")} for c in CATS]}
    (out / "categories.json").write_text(json.dumps(cats, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    total = station = 0
    for code, data in generate().items():
        (out / f"{code}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        total += len(data["matters"])
        station += sum(1 for m in data["matters"] if m["station"])
    print(f"wrote {out}: {len(CATS)} categories, {total} matters ({station} station items, {total - station} guide-only)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
