"""Both stores for tests: SQLite always; PostgreSQL when PPA_TEST_POSTGRESQL=1.

A test (or fixture) that takes ``db_target`` runs once per store: ``[sqlite]`` on a new file,
``[postgresql]`` on a new database of a throwaway server (bot/testing/postgres.py) copied from
a migrated template. PostgreSQL is opt-in: without the variable the parameter is not made at
all (nothing is skipped); with it, a server that cannot start is an error, not a skip.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bot.store.db import Database
from bot.testing.postgres import PgServer

__all__ = ["STORES", "db_target", "pg_server", "store_kind", "stored_bytes"]

STORES = ["sqlite", *(["postgresql"] if os.environ.get("PPA_TEST_POSTGRESQL") == "1" else [])]
TEMPLATE = "ppa_template"
_names = itertools.count(1)
_servers: list[PgServer] = []


async def _migrate(url: str) -> None:
    db = await Database.open(url)
    await db.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One server for the session, with a migrated template database."""
    server = PgServer.start()
    _servers.append(server)
    try:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        asyncio.run(_migrate(server.url(TEMPLATE)))
        yield server
    finally:
        _servers.remove(server)
        server.stop()


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store this run of the test uses."""
    return str(request.param)


@pytest.fixture
def db_target(
    store_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str | Path]:
    """What Database.open takes: a new SQLite file, or a new PostgreSQL database's URL."""
    if store_kind == "sqlite":
        yield tmp_path / "ppa.sqlite3"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = f"test_{os.getpid()}_{next(_names)}"
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    try:
        yield server.url(name)
    finally:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


async def stored_bytes(db: Database) -> bytes:
    """Every byte the store keeps on disk for this database.

    SQLite: the file and its WAL. PostgreSQL: after a CHECKPOINT, the database's own folder
    (base/<oid>) and the write-ahead log (pg_wal) of the test server.
    """
    if db.dialect == "sqlite":
        return b"".join(
            p.read_bytes() for p in (Path(db.path), Path(db.path + "-wal")) if p.exists()
        )
    async with db.reading() as tx:
        await tx.execute("CHECKPOINT")
        async with tx.execute(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        ) as cur:
            row = await cur.fetchone()
    assert row is not None and len(_servers) == 1
    data = _servers[0].data
    files = [*(data / "base" / str(row[0])).iterdir(), *(data / "pg_wal").glob("0*")]
    found = b"".join(f.read_bytes() for f in files if f.is_file())
    assert len(found) > 100_000  # the files really were read
    return found
