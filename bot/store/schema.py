"""What the schema holds: table and column names, read from SQLite itself."""

from __future__ import annotations

from bot.store.db import Tx

__all__ = ["column_names", "has_table", "table_names"]


async def table_names(tx: Tx) -> list[str]:
    """Every table but SQLite's own, by name."""
    async with tx.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    ) as cur:
        return [str(r[0]) for r in await cur.fetchall()]


async def column_names(tx: Tx, table: str) -> list[str]:
    """A table's columns, in order."""
    async with tx.execute(f'PRAGMA table_info("{table}")') as cur:
        return [str(r[1]) for r in await cur.fetchall()]


async def has_table(tx: Tx, name: str) -> bool:
    """Whether the schema has this table (older databases may lack the workflow's)."""
    async with tx.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ) as cur:
        return await cur.fetchone() is not None
