"""Reminder log: each reminder, alert and digest recorded once (the sweep's memory)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store.db import Tx
from bot.store.workflow import InstanceRow, instance_row, iso

__all__ = ["MediationDue", "ReminderStore"]


@dataclass(frozen=True)
class MediationDue:
    """A scheduled mediation of a case that is not closed."""

    id: int
    case_id: int
    step_id: int
    scheduled_at: datetime
    created_at: datetime


# keyset paging: rows after the last one read, in (key, id) order (no OFFSET: each page is
# as cheap as the first, and nothing is held between pages)
_AFTER = " AND ({key} > ? OR ({key} = ? AND {id} > ?))"


def _after(table: str, after: tuple[str, int] | None) -> str:
    return _AFTER.format(key=f"{table}.remind_at", id=f"{table}.id") if after else ""


def _cursor(after: tuple[str, int] | None) -> tuple[Any, ...]:
    return () if after is None else (after[0], after[0], after[1])


async def _all(conn: Tx, sql: str, params: tuple[Any, ...]) -> list[Any]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


class ReminderStore:
    """SQL of the reminder log and the sweep's look-ups; writes take the caller's transaction."""

    async def claim(
        self, conn: Tx, *, subject: str, kind: str, round_: int = 0,
        due_at: datetime, at: datetime, step_id: int | None = None,
        mediation_id: int | None = None, office_id: str | None = None, day: str | None = None,
    ) -> bool:  # fmt: skip
        """Record a reminder; False if it was recorded before (then send nothing)."""
        cur = await conn.execute(
            "INSERT OR IGNORE INTO reminder_log (subject, kind, round, step_id, mediation_id,"
            " office_id, day, due_at, sent_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (subject, kind, round_, step_id, mediation_id, office_id, day, iso(due_at), iso(at)),
        )
        return cur.rowcount == 1

    async def recorded(self, conn: Tx, subject: str, round_: int = 0) -> set[str]:
        """Kinds already recorded for a subject (and round)."""
        sql = "SELECT kind FROM reminder_log WHERE subject = ? AND round = ?"
        return {r["kind"] for r in await _all(conn, sql, (subject, round_))}

    async def last_digest(self, conn: Tx, office_id: str, before_day: str) -> datetime | None:
        """When an office's latest daily digest before a day (ISO date) was queued."""
        sql = (
            "SELECT sent_at FROM reminder_log WHERE office_id = ? AND kind = 'daily_digest'"
            " AND day < ? ORDER BY day DESC LIMIT 1"
        )
        rows = await _all(conn, sql, (office_id, before_day))
        return datetime.fromisoformat(rows[0]["sent_at"]) if rows else None

    async def due_step_ids(
        self, conn: Tx, now: datetime, *, after: tuple[str, int] | None = None, limit: int = -1
    ) -> list[tuple[str, int]]:
        """(remind_at as stored, id) of the steps the sweep has something to do for at ``now``
        (``remind_at`` at or before it: an index range, never every open step), in that
        order; a page of ``limit`` after ``after``."""
        sql = (
            f"SELECT s.remind_at, s.id FROM steps s WHERE s.remind_at <= ?{_after('s', after)}"
            " ORDER BY s.remind_at, s.id LIMIT ?"
        )
        rows = await _all(conn, sql, (iso(now), *_cursor(after), limit))
        return [(str(r["remind_at"]), int(r["id"])) for r in rows]

    async def set_step_remind(self, conn: Tx, step_id: int, at: datetime | None) -> None:
        """When the sweep next looks at a step (None: nothing more will come)."""
        sql = "UPDATE steps SET remind_at = ? WHERE id = ?"
        await conn.execute(sql, (iso(at) if at else None, step_id))

    async def session_start(self, conn: Tx, step_id: int) -> datetime | None:
        """The session a step's current due time counts from (None: counted from its opening)."""
        sql = (
            "SELECT json_extract(data, '$.session_at') AS s FROM step_events WHERE step_id = ?"
            " AND json_extract(data, '$.due_at') IS NOT NULL ORDER BY id DESC LIMIT 1"
        )
        rows = await _all(conn, sql, (step_id,))
        return datetime.fromisoformat(rows[0]["s"]) if rows and rows[0]["s"] else None

    async def scheduled_mediations(
        self, conn: Tx, now: datetime, *, until: datetime | None = None,
        after: tuple[str, int] | None = None, limit: int = -1,
    ) -> list[tuple[str, MediationDue]]:  # fmt: skip
        """(time as stored, mediation) of mediations still to come (up to ``until``), of cases
        not closed; a page of ``limit`` after ``after`` (a time as stored and an id)."""
        horizon = " AND julianday(m.scheduled_at) <= julianday(?)" if until else ""
        sql = (
            "SELECT m.id, m.case_id, m.step_id, m.scheduled_at, m.created_at FROM mediations m"
            " JOIN cases c ON c.id = m.case_id WHERE m.status = 'scheduled'"
            f" AND c.status != 'closed' AND julianday(m.scheduled_at) > julianday(?){horizon}"
            f"{_AFTER.format(key='m.scheduled_at', id='m.id') if after else ''}"
            " ORDER BY m.scheduled_at, m.id LIMIT ?"
        )
        return [
            (str(r["scheduled_at"]),
             MediationDue(r["id"], r["case_id"], r["step_id"],
                          datetime.fromisoformat(r["scheduled_at"]),
                          datetime.fromisoformat(r["created_at"])))
            for r in await _all(conn, sql, (iso(now), *((iso(until),) if until else ()),
                                            *_cursor(after), limit))
        ]  # fmt: skip

    async def new_case_numbers(
        self, conn: Tx, office_id: str, since: datetime, until: datetime
    ) -> list[str]:
        """Numbers of an office's cases (not closed) received in (since, until]."""
        sql = (
            "SELECT number FROM cases WHERE office_id = ? AND status != 'closed'"
            " AND julianday(received_at) > julianday(?)"
            " AND julianday(received_at) <= julianday(?) ORDER BY id"
        )
        rows = await _all(conn, sql, (office_id, iso(since), iso(until)))
        return [str(r["number"]) for r in rows]

    async def open_steps_of_office(
        self, conn: Tx, office_id: str
    ) -> list[tuple[int, str, datetime, int | None, tuple[str, ...]]]:
        """(step id, case number, due time, assignee, roles) of open steps of open cases."""
        sql = (
            "SELECT s.id, c.number, s.due_at, s.assignee_user_id, s.role FROM steps s"
            " JOIN cases c ON c.id = s.case_id WHERE c.office_id = ? AND c.status != 'closed'"
            " AND s.status = 'open' AND s.due_at IS NOT NULL ORDER BY s.due_at, s.id"
        )
        return [
            (int(r["id"]), str(r["number"]), datetime.fromisoformat(r["due_at"]),
             r["assignee_user_id"], tuple(x for x in str(r["role"]).split(",") if x))
            for r in await _all(conn, sql, (office_id,))
        ]  # fmt: skip

    async def due_instances(
        self, conn: Tx, sop_keys: Iterable[str], now: datetime, *,
        after: tuple[str, int] | None = None, limit: int = -1,
    ) -> list[tuple[str, InstanceRow]]:  # fmt: skip
        """(remind_at as stored, instance) of instances of those SOPs the sweep has something
        to do for at ``now`` (an index range on (sop_key, remind_at)); a page of ``limit``."""
        keys = sorted(set(sop_keys))
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        sql = (
            f"SELECT i.* FROM sop_instances i WHERE i.sop_key IN ({marks})"
            f" AND i.remind_at <= ?{_after('i', after)} ORDER BY i.remind_at, i.id LIMIT ?"
        )
        rows = await _all(conn, sql, (*keys, iso(now), *_cursor(after), limit))
        return [(str(r["remind_at"]), instance_row(r)) for r in rows]

    async def set_instance_remind(self, conn: Tx, instance_id: int, at: datetime | None) -> None:
        """When the sweep next looks at an instance's deadlines (None: nothing more)."""
        sql = "UPDATE sop_instances SET remind_at = ? WHERE id = ?"
        await conn.execute(sql, (iso(at) if at else None, instance_id))

    async def instance_is_open(self, conn: Tx, instance_id: int) -> bool:
        """Whether an SOP instance is still open."""
        sql = "SELECT status FROM sop_instances WHERE id = ?"
        rows = await _all(conn, sql, (instance_id,))
        return bool(rows) and rows[0]["status"] == "open"

    async def count(self, conn: Tx, kind: str | None = None) -> int:
        """How many reminders are recorded (of one kind)."""
        sql = "SELECT COUNT(*) FROM reminder_log" + (" WHERE kind = ?" if kind else "")
        rows = await _all(conn, sql, (kind,) if kind else ())
        return int(rows[0][0])

    async def first_open_step(self, conn: Tx) -> tuple[str, datetime] | None:
        """(title, due time) of the oldest open step (the demo lets it run late)."""
        sql = "SELECT title, due_at FROM steps WHERE status = 'open' ORDER BY id LIMIT 1"
        rows = await _all(conn, sql, ())
        return (str(rows[0]["title"]), datetime.fromisoformat(rows[0]["due_at"])) if rows else None
