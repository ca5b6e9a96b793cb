"""The service guide a flow hands the screen carries every citizen-facing text in both languages."""

from __future__ import annotations

from kiosk.flows.matters import guide
from kiosk.services.catalog import load_catalog


def test_every_shipped_guide_text_exists_in_english():
    catalog = load_catalog()
    missing = []
    for matter in catalog.matters:
        g = guide(matter)
        for key, value in g.items():
            if key.endswith("_zh") and value:
                en = g.get(key[:-3] + "_en")
                if not en:
                    missing.append(f"{matter.code}.{key[:-3]}_en")
        assert len(g["legal_basis_en"]) == len(g["legal_basis"])
        assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in g["legal_basis_en"]), matter.code
    assert not missing, missing[:10]
