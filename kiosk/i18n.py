"""Translations: gettext catalogs per language, and a translator whose language switches live.

Catalogs are `kiosk/locale/<locale>/LC_MESSAGES/<domain>.po` (domains: flows, ui, ...). At start
each language's .po files are compiled in memory to .mo and loaded with `gettext.GNUTranslations`,
so the running code uses stock gettext; the .po files stay the one source translators edit.
Message ids are keys (`apply.identify.insert_card`); parameters are filled with `str.format`
syntax (`{compartment}`). A missing parameter never fails and never shows raw braces: it renders
as `MISSING` ("…") and is logged, so a person never reads `{left}` on a screen or a slip.

`Translator` holds the current language and calls listeners on a switch, so a screen (or a Kivy
property bound to it) re-renders on any screen without restarting the flow.
"""

from __future__ import annotations

import gettext
import io
import logging
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import polib

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = {"zh": "zh_CN", "en": "en"}  # UI language code -> gettext locale directory
DEFAULT_LANGUAGE = "zh"

log = logging.getLogger(__name__)


MISSING = "\u2026"  # what a parameter the caller did not pass shows as
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


class _SafeParams(dict):
    def __init__(self, params: dict[str, Any], key: str) -> None:
        super().__init__(params)
        self.key = key

    def __missing__(self, name: str) -> str:
        log.warning("message %r rendered without its parameter %r", self.key, name)
        return MISSING


@lru_cache(maxsize=None)
def catalog(lang: str) -> gettext.NullTranslations:
    """All domains of one language merged into one GNUTranslations (later domains fall back)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (have: {', '.join(LANGUAGES)})")
    directory = LOCALE_DIR / LANGUAGES[lang] / "LC_MESSAGES"
    merged: gettext.NullTranslations = gettext.NullTranslations()
    for po_path in sorted(directory.glob("*.po")):
        try:
            po = polib.pofile(str(po_path))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{po_path}: cannot parse gettext catalog: {exc}") from None
        translations = gettext.GNUTranslations(io.BytesIO(po.to_binary()))
        translations.add_fallback(merged)
        merged = translations
    return merged


def message_ids(lang: str) -> set[str]:
    """Every msgid that has a non-empty translation in `lang` (for completeness tests)."""
    directory = LOCALE_DIR / LANGUAGES[lang] / "LC_MESSAGES"
    ids: set[str] = set()
    for po_path in directory.glob("*.po"):
        ids |= {e.msgid for e in polib.pofile(str(po_path)) if e.msgstr and not e.obsolete}
    return ids


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    text = catalog(lang).gettext(key)
    if text == key:
        log.warning("no %s translation for %r", lang, key)
    if not params and "{" not in text:
        return text
    try:
        return text.format_map(_SafeParams(params, key))
    except (ValueError, IndexError, AttributeError, KeyError):  # a translator's stray brace, {0}, {a.b}
        log.warning("message %r: malformed placeholder in %r", key, text)
        return _PLACEHOLDER.sub(MISSING, text).replace("{", "").replace("}", "")


class Translator:
    def __init__(self, lang: str = DEFAULT_LANGUAGE) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
        self._lang = lang
        self._listeners: list[Callable[[str], None]] = []

    @property
    def lang(self) -> str:
        return self._lang

    def switch(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
        if lang != self._lang:
            self._lang = lang
            for listener in list(self._listeners):
                listener(lang)

    def on_switch(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)

    def __call__(self, key: str, **params: Any) -> str:
        return translate(key, self._lang, **params)
