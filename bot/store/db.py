"""One long-lived aiosqlite connection: WAL, foreign keys, migrations, transactions."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeAlias

import aiosqlite

__all__ = ["Database", "Row", "Tx", "migrations"]

log = logging.getLogger(__name__)

# what callers outside bot/store hold: an open transaction (or read) handle, and a row of it
Tx: TypeAlias = aiosqlite.Connection
Row: TypeAlias = aiosqlite.Row

_CHECKPOINT = "PRAGMA wal_checkpoint(TRUNCATE)"


def migrations() -> list[tuple[int, str, str]]:
    """Numbered migration scripts shipped in bot/store/migrations (number, name, sql)."""
    found: list[tuple[int, str, str]] = []
    for entry in resources.files("bot.store").joinpath("migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001.. without gaps, got {numbers}")
    return found


class Database:
    """The application's single connection; all writes go through ``transaction()``."""

    def __init__(self, conn: Tx, path: str) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> Database:
        """Open (creating folders), set pragmas and apply pending migrations."""
        p = str(path)
        if p != ":memory:":
            Path(p).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(p, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA secure_delete=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        db = cls(conn, p)
        if migrate:
            await db.migrate()
        return db

    async def close(self) -> None:
        """Checkpoint the WAL and close."""
        try:
            await self.conn.execute(_CHECKPOINT)
        finally:
            await self.conn.close()

    async def version(self) -> int:
        """Current schema version (PRAGMA user_version)."""
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> list[str]:
        """Apply migrations newer than user_version, each in its own transaction."""
        applied: list[str] = []
        current = await self.version()
        for number, name, sql in migrations():
            if number <= current:
                continue
            async with self._lock:
                await self.conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _split_sql(sql):
                        await self.conn.execute(statement)
                    await self.conn.execute(f"PRAGMA user_version = {number}")
                    await self.conn.execute("COMMIT")
                except BaseException:
                    await self.conn.execute("ROLLBACK")
                    raise
            log.info("applied migration %s", name)
            applied.append(name)
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error; serialised."""
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            await self.conn.execute("COMMIT")

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Tx]:
        """The connection for reads, serialised with writers (no transaction opened)."""
        async with self._lock:
            yield self.conn

    async def checkpoint(self) -> None:
        """Move the WAL into the database file and truncate it."""
        async with self.reading() as tx, tx.execute(_CHECKPOINT) as cur:
            await cur.fetchall()

    async def scrub(self) -> list[tuple[str, str]]:
        """Checkpoint, then VACUUM: no old bytes linger; (statement, why) of each one skipped."""
        skipped: list[tuple[str, str]] = []
        async with self.reading() as tx:
            for statement in (_CHECKPOINT, "VACUUM"):
                try:
                    async with tx.execute(statement) as cur:
                        await cur.fetchall()
                except sqlite3.OperationalError as exc:
                    skipped.append((statement, str(exc)))
        return skipped

    async def fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        """Read one row outside a transaction."""
        async with self._lock, self.conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        """Read all rows outside a transaction."""
        async with self._lock, self.conn.execute(sql, params) as cur:
            return list(await cur.fetchall())


def _split_sql(sql: str) -> list[str]:
    """Split a migration into complete statements (triggers included)."""
    out: list[str] = []
    buf: list[str] = []
    for line in sql.splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        text = "\n".join(buf).strip()
        if text and sqlite3.complete_statement(text):
            out.append(text)
            buf = []
    if "\n".join(buf).strip():
        raise RuntimeError("migration ends with an incomplete statement")
    return out
