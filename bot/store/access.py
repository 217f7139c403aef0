"""Need-to-know look-ups: who handles a case, and the head's grants of access to its identity.

Only ids, step keys and times: no personal data.
"""

from __future__ import annotations

from datetime import datetime

from bot.store.db import Tx

__all__ = ["AccessStore"]


class AccessStore:
    """The facts ``may_read_identity`` needs, and the ``access_grants`` rows."""

    async def grant(
        self, tx: Tx, case_id: int, user_id: int, granted_by: int, at: datetime
    ) -> bool:
        """Grant a user access to a case's identity; False if they had it already."""
        cur = await tx.execute(
            "INSERT OR IGNORE INTO access_grants (case_id, user_id, granted_by, granted_at)"
            " VALUES (?, ?, ?, ?)",
            (case_id, user_id, granted_by, at.isoformat()),
        )
        return cur.rowcount == 1

    async def granted(self, tx: Tx, case_id: int) -> frozenset[int]:
        """Everyone granted access to the case."""
        async with tx.execute(
            "SELECT user_id FROM access_grants WHERE case_id = ?", (case_id,)
        ) as cur:
            return frozenset(int(r[0]) for r in await cur.fetchall())

    async def step_people(self, tx: Tx, case_id: int) -> frozenset[int]:
        """Whoever was assigned or completed any of the case's steps, past or open, and whoever
        follows a service of its plan or accompanies one of its referrals."""
        async with tx.execute(
            "SELECT assignee_user_id, completed_by FROM steps WHERE case_id = ?"
            " UNION ALL SELECT assignee_user_id, NULL FROM case_services WHERE case_id = ?"
            " UNION ALL SELECT companion_id, NULL FROM referrals WHERE case_id = ?",
            (case_id, case_id, case_id),
        ) as cur:
            rows = await cur.fetchall()
        return frozenset(int(v) for r in rows for v in (r[0], r[1]) if v is not None)

    async def in_step(self, tx: Tx, case_id: int, step_key: str) -> bool:
        """Whether the case is at that step: it is open, or no step has opened yet."""
        async with tx.execute(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN step_key = ? AND status = 'open'"
            " THEN 1 ELSE 0 END), 0)"
            " FROM steps WHERE case_id = ?",
            (step_key, case_id),
        ) as cur:
            row = await cur.fetchone()
        total, at_step = (int(row[0]), int(row[1])) if row is not None else (0, 0)
        return total == 0 or at_step > 0
