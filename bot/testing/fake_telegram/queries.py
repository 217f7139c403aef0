"""Queries tests use to inspect what the bot sent, and to wait for its messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.testing.fake_telegram.models import SentMessage
from bot.testing.fake_telegram.protocol import JSONDict
from bot.testing.fake_telegram.state import FakeState

__all__ = ["Queries"]


class Queries(FakeState):
    """Read the bot's messages, buttons and counters."""

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[SentMessage]:
        """Return the bot's messages in a chat, oldest first."""
        found = [m for (c, _), m in self._sent.items() if c == chat_id]
        found.sort(key=lambda m: m.message_id)
        return [m for m in found if include_deleted or not m.deleted]

    def all_messages(self, *, include_deleted: bool = False) -> list[SentMessage]:
        """Return every bot message in every chat."""
        return [m for m in self._sent.values() if include_deleted or not m.deleted]

    def last_message(self, chat_id: int) -> SentMessage:
        """Return the bot's newest non-deleted message in a chat (LookupError if none)."""
        found = self.messages(chat_id)
        if not found:
            raise LookupError(f"the bot sent no message to chat {chat_id}")
        return found[-1]

    def button(self, chat_id: int, label_substring: str) -> tuple[int, str]:
        """Return (message_id, callback_data) of the newest button whose label contains text."""
        needle = label_substring.casefold()
        labels: list[str] = []
        for message in reversed(self.messages(chat_id)):
            for row in message.buttons:
                for label, data in row:
                    labels.append(label)
                    if data is not None and needle in label.casefold():
                        return message.message_id, data
        raise LookupError(
            f"no button containing {label_substring!r} in chat {chat_id}; buttons: {labels}"
        )

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test API
    ) -> None:
        """Wait until ``condition()`` holds, checked again at each message the bot sends."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0 or not await self._messages_signal.wait(remaining):
                raise TimeoutError(f"condition not met within {timeout}s")

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test API
        *,
        after_message_id: int = 0,
    ) -> SentMessage:
        """Wait until a bot message in the chat (id > after_message_id) satisfies predicate."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for message in reversed(self.messages(chat_id)):
                if message.message_id > after_message_id and (
                    predicate is None or predicate(message)
                ):
                    return message
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [m.plain_text or m.text for m in self.messages(chat_id)]
                raise TimeoutError(
                    f"no matching message in chat {chat_id} within {timeout}s; seen: {seen}"
                )
            await self._messages_signal.wait(remaining)

    def updates_pending(self) -> int:
        """Return how many updates are not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    def last_message_id(self, chat_id: int) -> int:
        """Return the newest message id used in a chat (0 if none)."""
        return self._next_message_id.get(chat_id, 1) - 1

    def stats(self) -> JSONDict:
        """Return counters for monitoring and the control API."""
        return {
            "updates_total": self.updates_total,
            "updates_pending": len(self._updates),
            "next_update_id": self.next_update_id,
            "messages_sent": len(self._sent),
            "messages_deleted": sum(1 for m in self._sent.values() if m.deleted),
            "callback_answers": len(self.callback_answers),
            "too_many_requests": self.too_many_requests,
            "faults_pending": sum(f.remaining for f in self._faults),
            "users": len(self.users),
            "chats": len(self.chats),
            "calls": dict(self.call_counts),
        }
