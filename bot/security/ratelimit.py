"""A per-user token bucket with an injected clock (no sleeping, no background task)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bot.clock import Clock

__all__ = ["Decision", "RateLimiter"]


class Decision(Enum):
    """What to do with one update."""

    ALLOW = "allow"
    WARN = "warn"  # over the limit: tell the user once, then drop
    DROP = "drop"  # over the limit and already told


@dataclass
class _Bucket:
    tokens: float
    at: datetime
    warned: bool = False


class RateLimiter:
    """``capacity`` updates at once, refilled at ``capacity`` per ``period`` seconds."""

    def __init__(
        self, clock: Clock, *, capacity: int = 30, period: float = 60.0, max_users: int = 10_000
    ) -> None:
        if capacity < 1 or period <= 0:
            raise ValueError("capacity must be >= 1 and period > 0")
        self.clock = clock
        self.capacity = float(capacity)
        self.rate = capacity / period
        self.max_users = max_users
        self._buckets: dict[int, _Bucket] = {}

    def _refill(self, bucket: _Bucket, now: datetime) -> None:
        elapsed = max(0.0, (now - bucket.at).total_seconds())
        bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.rate)
        bucket.at = now

    def check(self, user_id: int) -> Decision:
        """Take one token for this user's update."""
        now = self.clock.now()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= self.max_users:
                self._prune(now)
            bucket = self._buckets[user_id] = _Bucket(self.capacity, now)
        self._refill(bucket, now)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.warned = False
            return Decision.ALLOW
        if bucket.warned:
            return Decision.DROP
        bucket.warned = True
        return Decision.WARN

    def _prune(self, now: datetime) -> None:
        """Forget users whose bucket is full again (they lose nothing)."""
        for uid, b in list(self._buckets.items()):
            self._refill(b, now)
            if b.tokens >= self.capacity:
                del self._buckets[uid]
        if len(self._buckets) >= self.max_users:  # everyone is flooding: forget the oldest
            for uid in list(self._buckets)[: len(self._buckets) // 2]:
                del self._buckets[uid]

    def tracked(self) -> int:
        """How many users are being tracked (for tests)."""
        return len(self._buckets)
