"""Retention SQL: closed cases, the rows that belong to them, and deleting both."""

from __future__ import annotations

from bot.store.db import Tx
from bot.store.evidence import case_refs
from bot.store.schema import column_names, table_names

__all__ = ["case_tables", "closed_cases", "count_case_rows", "delete_case"]

_KEPT = ("cases", "audit_log")  # the audit log outlives the cases it speaks of


async def case_tables(tx: Tx) -> list[str]:
    """Tables with a ``case_id`` column (all hold rows that belong to a case), by name."""
    found = []
    for t in await table_names(tx):
        if t not in _KEPT and "case_id" in await column_names(tx, t):
            found.append(t)
    return found


async def closed_cases(tx: Tx) -> list[tuple[int, str, str, str]]:
    """(id, number, office id, closed at) of every closed case, oldest id first."""
    async with tx.execute(
        "SELECT id, number, office_id, closed_at FROM cases"
        " WHERE status = 'closed' AND closed_at IS NOT NULL ORDER BY id"
    ) as cur:
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in await cur.fetchall()]


async def count_case_rows(tx: Tx, table: str, case_id: int) -> int:
    """How many rows of a table belong to a case."""
    async with tx.execute(f'SELECT COUNT(*) FROM "{table}" WHERE case_id = ?', (case_id,)) as c:
        row = await c.fetchone()
    return int(row[0]) if row else 0


async def delete_case(tx: Tx, case_id: int, tables: list[str]) -> list[str]:
    """Delete a case's rows from ``tables`` (children first), then the case itself. Returns
    the references of its evidence files: the caller deletes them once the transaction has
    committed (EvidenceFiles.remove; a crash in between leaves files the start-up sweep
    removes)."""
    refs = await case_refs(tx, case_id)
    for t in tables:
        await tx.execute(f'DELETE FROM "{t}" WHERE case_id = ?', (case_id,))
    await tx.execute("DELETE FROM cases WHERE id = ?", (case_id,))
    return refs
