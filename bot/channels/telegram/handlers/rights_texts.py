"""The words of the rights buttons under /status KODE: request kinds, holds, confirmations."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.handlers.common import esc
from bot.domain.rights import HOLD_REASONS
from bot.i18n import Translator

__all__ = ["confirm_text", "hold_text", "kind_text", "rights_markup"]


def kind_text(t: Translator, kind: str) -> str:
    """A request kind in the reader's words."""
    if kind == "access":
        return t.gettext("a full copy of the data")
    if kind == "correct":
        return t.gettext("a correction")
    if kind == "restrict":
        return t.gettext("restricting the use of the data")
    if kind == "withdraw":
        return t.gettext("withdrawing the consent")
    return t.gettext("deletion of the data")


def hold_text(t: Translator, hold: str) -> str:
    """A legal hold's reason in the reader's words."""
    msgid = HOLD_REASONS.get(hold)
    return t.translate(msgid) if msgid else esc(hold)


def rights_markup(t: Translator) -> InlineKeyboardMarkup:
    """The rights buttons under a found report."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.gettext("📄 See what we hold"), callback_data="ds:see")],
            [InlineKeyboardButton(t.gettext("✏️ Correct something"), callback_data="ds:fix")],
            [
                InlineKeyboardButton(
                    t.gettext("⏸ Restrict the use of my data"), callback_data="ds:limit"
                )
            ],
            [InlineKeyboardButton(t.gettext("↩️ Withdraw my consent"), callback_data="ds:withdraw")],
            [InlineKeyboardButton(t.gettext("🗑 Ask us to delete"), callback_data="ds:del")],
        ]
    )


def confirm_text(t: Translator, action: str) -> tuple[str, InlineKeyboardMarkup]:
    """What restricting ("limit") or withdrawing means, and a button to ask for it."""
    if action == "limit":
        text = t.gettext(
            "Restricting means: the unit keeps your report but uses it for nothing new (no "
            "referral, letter or sharing) until you agree again, unless the law requires it "
            "(for example to protect a child). The staff check the request and answer. Do "
            "you want to ask?"
        )
        button = t.gettext("Yes, restrict the use")
    else:
        text = t.gettext(
            "Withdrawing your consent means: the unit no longer acts on your report because you "
            "agreed. Where the law gives the unit a duty to act (for example to protect a "
            "child), it may still have to, and the staff will tell you. What was done before "
            "stays lawful. The staff check the request and answer. Do you want to withdraw?"
        )
        button = t.gettext("Yes, withdraw my consent")
    return text, InlineKeyboardMarkup(
        [[InlineKeyboardButton(button, callback_data=f"ds:{action}!")]]
    )
