"""The daily digest's look-ups: counts and the first few of each list, never every row, and
never one long statement over every case (the store's one connection is shared: a long read
makes every reporter wait). Whole-office counts are read a window of ids at a time; the
lists walk the due-time index and stop when full."""

from __future__ import annotations

from datetime import datetime

from bot.store.db import Tx
from bot.store.rows import fetch_all as _all
from bot.store.rows import iso

__all__ = ["WINDOW", "DigestStore", "OpenStep"]

WINDOW = 5_000  # ids read per statement by the whole-office counts (a few ms each)
# In a window, "column || ''" keeps the planner on the id range: with the column as itself
# it walks the office's (or every open step's) index instead, in every window.

# the case as a look-up per step (a join lets the planner read every case of the office)
_CASE_OPEN = (
    " AND EXISTS (SELECT 1 FROM cases c WHERE c.id = s.case_id AND c.office_id = ?"
    " AND c.status != 'closed')"
)
_OPEN = "s.status = 'open' AND s.due_at IS NOT NULL"

# (due time as stored, step id, assignee, roles) of an open step
OpenStep = tuple[str, int, int | None, tuple[str, ...]]


def _roles(text: str) -> tuple[str, ...]:
    return tuple(x for x in text.split(",") if x)


class DigestStore:
    """SQL of the daily digest: how many, and the first ``limit`` in the order shown."""

    async def last_ids(self, conn: Tx) -> tuple[int, int]:
        """The highest case id and step id (the end of the windows)."""
        rows = await _all(
            conn, "SELECT (SELECT MAX(id) FROM cases), (SELECT MAX(id) FROM steps)", ()
        )
        return int(rows[0][0] or 0), int(rows[0][1] or 0)

    async def new_cases(
        self, conn: Tx, office_id: str, since: datetime, until: datetime, ids: tuple[int, int],
        limit: int,
    ) -> tuple[int, list[str]]:  # fmt: skip
        """Of the cases with ids in (low, high]: how many of the office's (not closed) came
        in (since, until], and the first ``limit`` numbers in id order."""
        where = (
            " FROM cases WHERE id > ? AND id <= ? AND office_id || '' = ? AND status != 'closed'"
            " AND julianday(received_at) > julianday(?) AND julianday(received_at) <= julianday(?)"
        )
        params = (*ids, office_id, iso(since), iso(until))
        count = await _all(conn, "SELECT COUNT(*) AS n" + where, params)
        rows = await _all(conn, "SELECT number" + where + " ORDER BY id LIMIT ?", (*params, limit))
        return int(count[0]["n"]), [str(r["number"]) for r in rows]

    async def step_cases(
        self, conn: Tx, office_id: str, low: datetime | None, high: datetime, limit: int
    ) -> tuple[int, list[str]]:
        """How many open cases have an open step due in (low, high] (``low`` None: any time up
        to ``high``), and the first ``limit`` numbers, the most urgent step first. A range of
        the due-time index: only the steps due in it are read."""
        where = f" FROM steps s JOIN cases c ON c.id = s.case_id WHERE {_OPEN} AND s.due_at <= ?"
        params: tuple[object, ...] = (iso(high),)
        if low is not None:
            where += " AND s.due_at > ?"
            params = (*params, iso(low))
        where += " AND c.office_id = ? AND c.status != 'closed'"
        params = (*params, office_id)
        count = await _all(conn, "SELECT COUNT(DISTINCT c.id) AS n" + where, params)
        rows = await _all(
            conn,
            "SELECT c.number" + where + " GROUP BY c.id ORDER BY MIN(s.due_at), MIN(s.id) LIMIT ?",
            (*params, limit),
        )
        return int(count[0]["n"]), [str(r["number"]) for r in rows]

    async def step_groups(
        self, conn: Tx, office_id: str, ids: tuple[int, int]
    ) -> list[tuple[int | None, tuple[str, ...], int]]:
        """Of the steps with ids in (low, high]: (assignee, roles, how many) of the office's
        open steps of open cases."""
        sql = (
            "SELECT s.assignee_user_id AS a, s.role AS r, COUNT(*) AS n FROM steps s"
            " WHERE s.id > ? AND s.id <= ? AND s.status || '' = 'open' AND s.due_at IS NOT NULL"
            f"{_CASE_OPEN}"
            " GROUP BY s.assignee_user_id, s.role"
        )
        rows = await _all(conn, sql, (*ids, office_id))
        return [(r["a"], _roles(str(r["r"])), int(r["n"])) for r in rows]

    async def open_steps(
        self, conn: Tx, office_id: str, after: tuple[str, int] | None, limit: int
    ) -> list[OpenStep]:
        """The office's open steps of open cases, the most urgent first: a page of ``limit``
        after ``after`` (due time as stored, id)."""
        more = " AND (s.due_at > ? OR (s.due_at = ? AND s.id > ?))" if after else ""
        cursor = () if after is None else (after[0], after[0], after[1])
        sql = (
            f"SELECT s.due_at, s.id, s.assignee_user_id, s.role FROM steps s WHERE {_OPEN}{more}"
            f"{_CASE_OPEN} ORDER BY s.due_at, s.id LIMIT ?"
        )
        rows = await _all(conn, sql, (*cursor, office_id, limit))
        return [
            (str(r["due_at"]), int(r["id"]), r["assignee_user_id"], _roles(str(r["role"])))
            for r in rows
        ]
