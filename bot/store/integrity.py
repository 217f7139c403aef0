"""Keyed MACs over the rows that grant rights or route messages, and the seals over their sets.

A database edited without the key must not make someone staff or send a staff group's messages
elsewhere (security review #5). ``roster_changes`` and ``group_addresses`` rows carry a MAC over
their fields (``row_mac``); ``integrity_seals`` hold a MAC over a whole set (an office's roster,
an office's approved roster changes), so that an added or a deleted row is seen too. Readers
verify, refuse what fails and record an ``IntegrityFailure`` (ids only) for the alert.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from bot.crypto import Cipher
from bot.store.db import Tx

__all__ = [
    "CHANGE_COLUMNS",
    "GROUP_COLUMNS",
    "MAC_COLUMNS",
    "IntegrityFailure",
    "adopt_unsigned",
    "adoption_pending",
    "change_seal_name",
    "fingerprint",
    "get_seal",
    "put_seal",
    "resign_rows",
    "roster_seal_name",
    "sealed_offices",
    "sign_changes",
    "sign_groups",
]

# the fields of a roster change a MAC covers, in order (row_mac is over these)
CHANGE_COLUMNS = (
    "id, office_id, user_id, role, action, status, requested_by, requested_at,"
    " decided_by, decided_at"
)
GROUP_COLUMNS = "office_id, channel, address, old_address, changed_at"

# every MAC column the key rotation re-signs (it refuses a schema with another)
MAC_COLUMNS = frozenset({("roster_changes", "row_mac"), ("group_addresses", "row_mac")})


@dataclass(frozen=True)
class IntegrityFailure:
    """A row or a set that failed its MAC: where, and a fingerprint of what was read (no data)."""

    table: str
    office_id: str
    ref: str  # the row id, or "seal" for the set
    fingerprint: str

    def key(self) -> str:
        """A stable key for alerting once per distinct failure."""
        return f"{self.table}:{self.office_id}:{self.ref}:{self.fingerprint}"


def fingerprint(values: Sequence[object]) -> str:
    """A short unkeyed hash of what failed (tells one tampering from the next; reveals nothing)."""
    data = json.dumps(list(values), default=str, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()[:12]


def roster_seal_name(office_id: str) -> str:
    """The seal over an office's roster rows."""
    return f"roster:{office_id}"


def change_seal_name(office_id: str) -> str:
    """The seal over an office's approved roster changes."""
    return f"roster_changes:{office_id}"


async def get_seal(tx: Tx, name: str) -> str | None:
    """A stored seal (None when there is none)."""
    async with tx.execute("SELECT mac FROM integrity_seals WHERE name = ?", (name,)) as cur:
        row = await cur.fetchone()
    return None if row is None else str(row[0])


async def put_seal(tx: Tx, name: str, mac: str) -> None:
    """Store a seal."""
    await tx.execute(
        "INSERT INTO integrity_seals (name, mac) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET mac = excluded.mac",
        (name, mac),
    )


async def sign_changes(
    tx: Tx, cipher: Cipher, where: str = "", params: tuple[object, ...] = ()
) -> int:
    """(Re)compute ``row_mac`` of the roster changes selected by ``where``."""
    async with tx.execute(f"SELECT {CHANGE_COLUMNS} FROM roster_changes {where}", params) as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    for row in rows:
        await tx.execute(
            "UPDATE roster_changes SET row_mac = ? WHERE id = ?",
            (cipher.mac("roster_changes", row), row[0]),
        )
    return len(rows)


async def sign_groups(
    tx: Tx, cipher: Cipher, where: str = "", params: tuple[object, ...] = ()
) -> int:
    """(Re)compute ``row_mac`` of the group addresses selected by ``where``."""
    async with tx.execute(
        f"SELECT rowid, {GROUP_COLUMNS} FROM group_addresses {where}", params
    ) as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    for row in rows:
        await tx.execute(
            "UPDATE group_addresses SET row_mac = ? WHERE rowid = ?",
            (cipher.mac("group_addresses", row[1:]), row[0]),
        )
    return len(rows)


async def resign_rows(tx: Tx, old: Cipher, new: Cipher) -> tuple[int, int]:
    """Key rotation: re-sign under ``new`` every row whose MAC holds under ``old`` (or already
    under ``new``); a row failing both keeps its MAC, so rotating never launders a tampering.
    Returns (re-signed, failing)."""
    signed = failing = 0
    async with tx.execute(f"SELECT {CHANGE_COLUMNS}, row_mac FROM roster_changes") as cur:
        changes = [tuple(r) for r in await cur.fetchall()]
    for row in changes:
        fields, mac = row[:10], row[10]
        if old.mac_ok("roster_changes", fields, mac) or new.mac_ok("roster_changes", fields, mac):
            await tx.execute(
                "UPDATE roster_changes SET row_mac = ? WHERE id = ?",
                (new.mac("roster_changes", fields), row[0]),
            )
            signed += 1
        else:
            failing += 1
    async with tx.execute(f"SELECT rowid, {GROUP_COLUMNS}, row_mac FROM group_addresses") as cur:
        groups = [tuple(r) for r in await cur.fetchall()]
    for row in groups:
        fields, mac = row[1:6], row[6]
        if old.mac_ok("group_addresses", fields, mac) or new.mac_ok("group_addresses", fields, mac):
            await tx.execute(
                "UPDATE group_addresses SET row_mac = ? WHERE rowid = ?",
                (new.mac("group_addresses", fields), row[0]),
            )
            signed += 1
        else:
            failing += 1
    return signed, failing


async def sealed_offices(tx: Tx) -> list[str]:
    """Every office that has a seal."""
    async with tx.execute("SELECT name FROM integrity_seals") as cur:
        names = [str(r[0]) for r in await cur.fetchall()]
    return sorted({n.split(":", 1)[1] for n in names if ":" in n})


async def adoption_pending(tx: Tx) -> bool:
    """Whether rows written before the MACs existed still wait to be signed once."""
    async with tx.execute("SELECT 1 FROM integrity_migration LIMIT 1") as cur:
        return await cur.fetchone() is not None


async def adopt_unsigned(tx: Tx, cipher: Cipher) -> int:
    """Sign the rows written before the MACs existed (only at the start that migrated)."""
    count = await sign_changes(tx, cipher, "WHERE row_mac IS NULL")
    count += await sign_groups(tx, cipher, "WHERE row_mac IS NULL")
    await tx.execute("DELETE FROM integrity_migration")
    return count
