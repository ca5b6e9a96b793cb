"""The shipped catalog: its size and shape, strict validation with clear errors, ranked search."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.cli import main as kiosk_main
from kiosk.services.catalog import DEFAULT_DIR, CatalogError, load_catalog, pinyin_keys

CATEGORIES = {"social_insurance", "medical_insurance", "housing_fund", "real_estate", "public_security",
              "market_entity", "tax"}


def test_catalog_has_the_size_of_the_hall(catalog):
    assert {c.code for c in catalog.categories} == CATEGORIES
    assert len(catalog.station_items()) == 16
    guide_only = [m for m in catalog.matters if m.station is None]
    assert len(guide_only) >= 300
    assert len(catalog) == 317
    assert {m.station.action for m in catalog.station_items()} == {"print", "apply", "drop_off"}
    for c in catalog.categories:
        assert catalog.station_items(c.code), f"category {c.code} has no station item"
        assert len(catalog.in_category(c.code)) >= 30


def test_named_station_items_exist(catalog):
    names = {m.name_zh: m for m in catalog.station_items()}
    assert names["社会保险个人参保证明"].station.action == "print"
    assert names["无犯罪记录证明"].station.id_card_at_pickup
    assert names["无犯罪记录证明"].station.result_via_cabinet
    licence = names["个体工商户营业执照（设立登记）"]
    assert licence.station.action == "apply" and licence.station.result_size == "M"
    drop = [m for m in catalog.station_items() if m.station.action == "drop_off"]
    assert drop and all(m.station.dropoff_compartment for m in drop)
    assert any(not m.fee.free for m in catalog.station_items()), "one station item must exercise payment"
    for m in catalog.station_items():  # forms are filled on the screen, never brought along
        assert all(mt.form == "electronic" for mt in m.materials if mt.name_zh.startswith("《")), m.code


def test_every_matter_is_a_complete_guide(catalog):
    codes = set()
    for m in catalog.matters:
        assert m.code not in codes
        codes.add(m.code)
        assert m.legal_basis and all(b.law_zh.startswith("《") for b in m.legal_basis)
        assert m.authority_zh and m.place_zh and m.enquiry_phone and m.supervision_phone
        assert m.conditions_zh and m.conditions_en
        assert m.promised_days <= max(m.statutory_days, m.promised_days)
        if m.type == "instant":
            assert m.promised_days == 0
        else:
            assert m.promised_days >= 1
        assert m.materials, m.code
        for mt in m.materials:
            assert mt.pages >= 1
            assert mt.ecert_replaceable == (mt.ecert_type is not None)
        if not m.fee.free:
            assert m.fee.basis_zh
    # names vary: the same verb is not everything
    verbs = ["设立", "变更", "注销", "补领", "查询", "备案", "认定", "转移", "申领", "提取"]
    for v in verbs:
        assert any(v in m.name_zh for m in catalog.matters), v
    assert len({m.name_zh for m in catalog.matters}) == len(catalog)
    assert sum(1 for m in catalog.matters if not m.fee.free) >= 10
    assert sum(1 for m in catalog.matters for mt in m.materials if mt.ecert_replaceable) >= 300


def test_committed_data_matches_the_generator(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "gen"
    subprocess.run([sys.executable, str(DEFAULT_DIR.parents[1] / "scripts" / "gen_catalog.py"), "--out", str(out)],
                   check=True, capture_output=True)
    for f in DEFAULT_DIR.glob("*.json"):
        assert (out / f.name).read_text(encoding="utf-8") == f.read_text(encoding="utf-8"), f.name


# --------------------------------------------------------------------------- search


def codes(hits):
    return [h.matter.code for h in hits]


def test_search_chinese_exact_prefix_substring_order(catalog):
    hits = catalog.search("无犯罪记录证明")
    assert hits[0].matter.name_zh == "无犯罪记录证明" and hits[0].match == "exact"
    hits = catalog.search("营业执照")
    kinds = [h.match for h in hits]
    assert kinds[0] == "prefix"
    ranks = [h.rank for h in hits]
    assert ranks == sorted(ranks)
    assert "substring" in kinds and kinds.index("prefix") < kinds.index("substring")


def test_search_two_words_typed_without_a_space(catalog):
    """公积金提取 is how a citizen types 公积金 提取; the words stand in the other order in the
    official names (购买自住住房提取住房公积金), so a plain substring finds only a keyword."""
    joined = {h.matter.code for h in catalog.search("公积金提取", limit=50)}
    spaced = {h.matter.code for h in catalog.search("公积金 提取", limit=50)}
    assert joined == spaced and len(joined) >= 8
    assert all("提取" in catalog.get(c).name_zh for c in joined)
    hits = catalog.search("公积金提取")
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)
    # a half that matches nothing still finds nothing
    assert catalog.search("公积金火箭") == []
    # how people name the two commonest withdrawals (the official names say neither)
    assert codes(catalog.search("购房提取"))[0] == "HF-015"
    assert codes(catalog.search("还贷提取"))[0] == "HF-017"


def test_search_pinyin_initials_and_full(catalog):
    assert catalog.search("sbjf")[0].matter.name_zh in ("社会保险个人缴费明细", "社会保险个人参保证明")
    assert catalog.search("wfzjl")[0].matter.name_zh == "无犯罪记录证明"
    assert catalog.search("WFZJL")[0].matter.name_zh == "无犯罪记录证明"
    assert all("身份证" in h.matter.name_zh for h in catalog.search("sfz"))
    assert catalog.search("hukou") and all("户口" in h.matter.name_zh or "户籍" in h.matter.name_zh
                                            for h in catalog.search("hukou", limit=5))
    assert catalog.search("gjjtq")[0].matter.code == "HF-002"


def test_station_items_first_on_ties(catalog):
    hits = catalog.search("公积金", limit=50)
    first_guide = next(i for i, h in enumerate(hits) if h.matter.station is None)
    same_rank = [h for h in hits if h.rank == hits[first_guide].rank]
    station_positions = [i for i, h in enumerate(hits) if h.matter.station and h.rank == hits[first_guide].rank]
    assert station_positions and max(station_positions) < first_guide
    assert len(same_rank) > 2


def test_search_by_code_english_and_several_words(catalog):
    assert codes(catalog.search("si-001"))[:1] == ["SI-001"]
    assert codes(catalog.search("SI001"))[:1] == ["SI-001"]
    assert any(h.matter.code.startswith("PS") for h in catalog.search("passport"))
    both = catalog.search("社保 证明")
    assert both and all("证明" in h.matter.name_zh for h in both)


def test_search_filters(catalog):
    assert all(h.matter.category == "tax" for h in catalog.search("申报", category="tax", limit=100))
    assert all(h.matter.station for h in catalog.search("证明", station_only=True, limit=100))
    assert len(catalog.search("登记", limit=3)) == 3


@pytest.mark.parametrize("text", ["", "   ", "（）、", ".*", "'; DROP TABLE cases;--", "\x00\x01", "😀" * 50,
                                  "a" * 100_000, "%s%n"])
def test_search_hostile_text_finds_nothing_or_something_without_failing(catalog, text):
    hits = catalog.search(text)
    assert isinstance(hits, list)
    if not text.strip(" （）、"):
        assert hits == []


@given(text=st.text(max_size=30))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_search_any_text_is_ranked_and_bounded(catalog, text):
    hits = catalog.search(text, limit=7)
    assert len(hits) <= 7
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)


def test_search_non_string_is_empty(catalog):
    assert catalog.search(None) == []  # type: ignore[arg-type]
    assert catalog.search(12) == []  # type: ignore[arg-type]


def test_pinyin_keys_drop_punctuation():
    assert pinyin_keys("社会保险（个人）参保证明") == ("shbxgrcbzm", "shehuibaoxiangerencanbaozhengming")
    assert pinyin_keys("SI-001 证明")[0] == "si001zm"


def test_catalog_built_in_code_checks_categories():
    from kiosk.services.catalog import Catalog

    with pytest.raises(CatalogError, match="category 'tax' is not among the categories"):
        Catalog([], [load_catalog().get("TX-001")])


def test_browse_by_category_lists_station_items_first(catalog):
    items = catalog.in_category("public_security")
    n = len(catalog.station_items("public_security"))
    assert all(m.station for m in items[:n]) and not any(m.station for m in items[n:])
    with pytest.raises(CatalogError, match="no category 'nope'.*social_insurance"):
        catalog.in_category("nope")
    with pytest.raises(CatalogError, match="XX-001"):
        catalog.get("XX-001")
    assert catalog.find("XX-001") is None


# --------------------------------------------------------------------------- corrupt files


@pytest.fixture
def cat_dir(tmp_path):
    d = tmp_path / "catalog"
    shutil.copytree(DEFAULT_DIR, d)
    return d


def _edit(path: Path, fn) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_unknown_key_names_file_matter_and_key(cat_dir):
    f = cat_dir / "tax.json"
    _edit(f, lambda d: d["matters"][3]["materials"][0].update(colour="red"))
    with pytest.raises(CatalogError) as exc:
        load_catalog(cat_dir)
    msg = str(exc.value)
    assert str(f) in msg and "matters[3] (TX-004).materials[0].colour" in msg and "unknown key" in msg


def test_bad_value_names_the_rule(cat_dir):
    f = cat_dir / "housing_fund.json"
    _edit(f, lambda d: d["matters"][0].update(enquiry_phone="call me"))
    _edit(cat_dir / "real_estate.json", lambda d: d["matters"][5]["fee"].update(basis_zh="", amount_fen=100))
    with pytest.raises(CatalogError, match=r"housing_fund.json.*\n.*matters\[0\] \(HF-001\)\.enquiry_phone: bad value 'call me'"):
        load_catalog(cat_dir)
    _edit(f, lambda d: d["matters"][0].update(enquiry_phone="12329"))
    with pytest.raises(CatalogError, match=r"(?s)real_estate.json.*matters\[5\] \(RE-006\)\.fee: .*needs its basis"):
        load_catalog(cat_dir)


def test_promised_longer_than_statutory_refused(cat_dir):
    _edit(cat_dir / "tax.json", lambda d: d["matters"][10].update(type="promised", statutory_days=3, promised_days=9))
    with pytest.raises(CatalogError, match="promised_days cannot exceed statutory_days"):
        load_catalog(cat_dir)


def test_broken_json_gives_line_and_column(cat_dir):
    f = cat_dir / "medical_insurance.json"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace('"matters": [', '"matters": [}', 1), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"medical_insurance.json: not valid JSON: .* line \d+ column \d+"):
        load_catalog(cat_dir)


def test_not_utf8_missing_file_and_missing_dir(cat_dir, tmp_path):
    (cat_dir / "tax.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(CatalogError, match="tax.json: not UTF-8"):
        load_catalog(cat_dir)
    (cat_dir / "tax.json").unlink()
    with pytest.raises(CatalogError, match="tax.json: file not found"):
        load_catalog(cat_dir)
    with pytest.raises(CatalogError, match="catalog directory not found"):
        load_catalog(tmp_path / "nowhere")


def test_duplicate_code_and_wrong_category(cat_dir):
    def dup(d):
        d["matters"][1]["code"] = d["matters"][0]["code"]
    _edit(cat_dir / "tax.json", dup)
    with pytest.raises(CatalogError, match=r"TX-001 is already used in .*tax.json"):
        load_catalog(cat_dir)
    _edit(cat_dir / "tax.json", lambda d: d["matters"][1].update(code="TX-002"))
    _edit(cat_dir / "tax.json", lambda d: d["matters"][2].update(category="housing_fund"))
    with pytest.raises(CatalogError, match=r"matters\[2\] \(TX-003\)\.category: 'housing_fund' does not match"):
        load_catalog(cat_dir)


def test_every_chinese_text_has_english(catalog, cat_dir):
    from kiosk.services.catalog import english_gaps

    assert all(english_gaps(m) == [] for m in catalog.matters)
    assert all(b.law_en and "PRC" in b.law_en for m in catalog.matters for b in m.legal_basis
               if b.law_zh.startswith("《中华人民共和国"))
    _edit(cat_dir / "tax.json", lambda d: d["matters"][4]["legal_basis"][0].update(law_en=""))
    with pytest.raises(CatalogError, match=r"matters\[4\] \(TX-005\)\.legal_basis\[0\]\.law_en: missing"):
        load_catalog(cat_dir)


def test_stray_file_and_duplicate_category(cat_dir):
    (cat_dir / "lottery.json").write_text("{}", encoding="utf-8")
    with pytest.raises(CatalogError, match="lottery.json belong to no category"):
        load_catalog(cat_dir)
    (cat_dir / "lottery.json").unlink()
    _edit(cat_dir / "categories.json", lambda d: d["categories"].append(dict(d["categories"][0])))
    with pytest.raises(CatalogError, match=r"categories\[7\]\.code: category 'social_insurance' is listed twice"):
        load_catalog(cat_dir)


def test_station_block_rules(cat_dir):
    _edit(cat_dir / "social_insurance.json", lambda d: d["matters"][0]["station"].update(result_via_cabinet=True,
                                                                                         result_size="S"))
    with pytest.raises(CatalogError, match="print item hands its result over at once"):
        load_catalog(cat_dir)


def test_wrong_types_everywhere(cat_dir):
    _edit(cat_dir / "tax.json", lambda d: d.update(matters={"not": "a list"}))
    with pytest.raises(CatalogError, match=r"(?s)tax.json.*matters: bad value .*valid list"):
        load_catalog(cat_dir)
    (cat_dir / "tax.json").write_text("[1, 2, 3]", encoding="utf-8")
    with pytest.raises(CatalogError, match="tax.json"):
        load_catalog(cat_dir)


# --------------------------------------------------------------------------- CLI


def test_cli_search_json(capsys):
    assert kiosk_main(["catalog", "search", "wfzjl", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["hits"][0]["name_zh"] == "无犯罪记录证明" and out["hits"][0]["match"] == "initials"


def test_cli_show_and_list(capsys):
    assert kiosk_main(["catalog", "show", "re-002"]) == 0
    text = capsys.readouterr().out
    assert "不动产权证书补发" in text and "10.00 元" in text and "取件需身份证: 是" in text
    assert kiosk_main(["catalog", "show", "RE-002", "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "Reissue of a lost real estate title certificate" in text and "10.00 yuan (MOF and NDRC" in text
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text)  # nothing left in Chinese
    assert kiosk_main(["catalog", "list", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == 317 and out["station_items"] == 16
    assert kiosk_main(["catalog", "list", "--category", "tax"]) == 0
    assert "TX-001" in capsys.readouterr().out


def test_cli_errors(capsys, cat_dir):
    assert kiosk_main(["catalog", "show", "XX-999"]) == 1
    assert "no matter with code 'XX-999'" in capsys.readouterr().err
    assert kiosk_main(["catalog", "search", "zzzzqqq"]) == 1
    _edit(cat_dir / "tax.json", lambda d: d["matters"][0].update(oops=1))
    assert kiosk_main(["catalog", "check", "--dir", str(cat_dir)]) == 1
    assert "matters[0] (TX-001).oops: unknown key" in capsys.readouterr().err
    assert kiosk_main(["catalog", "check"]) == 0


def test_the_catalog_ships_inside_the_package():
    """An installed station (a wheel from an update bundle) has no checkout: the catalog must be
    package data, and an empty `[catalog] dir` means that shipped catalog."""
    import tomllib

    import kiosk
    from kiosk.services.catalog import catalog_dir

    assert DEFAULT_DIR.parent == Path(kiosk.__file__).parent
    project = tomllib.loads((DEFAULT_DIR.parents[1] / "pyproject.toml").read_text())
    assert "catalog_data/*.json" in project["tool"]["setuptools"]["package-data"]["kiosk"]
    assert catalog_dir("", Path("/var/lib/kiosk")) == DEFAULT_DIR
    assert catalog_dir("catalog", Path("/var/lib/kiosk")) == Path("/var/lib/kiosk/catalog")
    assert len(load_catalog(DEFAULT_DIR).matters) >= 300
