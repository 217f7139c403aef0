"""Conversation-state repository: PTB conversation states and user/chat data, pseudonymous.

A Telegram user or chat id is never stored in the clear: each row carries the id encrypted
(read back when the bot starts, as PTB needs every user's data) and a keyed blind index to find
the row again. Without the key the tables do not say whose draft or state a row is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from bot.crypto import Cipher
from bot.store.db import Row, Tx, run

__all__ = ["DataTable", "StateStore", "StateWrite"]

DataTable = Literal["user_data", "chat_data"]

_LEGACY_KEY = {"user_data": "user_id", "chat_data": "chat_id"}

# rows whose blind index and encrypted key are kept in memory (about 200 bytes each)
_KEYS_KEPT = 10_000


@dataclass(frozen=True)
class StateWrite:
    """One write of conversation state, applied now or later in the caller's transaction."""

    sql: str
    params: tuple[Any, ...]


class StateStore:
    """SQL of the state tables; writes are values handed to ``apply``."""

    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher
        # (scope, key) -> (blind index, encrypted key): the same for every write of a row in
        # this process (the cipher's key does not change while it runs); bounded
        self._keys: dict[tuple[str, str], tuple[str, bytes]] = {}

    def _ids(self, scope: str, key: str) -> tuple[str, bytes]:
        found = self._keys.get((scope, key))
        if found is None:
            if len(self._keys) >= _KEYS_KEPT:
                self._keys.clear()
            found = (
                self.cipher.blind_index(f"state:{scope}", key),
                self.cipher.encrypt(key.encode(), context=f"state-key:{scope}".encode()),
            )
            self._keys[(scope, key)] = found
        return found

    def _index(self, scope: str, key: str) -> str:
        return self._ids(scope, key)[0]

    def _key_blob(self, scope: str, key: str) -> bytes:
        return self._ids(scope, key)[1]

    def _key_text(self, scope: str, blob: bytes) -> str:
        return self.cipher.decrypt(bytes(blob), context=f"state-key:{scope}".encode()).decode()

    async def data(self, tx: Tx, table: DataTable) -> list[tuple[int, bytes]]:
        """(user or chat id, encrypted data) of every stored user or chat."""
        async with tx.execute(
            "SELECT key_enc, data_enc FROM state_data WHERE kind = ?", (table,)
        ) as cur:
            rows: list[Row] = list(await cur.fetchall())
        return [(int(self._key_text(table, r[0])), bytes(r[1])) for r in rows]

    async def conversations(self, tx: Tx, name: str) -> list[tuple[str, str]]:
        """(key, state) of one conversation handler, both as stored JSON."""
        async with tx.execute(
            "SELECT key_enc, state FROM state_conversations WHERE name = ?", (name,)
        ) as cur:
            rows: list[Row] = list(await cur.fetchall())
        return [(self._key_text(name, r[0]), str(r[1])) for r in rows]

    def set_conversation(self, name: str, key: str, state: str) -> StateWrite:
        """Store a conversation's state (key and state as JSON)."""
        return StateWrite(
            "INSERT INTO state_conversations (name, key_index, key_enc, state) VALUES (?,?,?,?) "
            "ON CONFLICT (name, key_index) DO UPDATE SET state = excluded.state",
            (name, self._index(name, key), self._key_blob(name, key), state),
        )

    def end_conversation(self, name: str, key: str) -> StateWrite:
        """Forget a conversation's state."""
        return StateWrite(
            "DELETE FROM state_conversations WHERE name = ? AND key_index = ?",
            (name, self._index(name, key)),
        )

    def put_data(self, table: DataTable, ident: int, blob: bytes) -> StateWrite:
        """Store a user's or chat's encrypted data."""
        key = str(int(ident))
        return StateWrite(
            "INSERT INTO state_data (kind, key_index, key_enc, data_enc) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind, key_index) DO UPDATE SET data_enc = excluded.data_enc",
            (table, self._index(table, key), self._key_blob(table, key), blob),
        )

    def drop_data(self, table: DataTable, ident: int) -> StateWrite:
        """Forget a user's or chat's data."""
        return StateWrite(
            "DELETE FROM state_data WHERE kind = ? AND key_index = ?",
            (table, self._index(table, str(int(ident)))),
        )

    def data_index(self, table: DataTable, ident: int) -> str:
        """The key_index of one user's or chat's row (to look it up)."""
        return self._index(table, str(int(ident)))

    async def apply(self, tx: Tx, writes: Iterable[StateWrite]) -> None:
        """Carry out writes, in order, in the caller's transaction."""
        for write in writes:
            await run(tx, write.sql, write.params)

    async def adopt_legacy(self, tx: Tx) -> int:
        """Move rows of the tables keyed by clear ids (before migration 0014) to these."""
        moved = 0
        for table, key in _LEGACY_KEY.items():
            async with tx.execute(f"SELECT {key}, data_enc FROM {table}") as cur:
                rows: list[Row] = list(await cur.fetchall())
            for ident, blob in rows:
                kind: DataTable = "user_data" if table == "user_data" else "chat_data"
                await self.apply(tx, [self.put_data(kind, int(ident), bytes(blob))])
            await tx.execute(f"DELETE FROM {table}")
            moved += len(rows)
        async with tx.execute("SELECT name, key, state FROM conversations") as cur:
            rows = list(await cur.fetchall())
        for name, key, state in rows:
            await self.apply(tx, [self.set_conversation(str(name), str(key), str(state))])
        await tx.execute("DELETE FROM conversations")
        return moved + len(rows)

    def index_of_blob(self, scope: str, blob: bytes) -> str:
        """The blind index, under the current key, of a row whose encrypted key is ``blob``."""
        return self._index(scope, self._key_text(scope, blob))

    async def reindex(self, tx: Tx) -> int:
        """Recompute every blind index (after a key rotation; the blobs are re-encrypted)."""
        count = 0
        for table, scope_col in (("state_data", "kind"), ("state_conversations", "name")):
            async with tx.execute(f"SELECT rowid, {scope_col}, key_enc FROM {table}") as cur:
                rows: list[Row] = list(await cur.fetchall())
            for rowid, scope, blob in rows:
                key = self._key_text(str(scope), bytes(blob))
                await tx.execute(
                    f"UPDATE {table} SET key_index = ? WHERE rowid = ?",
                    (self._index(str(scope), key), rowid),
                )
            count += len(rows)
        return count
