"""Her language on WhatsApp: *bahasa* / *language* shows the choice, words choose directly.

The choice is kept in her session (as Telegram keeps it in the user's data) and so applies to
every later message: the form, the status, notices and the template the sender chooses.
"""

from __future__ import annotations

from typing import Any

from bot.channels.whatsapp.messages import Choice, choice_messages, text, wa_format
from bot.i18n import LANGUAGES, Translator
from bot.presentation.preview import for_reporter

__all__ = ["MENU_WORDS", "chosen_language", "is_menu", "language_menu", "language_set"]

MENU_WORDS = frozenset({"bahasa", "language", "pilih bahasa", "ganti bahasa", "languages",
                        "choose language", "change language"})  # fmt: skip
# words that choose at once, anywhere (whole messages only)
_LONG = {
    "english": "en",
    "inggris": "en",
    "bahasa inggris": "en",
    "indonesia": "id",
    "indonesian": "id",
    "bahasa indonesia": "id",
}
# the short codes choose only as the answer to the menu (elsewhere "id" or "en" may be words)
_SHORT = {"en": "en", "id": "id", "1": "id", "2": "en"}
_MENU_KEY = "lang_menu"


def is_menu(low: str) -> bool:
    """Whether the (normalized) words ask for the language choice."""
    return low in MENU_WORDS


def chosen_language(state: dict[str, Any], low: str, choice: str | None) -> str | None:
    """The language the message chooses (None: it chooses none); ``low`` is normalized.

    The menu's pending answer is forgotten by any message."""
    menu = state.pop(_MENU_KEY, None) is not None
    if choice is not None and choice.startswith("lang|"):
        lang = choice.removeprefix("lang|")
        return lang if lang in LANGUAGES else None
    if low in _LONG:
        return _LONG[low]
    return _SHORT.get(low) if menu else None


def language_menu(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The choice, in both languages (she may not read the current one)."""
    state[_MENU_KEY] = True
    choices = [Choice("lang|id", "Bahasa Indonesia"), Choice("lang|en", "English")]
    body = "Pilih bahasa / Choose a language:\n\n1. Bahasa Indonesia\n2. English"
    return choice_messages(body, choices, pick="Pilih / Choose")


def language_set(t: Translator, has_draft: bool) -> list[dict[str, Any]]:
    """The confirmation, in the new language."""
    body = t.gettext("Language set to English.")
    if has_draft:
        body += " " + t.gettext("Your report in progress is kept: here is where you were.")
    return [text(wa_format(for_reporter(t, body)))]
