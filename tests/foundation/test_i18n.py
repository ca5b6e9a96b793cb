"""Translations load from the .po catalogs, switch live, and never fail on a bad parameter."""

from __future__ import annotations

import pytest

from kiosk.i18n import Translator, message_ids, translate


def test_both_languages_and_params():
    assert translate("common.step", "zh", i=2, n=5) == "第 2 步，共 5 步"
    assert translate("common.step", "en", i=2, n=5) == "Step 2 of 5"
    assert translate("common.step", "en") == "Step {i} of {n}"  # missing params stay visible, no crash


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
