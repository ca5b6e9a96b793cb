"""The sample identities every simulator shares (SAM module, virtual passport, back office, camera).

Each `SampleIdentity` is one simulated person: the fields printed on (and stored in) a Chinese
resident ID card, the data of a passport for the same person (for the virtual eMRTD card), and
`face_files`, photographs of the SAME real person in the sample set the project fetches itself
(`hw_sim/faces/samples.py`; `face_files[0]` is the source of the card / passport photo, the rest
are "live" camera views).

The names, numbers and addresses are fictional; the photographs are stand-ins (public figures) and
an identity's key does not say whose photographs it shows (`person` does). Several identities may use the same person's photographs:
`person` says whose they are, so an "impostor" must be picked with a different `person`.

Keys are stable: other simulators and tests refer to identities by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

# ISO 7064 MOD 11-2 as GB 11643 uses it; duplicated from kiosk on purpose so the simulator does
# not validate its own output with the code under test.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _check_char(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def _id(first17: str) -> str:
    """An 18-character ID number with a correct check character."""
    assert len(first17) == 17 and first17.isdigit(), first17
    return first17 + _check_char(first17)


@dataclass(frozen=True)
class SampleIdentity:
    key: str
    person: str  # whose photographs face_files are (the <person> part of the file names)
    name_zh: str  # at most 15 characters (30 bytes UTF-16LE on the card)
    sex: str  # "1" male, "2" female (the card's code)
    nation_code: str  # "01".."56", "97", "98"
    birth_date: date
    address: str  # at most 35 characters
    id_number: str  # 18 characters (may deliberately carry a wrong check character)
    issuer: str  # at most 15 characters
    valid_from: date
    valid_to: date | None  # None = 长期 (long-term)
    face_files: tuple[str, ...]
    surname_latin: str | None = None  # pinyin / latin, as in the passport's MRZ
    given_names_latin: str | None = None
    passport_number: str = ""  # 9 characters at most
    nationality: str = "CHN"
    passport_expiry: date | None = None
    note: str = ""  # which edge case this identity covers

    @property
    def long_term(self) -> bool:
        return self.valid_to is None

    @property
    def name_latin(self) -> str | None:
        if not self.surname_latin:
            return None
        return f"{self.surname_latin} {self.given_names_latin or ''}".strip()

    @property
    def sex_mrz(self) -> str:
        return {"1": "M", "2": "F"}.get(self.sex, "<")

    @property
    def mrz_birth(self) -> str:
        """Birth date as YYMMDD (the MRZ / BAC form)."""
        return self.birth_date.strftime("%y%m%d")

    @property
    def mrz_expiry(self) -> str:
        assert self.passport_expiry is not None
        return self.passport_expiry.strftime("%y%m%d")

    def expired_on(self, today: date) -> bool:
        return self.valid_to is not None and self.valid_to < today

    def face_paths(self, faces_dir: Path | None = None) -> tuple[Path, ...]:
        root = faces_dir or testdata_faces_dir()
        return tuple(root / f for f in self.face_files)

    def __repr__(self) -> str:  # the simulated ID number is still never printed in full
        return f"SampleIdentity({self.key!r}, person={self.person!r}, note={self.note!r})"


def testdata_faces_dir() -> Path:
    """The sample faces the project fetched itself (`hw_sim.faces.samples`); a clear error naming
    the command that fetches them when they are missing."""
    from hw_sim.faces.samples import faces_dir

    return faces_dir()


_OBAMA = ("obama_1.jpg", "obama_2.jpg", "obama_3.jpg", "obama_4_240p.jpg", "obama_5_small.jpg")
_BIDEN = ("biden_1.jpg", "biden_2.jpg")
_HOPPER = ("hopper_1.jpg", "hopper_2.jpg")
_COLLINS = ("collins_1.jpg", "collins_2.jpg")
# identity keys are a stable API (tests, scenarios); whose photographs they show is not
_KIT, _ROSE, _ALEX, _LIN = _HOPPER, _COLLINS, _BIDEN, _HOPPER

_ALL = [
    # --- ordinary people (one per face set) -----------------------------------------------------
    SampleIdentity(
        key="obama", person="obama", name_zh="欧文博", sex="1", nation_code="01",
        birth_date=date(1961, 8, 4), address="北京市东城区景山前街4号院2号楼301室",
        id_number=_id("11010119610804013"), issuer="北京市公安局东城分局",
        valid_from=date(2016, 3, 1), valid_to=None, face_files=_OBAMA,
        surname_latin="OU", given_names_latin="WENBO", passport_number="E10000013",
        passport_expiry=date(2031, 5, 20), note="ordinary; long-term validity (over 46)"),
    SampleIdentity(
        key="biden", person="biden", name_zh="白志诚", sex="1", nation_code="01",
        birth_date=date(1962, 11, 20), address="上海市浦东新区世纪大道1200号18号楼602室",
        id_number=_id("31011519621120031"), issuer="上海市公安局浦东分局",
        valid_from=date(2010, 6, 15), valid_to=None, face_files=_BIDEN,
        surname_latin="BAI", given_names_latin="ZHICHENG", passport_number="E20000027",
        passport_expiry=date(2030, 9, 1), note="ordinary; long-term validity"),
    SampleIdentity(
        key="kit_harington", person="hopper", name_zh="金海林", sex="1", nation_code="01",
        birth_date=date(1986, 12, 26), address="广东省深圳市南山区科技园南区高新南七道9号",
        id_number=_id("44030519861226051"), issuer="深圳市公安局南山分局",
        valid_from=date(2019, 4, 8), valid_to=date(2039, 4, 8), face_files=_KIT,
        surname_latin="JIN", given_names_latin="HAILIN", passport_number="E30000031",
        passport_expiry=date(2032, 2, 14), note="ordinary; 20-year validity"),
    SampleIdentity(
        key="rose_leslie", person="collins", name_zh="罗思琳", sex="2", nation_code="01",
        birth_date=date(1987, 2, 9), address="浙江省杭州市西湖区文三路398号东方通信大厦",
        id_number=_id("33010619870209062"), issuer="杭州市公安局西湖分局",
        valid_from=date(2018, 7, 2), valid_to=date(2038, 7, 2), face_files=_ROSE,
        surname_latin="LUO", given_names_latin="SILIN", passport_number="E40000045",
        passport_expiry=date(2029, 11, 30), note="ordinary; female"),
    SampleIdentity(
        key="alex_lacamoire", person="biden", name_zh="赖凯明", sex="1", nation_code="01",
        birth_date=date(1975, 4, 23), address="江苏省南京市鼓楼区中山北路283号",
        id_number=_id("32010619750423073"), issuer="南京市公安局鼓楼分局",
        valid_from=date(2015, 1, 10), valid_to=date(2035, 1, 10), face_files=_ALEX,
        surname_latin="LAI", given_names_latin="KAIMING", passport_number="E50000059",
        passport_expiry=date(2033, 6, 6), note="ordinary"),
    SampleIdentity(
        key="lin_manuel_miranda", person="hopper", name_zh="林曼努", sex="1",
        nation_code="01", birth_date=date(1980, 1, 16), address="四川省成都市武侯区人民南路四段11号",
        id_number=_id("51010719800116091"), issuer="成都市公安局武侯区分局",
        valid_from=date(2020, 9, 9), valid_to=date(2040, 9, 9), face_files=_LIN,
        surname_latin="LIN", given_names_latin="MANNU", passport_number="E60000063",
        passport_expiry=date(2034, 8, 8), note="ordinary; only one photograph (no live view)"),
    # --- edge cases ---------------------------------------------------------------------------------
    SampleIdentity(
        key="longest_fields", person="hopper",
        name_zh="阿卜杜热合曼·艾买提吐尔逊阿力",  # 15 characters: the whole name field
        sex="1", nation_code="05", birth_date=date(1990, 3, 7),
        address="新疆维吾尔自治区乌鲁木齐市天山区解放南路街道幸福路社区人民路八百八十号",  # 35 chars
        id_number=_id("65010219900307011"), issuer="乌鲁木齐市公安局天山区分局经侦",  # 15 chars
        valid_from=date(2012, 5, 1), valid_to=date(2032, 5, 1), face_files=_KIT,
        surname_latin="ABUDUREHEMAN", given_names_latin="AIMAITITUERXUNALI",
        passport_number="E70000077", passport_expiry=date(2031, 3, 3),
        note="longest name, address and issuer (every text field full); Uyghur (05)"),
    SampleIdentity(
        key="mongol", person="collins", name_zh="乌云其木格", sex="2", nation_code="02",
        birth_date=date(1985, 3, 14), address="内蒙古自治区呼和浩特市新城区中山东路7号",
        id_number=_id("15010219850314028"), issuer="呼和浩特市公安局新城区分局",
        valid_from=date(2014, 8, 20), valid_to=date(2034, 8, 20), face_files=_ROSE,
        surname_latin="WUYUNQIMUGE", given_names_latin="", passport_number="E80000081",
        passport_expiry=date(2030, 4, 4), note="Mongol (02)"),
    SampleIdentity(
        key="x_check_digit", person="biden", name_zh="谢建新", sex="2", nation_code="01",
        birth_date=date(1985, 3, 14), address="新疆维吾尔自治区乌鲁木齐市天山区和平南路5号",
        id_number="65010219850314028X", issuer="乌鲁木齐市公安局天山区分局",
        valid_from=date(2016, 10, 10), valid_to=date(2036, 10, 10), face_files=_BIDEN,
        surname_latin="XIE", given_names_latin="JIANXIN", passport_number="E90000095",
        passport_expiry=date(2031, 12, 12), note="check character X"),
    SampleIdentity(
        key="tibetan_long_term", person="obama", name_zh="次仁多吉", sex="1", nation_code="04",
        birth_date=date(1968, 11, 2), address="西藏自治区拉萨市城关区北京中路48号",
        id_number="11010519681102017X", issuer="拉萨市公安局城关分局",
        valid_from=date(2015, 2, 2), valid_to=None, face_files=_OBAMA,
        surname_latin="CIREN", given_names_latin="DUOJI", passport_number="EA0000109",
        passport_expiry=date(2032, 10, 10), note="Tibetan (04); 长期 validity; check character X"),
    SampleIdentity(
        key="jino", person="biden", name_zh="白腊先", sex="1", nation_code="56",
        birth_date=date(1979, 6, 30), address="云南省西双版纳傣族自治州景洪市基诺山乡",
        id_number=_id("53280119790630035"), issuer="景洪市公安局",
        valid_from=date(2009, 7, 1), valid_to=date(2029, 7, 1), face_files=_ALEX,
        surname_latin="BAI", given_names_latin="LAXIAN", passport_number="EB0000113",
        passport_expiry=date(2030, 1, 1), note="Jino (56), the last code of the table"),
    SampleIdentity(
        key="other_nation", person="hopper", name_zh="穿青人甲", sex="1", nation_code="97",
        birth_date=date(1992, 9, 9), address="贵州省毕节市织金县城关镇",
        id_number=_id("52052419920909057"), issuer="织金县公安局",
        valid_from=date(2021, 1, 5), valid_to=date(2031, 1, 5), face_files=_LIN,
        surname_latin="CHUANQINGREN", given_names_latin="JIA", passport_number="EC0000127",
        passport_expiry=date(2031, 1, 1), note="nation code 97 (other, unrecognised)"),
    SampleIdentity(
        key="foreign_origin", person="collins", name_zh="罗丝·莱斯莉", sex="2", nation_code="98",
        birth_date=date(1987, 2, 9), address="北京市朝阳区建国门外大街1号",
        id_number=_id("11010519870209084"), issuer="北京市公安局朝阳分局",
        valid_from=date(2022, 3, 3), valid_to=date(2032, 3, 3), face_files=_ROSE,
        surname_latin="LESLIE", given_names_latin="ROSE", passport_number="ED0000131",
        passport_expiry=date(2032, 3, 3), note="nation code 98 (naturalised, foreign origin)"),
    SampleIdentity(
        key="expired", person="biden", name_zh="过期卡", sex="1", nation_code="03",
        birth_date=date(1995, 5, 5), address="宁夏回族自治区银川市兴庆区解放西街1号",
        id_number=_id("64010419950505019"), issuer="银川市公安局兴庆区分局",
        valid_from=date(2013, 5, 5), valid_to=date(2023, 5, 5), face_files=_ALEX,
        surname_latin="GUO", given_names_latin="QIKA", passport_number="EE0000145",
        passport_expiry=date(2024, 1, 1), note="expired card and passport; Hui (03)"),
    SampleIdentity(
        key="bad_check_digit", person="hopper", name_zh="错校验", sex="2", nation_code="01",
        birth_date=date(1990, 3, 7), address="湖北省武汉市江汉区解放大道690号",
        # correct check character would be 5; the card carries 4
        id_number="420103199003070024", issuer="武汉市公安局江汉分局",
        valid_from=date(2018, 1, 1), valid_to=date(2038, 1, 1), face_files=_LIN,
        surname_latin="CUO", given_names_latin="JIAOYAN", passport_number="EF0000159",
        passport_expiry=date(2031, 7, 7), note="ID number with a wrong check character"),
]

SAMPLE_IDENTITIES: dict[str, SampleIdentity] = {i.key: i for i in _ALL}

DEFAULT_IDENTITY = "obama"


def get_identity(key: str) -> SampleIdentity:
    try:
        return SAMPLE_IDENTITIES[key]
    except KeyError:
        raise KeyError(f"no sample identity {key!r} (have: {', '.join(SAMPLE_IDENTITIES)})") from None


def people() -> list[str]:
    """The distinct persons whose photographs the identities use."""
    return sorted({i.person for i in _ALL})
