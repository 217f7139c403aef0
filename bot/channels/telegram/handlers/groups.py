"""A staff group that Telegram made a supergroup: follow its new chat id at once.

Telegram announces the move with two service messages: ``migrate_to_chat_id`` in the old group
and ``migrate_from_chat_id`` in the new supergroup. Either one records the new id for the
office (bot/channels/telegram/delivery_failures.py ``migrated``: read before the office file,
the head told privately to update ``staff_chat_id``), so nothing waits for a message to fail
first. A group that is no office's staff group is ignored. Ids only are logged.
"""

from __future__ import annotations

from telegram import Update

from bot.channels.telegram.context import BotContext

__all__ = ["on_migrate"]


async def on_migrate(update: Update, context: BotContext) -> None:
    """Record the staff group's new chat id (from either of the two service messages)."""
    message = update.effective_message
    follow = context.deps.group_moved
    if message is None or follow is None:
        return
    if message.migrate_to_chat_id is not None:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    await follow(old, new)
