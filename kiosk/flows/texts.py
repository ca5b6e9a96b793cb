"""Message keys for flows, and rendering them headless.

Flows speak in message keys (gettext msgids such as `apply.identify.insert_card`) built with `t()`;
the translations live in `kiosk/locale/{zh_CN,en}/LC_MESSAGES/flows.po` (shared words such as
`common.cancel` in `common.po`). `render()` turns a `Text` into the words a citizen would see,
through `kiosk.i18n`, for headless runners (scenario transcripts, tests); screens use the same
catalogs. A parameter that is itself a `Text` is rendered first; a `Bilingual` value (a catalog
name, a place, a status) is taken in the screen's language; a list is joined.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk import i18n
from kiosk.flows.viewmodel import Text


@dataclass(frozen=True)
class Bilingual:
    """A value that exists in both languages (catalog data, statuses): the screen picks one."""

    zh: str
    en: str = ""

    def __str__(self) -> str:
        return self.zh


def both(zh: str, en: str = "") -> Bilingual:
    return Bilingual(zh, en)


def t(key: str, **params: Any) -> Text:
    """A message key with parameters (the screen translates it)."""
    return Text(key, params)


def render(text: Text | None, lang: str = "zh") -> str:
    if text is None:
        return ""
    return i18n.translate(text.key, lang, **{k: _param(v, lang) for k, v in text.params.items()})


def _param(value: Any, lang: str) -> Any:
    if isinstance(value, Text):
        return render(value, lang)
    if isinstance(value, Bilingual):
        return value.en if lang == "en" and value.en else value.zh
    if isinstance(value, (list, tuple)):
        sep = "、" if lang == "zh" else ", "
        return sep.join(str(_param(v, lang)) for v in value)
    return value
