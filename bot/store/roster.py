"""The roster in the database: who holds which role where, and the decisions that changed it.

``roster`` holds the current roster of every office (the office file's roster with the
approved ``roster_changes`` on top); every process reads it from here. Only user ids and
roles: no names or other personal data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain.office import Role
from bot.store.db import Row, Tx

__all__ = ["RosterChange", "RosterStore"]

_COLUMNS = (
    "id, office_id, user_id, role, action, status, requested_by, requested_at,"
    " decided_by, decided_at"
)


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
    """Roster rows and roster change requests."""

    # -- the roster ------------------------------------------------------------------------

    async def load(
        self, conn: Tx, office_ids: Iterable[str]
    ) -> dict[str, dict[int, frozenset[Role]]]:
        """The roster of each office asked for (empty when it has no one); unknown roles skipped."""
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
        return {oid: {u: frozenset(r) for u, r in held.items()} for oid, held in found.items()}

    async def replace(
        self, conn: Tx, office_id: str, roster: Mapping[int, frozenset[Role]]
    ) -> None:
        """Make an office's roster exactly ``roster``."""
        await conn.execute("DELETE FROM roster WHERE office_id = ?", (office_id,))
        await conn.executemany(
            "INSERT INTO roster (office_id, user_id, role) VALUES (?,?,?)",
            [(office_id, uid, r.value) for uid, held in roster.items() for r in sorted(held)],
        )

    async def grant(self, conn: Tx, office_id: str, user_id: int, role: Role) -> None:
        """The user holds the role in the office (no-op when already so)."""
        await conn.execute(
            "INSERT OR IGNORE INTO roster (office_id, user_id, role) VALUES (?,?,?)",
            (office_id, user_id, role.value),
        )

    async def revoke(self, conn: Tx, office_id: str, user_id: int, role: Role) -> None:
        """The user no longer holds the role in the office."""
        await conn.execute(
            "DELETE FROM roster WHERE office_id = ? AND user_id = ? AND role = ?",
            (office_id, user_id, role.value),
        )

    # -- change requests and decisions --------------------------------------------------------

    async def change(self, conn: Tx, change_id: int) -> RosterChange | None:
        """One roster change by id."""
        async with conn.execute(
            f"SELECT {_COLUMNS} FROM roster_changes WHERE id = ?", (change_id,)
        ) as cur:
            r = await cur.fetchone()
        return None if r is None else _change(r)

    async def approved_changes(self, conn: Tx, office_id: str) -> list[tuple[int, str, str]]:
        """(user_id, role, action) of an office's approved changes, in decision order."""
        async with conn.execute(
            "SELECT user_id, role, action FROM roster_changes"
            " WHERE status = 'approved' AND office_id = ? ORDER BY decided_at, id",
            (office_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

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
        return cur.lastrowid if cur.rowcount == 1 else None

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
        cur = await conn.execute(
            "INSERT INTO roster_changes (office_id, user_id, role, action, status, requested_by,"
            " requested_at, decided_by, decided_at) VALUES (?,?,?,'remove','approved',?,?,?,?)",
            (office_id, user_id, role.value, head_id, at.isoformat(), head_id, at.isoformat()),
        )
        change_id = cur.lastrowid
        assert change_id is not None
        await conn.execute(
            "UPDATE roster_changes SET status = 'rejected', decided_by = ?, decided_at = ?"
            " WHERE office_id = ? AND user_id = ? AND role = ? AND status = 'pending'",
            (head_id, at.isoformat(), office_id, user_id, role.value),
        )
        return change_id

    async def decide(
        self, conn: Tx, change_id: int, approve: bool, head_id: int, at: datetime
    ) -> None:
        """Approve or reject a pending request."""
        await conn.execute(
            "UPDATE roster_changes SET status = ?, decided_by = ?, decided_at = ?"
            " WHERE id = ? AND status = 'pending'",
            ("approved" if approve else "rejected", head_id, at.isoformat(), change_id),
        )
