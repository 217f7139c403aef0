"""Babel catalogs (Bahasa Indonesia by default, English) and locale-aware formatting."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.domain.office import ZONE_ABBREVIATIONS

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "LOCALES_DIR", "I18n", "Translator"]

DEFAULT_LANGUAGE = "id"
LANGUAGES = ("id", "en")
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

_PATTERNS = {
    "id": ("EEEE, d MMMM y 'pukul' HH.mm", "EEEE, d MMMM y"),
    "en": ("EEEE, d MMMM y 'at' HH:mm", "EEEE, d MMMM y"),
}


class Translator:
    """Text and dates in one language."""

    def __init__(self, language: str, translations: NullTranslations) -> None:
        self.language = language
        self._t = translations

    def gettext(self, message: str, **params: Any) -> str:
        """Translate and fill ``{name}`` placeholders."""
        text = self._t.gettext(message)
        return text.format(**params) if params else text

    _ = gettext

    def translate(self, message: str, **params: Any) -> str:
        """Translate a message id held in a variable (marked with ``N_`` or from SOP data).

        The extractor scans only ``gettext``, ``ngettext`` and ``N_`` with literal ids; ids that
        come from data are extracted where they are defined, never here.
        """
        text = self._t.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        """Plural-aware translation; ``n`` is available as ``{n}``."""
        return self._t.ngettext(singular, plural, n).format(n=n, **params)

    def datetime(self, when: dt.datetime, timezone: str) -> str:
        """'Senin, 2 Maret 2026 pukul 09.30 WIB' in the office's time zone."""
        from zoneinfo import ZoneInfo

        local = when.astimezone(ZoneInfo(timezone))
        pattern = _PATTERNS.get(self.language, _PATTERNS["en"])[0]
        text = format_datetime(local, pattern, locale=self.language)
        return f"{text} {ZONE_ABBREVIATIONS.get(timezone, timezone)}"

    def day(self, when: dt.date) -> str:
        """'1 Februari 2026': a calendar day in the reader's language."""
        return str(format_date(when, "d MMMM y", locale=self.language))

    def day_of(self, iso: str) -> str:
        """A stored ISO day ('2026-02-01') as the reader reads it; other text as it is."""
        try:
            return self.day(dt.date.fromisoformat(iso))
        except ValueError:
            return iso

    def date(self, when: dt.datetime, timezone: str) -> str:
        """'Senin, 2 Maret 2026' in the office's time zone."""
        from zoneinfo import ZoneInfo

        local = when.astimezone(ZoneInfo(timezone))
        pattern = _PATTERNS.get(self.language, _PATTERNS["en"])[1]
        return str(format_datetime(local, pattern, locale=self.language))


class I18n:
    """All catalogs, compiled in memory from locales/<lang>/LC_MESSAGES/messages.po."""

    def __init__(self, directory: Path = LOCALES_DIR) -> None:
        self._by_lang: dict[str, Translator] = {}
        for lang in LANGUAGES:
            po = directory / lang / "LC_MESSAGES" / "messages.po"
            translations: NullTranslations
            if po.exists():
                with po.open("rb") as fh:
                    catalog = read_po(fh, locale=lang)
                buf = io.BytesIO()
                write_mo(buf, catalog)
                buf.seek(0)
                translations = Translations(buf)
            else:
                translations = NullTranslations()
            self._by_lang[lang] = Translator(lang, translations)

    def get(self, language: str | None) -> Translator:
        """Translator for a language (Indonesian for anything unknown)."""
        return self._by_lang.get(language or DEFAULT_LANGUAGE, self._by_lang[DEFAULT_LANGUAGE])
