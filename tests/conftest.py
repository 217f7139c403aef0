"""Shared fixtures: a fake clock at a known office time, an offline bot harness."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.testing.harness import Harness
from tests.stores import db_target, pg_server, store_kind

__all__ = ["clock", "db_target", "harness", "pg_server", "store_kind"]

# Monday 2 March 2026, 10:00 WIB: every example office is open.
MONDAY_10_WIB = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    """A clock that only moves when a test moves it."""
    return FakeClock(MONDAY_10_WIB)


@pytest.fixture
async def harness(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """The real Application on a fresh database, talking to an in-process fake Telegram."""
    h = await Harness.create(tmp_path, clock=clock)
    try:
        yield h
    finally:
        await h.stop()
