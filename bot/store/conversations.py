"""Conversation-state repository: PTB conversation states and encrypted user/chat data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from bot.store.db import Tx

__all__ = ["DataTable", "StateStore", "StateWrite"]

DataTable = Literal["user_data", "chat_data"]

_KEY = {"user_data": "user_id", "chat_data": "chat_id"}


@dataclass(frozen=True)
class StateWrite:
    """One write of conversation state, applied now or later in the caller's transaction."""

    sql: str
    params: tuple[Any, ...]


class StateStore:
    """SQL of the state tables; writes are values handed to ``apply``."""

    async def data(self, tx: Tx, table: DataTable) -> list[tuple[int, bytes]]:
        """(user or chat id, encrypted data) of every stored user or chat."""
        async with tx.execute(f"SELECT {_KEY[table]}, data_enc FROM {table}") as cur:
            return [(int(r[0]), r[1]) for r in await cur.fetchall()]

    async def conversations(self, tx: Tx, name: str) -> list[tuple[str, str]]:
        """(key, state) of one conversation handler, both as stored JSON."""
        async with tx.execute(
            "SELECT key, state FROM conversations WHERE name = ?", (name,)
        ) as cur:
            return [(str(r[0]), str(r[1])) for r in await cur.fetchall()]

    def set_conversation(self, name: str, key: str, state: str) -> StateWrite:
        """Store a conversation's state (key and state as JSON)."""
        return StateWrite(
            "INSERT INTO conversations (name, key, state) VALUES (?,?,?) "
            "ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
            (name, key, state),
        )

    def end_conversation(self, name: str, key: str) -> StateWrite:
        """Forget a conversation's state."""
        return StateWrite("DELETE FROM conversations WHERE name = ? AND key = ?", (name, key))

    def put_data(self, table: DataTable, ident: int, blob: bytes) -> StateWrite:
        """Store a user's or chat's encrypted data."""
        key = _KEY[table]
        return StateWrite(
            f"INSERT INTO {table} ({key}, data_enc) VALUES (?, ?) "
            f"ON CONFLICT ({key}) DO UPDATE SET data_enc = excluded.data_enc",
            (ident, blob),
        )

    def drop_data(self, table: DataTable, ident: int) -> StateWrite:
        """Forget a user's or chat's data."""
        return StateWrite(f"DELETE FROM {table} WHERE {_KEY[table]} = ?", (ident,))

    async def apply(self, tx: Tx, writes: Iterable[StateWrite]) -> None:
        """Carry out writes, in order, in the caller's transaction."""
        for write in writes:
            await tx.execute(write.sql, write.params)
