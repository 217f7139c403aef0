"""PostgreSQL behind the stores: the subset of aiosqlite's connection they use, on psycopg 3."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Generator, Iterable, Iterator, Sequence
from typing import Any

import psycopg
from psycopg.rows import RowMaker

from bot.store.pg_sql import translate

__all__ = ["PgConnection", "PgCursor", "PgRow", "is_postgres_url"]


def is_postgres_url(target: object) -> bool:
    """Whether a database setting names a PostgreSQL server (``postgresql://...``)."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


class PgRow:
    """One row, read by position or (case-insensitively) by column name, as sqlite3.Row."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key.lower()]]
        return self._values[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PgRow) and self._values == other._values

    __hash__ = None  # type: ignore[assignment]

    def keys(self) -> list[str]:
        """The column names, in order."""
        return sorted(self._index, key=self._index.__getitem__)

    def __repr__(self) -> str:
        return f"PgRow{self._values!r}"


def _rows(cursor: psycopg.AsyncCursor[Any]) -> RowMaker[PgRow]:
    names = [c.name.lower() for c in cursor.description or ()]
    index = {name: i for i, name in reversed(list(enumerate(names)))}

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(values, index)

    return make


class PgCursor:
    """A finished statement's rows (read at once), rowcount and lastrowid."""

    def __init__(self, rows: list[PgRow], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> PgRow | None:
        """The next row, or None."""
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchall(self) -> list[PgRow]:
        """The rows not read yet."""
        rest = self._rows[self._next :]
        self._next = len(self._rows)
        return rest

    def __aiter__(self) -> AsyncIterator[PgRow]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[PgRow]:
        while (row := await self.fetchone()) is not None:
            yield row

    async def close(self) -> None:
        """Nothing to release (kept for aiosqlite's interface)."""


class _Pending:
    """A statement being run: awaited for its cursor, or used as ``async with``."""

    __slots__ = ("_coro",)

    def __init__(self, coro: Coroutine[Any, Any, PgCursor]) -> None:
        self._coro = coro

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._coro.__await__()

    async def __aenter__(self) -> PgCursor:
        return await self._coro

    async def __aexit__(self, *exc: object) -> None:
        return None


def _param(value: Any) -> Any:
    """SQLite's view of a bool: an integer (the columns are BIGINT)."""
    return int(value) if isinstance(value, bool) else value


class PgConnection:
    """What the stores call on a connection (execute, executemany), for psycopg 3.

    The statements stay the stores' own SQLite SQL; pg_sql.translate rewrites each once.
    """

    def __init__(self, conn: psycopg.AsyncConnection[Any], id_tables: frozenset[str]) -> None:
        self.raw = conn
        self.id_tables = id_tables

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> _Pending:
        """Run one statement; awaitable, or an async context manager giving the cursor."""
        return _Pending(self._run(sql, tuple(parameters or ())))

    async def _run(self, sql: str, params: tuple[Any, ...]) -> PgCursor:
        stmt = translate(sql, self.id_tables)
        async with self.raw.cursor(row_factory=_rows) as cur:
            await cur.execute(stmt.sql, tuple(_param(p) for p in params))
            rows = await cur.fetchall() if cur.description is not None else []
            rowcount = cur.rowcount
        if stmt.returns_id:
            lastrowid = int(rows[0][0]) if rows else None
            return PgCursor([], rowcount, lastrowid)
        return PgCursor(rows, rowcount, None)

    async def close(self) -> None:
        """Close the server connection."""
        await self.raw.close()

    async def executemany(self, sql: str, seq: Iterable[Iterable[Any]]) -> None:
        """Run one statement for each parameter tuple."""
        stmt = translate(sql, self.id_tables)
        async with self.raw.cursor() as cur:
            await cur.executemany(stmt.sql, [tuple(_param(p) for p in ps) for ps in seq])
