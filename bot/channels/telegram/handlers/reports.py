"""/rekap in the staff group (chart and one-line summary) and sending stored letters."""

from __future__ import annotations

import io
import logging

from telegram import Bot, InputFile, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.channels.telegram.addresses import staff_group_chat
from bot.channels.telegram.handlers.common import Ctx
from bot.reports.letters import Letter
from bot.reports.rekap import render_rekap

__all__ = ["rekap", "send_letter"]

log = logging.getLogger(__name__)


async def rekap(update: Update, context: Ctx) -> None:
    """/rekap: only in an office's staff group, only by that office's rostered staff."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type == ChatType.PRIVATE:
        return
    svc = context.services
    office = next((o for o in svc.offices.values() if staff_group_chat(o) == chat.id), None)
    if office is None or not office.is_staff(await context.person_id(user)):
        # strangers in the group get nothing, not even a refusal
        return
    today = svc.clock.now().astimezone(office.tz).date()
    png, summary = await render_rekap(svc, office.id, today, translator=context.t)
    try:
        await context.bot.send_photo(
            chat.id,
            InputFile(io.BytesIO(png), filename=f"rekap-{office.id}-{today.isoformat()}.png"),
            caption=summary[:1024],
        )
    except TelegramError as exc:
        log.warning("rekap not sent: %s", type(exc).__name__)


async def send_letter(
    bot: Bot, chat_id: int, letter: Letter, caption: str | None = None
) -> Message:
    """Send a stored letter's DOCX (the caller checks who may receive it, e.g. in /kasus)."""
    return await bot.send_document(
        chat_id,
        InputFile(io.BytesIO(letter.content), filename=letter.filename),
        caption=(caption if caption is not None else letter.number)[:1024],
        protect_content=True,
    )
