"""Staff groups that moved: the new address of an office's group on a channel (ids only).

Each row carries a keyed MAC (bot/store/integrity.py): a row added or changed without the key
would send a staff group's messages elsewhere, so it is not read (the office file's address
stands) and the failure is kept for the caller to alert on.
"""

from __future__ import annotations

from datetime import datetime

from bot.crypto import Cipher
from bot.store.db import Tx
from bot.store.integrity import GROUP_COLUMNS, IntegrityFailure, fingerprint, sign_groups

__all__ = ["GroupAddressStore"]


class GroupAddressStore:
    """Rows of ``group_addresses``: read before the office file's address."""

    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher
        self.failures: list[IntegrityFailure] = []

    def take_failures(self) -> list[IntegrityFailure]:
        """The failures seen since the last call (and forget them)."""
        found, self.failures = self.failures, []
        return found

    async def all(self, tx: Tx, channel: str) -> dict[str, str]:
        """Office id -> the group's recorded address on ``channel`` (rows whose MAC holds)."""
        async with tx.execute(
            f"SELECT {GROUP_COLUMNS}, row_mac FROM group_addresses WHERE channel = ?", (channel,)
        ) as cur:
            rows = [tuple(r) for r in await cur.fetchall()]
        found: dict[str, str] = {}
        for row in rows:
            if self.cipher.mac_ok("group_addresses", row[:5], row[5]):
                found[str(row[0])] = str(row[2])
            else:
                self.failures.append(
                    IntegrityFailure("group_addresses", str(row[0]), channel, fingerprint(row))
                )
        return found

    async def record(
        self, tx: Tx, office_id: str, channel: str, address: str, old: str | None, at: datetime
    ) -> None:
        """The office's group on ``channel`` is now at ``address`` (signed)."""
        await tx.execute(
            "INSERT INTO group_addresses (office_id, channel, address, old_address, changed_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (office_id, channel) DO UPDATE SET"
            " address = excluded.address, old_address = excluded.old_address,"
            " changed_at = excluded.changed_at",
            (office_id, channel, address, old, at.isoformat()),
        )
        await sign_groups(
            tx, self.cipher, "WHERE office_id = ? AND channel = ?", (office_id, channel)
        )
