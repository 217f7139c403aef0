"""Closing the store while a cancelled job's statement is still open does not fail the exit."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.store.db import Database

pytestmark = pytest.mark.sqlite_only  # SQLite's WAL checkpoint at close


async def test_close_with_an_unfinished_statement_skips_the_checkpoint(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = await Database.open(tmp_path / "ppa.sqlite3")
    async with db.transaction() as tx:
        for i in range(50):
            await tx.execute(
                "INSERT INTO audit_log (at, actor, action, prev_hash, hash) VALUES (?,?,?,?,?)",
                (f"t{i}", "a", "x", "p", f"h{i}"),
            )
    # what a sweep job cancelled at shutdown leaves behind: a statement never finalized
    cursor = await db.conn.execute("SELECT id FROM audit_log")
    assert await cursor.fetchone() is not None
    caplog.set_level(logging.WARNING)
    await db.close()  # before: sqlite3.OperationalError (database table is locked), exit 1
    assert "checkpoint at close skipped" in caplog.text
    again = await Database.open(tmp_path / "ppa.sqlite3")
    try:
        row = await again.fetchone("SELECT COUNT(*) FROM audit_log")
        assert row is not None and row[0] == 50  # nothing lost: the WAL is replayed
    finally:
        await again.close()
