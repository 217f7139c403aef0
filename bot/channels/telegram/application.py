"""The bot's python-telegram-bot Application: the roster read before each update, and state
handed to the persistence without PTB's copies."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.ext._handlers.conversationhandler import PendingState
from telegram.ext._utils.trackingdict import TrackingDict

from bot.channels.telegram.context import BotApp
from bot.channels.telegram.persistence import SqlitePersistence

__all__ = ["PpaApplication"]

log = logging.getLogger(__name__)


class PpaApplication(BotApp):
    """PTB's Application that reads the roster before each update, with a cheaper
    ``update_persistence``.

    The roster: another process (or an earlier run) may have approved or removed someone;
    every handler's roster check then sees the database's roster. Not a handler: a handler
    seeing every update would make PTB store user data for strangers.

    The persistence: PTB deep-copies every marked user's and chat's data and runs each write as
    a task of its own, so that a persistence may keep the data and write it later.
    ``SqlitePersistence`` turns the data into encrypted JSON at once (a snapshot), so the copies
    and the tasks were only cost: a tenth of the bot's own time per update. The same writes are
    made, in PTB's order (chats, users, conversations), and an error goes to the error handlers
    as in PTB.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._writing = asyncio.Lock()

    async def process_update(self, update: object) -> None:
        """Refresh the roster (a failure keeps the roster last read), then handle the update."""
        found = self.bot_data.get("deps")
        if found is not None:
            try:
                await found.services.refresh_roster()
            except Exception as exc:
                log.warning("roster not refreshed: %s", type(exc).__name__)
        await super().process_update(update)

    async def update_persistence(self) -> None:
        """Hand every marked user's and chat's data and every changed conversation state to
        the persistence (held for the update in flight, or committed at once)."""
        persistence = self.persistence
        if not isinstance(persistence, SqlitePersistence):
            await super().update_persistence()
            return
        async with self._writing:
            for error in await self._write_marked(persistence):
                await self.process_error(error=error, update=None)

    async def _write_marked(self, persistence: SqlitePersistence) -> list[Exception]:
        errors: list[Exception] = []

        async def attempt(write: Any) -> None:
            try:
                await write
            except Exception as exc:
                errors.append(exc)

        # PTB's own bookkeeping of what changed (the same attributes its method reads)
        kinds = (
            ("chat", self.chat_data, persistence.update_chat_data, persistence.drop_chat_data),
            ("user", self.user_data, persistence.update_user_data, persistence.drop_user_data),
        )
        for kind, data, write, drop in kinds:
            update_attr = f"_{kind}_ids_to_be_updated_in_persistence"
            delete_attr = f"_{kind}_ids_to_be_deleted_in_persistence"
            changed: set[int] = getattr(self, update_attr)
            deleted: set[int] = getattr(self, delete_attr)
            setattr(self, update_attr, set())
            setattr(self, delete_attr, set())
            for ident in changed - deleted:
                await attempt(write(ident, data[ident]))
            for ident in deleted:
                await attempt(drop(ident))
        for name, states in self._conversation_handler_conversations.items():
            for key, state in states.pop_accessed_write_items():
                if isinstance(state, PendingState):  # a non-blocking handler (none here)
                    if not state.done():
                        states.mark_as_accessed(key)
                        state = state.old_state
                    else:
                        state = state.resolve()
                new_state = None if state is TrackingDict.DELETED else state
                await attempt(persistence.update_conversation(name, key, new_state))
        return errors
