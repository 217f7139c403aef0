"""Persons inside the system and their handle on each channel (encrypted, blind-indexed).

A person id is what services, the roster, steps and the audit log hold; which Telegram account
(or WhatsApp number) a person is, is kept only here: the address encrypted, looked up by a
keyed HMAC. Without the key the database does not link a person to an account.
"""

from __future__ import annotations

from datetime import datetime

from bot.crypto import Cipher
from bot.domain.identity import Handle
from bot.store.db import Tx
from bot.store.integrity import IntegrityFailure
from bot.store.route_macs import HANDLE_KIND, FailureList, handle_failure, handle_fields

__all__ = ["LEGACY_ID_COLUMNS", "PersonStore", "case_reporter", "forget_former_reporters"]

# every column that held a Telegram user id before persons existed (table, column)
LEGACY_ID_COLUMNS: tuple[tuple[str, str], ...] = (
    ("steps", "assignee_user_id"),
    ("steps", "completed_by"),
    ("roster", "user_id"),
    ("roster_changes", "user_id"),
    ("roster_changes", "requested_by"),
    ("roster_changes", "decided_by"),
    ("access_grants", "user_id"),
    ("access_grants", "granted_by"),
    ("letters", "created_by"),
    ("mediations", "created_by"),
    ("cases", "taken_by"),
    ("cases", "recorded_by"),
)
# free-text actor columns that may be rewritten (the audit log is append-only: it keeps its rows)
_ACTOR_COLUMNS: tuple[tuple[str, str], ...] = (("step_events", "actor"), ("case_events", "actor"))


def _context(channel: str) -> bytes:
    return f"person-handle:{channel}".encode()


