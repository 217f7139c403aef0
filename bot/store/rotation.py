"""The SQL of a key rotation in batches: the journal, and one batch of each kind of row.

Each batch is read by key order after the last key seen (``after``), at most ``limit`` rows, so
a big database is never held whole in memory nor in one transaction.
"""

from __future__ import annotations

from datetime import datetime

from bot.store.db import Tx
from bot.store.encrypted import ENCRYPTED_COLUMNS, KEY_COLUMN

__all__ = [
    "FIRST",
    "case_batch",
    "end_journal",
    "handle_batch",
    "journal",
    "set_handle_index",
    "set_state_index",
    "set_value",
    "start_journal",
    "state_batch",
    "value_batch",
]

# below every key (row ids and update ids are integers)
FIRST = -(2**63)


async def journal(tx: Tx) -> tuple[str, str] | None:
    """(old key id, new key id) of a rotation under way, if any."""
    async with tx.execute("SELECT old_key_id, new_key_id FROM key_rotation LIMIT 1") as cur:
        row = await cur.fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


async def start_journal(tx: Tx, old_key_id: str, new_key_id: str, at: datetime) -> None:
    """Record that a rotation has begun (the bot refuses to start until it ends)."""
    await tx.execute(
        "INSERT INTO key_rotation (old_key_id, new_key_id, started_at) VALUES (?, ?, ?)",
        (old_key_id, new_key_id, at.isoformat()),
    )


async def end_journal(tx: Tx) -> None:
    """The rotation is complete."""
    await tx.execute("DELETE FROM key_rotation")


async def value_batch(
    tx: Tx, table: str, column: str, after: int, limit: int
) -> list[tuple[int, bytes, bytes]]:
    """(key, blob, AAD context) of the next values of a known encrypted column."""
    sql = (
        f"WITH s(k, blob, ctx) AS ({ENCRYPTED_COLUMNS[(table, column)]})"
        " SELECT k, blob, ctx FROM s WHERE k > ? ORDER BY k LIMIT ?"
    )
    async with tx.execute(sql, (after, limit)) as cur:
        return [(int(r[0]), bytes(r[1]), str(r[2]).encode()) for r in await cur.fetchall()]


async def set_value(tx: Tx, table: str, column: str, key: int, blob: bytes) -> None:
    """Store one re-encrypted value."""
    await tx.execute(f"UPDATE {table} SET {column} = ? WHERE {KEY_COLUMN[table]} = ?", (blob, key))


async def case_batch(tx: Tx, after: int, limit: int) -> list[tuple[int, str, bytes, bytes | None]]:
    """(id, number, encrypted details, encrypted reporter chat) of the next cases."""
    async with tx.execute(
        "SELECT id, number, details_enc, reporter_chat_enc FROM cases WHERE id > ?"
        " ORDER BY id LIMIT ?",
        (after, limit),
    ) as cur:
        rows = await cur.fetchall()
    return [
        (int(r[0]), str(r[1]), bytes(r[2]), bytes(r[3]) if r[3] is not None else None) for r in rows
    ]


async def handle_batch(tx: Tx, after: int, limit: int) -> list[tuple[int, str, bytes]]:
    """(id, channel, encrypted address) of the next person handles."""
    async with tx.execute(
        "SELECT id, channel, address_enc FROM person_handles WHERE id > ? ORDER BY id LIMIT ?",
        (after, limit),
    ) as cur:
        return [(int(r[0]), str(r[1]), bytes(r[2])) for r in await cur.fetchall()]


async def set_handle_index(tx: Tx, row_id: int, index: str) -> None:
    """Store a handle's recomputed blind index."""
    await tx.execute("UPDATE person_handles SET address_index = ? WHERE id = ?", (index, row_id))


_STATE_SCOPE = {"state_data": "kind", "state_conversations": "name"}


async def state_batch(tx: Tx, table: str, after: int, limit: int) -> list[tuple[int, str, bytes]]:
    """(id, scope, encrypted key) of the next rows of a PTB state table."""
    async with tx.execute(
        f"SELECT id, {_STATE_SCOPE[table]}, key_enc FROM {table} WHERE id > ? ORDER BY id LIMIT ?",
        (after, limit),
    ) as cur:
        return [(int(r[0]), str(r[1]), bytes(r[2])) for r in await cur.fetchall()]


async def set_state_index(tx: Tx, table: str, row_id: int, index: str) -> None:
    """Store a state row's recomputed blind index."""
    assert table in _STATE_SCOPE
    await tx.execute(f"UPDATE {table} SET key_index = ? WHERE id = ?", (index, row_id))
