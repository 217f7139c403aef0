"""Messages that delete themselves: the /hapus confirmation goes after a short time.

Durable: the deletion is an outbox row due ``CONFIRMATION_LIFETIME`` later (on the injected
clock), sent by the outbox sender like any message, so a restart in between still deletes it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.channels.telegram.addresses import chat_recipient
from bot.services.context import Services
from bot.store.cleanup import DELETE_KIND, drop_done_deletion
from bot.store.outbox import OutboxItem

__all__ = ["CONFIRMATION_LIFETIME", "DELETE_KIND", "delete_due", "schedule_deletion"]

log = logging.getLogger(__name__)

CONFIRMATION_LIFETIME = timedelta(minutes=1)


async def schedule_deletion(
    svc: Services, chat_id: int, message_id: int, after: timedelta = CONFIRMATION_LIFETIME
) -> None:
    """Delete the bot's message ``message_id`` in ``chat_id`` once ``after`` has passed."""
    now = svc.clock.now()
    to = await chat_recipient(svc, chat_id)
    async with svc.db.transaction() as conn:
        await svc.outbox.enqueue(
            conn,
            recipient=to,
            kind=DELETE_KIND,
            payload={"message_id": message_id},
            at=now,
            not_before=now + after,
        )


async def delete_due(bot: Bot, svc: Services, chat_id: int, item: OutboxItem) -> bool:
    """Delete the message of a due row; False when Telegram asked to try again later."""
    try:
        await bot.delete_message(chat_id, int(item.payload["message_id"]))
    except (BadRequest, Forbidden, ChatMigrated) as exc:  # already gone, too old, blocked
        log.info("scheduled deletion (row %s) not possible: %s", item.id, type(exc).__name__)
    except (RetryAfter, TelegramError) as exc:
        log.warning("scheduled deletion (row %s) retried: %s", item.id, type(exc).__name__)
        delay = timedelta(seconds=min(300, 2 ** min(item.attempts + 1, 8)))
        async with svc.db.transaction() as conn:
            await svc.outbox.mark_retry(conn, item.id, svc.clock.now(), delay, type(exc).__name__)
        return False
    async with svc.db.transaction() as conn:
        await drop_done_deletion(conn, item.id)
    return True