class PersonStore:
    """``persons`` and ``person_handles`` rows."""

    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher
        self.failures = FailureList()  # handles whose MAC failed (for the alert)

    def take_failures(self) -> list[IntegrityFailure]:
        """Handles refused since the last call (for the alert)."""
        return self.failures.take()

    def _handle_ok(self, person_id: int, channel: str, address: str, mac: object) -> bool:
        """Whether a handle row is as the bot wrote it (this address, this person); a failure
        is kept. A row moved to another person, or an address swapped in, fails."""
        fields = handle_fields(person_id, channel, address)
        if self.cipher.mac_ok(HANDLE_KIND, fields, None if mac is None else str(mac)):
            return True
        self.failures.add(handle_failure(person_id, channel, fields))
        return False

    def index(self, handle: Handle) -> str:
        """The blind index of a handle (the same for the same handle under one key)."""
        return self.cipher.blind_index("person-handle", handle.key())

    async def find(self, tx: Tx, handle: Handle) -> int | None:
        """The person with this handle, or None."""
        async with tx.execute(
            "SELECT person_id, handle_mac FROM person_handles"
            " WHERE channel = ? AND address_index = ?",
            (handle.channel, self.index(handle)),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        person_id = int(row[0])
        return (
            person_id
            if self._handle_ok(person_id, handle.channel, handle.address, row[1])
            else None
        )

    async def create(self, tx: Tx, at: datetime) -> int:
        """A new person with no handle yet."""
        cur = await tx.execute("INSERT INTO persons (created_at) VALUES (?)", (at.isoformat(),))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def create_as(self, tx: Tx, person_id: int, at: datetime) -> int:
        """A new person with a chosen id (test fixtures naming staff by the file's numbers)."""
        await tx.execute(
            "INSERT INTO persons (id, created_at) VALUES (?, ?)", (person_id, at.isoformat())
        )
        return person_id

    async def attach(self, tx: Tx, person_id: int, handle: Handle) -> None:
        """Give a person a handle on a channel (replacing any they had there)."""
        await tx.execute(
            "DELETE FROM person_handles WHERE person_id = ? AND channel = ?",
            (person_id, handle.channel),
        )
        blob = self.cipher.encrypt(handle.address.encode(), context=_context(handle.channel))
        mac = self.cipher.mac(HANDLE_KIND, handle_fields(person_id, handle.channel, handle.address))
        await tx.execute(
            "INSERT INTO person_handles (person_id, channel, address_index, address_enc,"
            " handle_mac) VALUES (?, ?, ?, ?, ?)",
            (person_id, handle.channel, self.index(handle), blob, mac),
        )

    async def ensure(self, tx: Tx, handle: Handle, at: datetime) -> int:
        """The person with this handle, created (with the handle) on first sight."""
        found = await self.find(tx, handle)
        if found is not None:
            return found
        # a row refused by ``find`` (written without the key) gives way: the handle becomes a new
        # person with no rights, and the refusal was kept for the alert
        await tx.execute(
            "DELETE FROM person_handles WHERE channel = ? AND address_index = ?",
            (handle.channel, self.index(handle)),
        )
        person_id = await self.create(tx, at)
        await self.attach(tx, person_id, handle)
        return person_id

    async def handle(self, tx: Tx, person_id: int, channel: str) -> Handle | None:
        """The person's handle on a channel (decrypted), or None."""
        async with tx.execute(
            "SELECT address_enc, handle_mac FROM person_handles"
            " WHERE person_id = ? AND channel = ?",
            (person_id, channel),
        ) as cur:
            rows = await cur.fetchall()
        # a row moved here from another person fails and does not hide the person's own
        for row in rows:
            address = self.cipher.decrypt(bytes(row[0]), context=_context(channel)).decode()
            if self._handle_ok(person_id, channel, address, row[1]):
                return Handle(channel, address)
        return None  # never sent to an address written without the key

    async def forget(self, tx: Tx, person_id: int) -> int:
        """Crypto-shred: drop every handle of the person (ids in other rows stay, unlinked)."""
        cur = await tx.execute("DELETE FROM person_handles WHERE person_id = ?", (person_id,))
        return int(cur.rowcount or 0)

    # -- converting a database written before persons existed -------------------------------

    async def legacy_pending(self, tx: Tx) -> bool:
        """Whether ids written before persons existed still wait to be converted."""
        async with tx.execute("SELECT COUNT(*) FROM person_migration") as cur:
            row = await cur.fetchone()
        return bool(row and int(row[0]))

    async def adopt_legacy_ids(self, tx: Tx, at: datetime, channel: str = "telegram") -> int:
        """Turn every stored Telegram user id into a person id (in the caller's transaction)."""
        if not await self.legacy_pending(tx):
            return 0
        ids: set[int] = set()
        for table, column in LEGACY_ID_COLUMNS:
            async with tx.execute(
                f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL"
            ) as cur:
                ids.update(int(r[0]) for r in await cur.fetchall())
        mapping = {old: await self.ensure(tx, Handle(channel, str(old)), at) for old in sorted(ids)}
        # two passes through a disjoint range, so that a new id equal to an old one is not hit
        offset = (max([*mapping, *mapping.values()], default=0) + 1) * 2
        for table, column in LEGACY_ID_COLUMNS:
            for old, new in mapping.items():
                await tx.execute(
                    f"UPDATE {table} SET {column} = ? WHERE {column} = ?",
                    (-(new + offset), old),
                )
            await tx.execute(
                f"UPDATE {table} SET {column} = -{column} - ? WHERE {column} < 0",
                (offset,),
            )
        for table, column in _ACTOR_COLUMNS:
            for old, new in mapping.items():
                await tx.execute(
                    f"UPDATE {table} SET {column} = ? WHERE {column} = ?",
                    (f"person:{new}", f"tg:{old}"),
                )
        await tx.execute("DELETE FROM person_migration")
        return len(mapping)


async def case_reporter(tx: Tx, case_id: int) -> int | None:
    """The person who filed a case themselves (from its idempotency key ``reporter:<id>:…``)."""
    async with tx.execute("SELECT idempotency_key FROM cases WHERE id = ?", (case_id,)) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    mode, _, rest = str(row[0]).partition(":")
    ident = rest.partition(":")[0]
    return int(ident) if mode == "reporter" and ident.isdigit() else None


async def forget_former_reporters(tx: Tx, person_ids: set[int]) -> int:
    """Crypto-shred reporters with no case left and no place on a roster (after a purge): their
    handles go, so the ids left in the audit log no longer lead to an account."""
    forgotten = 0
    for pid in sorted(person_ids):
        async with tx.execute(
            "SELECT (SELECT COUNT(*) FROM cases WHERE idempotency_key LIKE ?)"
            " + (SELECT COUNT(*) FROM roster WHERE user_id = ?)",
            (f"reporter:{pid}:%", pid),
        ) as cur:
            row = await cur.fetchone()
        if row is not None and int(row[0]) == 0:
            cur2 = await tx.execute("DELETE FROM person_handles WHERE person_id = ?", (pid,))
            forgotten += int(cur2.rowcount or 0)
            # her WhatsApp conversation state and window go with the handle
            await tx.execute("DELETE FROM wa_sessions WHERE person_id = ?", (pid,))
    return forgotten
