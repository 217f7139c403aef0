"""The fake's state: bot identity, chats, users, messages, files and wake-up signals."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable

from bot.testing.fake_telegram.models import (
    CallbackAnswer,
    Fault,
    Limits,
    SentMessage,
    StoredFile,
)
from bot.testing.fake_telegram.protocol import Handler, JSONDict

__all__ = ["FakeState", "Signal"]


class Signal:
    """A wake-up signal that sync code may fire and coroutines may await with a timeout."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        """Wake every current waiter."""
        waiters, self._waiters = self._waiters, set()
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait(self, seconds: float | None) -> bool:
        """Wait for the next notify; return False when the given seconds passed first."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(fut)
        try:
            async with asyncio.timeout(seconds):
                await fut
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(fut)
        return True


class FakeState:
    """The in-memory data behind the fake Bot API, and the helpers that shape it as JSON."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int = 7000000001,
        bot_username: str = "ppa_uji_bot",
        bot_first_name: str = "PPA Bot Uji",
        clock: Callable[[], float] = time.time,
        hang_seconds: float = 3600.0,
        first_update_id: int = 1,
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.clock = clock
        self.hang_seconds = hang_seconds
        self.next_update_id = first_update_id
        self.users: dict[int, JSONDict] = {}
        self.chats: dict[int, JSONDict] = {}
        self.started_users: set[int] = set()
        self.blocked_users: set[int] = set()
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.settings: dict[str, JSONDict] = {}
        self.left_chats: list[int] = []
        self.deleted_user_messages: list[tuple[int, int]] = []
        self.calls: deque[tuple[str, JSONDict]] = deque(maxlen=10_000)
        self.call_counts: Counter[str] = Counter()
        self.too_many_requests = 0
        self.updates_total = 0
        self._updates: list[JSONDict] = []
        self._sent: dict[tuple[int, int], SentMessage] = {}
        self._user_messages: dict[tuple[int, int], JSONDict] = {}
        self._next_message_id: dict[int, int] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = 0
        self._open_callbacks: dict[str, int] = {}
        self._callback_counter = 0
        self._faults: list[Fault] = []
        self._limits: Limits | None = None
        self._sent_times: dict[int, deque[float]] = {}
        self._global_times: deque[float] = deque()
        self._poll_generation = 0
        self._updates_signal = Signal()
        self._messages_signal = Signal()
        self._release_signal = Signal()
        self._methods = self._handlers()

    def _handlers(self) -> dict[str, Handler]:
        """Return the Bot API method table (the API layer fills it in)."""
        return {}

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _store_sent(self, message: SentMessage) -> SentMessage:
        self._sent[(message.chat_id, message.message_id)] = message
        self._messages_signal.notify()
        return message

    def _message_json(self, message: SentMessage) -> JSONDict:
        data: JSONDict = {
            "message_id": message.message_id,
            "from": self._bot_user(),
            "chat": self.chats.get(message.chat_id, {"id": message.chat_id, "type": "private"}),
            "date": message.date,
        }
        if message.kind == "text":
            data["text"] = message.plain_text or ""
        elif message.plain_text:
            data["caption"] = message.plain_text
        stored = self._files.get(message.file_id or "")
        if message.kind == "document" and stored:
            data["document"] = self._document_json(stored)
        if message.kind == "photo" and stored:
            data["photo"] = [self._photo_json(stored)]
        if message.buttons and message.reply_markup:
            data["reply_markup"] = {"inline_keyboard": message.reply_markup["inline_keyboard"]}
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        return data

    def store_file(
        self,
        data: bytes,
        *,
        kind: str = "documents",
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        """Store bytes under a new file_id and file_path (served for downloads)."""
        self._file_counter += 1
        n = self._file_counter
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photos":
            suffix = ".jpg"
        elif kind == "voice":
            suffix = ".oga"
        elif kind == "stickers":
            suffix = ".webp"
        stored = StoredFile(
            file_id=f"FAKE-{kind}-{n:06d}",
            file_unique_id=f"U{n:06d}",
            file_path=f"{kind}/file_{n}{suffix}",
            data=bytes(data),
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def file(self, file_id: str) -> StoredFile:
        """Return a stored file by id (raises KeyError if unknown)."""
        return self._files[file_id]

    @staticmethod
    def _document_json(stored: StoredFile) -> JSONDict:
        data: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            data["file_name"] = stored.file_name
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
        return data

    @staticmethod
    def _photo_json(stored: StoredFile) -> JSONDict:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "width": 800,
            "height": 600,
        }
