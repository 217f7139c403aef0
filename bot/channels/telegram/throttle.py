"""Telegram's send limits as a throttle: ask when a message to a chat may go, then record it."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.clock import FakeClock

__all__ = ["Monotonic", "Sleep", "Throttle", "VirtualTime"]

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

_GROUP_WINDOW = 60.0
_SECOND = 1.0


class Throttle:
    """Sliding windows: all chats per second, one private chat per second, one group per minute."""

    def __init__(
        self,
        *,
        per_chat_per_sec: int = 1,
        per_group_per_min: int = 20,
        global_per_sec: int = 30,
        margin: float = 0.05,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if min(per_chat_per_sec, per_group_per_min, global_per_sec) < 1 or margin < 0:
            raise ValueError("limits must be at least 1 and the margin not negative")
        self.per_chat_per_sec = per_chat_per_sec
        self.per_group_per_min = per_group_per_min
        self.global_per_sec = global_per_sec
        self.margin = margin
        self.monotonic = monotonic
        self.sleep = sleep
        self._global: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}
        self._paused: dict[int, float] = {}
        self._paused_all = -math.inf

    @staticmethod
    def is_group(chat_id: int) -> bool:
        """Groups and channels have negative ids."""
        return chat_id < 0

    def _window(self, chat_id: int) -> float:
        return _GROUP_WINDOW if self.is_group(chat_id) else _SECOND

    def _prune(self, now: float) -> None:
        while self._global and self._global[0] <= now - _SECOND:
            self._global.popleft()
        if len(self._chats) > 1000:
            stale = [c for c, q in self._chats.items() if not q or q[-1] <= now - _GROUP_WINDOW]
            for chat in stale:
                del self._chats[chat]

    def _recent(self, chat_id: int, now: float, window: float) -> list[float]:
        return [t for t in self._chats.get(chat_id, ()) if t > now - window]

    def ready_at(self, chat_id: int) -> float:
        """The monotonic time from which a message to the chat is within every limit."""
        now = self.monotonic()
        self._prune(now)
        ready = max(now, self._paused_all, self._paused.get(chat_id, -math.inf))
        if len(self._global) >= self.global_per_sec:
            ready = max(ready, self._global[-self.global_per_sec] + _SECOND + self.margin)
        window = self._window(chat_id)
        allowed = self.per_group_per_min if self.is_group(chat_id) else self.per_chat_per_sec
        recent = self._recent(chat_id, now, window)
        if len(recent) >= allowed:
            ready = max(ready, recent[-allowed] + window + self.margin)
        return ready

    def delay(self, chat_id: int) -> float:
        """Seconds to wait before a message to the chat may go (0 when it may go now)."""
        return max(0.0, self.ready_at(chat_id) - self.monotonic())

    def remaining(self, chat_id: int) -> int:
        """Messages the chat may still receive in its window (a group's minute, a chat's second)."""
        allowed = self.per_group_per_min if self.is_group(chat_id) else self.per_chat_per_sec
        recent = self._recent(chat_id, self.monotonic(), self._window(chat_id))
        return max(0, allowed - len(recent))

    def record(self, chat_id: int) -> None:
        """Note that a message to the chat was just sent."""
        now = self.monotonic()
        self._prune(now)
        self._global.append(now)
        times = self._chats.setdefault(chat_id, deque())
        times.append(now)
        window = self._window(chat_id)
        while times and times[0] <= now - window:
            times.popleft()

    def pause(self, chat_id: int, seconds: float) -> None:
        """Send nothing to the chat for ``seconds`` (Telegram answered 429 RetryAfter)."""
        until = self.monotonic() + max(0.0, seconds)
        self._paused[chat_id] = max(self._paused.get(chat_id, -math.inf), until)

    def pause_all(self, seconds: float) -> None:
        """Send nothing at all for ``seconds``."""
        self._paused_all = max(self._paused_all, self.monotonic() + max(0.0, seconds))

    async def acquire(self, chat_id: int, max_wait: float = math.inf) -> bool:
        """Wait until the chat may receive a message and record it; False if that takes too long."""
        start = self.monotonic()
        while (wait := self.delay(chat_id)) > 0:
            if self.monotonic() - start + wait > max_wait:
                return False
            await self.sleep(wait)
        self.record(chat_id)
        return True


class VirtualTime:
    """Simulated time for tests and benchmarks: sleeping moves a FakeClock instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self._origin: datetime = clock.now()
        self.slept = 0.0

    def monotonic(self) -> float:
        """Seconds since this object was made, on the fake clock."""
        return (self.clock.now() - self._origin).total_seconds()

    async def sleep(self, seconds: float) -> None:
        """Advance the fake clock by ``seconds`` and let other tasks run."""
        if seconds > 0:
            step = math.ceil(seconds * 1_000_000)  # whole microseconds, never short
            self.clock.advance(microseconds=step)
            self.slept += step / 1_000_000
        await asyncio.sleep(0)
