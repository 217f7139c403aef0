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
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.store.db import Database, is_postgres_url
from bot.store.pg_sql import translate
from bot.testing.postgres import PgServer

__all__ = ["STORES", "db_target", "pg_server", "store_kind", "stored_bytes"]

STORES = ["sqlite", *(["postgresql"] if os.environ.get("PPA_TEST_POSTGRESQL") == "1" else [])]
TEMPLATE = "ppa_template"
_names = itertools.count(1)
_servers: list[PgServer] = []


def query_now(target: str | Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows read by a connection of its own (as another process would see them), on either
    store; the SQL is the stores' SQLite dialect."""
    if is_postgres_url(target):
        with psycopg.connect(str(target), autocommit=True) as pg:
            cur = pg.execute(translate(sql, frozenset()).sql, params)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []
    conn = sqlite3.connect(target, isolation_level=None)  # each statement commits
    try:
        return [tuple(r) for r in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


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


@pytest.fixture
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store this run of the test uses (parametrized by tests/conftest.py)."""
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


def stored_bytes(target: str | Path) -> bytes:
    """Every byte the store keeps on disk for this database (as a thief of the disk sees it).

    SQLite: the file and its WAL. PostgreSQL: after a CHECKPOINT, the database's own folder
    (base/<oid>) and the write-ahead log (pg_wal) of the test server.
    """
    if not is_postgres_url(target):
        files = (Path(target), Path(f"{target}-wal"))
        return b"".join(p.read_bytes() for p in files if p.exists())
    with psycopg.connect(str(target), autocommit=True) as pg:
        pg.execute("CHECKPOINT")
        row = pg.execute(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None and len(_servers) == 1
    data = _servers[0].data
    files = [*(data / "base" / str(row[0])).iterdir(), *(data / "pg_wal").glob("0*")]
    found = b"".join(f.read_bytes() for f in files if f.is_file())
    assert len(found) > 100_000  # the files really were read
    return found
