"""Injected clocks: the real one (optionally sped up) and a fake for tests."""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FakeClock", "SystemClock"]


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, running ``scale`` times faster from the moment it was made."""

    def __init__(self, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        self._origin = datetime.now(UTC)
        self._mono = _time.monotonic()

    def now(self) -> datetime:
        """Current (possibly accelerated) time."""
        if self.scale == 1.0:
            return datetime.now(UTC)
        elapsed = _time.monotonic() - self._mono
        return self._origin + timedelta(seconds=elapsed * self.scale)

    def real_seconds(self, seconds: float) -> float:
        """How many real seconds pass while ``seconds`` pass on this clock."""
        return seconds / self.scale


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Mon 09:00 WIB
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")

    def now(self) -> datetime:
        """The fake current time."""
        return self._now

    def advance(self, **kwargs: float) -> datetime:
        """Move forward by a timedelta given as keyword arguments."""
        self._now += timedelta(**kwargs)
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to a given aware time."""
        self._now = when
