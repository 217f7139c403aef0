"""Inbox repository: raw Telegram updates, stored before they are confirmed, then worked off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.db import Tx, fetch_value, run

__all__ = ["InboxStore", "PendingUpdate"]


@dataclass(frozen=True)
class PendingUpdate:
    """The oldest update still to handle: its id, encrypted payload and failed attempts."""

    update_id: int
    payload_enc: bytes
    attempts: int


class InboxStore:
    """SQL of the inbox; writes take the caller's transaction."""

    async def add(self, tx: Tx, update_id: int, received_at: datetime, payload_enc: bytes) -> bool:
        """Store one update; False when its id was stored before (the duplicate is ignored)."""
        cur = await tx.execute(
            "INSERT OR IGNORE INTO inbox (update_id, received_at, payload_enc) VALUES (?,?,?)",
            (update_id, received_at.isoformat(), payload_enc),
        )
        return bool(cur.rowcount == 1)

    async def add_done(self, tx: Tx, update_id: int, at: datetime) -> None:
        """Store an update handled before it was stored (its id only, as ``mark_done`` leaves
        it; an id stored before is left as it is)."""
        stamp = at.isoformat()
        await run(
            tx,
            "INSERT OR IGNORE INTO inbox (update_id, received_at, status, done_at)"
            " VALUES (?, ?, 'done', ?)",
            (update_id, stamp, stamp),
        )

    async def forget_done(self, tx: Tx, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` updates handled before ``before``, oldest first, the newest
        stored row excepted (the next getUpdates offset is read from it); how many went. A
        failed or dead update is kept."""
        cur = await tx.execute(
            "DELETE FROM inbox WHERE update_id IN (SELECT update_id FROM inbox"
            " WHERE status = 'done' AND done_at < ?"
            " AND update_id < (SELECT MAX(update_id) FROM inbox)"
            " ORDER BY update_id LIMIT ?)",
            (before.isoformat(), limit),
        )
        return int(cur.rowcount)

    async def newest_id(self, tx: Tx) -> int | None:
        """The highest stored update id (None for an empty inbox)."""
        newest = await fetch_value(tx, "SELECT MAX(update_id) FROM inbox")
        return int(newest) if newest is not None else None

    async def next_pending(self, tx: Tx) -> PendingUpdate | None:
        """The oldest update not yet done nor dead."""
        async with tx.execute(
            "SELECT update_id, payload_enc, attempts FROM inbox WHERE status = 'new'"
            " ORDER BY update_id LIMIT 1"
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return PendingUpdate(int(row["update_id"]), row["payload_enc"], int(row["attempts"]))

    async def pending(self, tx: Tx, limit: int) -> list[PendingUpdate]:
        """The oldest ``limit`` updates not yet done nor dead, in update id order."""
        async with tx.execute(
            "SELECT update_id, payload_enc, attempts FROM inbox WHERE status = 'new'"
            " ORDER BY update_id LIMIT ?",
            (limit,),
        ) as cur:
            rows = await cur.fetchall()
        return [
            PendingUpdate(int(r["update_id"]), r["payload_enc"], int(r["attempts"])) for r in rows
        ]

    async def mark_done(self, tx: Tx, update_id: int, at: datetime) -> None:
        """Handled: keep the id (duplicates stay ignored), forget the payload."""
        await run(
            tx,
            "UPDATE inbox SET status = 'done', done_at = ?, payload_enc = NULL WHERE update_id = ?",
            (at.isoformat(), update_id),
        )

    async def mark_failed(self, tx: Tx, update_id: int, attempts: int) -> None:
        """The handler failed; the update is tried again (``attempts`` so far)."""
        await tx.execute(
            "UPDATE inbox SET attempts = ?, last_error = 'handler failed' WHERE update_id = ?",
            (attempts, update_id),
        )

    async def mark_dead(self, tx: Tx, update_id: int, attempts: int) -> None:
        """Failed too often: a dead letter, never tried again."""
        await tx.execute(
            "UPDATE inbox SET status = 'dead', attempts = ? WHERE update_id = ?",
            (attempts, update_id),
        )
