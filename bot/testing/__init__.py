"""Offline stand-ins for the Telegram Bot API (in-process and over loopback HTTP)."""

from bot.testing.fake_request import FakeRequest
from bot.testing.fake_telegram import (
    CallbackAnswer,
    FakeConnectionDroppedError,
    FakeTelegram,
    FaultKind,
    MessageVersion,
    SentMessage,
    StoredFile,
)

__all__ = [
    "CallbackAnswer",
    "FakeConnectionDroppedError",
    "FakeRequest",
    "FakeTelegram",
    "FaultKind",
    "MessageVersion",
    "SentMessage",
    "StoredFile",
]
