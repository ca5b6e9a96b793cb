"""Translations load from the .po catalogs, switch live, and never fail on a bad parameter."""

from __future__ import annotations

import pytest

from kiosk.i18n import Translator, message_ids, translate


def test_both_languages_and_params():
    assert translate("common.step", "zh", i=2, n=5) == "第 2 步，共 5 步"
    assert translate("common.step", "en", i=2, n=5) == "Step 2 of 5"


def test_a_missing_parameter_never_shows_raw_braces(caplog):
    """The commissioning sample once showed 剩余{left}个: a missing parameter renders as an
    ellipsis and is logged."""
    with caplog.at_level("WARNING", logger="kiosk.i18n"):
        zh = translate("commission.door_test.body", "zh")
        en = translate("common.step", "en", i=2)
    assert "{" not in zh and "}" not in zh and "剩余…个" in zh
    assert en == "Step 2 of …"
    assert "'left'" in caplog.text and "commission.door_test.body" in caplog.text


def test_a_malformed_placeholder_in_a_catalog_loses_its_braces(tmp_path, monkeypatch):
    import polib

    import kiosk.i18n as i18n

    bad = {"bad.open": "剩余{left个", "bad.positional": "剩余{0}个", "bad.attr": "剩余{left.x}个",
           "bad.conversion": "剩余{left!x}个"}
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=utf-8"}
    for k, v in bad.items():
        po.append(polib.POEntry(msgid=k, msgstr=v))
    (tmp_path / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    po.save(str(tmp_path / "zh_CN" / "LC_MESSAGES" / "flows.po"))
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalog.cache_clear()
    try:
        for key in bad:
            out = translate(key, "zh", left=3)
            assert "{" not in out and "}" not in out and out.startswith("剩余") and out.endswith("个"), (key, out)
    finally:
        i18n.catalog.cache_clear()


def test_every_message_has_both_languages():
    zh, en = message_ids("zh"), message_ids("en")
    assert zh and zh == en, f"only in zh: {sorted(zh - en)[:10]}; only in en: {sorted(en - zh)[:10]}"


def test_live_switch_notifies():
    t = Translator()
    seen = []
    t.on_switch(seen.append)
    assert t("common.ok") == "确定"
    t.switch("en")
    t.switch("en")
    assert t("common.ok") == "OK" and seen == ["en"]
    with pytest.raises(ValueError, match="unknown language"):
        t.switch("fr")


def test_unknown_key_returns_key():
    assert translate("no.such.key", "en") == "no.such.key"
