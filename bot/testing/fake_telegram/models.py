"""Records the fake Bot API keeps: sent messages, their edits, callback answers and files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.testing.fake_telegram.protocol import Buttons, FaultKind, JSONDict

__all__ = [
    "CallbackAnswer",
    "Fault",
    "Limits",
    "MessageVersion",
    "SentMessage",
    "StoredFile",
]


@dataclass(frozen=True)
class MessageVersion:
    """One earlier version of an edited bot message."""

    text: str | None
    parse_mode: str | None
    buttons: Buttons


@dataclass
class SentMessage:
    """A message the bot sent (text, or caption for documents and photos)."""

    chat_id: int
    message_id: int
    text: str | None
    parse_mode: str | None = None
    buttons: Buttons = field(default_factory=list)
    document: tuple[str, bytes] | None = None
    photo: bytes | None = None
    deleted: bool = False
    edits: list[MessageVersion] = field(default_factory=list)
    kind: Literal["text", "document", "photo"] = "text"
    plain_text: str | None = None
    reply_markup: JSONDict | None = None
    reply_keyboard: list[list[str]] = field(default_factory=list)
    file_id: str | None = None
    date: int = 0
    edit_date: int | None = None

    @property
    def button_labels(self) -> list[str]:
        """Return every inline button label, row by row."""
        return [label for row in self.buttons for label, _ in row]

    @property
    def callback_data(self) -> list[str]:
        """Return every inline button's callback data, row by row."""
        return [data for row in self.buttons for _, data in row if data is not None]

    def as_dict(self) -> JSONDict:
        """Return a JSON-friendly summary (file bytes reduced to their size)."""
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "kind": self.kind,
            "text": self.text,
            "plain_text": self.plain_text,
            "parse_mode": self.parse_mode,
            "buttons": [[list(button) for button in row] for row in self.buttons],
            "reply_keyboard": self.reply_keyboard,
            "document": (
                {"filename": self.document[0], "size": len(self.document[1])}
                if self.document
                else None
            ),
            "photo_size": len(self.photo) if self.photo is not None else None,
            "deleted": self.deleted,
            "edits": [
                {"text": v.text, "parse_mode": v.parse_mode, "buttons": v.buttons}
                for v in self.edits
            ],
            "date": self.date,
            "edit_date": self.edit_date,
        }


@dataclass(frozen=True)
class CallbackAnswer:
    """A recorded answerCallbackQuery call."""

    callback_query_id: str
    user_id: int
    text: str | None
    show_alert: bool
    url: str | None = None


@dataclass(frozen=True)
class StoredFile:
    """A file known to the fake (sent by a user or uploaded by the bot)."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None
    mime_type: str | None


@dataclass
class Fault:
    """A pending injected fault."""

    method: str | None
    remaining: int
    kind: FaultKind
    retry_after: int


@dataclass(frozen=True)
class Limits:
    """Rate limits enforced on sending methods."""

    per_chat_per_sec: int
    per_group_per_min: int
    global_per_sec: int
    clock: Callable[[], float]
