"""Shared helpers for handlers: the context type, escaping, safe replies."""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.addresses import chat_recipient
from bot.channels.telegram.botapi import Markup, answer_query, markup_json, send_html
from bot.channels.telegram.context import BotContext, Deps

__all__ = [
    "Ctx",
    "Deps",
    "answer",
    "ask_private_chat_first",
    "esc",
    "reply",
]

log = logging.getLogger(__name__)

# what every handler receives (registered on the ApplicationBuilder in bot/app.py)
Ctx = BotContext


def esc(text: Any) -> str:
    """Escape user-provided text for HTML messages."""
    return html.escape(str(text), quote=False)


async def answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a button press; a stale or already answered query is not an error."""
    cq = update.callback_query
    if cq is None:
        return
    try:
        await answer_query(update.get_bot(), cq.id, text, alert=alert)
    except TelegramError as exc:
        log.info("callback answer skipped: %s", type(exc).__name__)


async def ask_private_chat_first(update: Update, context: Ctx) -> None:
    """Tell a staff member who pressed a button that the bot cannot write to them yet."""
    text = context.t.gettext(
        "Please open a private chat with the bot first (press Start), then press Details again."
    )
    await answer(update, text, alert=True)


async def reply(
    update: Update,
    context: Ctx,
    text: str,
    markup: Markup | None = None,
) -> None:
    """Send an HTML message to the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        return
    try:
        await send_html(context.bot, chat.id, text, markup)
    except (NetworkError, RetryAfter) as exc:
        # Telegram unreachable or rate limiting: the reply goes to the outbox and is sent
        # later, so the handler finishes and the update is never replayed on top of itself
        log.warning("reply deferred to the outbox: %s", type(exc).__name__)
        svc = context.services
        to = await chat_recipient(svc, chat.id)
        async with svc.db.transaction() as conn:
            await svc.outbox.enqueue(
                conn,
                recipient=to,
                kind="reply",
                at=svc.clock.now(),
                payload={"text": text, "markup": markup_json(markup)},
            )
        context.deps.kick()
    except TelegramError as exc:
        log.warning("reply failed: %s", type(exc).__name__)
        raise
