"""Shared helpers of the repositories: instants as text, row look-ups, cipher contexts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.store.db import Tx

__all__ = ["fetch_all", "insert_returning_id", "iso", "parse_dt", "step_context"]


def iso(at: datetime) -> str:
    """An aware instant as ISO text in UTC (sortable as text)."""
    return at.astimezone(UTC).isoformat()


def parse_dt(text: str | None) -> datetime | None:
    """An optional ISO instant column."""
    return datetime.fromisoformat(text) if text else None


async def fetch_all(conn: Tx, sql: str, params: tuple[Any, ...]) -> list[Any]:
    """Every row of a query."""
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


async def insert_returning_id(conn: Tx, sql: str, params: tuple[Any, ...]) -> int:
    """Run an INSERT; the new row's id."""
    cur = await conn.execute(sql, params)
    assert cur.lastrowid is not None
    return int(cur.lastrowid)


def step_context(step_id: int, what: str) -> bytes:
    """The encryption context binding a value to one step (report, file, location)."""
    return f"step:{step_id}:{what}".encode()
