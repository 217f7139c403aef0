"""Case plan repository: a case's services, its periodic review and its closing decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.db import Row, Tx
from bot.store.rows import fetch_all as _all
from bot.store.rows import insert_returning_id as _insert
from bot.store.rows import iso
from bot.store.rows import parse_dt as _dt

__all__ = ["CasePlanStore", "ReviewRow", "ServiceRow"]


@dataclass(frozen=True)
class ServiceRow:
    """One service on a case's plan (no personal data)."""

    id: int
    case_id: int
    kind: str
    status: str
    instance_id: int | None
    assignee_user_id: int | None
    added_by: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    record: str | None = None  # "outreach:<id>", "referral:<id>", "stay:<id>" (no SOP)


@dataclass(frozen=True)
class ReviewRow:
    """When a case's plan is next reviewed, and the reminder round."""

    case_id: int
    due_at: datetime
    round: int


def _service(r: Row) -> ServiceRow:
    return ServiceRow(
        id=r["id"], case_id=r["case_id"], kind=r["kind"], status=r["status"],
        instance_id=r["instance_id"], assignee_user_id=r["assignee_user_id"],
        added_by=r["added_by"], started_at=datetime.fromisoformat(r["started_at"]),
        ended_at=_dt(r["ended_at"]), outcome=r["outcome"], record=r["record"],
    )  # fmt: skip


