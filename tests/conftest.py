"""Shared fixtures: a fake clock at a known office time, an offline bot harness."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.testing.harness import Harness
from tests.stores import STORES, db_target, paths_on_postgresql, pg_server, store_kind

# paths_on_postgresql (autouse): under PPA_TEST_STORE=postgresql every database a test opens
# by a file path is a PostgreSQL one (tests/stores.py)
__all__ = ["clock", "db_target", "harness", "paths_on_postgresql", "pg_server", "store_kind"]

# tests of what only PostgreSQL has (files named *postgresql_only.py, and the e2e failover):
# not collected at all without PPA_TEST_POSTGRESQL=1
_PG_ONLY = ["integration/test_postgresql_only.py", "integration/test_leadership_postgresql_only.py",
            "e2e/test_failover.py"]  # fmt: skip
collect_ignore = [] if "postgresql" in STORES else _PG_ONLY

# Monday 2 March 2026, 10:00 WIB: every example office is open.
MONDAY_10_WIB = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each test using ``db_target`` runs once per store (tests/stores.py); one marked
    ``sqlite_only`` (it reads SQLite's own files or pragmas) on SQLite alone, and those of
    the PostgreSQL-only files on PostgreSQL alone."""
    if "store_kind" not in metafunc.fixturenames:
        return
    stores = STORES
    if metafunc.module.__name__.endswith("postgresql_only"):
        stores = ["postgresql"]
    elif metafunc.definition.get_closest_marker("sqlite_only"):
        stores = ["sqlite"]
    metafunc.parametrize("store_kind", stores, indirect=True)


@pytest.fixture
def clock() -> FakeClock:
    """A clock that only moves when a test moves it."""
    return FakeClock(MONDAY_10_WIB)


@pytest.fixture
async def harness(
    tmp_path: Path, clock: FakeClock, db_target: str | Path
) -> AsyncIterator[Harness]:
    """The real Application on a fresh database (each store), talking to a fake Telegram."""
    h = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        yield h
    finally:
        await h.stop()
