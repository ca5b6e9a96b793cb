"""Catalog names, places and statuses inside a message follow the screen's language."""

from __future__ import annotations

from kiosk.flows.texts import both, render, t


def test_bilingual_parameters_follow_the_language():
    text = t("apply.guide.title", name=both("个体工商户营业执照", "Individual business licence"))
    assert "个体工商户营业执照" in render(text, "zh")
    en = render(text, "en")
    assert "Individual business licence" in en and "营业执照" not in en


def test_lists_of_bilingual_names_join_per_language():
    text = t("apply.missing.list", names=[both("户口簿", "Household register"), both("结婚证", "Marriage certificate")])
    assert "户口簿、结婚证" in render(text, "zh")
    assert "Household register, Marriage certificate" in render(text, "en")


def test_missing_english_falls_back_to_chinese():
    assert "户口簿" in render(t("apply.missing.list", names=[both("户口簿")]), "en")


def test_real_apply_flow_guide_in_english(world):
    catalog = world.services.catalog
    matter = next(m for m in catalog.matters if m.station is not None)
    f = world.start("apply")
    assert f.act("select", code=matter.code)
    assert f.state == "guide", f.history
    title = render(f.view().title, "en")
    assert matter.name_en in title and matter.name_zh not in title
