"""SQLite's statements run in the event loop's thread (no hop to aiosqlite's worker and back);
VACUUM still goes to the worker thread; the old way stays available."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from bot.store import db as db_module
from bot.store.db import Database, InlineConnection
from bot.store.pg import PgConnection

# SQLite's connection in the loop's thread and its worker thread
pytestmark = pytest.mark.sqlite_only


async def _thread_of_a_statement(db: Database) -> int:
    assert not isinstance(db.conn, PgConnection)
    await db.conn.create_function("thread_id", 0, threading.get_ident)
    async with db.reading() as conn, conn.execute("SELECT thread_id()") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_statements_run_in_the_loop_thread(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "ppa.sqlite3")
    try:
        assert isinstance(db.conn, InlineConnection)
        assert await _thread_of_a_statement(db) == threading.get_ident()
        async with db.transaction() as conn:  # a transaction commits as before
            await conn.execute("INSERT INTO inbox (update_id, received_at) VALUES (1, 'now')")
        assert await db.fetchone("SELECT update_id FROM inbox") is not None
    finally:
        await db.close()


async def test_the_worker_thread_is_still_there_when_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "INLINE_SQLITE", False)
    db = await Database.open(tmp_path / "ppa.sqlite3")
    try:
        assert not isinstance(db.conn, InlineConnection)
        assert await _thread_of_a_statement(db) != threading.get_ident()
    finally:
        await db.close()


async def test_vacuum_runs_in_the_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = await Database.open(tmp_path / "ppa.sqlite3")
    threads: dict[str, int] = {}
    raw = db.conn._conn  # type: ignore[union-attr]

    def trace(statement: str) -> None:
        if statement.strip().upper().startswith("VACUUM"):
            threads["vacuum"] = threading.get_ident()

    raw.set_trace_callback(trace)
    try:
        assert await db.scrub() == []
        assert "vacuum" in threads and threads["vacuum"] != threading.get_ident()
    finally:
        raw.set_trace_callback(None)
        await db.close()


async def test_a_long_run_of_statements_lets_other_tasks_run(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "ppa.sqlite3")
    ticks = 0
    running = True

    async def ticker() -> None:
        nonlocal ticks
        while running:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        await asyncio.sleep(0)
        before = ticks
        async with db.reading() as conn:
            began = time.monotonic()
            while time.monotonic() - began < 20 * db_module.YIELD_EVERY:  # no other await
                async with conn.execute("SELECT 1") as cur:
                    await cur.fetchone()
        assert ticks - before >= 5  # the loop ran the other task every YIELD_EVERY or so
    finally:
        running = False
        await task
        await db.close()
