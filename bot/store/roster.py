"""The roster in the database: who holds which role where, and the decisions that changed it.

``roster`` holds the current roster of every office (the office file's roster with the
approved ``roster_changes`` on top); every process reads it from here. Only user ids and
roles: no names or other personal data.

Integrity (bot/store/integrity.py): each roster change carries a MAC, each office's roster and
its approved changes a seal. Reads verify them: a change that fails is not used, an office
whose roster fails its seal is not read (the caller keeps what it had), and each failure is
kept in ``failures`` for the caller to alert on. A seal that already fails is never renewed,
so a later legitimate change cannot launder a tampering.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.crypto import Cipher
from bot.domain.office import Role
from bot.store.db import Row, Tx, fetch_value
from bot.store.integrity import (
    CHANGE_COLUMNS,
    IntegrityFailure,
    change_seal_name,
    fingerprint,
    get_seal,
    put_seal,
    roster_seal_name,
    sign_changes,
)

__all__ = ["RosterChange", "RosterStore"]

_COLUMNS = CHANGE_COLUMNS + ", row_mac"


@dataclass(frozen=True)
class RosterChange:
    """One row of roster_changes."""

    id: int
    office_id: str
    user_id: int
    role: Role
    action: str
    status: str
    requested_by: int
    requested_at: datetime
    decided_by: int | None
    decided_at: datetime | None


def _change(r: Row) -> RosterChange:
    return RosterChange(
        id=int(r["id"]),
        office_id=str(r["office_id"]),
        user_id=int(r["user_id"]),
        role=Role(r["role"]),
        action=str(r["action"]),
        status=str(r["status"]),
        requested_by=int(r["requested_by"]),
        requested_at=datetime.fromisoformat(r["requested_at"]),
        decided_by=None if r["decided_by"] is None else int(r["decided_by"]),
        decided_at=None if r["decided_at"] is None else datetime.fromisoformat(r["decided_at"]),
    )


class RosterStore:
    """Roster rows and roster change requests, verified by their MACs."""

    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher
        # what failed its MAC since the caller last took them (ids only)
        self.failures: list[IntegrityFailure] = []

    def take_failures(self) -> list[IntegrityFailure]:
        """The failures seen since the last call (and forget them)."""
        found, self.failures = self.failures, []
        return found

    # -- integrity ---------------------------------------------------------------------------

    def _row_ok(self, r: Row) -> bool:
        fields = tuple(r)[:10]
        if self.cipher.mac_ok("roster_changes", fields, r["row_mac"]):
            return True
        self.failures.append(
            IntegrityFailure(
                "roster_changes", str(r["office_id"]), str(r["id"]), fingerprint(tuple(r))
            )
        )
        return False

    async def _office_rows(self, conn: Tx, office_id: str) -> list[list[object]]:
        async with conn.execute(
            "SELECT user_id, role FROM roster WHERE office_id = ? ORDER BY user_id, role",
            (office_id,),
        ) as cur:
            return [[int(r[0]), str(r[1])] for r in await cur.fetchall()]

    async def roster_seal_ok(self, conn: Tx, office_id: str) -> bool:
        """Whether the office's roster rows match their seal."""
        rows = await self._office_rows(conn, office_id)
        seal = await get_seal(conn, roster_seal_name(office_id))
        if seal is None and not rows:
            return True
        return self.cipher.mac_ok("roster", [office_id, rows], seal)

    async def reseal_roster(self, conn: Tx, office_id: str) -> None:
        """Seal the office's roster rows as they are now."""
        rows = await self._office_rows(conn, office_id)
        await put_seal(
            conn, roster_seal_name(office_id), self.cipher.mac("roster", [office_id, rows])
        )

    async def _approved_macs(self, conn: Tx, office_id: str) -> list[list[object]]:
        async with conn.execute(
            "SELECT id, row_mac FROM roster_changes WHERE status = 'approved' AND office_id = ?"
            " ORDER BY id",
            (office_id,),
        ) as cur:
            return [[int(r[0]), r[1]] for r in await cur.fetchall()]

    async def changes_seal_ok(self, conn: Tx, office_id: str) -> bool:
        """Whether the office's approved changes match their seal."""
        rows = await self._approved_macs(conn, office_id)
        seal = await get_seal(conn, change_seal_name(office_id))
        if seal is None and not rows:
            return True
        return self.cipher.mac_ok("roster_changes", [office_id, rows], seal)

    async def reseal_changes(self, conn: Tx, office_id: str) -> None:
        """Seal the office's approved changes as they are now."""
        rows = await self._approved_macs(conn, office_id)
        mac = self.cipher.mac("roster_changes", [office_id, rows])
        await put_seal(conn, change_seal_name(office_id), mac)

    async def reseal_all(self, conn: Tx, offices: Iterable[str]) -> None:
        """Seal every office's approved changes as they are now (after signing them once)."""
        for office_id in offices:
            await self.reseal_changes(conn, office_id)

    # -- the roster ------------------------------------------------------------------------

    async def load(
        self, conn: Tx, office_ids: Iterable[str]
    ) -> dict[str, dict[int, frozenset[Role]]]:
        """The roster of each office asked for whose seal holds (empty when it has no one);
        unknown roles skipped. An office that fails its seal is left out (and recorded)."""
        found: dict[str, dict[int, set[Role]]] = {oid: {} for oid in office_ids}
        known = {r.value: r for r in Role}
        async with conn.execute(
            "SELECT office_id, user_id, role FROM roster ORDER BY office_id, user_id, role"
        ) as cur:
            for row in await cur.fetchall():
                roster = found.get(str(row[0]))
                role = known.get(str(row[2]))
                if roster is not None and role is not None:
                    roster.setdefault(int(row[1]), set()).add(role)
        for oid in list(found):
            if not await self.roster_seal_ok(conn, oid):
                rows = await self._office_rows(conn, oid)
                self.failures.append(IntegrityFailure("roster", oid, "seal", fingerprint(rows)))
                del found[oid]
        return {oid: {u: frozenset(r) for u, r in held.items()} for oid, held in found.items()}

    async def version(self, conn: Tx) -> int:
        """The roster's change counter (moves with every write to the roster table)."""
        n = await fetch_value(conn, "SELECT n FROM roster_version WHERE id = 1")
        return int(n) if n is not None else -1

    async def replace(
        self, conn: Tx, office_id: str, roster: Mapping[int, frozenset[Role]]
    ) -> None:
        """Make an office's roster exactly ``roster`` (and seal it)."""
        await conn.execute("DELETE FROM roster WHERE office_id = ?", (office_id,))
        await conn.executemany(
            "INSERT INTO roster (office_id, user_id, role) VALUES (?,?,?)",
            [(office_id, uid, r.value) for uid, held in roster.items() for r in sorted(held)],
        )
        await self.reseal_roster(conn, office_id)

    async def grant(self, conn: Tx, office_id: str, user_id: int, role: Role) -> None:
        """The user holds the role in the office (no-op when already so)."""
        sealed = await self.roster_seal_ok(conn, office_id)
        await conn.execute(
            "INSERT OR IGNORE INTO roster (office_id, user_id, role) VALUES (?,?,?)",
            (office_id, user_id, role.value),
        )
        if sealed:
            await self.reseal_roster(conn, office_id)

    async def revoke(self, conn: Tx, office_id: str, user_id: int, role: Role) -> None:
        """The user no longer holds the role in the office."""
        sealed = await self.roster_seal_ok(conn, office_id)
        await conn.execute(
            "DELETE FROM roster WHERE office_id = ? AND user_id = ? AND role = ?",
            (office_id, user_id, role.value),
        )
        if sealed:
            await self.reseal_roster(conn, office_id)

    # -- change requests and decisions --------------------------------------------------------

    async def change(self, conn: Tx, change_id: int) -> RosterChange | None:
        """One roster change by id (None when unknown or when it fails its MAC)."""
        async with conn.execute(
            f"SELECT {_COLUMNS} FROM roster_changes WHERE id = ?", (change_id,)
        ) as cur:
            r = await cur.fetchone()
        return None if r is None or not self._row_ok(r) else _change(r)

    async def approved_changes(self, conn: Tx, office_id: str) -> list[tuple[int, str, str]]:
        """(user_id, role, action) of an office's approved changes, in decision order; a row
        failing its MAC is left out, and a failing seal (a row added or deleted) recorded."""
        async with conn.execute(
            f"SELECT {_COLUMNS} FROM roster_changes"
            " WHERE status = 'approved' AND office_id = ? ORDER BY decided_at, id",
            (office_id,),
        ) as cur:
            rows = await cur.fetchall()
        if not await self.changes_seal_ok(conn, office_id):
            macs = await self._approved_macs(conn, office_id)
            self.failures.append(
                IntegrityFailure("roster_changes", office_id, "seal", fingerprint(macs))
            )
        return [
            (int(r["user_id"]), str(r["role"]), str(r["action"])) for r in rows if self._row_ok(r)
        ]

    async def has_pending(self, conn: Tx, office_id: str, user_id: int, role: Role) -> bool:
        """Whether the same request already waits."""
        async with conn.execute(
            "SELECT id FROM roster_changes WHERE office_id = ? AND user_id = ? AND role = ?"
            " AND status = 'pending'",
            (office_id, user_id, role.value),
        ) as cur:
            return await cur.fetchone() is not None

    async def pending_of(self, conn: Tx, user_id: int) -> RosterChange | None:
        """The person's request that waits for a decision (any office, any role), if any."""
        async with conn.execute(
            f"SELECT {_COLUMNS} FROM roster_changes WHERE user_id = ? AND action = 'add'"
            " AND status = 'pending' ORDER BY id LIMIT 1",
            (user_id,),
        ) as cur:
            r = await cur.fetchone()
        return None if r is None else _change(r)

    async def last_refused_at(self, conn: Tx, user_id: int) -> datetime | None:
        """When a request of this person to join was last refused (any office, any role)."""
        async with conn.execute(
            "SELECT MAX(decided_at) FROM roster_changes WHERE user_id = ? AND action = 'add'"
            " AND status = 'rejected' AND decided_at IS NOT NULL",
            (user_id,),
        ) as cur:
            r = await cur.fetchone()
        return None if r is None or r[0] is None else datetime.fromisoformat(r[0])

    async def add_request(
        self, conn: Tx, office_id: str, user_id: int, role: Role, at: datetime
    ) -> int | None:
        """A pending request to join; None when the same request already waits."""
        # OR IGNORE, not a caught IntegrityError: on PostgreSQL a failed statement would
        # abort the whole transaction (roster_changes_one_pending is the unique index)
        cur = await conn.execute(
            "INSERT OR IGNORE INTO roster_changes (office_id, user_id, role, action, status,"
            " requested_by, requested_at) VALUES (?,?,?,'add','pending',?,?)",
            (office_id, user_id, role.value, user_id, at.isoformat()),
        )
        if cur.rowcount != 1 or cur.lastrowid is None:
            return None
        await sign_changes(conn, self.cipher, "WHERE id = ?", (cur.lastrowid,))
        return cur.lastrowid

    async def add_removal(
        self,
        conn: Tx,
        office_id: str,
        user_id: int,
        role: Role,
        head_id: int,
        at: datetime,
    ) -> int:
        """A removal decided at once by a head; a pending request for that role is rejected."""
        sealed = await self.changes_seal_ok(conn, office_id)
        cur = await conn.execute(
            "INSERT INTO roster_changes (office_id, user_id, role, action, status, requested_by,"
            " requested_at, decided_by, decided_at) VALUES (?,?,?,'remove','approved',?,?,?,?)",
            (office_id, user_id, role.value, head_id, at.isoformat(), head_id, at.isoformat()),
        )
        change_id = cur.lastrowid
        assert change_id is not None
        where = "WHERE office_id = ? AND user_id = ? AND role = ? AND status = 'pending'"
        mooted = (office_id, user_id, role.value)
        async with conn.execute(f"SELECT id FROM roster_changes {where}", mooted) as found:
            ids = [change_id, *(int(r[0]) for r in await found.fetchall())]
        await conn.execute(
            "UPDATE roster_changes SET status = 'rejected', decided_by = ?, decided_at = ?"
            f" {where}",
            (head_id, at.isoformat(), *mooted),
        )
        for one in ids:
            await sign_changes(conn, self.cipher, "WHERE id = ?", (one,))
        if sealed:
            await self.reseal_changes(conn, office_id)
        return change_id

    async def decide(
        self, conn: Tx, change_id: int, approve: bool, head_id: int, at: datetime
    ) -> None:
        """Approve or reject a pending request (signed; the office's seal renewed if it held)."""
        async with conn.execute(
            "SELECT office_id FROM roster_changes WHERE id = ?", (change_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return
        office_id = str(row[0])
        sealed = await self.changes_seal_ok(conn, office_id)
        await conn.execute(
            "UPDATE roster_changes SET status = ?, decided_by = ?, decided_at = ?"
            " WHERE id = ? AND status = 'pending'",
            ("approved" if approve else "rejected", head_id, at.isoformat(), change_id),
        )
        await sign_changes(conn, self.cipher, "WHERE id = ?", (change_id,))
        if sealed:
            await self.reseal_changes(conn, office_id)
