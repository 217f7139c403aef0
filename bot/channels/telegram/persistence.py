"""python-telegram-bot persistence on the bot's SQLite store, JSON encrypted, committed at once."""

from __future__ import annotations

import json
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.crypto import Cipher
from bot.store.conversations import DataTable, StateStore, StateWrite
from bot.store.db import Database

__all__ = ["SEEN_KEY", "SqlitePersistence", "is_empty"]

UD = dict[str, Any]

# user/chat data key: when the user or chat was last seen (ISO), for expiry; alone it is nothing
# worth keeping
SEEN_KEY = "seen"


def is_empty(data: UD) -> bool:
    """Whether user or chat data holds nothing worth a stored row (empty, or a timestamp)."""
    return not (data.keys() - {SEEN_KEY})


class SqlitePersistence(BasePersistence[UD, UD, UD]):
    """Conversation states and user/chat data; every update is its own transaction."""

    def __init__(self, db: Database, cipher: Cipher) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=3600,
        )
        self.db = db
        self.cipher = cipher
        self.store = StateStore(cipher)
        self._adopted = False
        # while held, writes are collected and committed by the inbox runner together with
        # "this update is done", so a crash can never replay an update on top of its own state
        self._held: list[StateWrite] | None = None

    def hold(self) -> None:
        """Collect writes instead of committing them (until ``release``)."""
        self._held = []

    def release(self) -> list[StateWrite]:
        """Stop collecting; returns the collected writes for the caller's transaction."""
        held, self._held = self._held or [], None
        return held

    async def _write(self, write: StateWrite) -> None:
        if self._held is not None:
            self._held.append(write)
            return
        async with self.db.transaction() as tx:
            await self.store.apply(tx, [write])

    async def _adopt(self) -> None:
        """Once: move rows stored under clear ids (before migration 0014) to the new tables."""
        if self._adopted:
            return
        async with self.db.transaction() as tx:
            await self.store.adopt_legacy(tx)
        self._adopted = True

    async def _data(self, table: DataTable) -> dict[int, UD]:
        await self._adopt()
        async with self.db.reading() as tx:
            rows = await self.store.data(tx, table)
        return {
            ident: self.cipher.decrypt_json(blob, context=table.encode()) for ident, blob in rows
        }

    async def get_user_data(self) -> dict[int, UD]:
        """All users' data."""
        return await self._data("user_data")

    async def get_chat_data(self) -> dict[int, UD]:
        """All chats' data."""
        return await self._data("chat_data")

    async def get_bot_data(self) -> UD:
        """Bot data is not persisted (it holds the running services)."""
        return {}

    async def get_callback_data(self) -> CDCData | None:
        """Arbitrary callback data is not used."""
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        """States of one conversation handler."""
        out: dict[ConversationKey, object] = {}
        await self._adopt()
        async with self.db.reading() as tx:
            rows = await self.store.conversations(tx, name)
        for key, state in rows:
            out[tuple(json.loads(key))] = json.loads(state)
        return out

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Write one conversation's state (None ends it)."""
        k = json.dumps(list(key))
        if new_state is None:
            await self._write(self.store.end_conversation(name, k))
        else:
            await self._write(self.store.set_conversation(name, k, json.dumps(new_state)))

    async def update_user_data(self, user_id: int, data: UD) -> None:
        """Write one user's data."""
        await self._upsert("user_data", user_id, data)

    async def update_chat_data(self, chat_id: int, data: UD) -> None:
        """Write one chat's data."""
        await self._upsert("chat_data", chat_id, data)

    async def _upsert(self, table: DataTable, ident: int, data: UD) -> None:
        if is_empty(data):
            # nothing to keep (a visitor who only said /start, a finished or deleted form):
            # no row is left behind with this user's or chat's id
            await self._write(self.store.drop_data(table, ident))
            return
        blob = self.cipher.encrypt_json(data, context=table.encode())
        await self._write(self.store.put_data(table, ident, blob))

    async def update_bot_data(self, data: UD) -> None:
        """Not persisted."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Not used."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Forget a chat."""
        await self._write(self.store.drop_data("chat_data", chat_id))

    async def drop_user_data(self, user_id: int) -> None:
        """Forget a user."""
        await self._write(self.store.drop_data("user_data", user_id))

    async def refresh_user_data(self, user_id: int, user_data: UD) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def refresh_chat_data(self, chat_id: int, chat_data: UD) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def refresh_bot_data(self, bot_data: UD) -> None:
        """Nothing to refresh."""

    async def flush(self) -> None:
        """Every write is already committed."""
