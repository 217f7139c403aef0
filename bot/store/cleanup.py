"""Scheduled deletions of the bot's own messages (the /hapus confirmation): rows dropped when done.

A deletion is an outbox row of kind ``delete_message`` (durable: it survives a restart and is
due at a time of the injected clock). Its recipient is the chat, so once the message is gone the
row itself is deleted (``secure_delete`` is on): no trace stays that this chat used /hapus.
"""

from __future__ import annotations

from bot.store.db import Tx

__all__ = ["DELETE_KIND", "drop_done_deletion"]

DELETE_KIND = "delete_message"


async def drop_done_deletion(tx: Tx, item_id: int) -> None:
    """Remove a deletion row once the message is deleted (or can no longer be)."""
    await tx.execute("DELETE FROM outbox WHERE id = ? AND kind = ?", (item_id, DELETE_KIND))
