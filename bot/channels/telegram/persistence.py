"""python-telegram-bot persistence on the bot's SQLite store, JSON encrypted, committed at once."""

from __future__ import annotations

import json
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.crypto import Cipher
from bot.store.db import Database

__all__ = ["SqlitePersistence"]

UD = dict[str, Any]


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
        # while held, writes are collected and committed by the inbox runner together with
        # "this update is done", so a crash can never replay an update on top of its own state
        self._held: list[tuple[str, tuple[Any, ...]]] | None = None

    def hold(self) -> None:
        """Collect writes instead of committing them (until ``release``)."""
        self._held = []

    def release(self) -> list[tuple[str, tuple[Any, ...]]]:
        """Stop collecting; returns the collected writes for the caller's transaction."""
        held, self._held = self._held or [], None
        return held

    async def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        if self._held is not None:
            self._held.append((sql, params))
            return
        async with self.db.transaction() as conn:
            await conn.execute(sql, params)

    async def get_user_data(self) -> dict[int, UD]:
        """All users' data."""
        out: dict[int, UD] = {}
        for row in await self.db.fetchall("SELECT user_id, data_enc FROM user_data"):
            out[int(row[0])] = self.cipher.decrypt_json(row[1], context=b"user_data")
        return out

    async def get_chat_data(self) -> dict[int, UD]:
        """All chats' data."""
        out: dict[int, UD] = {}
        for row in await self.db.fetchall("SELECT chat_id, data_enc FROM chat_data"):
            out[int(row[0])] = self.cipher.decrypt_json(row[1], context=b"chat_data")
        return out

    async def get_bot_data(self) -> UD:
        """Bot data is not persisted (it holds the running services)."""
        return {}

    async def get_callback_data(self) -> CDCData | None:
        """Arbitrary callback data is not used."""
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        """States of one conversation handler."""
        out: dict[ConversationKey, object] = {}
        rows = await self.db.fetchall(
            "SELECT key, state FROM conversations WHERE name = ?", (name,)
        )
        for row in rows:
            out[tuple(json.loads(row[0]))] = json.loads(row[1])
        return out

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Write one conversation's state (None ends it)."""
        k = json.dumps(list(key))
        if new_state is None:
            await self._write("DELETE FROM conversations WHERE name = ? AND key = ?", (name, k))
        else:
            await self._write(
                "INSERT INTO conversations (name, key, state) VALUES (?,?,?) "
                "ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
                (name, k, json.dumps(new_state)),
            )

    async def update_user_data(self, user_id: int, data: UD) -> None:
        """Write one user's data."""
        await self._upsert("user_data", "user_id", user_id, data)

    async def update_chat_data(self, chat_id: int, data: UD) -> None:
        """Write one chat's data."""
        await self._upsert("chat_data", "chat_id", chat_id, data)

    async def _upsert(self, table: str, col: str, ident: int, data: UD) -> None:
        blob = self.cipher.encrypt_json(data, context=table.encode())
        await self._write(
            f"INSERT INTO {table} ({col}, data_enc) VALUES (?, ?) "
            f"ON CONFLICT ({col}) DO UPDATE SET data_enc = excluded.data_enc",
            (ident, blob),
        )

    async def update_bot_data(self, data: UD) -> None:
        """Not persisted."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Not used."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Forget a chat."""
        await self._write("DELETE FROM chat_data WHERE chat_id = ?", (chat_id,))

    async def drop_user_data(self, user_id: int) -> None:
        """Forget a user."""
        await self._write("DELETE FROM user_data WHERE user_id = ?", (user_id,))

    async def refresh_user_data(self, user_id: int, user_data: UD) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def refresh_chat_data(self, chat_id: int, chat_data: UD) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def refresh_bot_data(self, bot_data: UD) -> None:
        """Nothing to refresh."""

    async def flush(self) -> None:
        """Every write is already committed."""
