"""/status KODE: the stage of a report in plain words, and what happens next."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.channels.telegram.handlers.common import Ctx, reply
from bot.channels.telegram.handlers.rights import remember_case, rights_markup
from bot.domain.tracking import MAX_TRIES_PER_HOUR, STAGE_TEXT, status_try_allowed
from bot.presentation.preview import for_reporter
from bot.presentation.status import not_found_text, status_text, too_many_text
from bot.services.status import find_by_code

__all__ = ["MAX_TRIES_PER_HOUR", "STAGE_TEXT", "status"]

log = logging.getLogger(__name__)


async def _in_group(update: Update, context: Ctx) -> None:
    """/status outside a private chat: never look the code up; delete it if the bot can."""
    t = context.t
    msg = update.effective_message
    chat = update.effective_chat
    deleted = False
    if msg is not None and chat is not None and context.args:
        try:
            deleted = bool(await context.bot.delete_message(chat.id, msg.message_id))
        except TelegramError as exc:  # not an admin of the group, or too old
            log.info("status code in a group not deleted: %s", type(exc).__name__)
    lines = [
        t.gettext(
            "For your safety, send /status with your tracking code only in a private chat with "
            "the bot, never in a group: anyone here could read it."
        )
    ]
    if context.args:
        lines.append(
            t.gettext("I deleted your message with the code.")
            if deleted
            else t.gettext("Please delete your message with the code from this group now.")
        )
    await reply(update, context, "\n".join(lines))


async def status(update: Update, context: Ctx) -> None:
    """Look a report up by its tracking code (in a private chat only)."""
    t = context.t
    svc = context.services
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await _in_group(update, context)
        return
    if not context.args:
        await reply(
            update,
            context,
            for_reporter(
                t,
                t.gettext(
                    "Send /status followed by your tracking code, for example: "
                    "/status KMXA-4PRT-9WYA"
                ),
            ),
        )
        return
    data = context.user_data if isinstance(context.user_data, dict) else {}
    if not status_try_allowed(data, svc.clock.now()):
        await reply(update, context, for_reporter(t, too_many_text(t)))
        return
    case = await find_by_code(svc, " ".join(context.args)[:40])
    if case is None:
        await reply(update, context, for_reporter(t, not_found_text(t)))
        return
    remember_case(context, case.id, svc.clock.now())
    text = await status_text(svc, context.workflow, case, t)
    await reply(update, context, for_reporter(t, text), rights_markup(t))
