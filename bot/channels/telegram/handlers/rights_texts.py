"""The rights buttons under /status KODE on Telegram (their words: bot/presentation/rights.py)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from bot.presentation.rights import ACTIONS, action_label, confirm_words, hold_text, kind_text

__all__ = ["confirm_text", "hold_text", "kind_text", "rights_markup"]


def rights_markup(t: Translator) -> InlineKeyboardMarkup:
    """The rights buttons under a found report."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(action_label(t, a), callback_data=f"ds:{a}")] for a in ACTIONS]
    )


def confirm_text(t: Translator, action: str) -> tuple[str, InlineKeyboardMarkup]:
    """What deleting ("del"), restricting ("limit") or withdrawing means, and a button to ask."""
    text, button = confirm_words(t, action)
    return text, InlineKeyboardMarkup(
        [[InlineKeyboardButton(button, callback_data=f"ds:{action}!")]]
    )
