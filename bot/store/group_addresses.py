"""Staff groups that moved: the new address of an office's group on a channel (ids only)."""

from __future__ import annotations

from datetime import datetime

from bot.store.db import Tx

__all__ = ["GroupAddressStore"]


class GroupAddressStore:
    """Rows of ``group_addresses``: read before the office file's address."""

    async def all(self, tx: Tx, channel: str) -> dict[str, str]:
        """Office id -> the group's recorded address on ``channel``."""
        async with tx.execute(
            "SELECT office_id, address FROM group_addresses WHERE channel = ?", (channel,)
        ) as cur:
            return {str(r[0]): str(r[1]) for r in await cur.fetchall()}

    async def record(
        self, tx: Tx, office_id: str, channel: str, address: str, old: str | None, at: datetime
    ) -> None:
        """The office's group on ``channel`` is now at ``address``."""
        await tx.execute(
            "INSERT INTO group_addresses (office_id, channel, address, old_address, changed_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (office_id, channel) DO UPDATE SET"
            " address = excluded.address, old_address = excluded.old_address,"
            " changed_at = excluded.changed_at",
            (office_id, channel, address, old, at.isoformat()),
        )
