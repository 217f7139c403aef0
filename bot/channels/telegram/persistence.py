"""python-telegram-bot persistence on the bot's SQLite store, JSON encrypted, committed at once."""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.channels.telegram.lanes import InFlight
from bot.crypto import Cipher
from bot.store.conversations import DataTable, StateStore, StateWrite
from bot.store.db import Database

__all__ = ["SEEN_KEY", "SqlitePersistence", "is_empty"]

UD = dict[str, Any]
# what one write is about: ("user_data" | "chat_data", id) or (conversation name, key JSON)
Target = tuple[str, str]

# the update whose state is being flushed in this task (writes about no update in flight join it)
_FLUSHING: contextvars.ContextVar[int | None] = contextvars.ContextVar("flushing", default=None)

# user/chat data key: when the user or chat was last seen (ISO), for expiry; alone it is nothing
# worth keeping
SEEN_KEY = "seen"


def _digest(text: str) -> bytes:
    """What a state row says, summed up (16 bytes kept per row instead of its JSON)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


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
        # updates in flight (chat and user ids -> update id), shared with the inbox runner
        self.in_flight = InFlight()
        # while an update is held, writes about its chat or user are collected and committed by
        # the inbox runner together with "this update is done", so a crash can never replay an
        # update on top of its own state; several updates (of different chats) may be held
        self._held: dict[int, dict[Target, StateWrite]] = {}
        # a digest of what each row says as last committed by this process (rows this
        # process keeps: PTB holds their data in memory too), and of what held or released
        # writes will make it say (None: no row): a write that would change nothing (a
        # conversation still at its question, a chat's data as it was) is not made
        self._stored: dict[Target, bytes] = {}
        self._digests: dict[int, dict[Target, bytes | None]] = {}
        self._unsettled: dict[int, dict[Target, bytes | None]] = {}

    def hold(self, update_id: int) -> None:
        """Collect the writes about this update's chat and user (until ``release``)."""
        self._held[update_id] = {}
        self._digests[update_id] = {}

    @contextmanager
    def flushing(self, update_id: int) -> Iterator[None]:
        """Writes made now that concern no update in flight belong to ``update_id``."""
        token = _FLUSHING.set(update_id)
        try:
            yield
        finally:
            _FLUSHING.reset(token)

    def release(self, update_id: int) -> list[StateWrite]:
        """Stop collecting for one update; its writes (the last per row) for its transaction.
        Call ``settle`` once that transaction committed (or ``discard`` if it did not)."""
        self._unsettled[update_id] = self._digests.pop(update_id, {})
        return list(self._held.pop(update_id, {}).values())

    def settle(self, update_id: int) -> None:
        """The released writes of this update are committed: the rows say what they wrote."""
        for target, digest in self._unsettled.pop(update_id, {}).items():
            self._remember(target, digest)

    def _remember(self, target: Target, digest: bytes | None) -> None:
        if digest is None:
            self._stored.pop(target, None)  # no row: nothing kept for it
        else:
            self._stored[target] = digest

    def discard(self, update_id: int) -> None:
        """The released writes of this update were not committed (nothing is known of them)."""
        for target in self._unsettled.pop(update_id, {}):
            self._stored.pop(target, None)

    def _unchanged(self, target: Target, digest: bytes | None) -> bool:
        """Whether the row already says what ``digest`` sums up and no write of it is waiting
        to commit (a row to drop is always dropped: nothing is kept of rows that are gone)."""
        if digest is None or self._stored.get(target) != digest:
            return False
        waiting = (*self._digests.values(), *self._unsettled.values())
        return not any(target in digests for digests in waiting)

    def _holder(self, idents: tuple[object, ...]) -> int | None:
        """The update a write about these ids is held for: the update in flight for one of
        them, else the update being flushed; None to commit at once (no update is handled)."""
        for ident in idents:
            owner = self.in_flight.owner(ident)
            if owner is not None and owner in self._held:
                return owner
        flushing = _FLUSHING.get()
        return flushing if flushing is not None and flushing in self._held else None

    async def _write(
        self,
        target: Target,
        idents: tuple[object, ...],
        write: StateWrite,
        digest: bytes | None,
    ) -> None:
        """Hold ``write`` for the update in flight, or commit it now; ``digest`` sums up what
        the row then says (None: no row)."""
        holder = self._holder(idents)
        if holder is not None:
            held = self._held[holder]
            held.pop(target, None)  # the newest write of a row wins, in the order made
            held[target] = write
            self._digests[holder][target] = digest
            return
        self._stored.pop(target, None)  # unknown until committed
        async with self.db.transaction() as tx:
            await self.store.apply(tx, [write])
        self._remember(target, digest)

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
        target = (f"conversation:{name}", k)
        if new_state is None:
            await self._write(target, tuple(key), self.store.end_conversation(name, k), None)
            return
        text = json.dumps(new_state)
        digest = _digest(text)
        if not self._unchanged(target, digest):
            write = self.store.set_conversation(name, k, text)
            await self._write(target, tuple(key), write, digest)

    async def update_user_data(self, user_id: int, data: UD) -> None:
        """Write one user's data."""
        await self._upsert("user_data", user_id, data)

    async def update_chat_data(self, chat_id: int, data: UD) -> None:
        """Write one chat's data."""
        await self._upsert("chat_data", chat_id, data)

    async def _upsert(self, table: DataTable, ident: int, data: UD) -> None:
        target = (table, str(ident))
        if is_empty(data):
            # nothing to keep (a visitor who only said /start, a finished or deleted form):
            # no row is left behind with this user's or chat's id
            await self._write(target, (ident,), self.store.drop_data(table, ident), None)
            return
        text = self.cipher.json_text(data)
        digest = _digest(text)
        if self._unchanged(target, digest):
            return
        blob = self.cipher.encrypt(text.encode("utf-8"), context=table.encode())
        await self._write(target, (ident,), self.store.put_data(table, ident, blob), digest)

    async def update_bot_data(self, data: UD) -> None:
        """Not persisted."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Not used."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Forget a chat."""
        write = self.store.drop_data("chat_data", chat_id)
        await self._write(("chat_data", str(chat_id)), (chat_id,), write, None)

    async def drop_user_data(self, user_id: int) -> None:
        """Forget a user."""
        write = self.store.drop_data("user_data", user_id)
        await self._write(("user_data", str(user_id)), (user_id,), write, None)

    async def refresh_user_data(self, user_id: int, user_data: UD) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def refresh_chat_data(self, chat_id: int, chat_data: UD) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def refresh_bot_data(self, bot_data: UD) -> None:
        """Nothing to refresh."""

    async def flush(self) -> None:
        """Every write is already committed."""