class CasePlanStore:
    """SQL of the case plan; writes take the caller's transaction."""

    async def add_service(
        self, conn: Tx, *, case_id: int, kind: str, instance_id: int | None,
        assignee_user_id: int | None, added_by: str, at: datetime, record: str | None = None,
    ) -> int:  # fmt: skip
        """Put a running service on the plan; returns its id."""
        return await _insert(
            conn,
            "INSERT INTO case_services (case_id, kind, instance_id, assignee_user_id, added_by,"
            " started_at, record) VALUES (?,?,?,?,?,?,?)",
            (case_id, kind, instance_id, assignee_user_id, added_by, iso(at), record),
        )

    async def running_for_record(self, conn: Tx, record: str) -> ServiceRow | None:
        """The running service that follows a record ("referral:5"), None if none."""
        sql = "SELECT * FROM case_services WHERE record = ? AND status = 'running'"
        rows = await _all(conn, sql, (record,))
        return _service(rows[0]) if rows else None

    async def set_record(self, conn: Tx, service_id: int, record: str) -> None:
        """The record a service follows from now on (a shelter request became a stay)."""
        await conn.execute("UPDATE case_services SET record = ? WHERE id = ?", (record, service_id))

    async def services(self, conn: Tx, case_id: int) -> list[ServiceRow]:
        """A case's services in the order they were added."""
        sql = "SELECT * FROM case_services WHERE case_id = ? ORDER BY id"
        return [_service(r) for r in await _all(conn, sql, (case_id,))]

    async def get_service(self, conn: Tx, service_id: int) -> ServiceRow | None:
        """A service by id."""
        rows = await _all(conn, "SELECT * FROM case_services WHERE id = ?", (service_id,))
        return _service(rows[0]) if rows else None

    async def service_for_instance(self, conn: Tx, instance_id: int) -> ServiceRow | None:
        """The service an SOP instance runs (None for the intake and case management)."""
        sql = "SELECT * FROM case_services WHERE instance_id = ?"
        rows = await _all(conn, sql, (instance_id,))
        return _service(rows[0]) if rows else None

    async def move_service(self, conn: Tx, service_id: int, instance_id: int) -> None:
        """A service carries on in another SOP instance (its SOP handed over)."""
        await conn.execute(
            "UPDATE case_services SET instance_id = ? WHERE id = ?", (instance_id, service_id)
        )

    async def end_service(self, conn: Tx, service_id: int, at: datetime, outcome: str) -> bool:
        """A running service ends with an outcome; False if it had ended already."""
        cur = await conn.execute(
            "UPDATE case_services SET status = 'ended', ended_at = ?, outcome = ?"
            " WHERE id = ? AND status = 'running'",
            (iso(at), outcome, service_id),
        )
        return cur.rowcount == 1

    async def cancel_instance(self, conn: Tx, instance_id: int, at: datetime) -> None:
        """Cancel an SOP instance's open or waiting steps and the instance itself."""
        await conn.execute(
            "UPDATE steps SET status = 'cancelled', completed_at = ?"
            " WHERE instance_id = ? AND status IN ('open', 'waiting')",
            (iso(at), instance_id),
        )
        await conn.execute(
            "UPDATE sop_instances SET status = 'cancelled', ended_at = ?"
            " WHERE id = ? AND status = 'open'",
            (iso(at), instance_id),
        )

    # -- review ---------------------------------------------------------------------------

    async def review(self, conn: Tx, case_id: int) -> ReviewRow | None:
        """A case's next review (None: none planned)."""
        rows = await _all(conn, "SELECT * FROM case_reviews WHERE case_id = ?", (case_id,))
        if not rows:
            return None
        r = rows[0]
        return ReviewRow(r["case_id"], datetime.fromisoformat(r["due_at"]), r["round"])

    async def set_review(self, conn: Tx, case_id: int, due_at: datetime) -> None:
        """Plan the next review (a new reminder round)."""
        await conn.execute(
            "INSERT INTO case_reviews (case_id, due_at) VALUES (?, ?) ON CONFLICT (case_id)"
            " DO UPDATE SET due_at = excluded.due_at, round = case_reviews.round + 1",
            (case_id, iso(due_at)),
        )

    async def drop_review(self, conn: Tx, case_id: int) -> None:
        """No more reviews (the case is closed)."""
        await conn.execute("DELETE FROM case_reviews WHERE case_id = ?", (case_id,))

    async def due_reviews(
        self, conn: Tx, now: datetime, *, after: tuple[str, int] | None = None, limit: int = -1
    ) -> list[tuple[str, int]]:
        """(due time as stored, case id) of cases, not closed, whose review is due at ``now``;
        a page of ``limit`` after ``after``."""
        more = " AND (r.due_at > ? OR (r.due_at = ? AND r.case_id > ?))" if after else ""
        sql = (
            "SELECT r.due_at, r.case_id FROM case_reviews r JOIN cases c ON c.id = r.case_id"
            f" WHERE c.status != 'closed' AND r.due_at <= ?{more} ORDER BY r.due_at, r.case_id"
            " LIMIT ?"
        )
        cursor = () if after is None else (after[0], after[0], after[1])
        rows = await _all(conn, sql, (iso(now), *cursor, limit))
        return [(str(r["due_at"]), int(r["case_id"])) for r in rows]

    # -- the closing decision -------------------------------------------------------------

    async def close(self, conn: Tx, case_id: int, at: datetime, reason: str) -> bool:
        """Close an open case with its reason; False if it was closed already."""
        cur = await conn.execute(
            "UPDATE cases SET status = 'closed', stage = 'closed', closed_at = ?,"
            " close_reason = ? WHERE id = ? AND status != 'closed'",
            (iso(at), reason, case_id),
        )
        return cur.rowcount == 1

    async def reopen(self, conn: Tx, case_id: int) -> bool:
        """Open a closed case again; False if it was not closed."""
        cur = await conn.execute(
            "UPDATE cases SET status = 'in_progress', stage = 'reopened', closed_at = NULL,"
            " close_reason = NULL WHERE id = ? AND status = 'closed'",
            (case_id,),
        )
        return cur.rowcount == 1

    async def close_reason(self, conn: Tx, case_id: int) -> str | None:
        """Why a closed case was closed."""
        rows = await _all(conn, "SELECT close_reason FROM cases WHERE id = ?", (case_id,))
        return str(rows[0]["close_reason"]) if rows and rows[0]["close_reason"] else None
