"""What the schema holds: table and column names, read from the database itself."""

from __future__ import annotations

from bot.store.db import Tx
from bot.store.pg import PgConnection

__all__ = ["column_names", "has_table", "table_names"]

# PostgreSQL's catalogue; the adapter's own bookkeeping table is not the application's
_PG_TABLES = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    " AND table_type = 'BASE TABLE' AND table_name != 'schema_version'"
)


async def table_names(tx: Tx) -> list[str]:
    """Every table but the database's own, by name."""
    sql = (
        f"{_PG_TABLES} ORDER BY table_name"
        if isinstance(tx, PgConnection)
        else "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    )
    async with tx.execute(sql) as cur:
        return [str(r[0]) for r in await cur.fetchall()]


async def column_names(tx: Tx, table: str) -> list[str]:
    """A table's columns, in order."""
    if isinstance(tx, PgConnection):
        async with tx.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        ) as cur:
            return [str(r[0]) for r in await cur.fetchall()]
    async with tx.execute(f'PRAGMA table_info("{table}")') as cur:
        return [str(r[1]) for r in await cur.fetchall()]


async def has_table(tx: Tx, name: str) -> bool:
    """Whether the schema has this table (older databases may lack the workflow's)."""
    sql = (
        f"{_PG_TABLES} AND table_name = ?"
        if isinstance(tx, PgConnection)
        else "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    )
    async with tx.execute(sql, (name,)) as cur:
        return await cur.fetchone() is not None
