"""/start, /bantuan, /bahasa, /whoami, the menu buttons and a catch-all for private chats."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot.channels.telegram.handlers.common import Ctx, answer, reply
from bot.i18n import LANGUAGES
from bot.presentation.preview import for_reporter
from bot.presentation.texts import emergency_text, office_contacts, welcome_text

__all__ = [
    "fallback_private",
    "help_command",
    "language_menu",
    "menu_help",
    "menu_status",
    "set_language",
    "start",
    "whoami",
]


def _menu(context: Ctx) -> InlineKeyboardMarkup:
    t = context.t
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.gettext("📝 Report violence"), callback_data="menu:report")],
            [
                InlineKeyboardButton(t.gettext("🔎 Check a report"), callback_data="menu:status"),
                InlineKeyboardButton(t.gettext("☎ Contacts"), callback_data="menu:help"),
            ],
            [InlineKeyboardButton("🌐 Bahasa / Language", callback_data="menu:lang")],
        ]
    )


async def start(update: Update, context: Ctx) -> None:
    """Welcome, emergency numbers and the menu."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    await reply(update, context, for_reporter(context.t, welcome_text(context.t)), _menu(context))


async def help_command(update: Update, context: Ctx) -> None:
    """Emergency numbers and every office's complaint numbers."""
    t = context.t
    parts = [emergency_text(t)]
    parts += [office_contacts(t, o) for o in context.services.offices.values()]
    parts.append(
        t.gettext(
            "Commands: /lapor report, /status CODE check a report, /bahasa language, /batal cancel."
        )
    )
    text = "\n\n".join(parts)
    private = update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE
    await reply(update, context, for_reporter(t, text) if private else text)


async def language_menu(update: Update, context: Ctx) -> None:
    """/bahasa: choose Bahasa Indonesia or English."""
    if update.callback_query:
        await answer(update)
    await reply(
        update,
        context,
        "Pilih bahasa / Choose a language:",
        InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Bahasa Indonesia", callback_data="lang:id"),
                    InlineKeyboardButton("English", callback_data="lang:en"),
                ]
            ]
        ),
    )


async def set_language(update: Update, context: Ctx) -> None:
    """Store the chosen language."""
    cq = update.callback_query
    assert cq is not None and cq.data is not None
    lang = cq.data.split(":", 1)[1]
    if lang not in LANGUAGES or not isinstance(context.user_data, dict):
        await answer(update)
        return
    context.user_data["lang"] = lang
    await answer(update)
    t = context.t
    text = t.gettext("Language set to English.")
    if context.user_data.get("draft"):
        text += " " + t.gettext("Your report in progress is kept: send /lapor to continue it.")
    await reply(update, context, for_reporter(t, text))


async def menu_status(update: Update, context: Ctx) -> None:
    """How to check a report."""
    assert update.callback_query is not None
    await answer(update)
    t = context.t
    text = t.gettext(
        "Send /status followed by your tracking code, for example: /status KMXA-4PRT-9WYA"
    )
    await reply(update, context, for_reporter(t, text))


async def menu_help(update: Update, context: Ctx) -> None:
    """Contacts from the menu."""
    assert update.callback_query is not None
    await answer(update)
    await help_command(update, context)


async def whoami(update: Update, context: Ctx) -> None:
    """A user's Telegram id (for the office roster)."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    text = context.t.gettext("Your Telegram user id: <code>{id}</code>", id=user.id)
    if chat.type != ChatType.PRIVATE:
        text += "\n" + context.t.gettext("This chat's id: <code>{id}</code>", id=chat.id)
    await reply(update, context, text)


async def fallback_private(update: Update, context: Ctx) -> None:
    """Anything else written in a private chat: show the menu, never stay silent."""
    t = context.t
    text = t.gettext(
        "I did not understand that. Choose from the menu below, or send /lapor to report."
    )
    await reply(update, context, for_reporter(t, text), _menu(context))
