"""Fault injection and rate limits: make Bot API calls fail like Telegram sometimes does."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from bot.testing.fake_telegram.models import Fault, Limits
from bot.testing.fake_telegram.protocol import (
    FAULT_KINDS,
    ApiError,
    FakeConnectionDroppedError,
    FaultKind,
    JSONDict,
)
from bot.testing.fake_telegram.state import FakeState

__all__ = ["FaultInjection"]


class FaultInjection(FakeState):
    """Injected faults (429, 500, hangs, dropped connections) and Telegram's rate limits."""

    def fail_next(
        self,
        method: str | None,
        n: int = 1,
        kind: FaultKind = "500",
        retry_after: int = 1,
    ) -> None:
        """Make the next n calls (of method, or of any method when None) fail with kind."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        if n < 1:
            raise ValueError("n must be at least 1")
        self._faults.append(Fault(method.lower() if method else None, n, kind, retry_after))

    def clear_faults(self) -> None:
        """Forget pending faults and release hung calls."""
        self._faults.clear()
        self.release_hung()

    def release_hung(self) -> None:
        """Wake every call hanging on a 'timeout' fault (it then answers 502)."""
        self._release_signal.notify()

    def enforce_limits(
        self,
        per_chat_per_sec: int = 1,
        per_group_per_min: int = 20,
        global_per_sec: int = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Answer 429 when sending methods exceed Telegram's documented rate limits."""
        self._limits = Limits(per_chat_per_sec, per_group_per_min, global_per_sec, clock)
        self._sent_times.clear()
        self._global_times.clear()

    def disable_limits(self) -> None:
        """Stop enforcing rate limits."""
        self._limits = None

    def _take_fault(self, name: str) -> Fault | None:
        for fault in self._faults:
            if fault.method is None or fault.method == name:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _apply_fault(self, fault: Fault) -> tuple[int, JSONDict]:
        if fault.kind == "429":
            self.too_many_requests += 1
            err = ApiError(
                429, f"Too Many Requests: retry after {fault.retry_after}", fault.retry_after
            )
            return 429, err.payload()
        if fault.kind == "500":
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        if fault.kind == "drop":
            raise FakeConnectionDroppedError("connection closed by the fake Bot API")
        await self._release_signal.wait(self.hang_seconds)
        return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}

    def _check_rate(self, chat_id: int) -> None:
        limits = self._limits
        if limits is None:
            return
        now = limits.clock()
        while self._global_times and self._global_times[0] <= now - 1.0:
            self._global_times.popleft()
        if len(self._global_times) >= limits.global_per_sec:
            raise self._too_many(self._global_times[0] + 1.0 - now)
        if chat_id < 0:
            window, allowed = 60.0, limits.per_group_per_min
        else:
            window, allowed = 1.0, limits.per_chat_per_sec
        times = self._sent_times.setdefault(chat_id, deque())
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) >= allowed:
            raise self._too_many(times[0] + window - now)
        times.append(now)
        self._global_times.append(now)

    @staticmethod
    def _too_many(wait: float) -> ApiError:
        retry_after = max(1, math.ceil(wait))
        return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
