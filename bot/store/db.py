"""One long-lived aiosqlite connection: WAL, foreign keys, migrations, transactions."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeAlias

import aiosqlite

from bot.store.pg import PgConnection, PgRow, is_postgres_url

__all__ = [
    "INLINE_SQLITE",
    "Database",
    "InlineConnection",
    "Row",
    "Tx",
    "fetch_value",
    "install_sql_log_redaction",
    "is_postgres_url",
    "migrations",
    "private_folder",
    "run",
]

log = logging.getLogger(__name__)

# what callers outside bot/store hold: an open transaction (or read) handle, and a row of it
# (aiosqlite's, or the PostgreSQL adapter's with the same interface: bot/store/pg.py)
Tx: TypeAlias = aiosqlite.Connection | PgConnection
Row: TypeAlias = sqlite3.Row | PgRow

_CHECKPOINT = "PRAGMA wal_checkpoint(TRUNCATE)"
# run SQLite's statements in the event loop's thread (see InlineConnection); False: aiosqlite's
# worker thread, one hop there and back per call (the bench compares both)
INLINE_SQLITE = True
# a job making many statements in a row (the sweep, a digest) lets the loop run other tasks
# (Telegram's answers, the next poll) at least this often, as the worker thread's hops did
YIELD_EVERY = 0.001
_PRIVATE_FILE = 0o600
_PRIVATE_DIR = 0o700
_SIDE_FILES = ("-wal", "-shm", "-journal")


class _RedactSqlParameters(logging.Filter):
    """aiosqlite logs each call (SQL and its parameters) at DEBUG: keep only the method name."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_call_name(arg) for arg in record.args)
        elif isinstance(record.args, dict) and record.args:
            record.args = {k: _call_name(v) for k, v in record.args.items()}
        return True


def _call_name(value: object) -> str:
    """``execute`` for functools.partial(<execute ...>, sql, params); a type name otherwise."""
    func = getattr(value, "func", value)
    name = getattr(func, "__name__", None)
    return str(name) if isinstance(name, str) else type(value).__name__


def install_sql_log_redaction() -> None:
    """Make aiosqlite's DEBUG lines carry no SQL parameters (idempotent)."""
    logger = logging.getLogger("aiosqlite")
    if not any(isinstance(f, _RedactSqlParameters) for f in logger.filters):
        logger.addFilter(_RedactSqlParameters())


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection with every call run at once in the calling (event loop) thread.

    A hop to aiosqlite's worker thread and back costs about 0.1 ms on a small busy machine,
    20 to 30 times the statement itself (a primary-key read takes a few microseconds), and an
    update makes a few dozen calls. All calls are serialised by ``Database``'s lock anyway, so
    the thread bought no concurrency; what runs in the loop now is SQLite's own time. Long
    statements (VACUUM) still go to the worker thread (``in_thread``). A write waiting for
    another process's write lock (``busy_timeout``) holds the loop meanwhile: only one bot
    process writes (InstanceLock); the CLI's writes are short. A task making statements
    without other awaits between them yields to the loop every ``YIELD_EVERY`` seconds, so a
    long sweep does not hold up polling and replies (each hop used to yield).
    """

    _yielded = 0.0  # time.monotonic() of the last yield to the loop

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        result = fn(*args, **kwargs)
        now = time.monotonic()
        if now - self._yielded > YIELD_EVERY:
            self._yielded = now
            await asyncio.sleep(0)
        return result

    async def plain(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Run a statement whose result nobody reads (BEGIN, COMMIT), without a cursor."""
        await self._execute(self._conn.execute, sql, params)

    async def value(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """The first column of the first row (None: no row), in one call."""
        row = await self._execute(_first_row, self._conn, sql, params)
        return None if row is None else row[0]

    async def in_thread(self, sql: str) -> list[Any]:
        """Run one statement in aiosqlite's worker thread (the loop stays free meanwhile)."""

        def run() -> list[Any]:
            return self._conn.execute(sql).fetchall()

        result: list[Any] = await super()._execute(run)  # type: ignore[no-untyped-call]
        return result


def _first_row(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> Any:
    return conn.execute(sql, params).fetchone()


async def fetch_value(tx: Tx, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """The first column of the first row of a query (None: no row)."""
    if isinstance(tx, InlineConnection):
        return await tx.value(sql, params)
    async with tx.execute(sql, params) as cur:
        row = await cur.fetchone()
    return None if row is None else row[0]


async def run(tx: Tx, sql: str, params: tuple[Any, ...] = ()) -> None:
    """A statement whose result nobody reads (no cursor is made for it on SQLite)."""
    if isinstance(tx, InlineConnection):
        await tx.plain(sql, params)
    else:
        await tx.execute(sql, params)


def _connect(path: str, inline: bool) -> aiosqlite.Connection:
    if not inline:
        return aiosqlite.connect(path, isolation_level=None)

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    return InlineConnection(connector, 64)


def private_folder(path: str | Path) -> None:
    """Create the database's folder 0700 if it is missing (an existing one is left alone)."""
    folder = Path(path).parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=_PRIVATE_DIR)
        folder.chmod(_PRIVATE_DIR)  # mkdir's mode is filtered by the umask


def _private_files(path: Path) -> None:
    """The database's folder 0700 when we create it; the file (and its WAL, SHM) 0600."""
    private_folder(path)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, _PRIVATE_FILE))
    # SQLite gives -wal/-shm the database file's mode; tighten a file an older version left open
    for file in (path, *(path.with_name(path.name + s) for s in _SIDE_FILES)):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            log.warning("%s was readable by other users (mode %04o); now 0600", file, mode)
            file.chmod(_PRIVATE_FILE)


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
    """The application's single connection; all writes go through ``transaction()``.

    SQLite here; a ``postgresql://`` target opens the PostgreSQL adapter (PgDatabase, the
    same interface) instead.
    """

    dialect = "sqlite"

    def __init__(self, conn: Tx, path: str) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> Database:
        """Open (creating folders), set pragmas and apply pending migrations."""
        if is_postgres_url(path):
            from bot.store.pg_database import PgDatabase

            return await PgDatabase.open(str(path), migrate=migrate)
        install_sql_log_redaction()
        p = str(path)
        if p != ":memory:":
            await asyncio.to_thread(_private_files, Path(p))
        conn = await _connect(p, INLINE_SQLITE)
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
        """Checkpoint the WAL and close (the checkpoint is skipped, not fatal, when a statement
        of a job cancelled at shutdown still holds a table: closing finalizes it, and the WAL
        is replayed at the next open)."""
        async with self._lock:
            try:
                await self.conn.execute(_CHECKPOINT)
            except sqlite3.OperationalError as exc:
                log.warning("checkpoint at close skipped: %s", exc)
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
            await run(self.conn, "BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await run(self.conn, "ROLLBACK")
                raise
            await run(self.conn, "COMMIT")

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
                    if isinstance(tx, InlineConnection):  # seconds on a big file: not in the loop
                        await tx.in_thread(statement)
                        continue
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
