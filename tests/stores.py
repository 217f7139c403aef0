"""Both stores for tests: SQLite always; PostgreSQL when PPA_TEST_POSTGRESQL=1.

With ``PPA_TEST_STORE=postgresql`` too, the whole suite runs on PostgreSQL: every database a
test opens by a file path (the Harness's default, ``Database.open(tmp_path / ...)``) is a new
PostgreSQL database instead, one per path (reopening the path reopens it), and ``db_target``
gives PostgreSQL alone. Tests marked ``sqlite_only`` are deselected there (``-m "not
sqlite_only"``).

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

from bot.store import db as db_module
from bot.store import pg_database
from bot.store.db import Database, is_postgres_url
from bot.store.pg_sql import translate
from bot.testing.postgres import PgServer

__all__ = [
    "ON_POSTGRESQL",
    "STORES",
    "db_target",
    "on_store",
    "paths_on_postgresql",
    "pg_server",
    "store_kind",
    "stored_bytes",
]

ON_POSTGRESQL = os.environ.get("PPA_TEST_STORE") == "postgresql"
_PG = os.environ.get("PPA_TEST_POSTGRESQL") == "1" or ON_POSTGRESQL
STORES = ["postgresql"] if ON_POSTGRESQL else ["sqlite", *(["postgresql"] if _PG else [])]
TEMPLATE = "ppa_template"
_names = itertools.count(1)
_servers: list[PgServer] = []


_redirected: dict[str, str] = {}  # a file path a test opened -> its PostgreSQL database


def on_store(target: str | Path) -> str | Path:
    """The database a path stands for (under PPA_TEST_STORE=postgresql, the PostgreSQL
    database made for it when it was first opened); anything else unchanged."""
    if is_postgres_url(target) or str(target) == ":memory:":
        return target
    return _redirected.get(_key(target), target)


def _key(path: str | Path) -> str:
    return str(Path(path).resolve())


def query_now(target: str | Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows read by a connection of its own (as another process would see them), on either
    store; the SQL is the stores' SQLite dialect."""
    target = on_store(target)
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


def _new_database(server: PgServer, template: str = TEMPLATE) -> str:
    name = f"test_{os.getpid()}_{next(_names)}"
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    return name


def _drop_database(server: PgServer, name: str) -> None:
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(autouse=True)
def paths_on_postgresql(request: pytest.FixtureRequest) -> Iterator[None]:
    """Under PPA_TEST_STORE=postgresql (autouse, tests/conftest.py): ``Database.open`` of a
    file path opens a new PostgreSQL database instead, the same one for the same path: a
    migrated copy of the template, or an empty one while the test has replaced the shipped
    migrations (``db.migrations``, to build an old schema), which PostgreSQL's follow."""
    if not ON_POSTGRESQL:
        yield
        return
    server: PgServer = request.getfixturevalue("pg_server")
    original = Database.__dict__["open"].__func__
    shipped = db_module.migrations
    made: list[str] = []

    async def open_(cls: type[Database], path: str | Path, *, migrate: bool = True) -> Database:
        if is_postgres_url(path) or str(path) == ":memory:":
            return await original(cls, path, migrate=migrate)  # type: ignore[no-any-return]
        key = _key(path)
        if key not in _redirected:
            template = TEMPLATE if db_module.migrations is shipped else "template1"
            name = await asyncio.to_thread(_new_database, server, template)
            made.append(name)
            _redirected[key] = server.url(name)
        return await original(cls, _redirected[key], migrate=migrate)  # type: ignore[no-any-return]

    mp = pytest.MonkeyPatch()
    mp.setattr(Database, "open", classmethod(open_))
    mp.setattr(pg_database, "migrations", lambda: db_module.migrations())
    try:
        yield
    finally:
        mp.undo()
        _redirected.clear()
        for name in made:
            _drop_database(server, name)


@pytest.fixture
def db_target(
    store_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str | Path]:
    """What Database.open takes: a new SQLite file, or a new PostgreSQL database's URL."""
    if store_kind == "sqlite":
        yield tmp_path / "ppa.sqlite3"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = _new_database(server)
    try:
        yield server.url(name)
    finally:
        _drop_database(server, name)


def stored_bytes(target: str | Path) -> bytes:
    """Every byte the store keeps on disk for this database (as a thief of the disk sees it).

    SQLite: the file and its WAL. PostgreSQL: after a CHECKPOINT, the database's own folder
    (base/<oid>) and the write-ahead log (pg_wal) of the test server.
    """
    target = on_store(target)
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
