"""The leadership row (migration 0024) on both stores; SQLite keeps its lock file."""

from __future__ import annotations

from pathlib import Path

from bot.store.db import Database
from bot.store.leadership import current_epoch, fenced
from bot.store.pg_lock import PgInstanceLock, instance_lock
from tests.stores import query_now

__all__: list[str] = []


async def test_the_leadership_row_starts_at_epoch_zero(db_target: str | Path) -> None:
    db = await Database.open(db_target)
    await db.close()
    assert query_now(db_target, "SELECT id, epoch, holder FROM leadership") == [(1, 0, None)]


def test_sqlite_keeps_the_lock_file_and_postgresql_the_advisory_lock(
    db_target: str | Path,
) -> None:
    lock = instance_lock(db_target)
    if isinstance(db_target, Path):
        assert lock.path == Path(f"{db_target}.lock")
        assert lock.acquire()
        try:
            assert not instance_lock(db_target).acquire()  # a second process is refused
        finally:
            lock.release()
    else:
        assert isinstance(lock, PgInstanceLock)


def test_fenced_sets_and_restores_the_epoch_of_this_context() -> None:
    assert current_epoch() is None
    with fenced(3):
        assert current_epoch() == 3
        with fenced(4):
            assert current_epoch() == 4
        assert current_epoch() == 3
    assert current_epoch() is None
