"""The daily digest's look-ups: counts and the first few of each list, never every row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.store.db import Tx
from bot.store.rows import fetch_all as _all
from bot.store.rows import iso

__all__ = ["DigestStore"]

_OPEN_STEPS = (
    " FROM steps s JOIN cases c ON c.id = s.case_id WHERE c.office_id = ?"
    " AND c.status != 'closed' AND s.status = 'open' AND s.due_at IS NOT NULL"
)


def _literal(text: str) -> str:
    """``text`` matched as itself by LIKE (``_`` and ``%`` are wildcards otherwise)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class DigestStore:
    """SQL of the daily digest: how many, and the first ``limit`` in the order shown."""

    async def new_cases(
        self, conn: Tx, office_id: str, since: datetime, until: datetime, limit: int
    ) -> tuple[int, list[str]]:
        """How many of an office's cases (not closed) came in (since, until], and the first
        ``limit`` numbers in the order received."""
        where = (
            " FROM cases WHERE office_id = ? AND status != 'closed'"
            " AND julianday(received_at) > julianday(?) AND julianday(received_at) <= julianday(?)"
        )
        params = (office_id, iso(since), iso(until))
        count = await _all(conn, "SELECT COUNT(*) AS n" + where, params)
        rows = await _all(conn, "SELECT number" + where + " ORDER BY id LIMIT ?", (*params, limit))
        return int(count[0]["n"]), [str(r["number"]) for r in rows]

    async def step_cases(
        self, conn: Tx, office_id: str, low: datetime | None, high: datetime, limit: int
    ) -> tuple[int, list[str]]:
        """How many open cases have an open step due in (low, high] (``low`` None: any time up
        to ``high``), and the first ``limit`` numbers, the most urgent step first."""
        where = _OPEN_STEPS + " AND julianday(s.due_at) <= julianday(?)"
        params: tuple[object, ...] = (office_id, iso(high))
        if low is not None:
            where += " AND julianday(s.due_at) > julianday(?)"
            params = (*params, iso(low))
        count = await _all(conn, "SELECT COUNT(DISTINCT c.id) AS n" + where, params)
        rows = await _all(
            conn,
            "SELECT c.number" + where + " GROUP BY c.id ORDER BY MIN(s.due_at), MIN(s.id) LIMIT ?",
            (*params, limit),
        )
        return int(count[0]["n"]), [str(r["number"]) for r in rows]

    async def person_steps(
        self, conn: Tx, office_id: str, person: int, roles: Iterable[str], limit: int
    ) -> tuple[int, list[int]]:
        """How many open steps of the office are a person's (assigned to her, or unassigned
        with one of her roles), and the first ``limit`` ids, the most urgent first."""
        held = sorted(set(roles))
        mine = " AND (s.assignee_user_id = ?"
        if held:
            likes = " OR ".join("(',' || s.role || ',') LIKE ? ESCAPE '\\'" for _ in held)
            mine += f" OR (s.assignee_user_id IS NULL AND ({likes}))"
        mine += ")"
        params = (office_id, person, *(f"%,{_literal(r)},%" for r in held))
        count = await _all(conn, "SELECT COUNT(*) AS n" + _OPEN_STEPS + mine, params)
        rows = await _all(
            conn,
            "SELECT s.id" + _OPEN_STEPS + mine + " ORDER BY s.due_at, s.id LIMIT ?",
            (*params, limit),
        )
        return int(count[0]["n"]), [int(r["id"]) for r in rows]
