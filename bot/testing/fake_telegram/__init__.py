"""In-memory fake of the Telegram Bot API for offline tests, demos and end-to-end runs."""

from bot.testing.fake_telegram.api import BotApi
from bot.testing.fake_telegram.models import (
    CallbackAnswer,
    MessageVersion,
    SentMessage,
    StoredFile,
)
from bot.testing.fake_telegram.protocol import FakeConnectionDroppedError, FaultKind
from bot.testing.fake_telegram.simulation import Simulation

__all__ = [
    "CallbackAnswer",
    "FakeConnectionDroppedError",
    "FakeTelegram",
    "FaultKind",
    "MessageVersion",
    "SentMessage",
    "StoredFile",
]


class FakeTelegram(Simulation, BotApi):
    """An in-memory Bot API server with a simulation API for tests."""
