"""The Database on a PostgreSQL server: one connection, the same migrations and transactions."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql

from bot.store.db import Database, Tx, migrations
from bot.store.leadership import check_fence
from bot.store.pg import PgConnection
from bot.store.pg_sql import redact_url, translate_migration

__all__ = ["PgDatabase", "pg_migrations"]

log = logging.getLogger(__name__)

# serialises migrations across processes (any constant; "ppa" in ASCII)
_MIGRATION_LOCK = 0x707061


def pg_migrations() -> list[tuple[int, str, str]]:
    """The migrations as PostgreSQL scripts: a shipped PostgreSQL version where SQLite's uses
    SQLite-only functions (bot/store/migrations/postgresql/), else SQLite's translated."""
    folder = resources.files("bot.store").joinpath("migrations").joinpath("postgresql")
    own = {e.name[:4]: e.read_text(encoding="utf-8") for e in folder.iterdir()
           if e.name.endswith(".sql")}  # fmt: skip
    return [
        (number, name, own.get(name[:4]) or translate_migration(sql))
        for number, name, sql in migrations()
    ]


class PgDatabase(Database):
    """The application's single PostgreSQL connection (autocommit between transactions)."""

    dialect = "postgresql"

    def __init__(self, conn: PgConnection, url: str) -> None:
        super().__init__(conn, redact_url(url))
        self.pg = conn

    @classmethod
    async def open(cls, path: object, *, migrate: bool = True) -> PgDatabase:
        """Connect, then apply pending migrations."""
        url = str(path)
        try:
            raw = await psycopg.AsyncConnection.connect(url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise RuntimeError(f"cannot connect to {redact_url(url)}: {exc}") from None
        await raw.execute("SET TIME ZONE 'UTC'")
        db = cls(PgConnection(raw, frozenset()), url)
        if migrate:
            await db.migrate()
        await db._load_id_tables()
        return db

    async def _load_id_tables(self) -> None:
        """The tables with an ``id`` column (an INSERT into one returns it as lastrowid)."""
        cur = await self.pg.raw.execute(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND column_name = 'id'"
        )
        self.pg.id_tables = frozenset(str(r[0]) for r in await cur.fetchall())

    async def close(self) -> None:
        """Close the connection (the server keeps its own write-ahead log)."""
        await self.pg.raw.close()

    async def version(self) -> int:
        """Current schema version (the single row of schema_version; 0 before any)."""
        cur = await self.pg.raw.execute("SELECT to_regclass('schema_version') IS NOT NULL")
        row = await cur.fetchone()
        if not row or not row[0]:
            return 0
        cur = await self.pg.raw.execute("SELECT version FROM schema_version")
        found = await cur.fetchone()
        return int(found[0]) if found else 0

    async def migrate(self) -> list[str]:
        """Apply newer migrations, each in its own transaction, one process at a time."""
        applied: list[str] = []
        raw = self.pg.raw
        async with self._lock:
            for number, name, script in pg_migrations():
                async with raw.transaction():
                    await raw.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                    await raw.execute(
                        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)"
                    )
                    cur = await raw.execute("SELECT version FROM schema_version")
                    row = await cur.fetchone()
                    if row is None:
                        await raw.execute("INSERT INTO schema_version (version) VALUES (0)")
                    if row is not None and int(row[0]) >= number:
                        continue
                    await raw.execute(script.encode())
                    await _identities_follow_ids(raw)
                    await raw.execute("UPDATE schema_version SET version = %s", (number,))
                log.info("applied migration %s", name)
                applied.append(name)
        if applied:
            await self._load_id_tables()
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """BEGIN ... COMMIT, rolled back on any error; serialised in this process. A leader's
        transaction first checks its epoch (bot/store/leadership.py: StaleLeader if it moved)."""
        async with self._lock, self.pg.raw.transaction():
            await check_fence(self.pg.raw)
            yield self.pg

    async def checkpoint(self) -> None:
        """Nothing to do: the server checkpoints its write-ahead log itself."""

    async def scrub(self) -> list[tuple[str, str]]:
        """VACUUM every table; PostgreSQL has no secure delete: say so (statement, why)."""
        async with self._lock:
            await self.pg.raw.execute("VACUUM")
        return [
            (
                "secure_delete",
                "PostgreSQL frees deleted rows for reuse without zeroing them; old versions"
                " can remain in free space, the write-ahead log and backups until overwritten"
                " (the personal fields were encrypted, and the old key is gone)",
            )
        ]


async def _identities_follow_ids(raw: psycopg.AsyncConnection[Any]) -> None:
    """Move each identity column's sequence past the largest id stored (never back), as
    SQLite's rowid follows the rows: a migration that copies rows with their ids, or rows
    written with ids of their own, must not make the next generated id collide."""
    cur = await raw.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    )
    for table, column in await cur.fetchall():
        seq = sql.SQL("pg_get_serial_sequence({}, {})").format(
            sql.Literal(table), sql.Literal(column)
        )
        await raw.execute(
            sql.SQL(
                "SELECT setval({seq}, m) FROM (SELECT MAX({col}) AS m FROM {table}) AS found"
                " WHERE m >= COALESCE(pg_sequence_last_value({seq}::regclass), 0)"
            ).format(seq=seq, col=sql.Identifier(column), table=sql.Identifier(table))
        )
