"""Shared helpers for handlers: dependencies, language, escaping, safe replies."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.i18n import DEFAULT_LANGUAGE, I18n, Translator
from bot.services.context import Services
from bot.services.workflow import Workflow

__all__ = [
    "Ctx",
    "Deps",
    "answer",
    "deps",
    "esc",
    "language_of",
    "reply",
    "tr",
]

log = logging.getLogger(__name__)

Ctx = ContextTypes.DEFAULT_TYPE


@dataclass
class Deps:
    """What handlers need, kept in ``application.bot_data['deps']``."""

    services: Services
    i18n: I18n
    workflow: Workflow
    max_file_bytes: int = 20 * 1024 * 1024
    kick: Callable[[], None] = field(default=lambda: None)


def deps(context: Ctx) -> Deps:
    """The running application's dependencies."""
    value = context.application.bot_data["deps"]
    assert isinstance(value, Deps)
    return value


def esc(text: Any) -> str:
    """Escape user-provided text for HTML messages."""
    return html.escape(str(text), quote=False)


def language_of(context: Ctx) -> str:
    """The user's chosen language (Indonesian unless they chose otherwise)."""
    data = context.user_data
    if isinstance(data, dict):
        lang = data.get("lang")
        if isinstance(lang, str):
            return lang
    return DEFAULT_LANGUAGE


def tr(context: Ctx) -> Translator:
    """Translator in the user's language."""
    return deps(context).i18n.get(language_of(context))


async def answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a button press; a stale or already answered query is not an error."""
    cq = update.callback_query
    if cq is None:
        return
    try:
        await cq.answer(text, show_alert=alert)
    except TelegramError as exc:
        log.info("callback answer skipped: %s", type(exc).__name__)


async def reply(
    update: Update,
    context: Ctx,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send an HTML message to the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        return None
    try:
        return await context.bot.send_message(
            chat.id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    except (NetworkError, RetryAfter) as exc:
        # Telegram unreachable or rate limiting: the reply goes to the outbox and is sent
        # later, so the handler finishes and the update is never replayed on top of itself
        log.warning("reply deferred to the outbox: %s", type(exc).__name__)
        svc = deps(context).services
        async with svc.db.transaction() as conn:
            await svc.outbox.enqueue(
                conn,
                chat_id=chat.id,
                kind="reply",
                at=svc.clock.now(),
                payload={"text": text, "markup": markup.to_dict() if markup else None},
            )
        deps(context).kick()
        return None
    except TelegramError as exc:
        log.warning("reply failed: %s", type(exc).__name__)
        raise
