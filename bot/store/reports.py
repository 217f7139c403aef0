"""Read models of the reports: export rows, /rekap counts and a case's delivered services."""

from __future__ import annotations

from datetime import datetime

from bot.store.db import Row, Tx

__all__ = ["ReportStore"]


class ReportStore:
    """Read-only SQL behind letters, the national-recording export and /rekap."""

    async def done_steps(self, tx: Tx, case_id: int) -> list[tuple[str, datetime, str, str | None]]:
        """(title, completed at, outcome, service) of a case's completed steps."""
        async with tx.execute(
            "SELECT s.title, s.completed_at, s.outcome, i.service FROM steps s"
            " JOIN sop_instances i ON i.id = s.instance_id"
            " WHERE s.case_id = ? AND s.status = 'done' AND s.completed_at IS NOT NULL",
            (case_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [
            (
                r["title"],
                datetime.fromisoformat(r["completed_at"]),
                r["outcome"] or "",
                r["service"],
            )
            for r in rows
        ]

    async def export_cases(self, tx: Tx, office_id: str) -> list[Row]:
        """An office's cases for the export (no personal data), oldest first."""
        async with tx.execute(
            "SELECT id, number, channel, urgent, child_victim, victim_sex, victim_age_group,"
            " disability, categories, relation, help_wanted, status, stage, received_at, closed_at"
            " FROM cases WHERE office_id = ? ORDER BY received_at, id",
            (office_id,),
        ) as cur:
            return list(await cur.fetchall())

    async def close_reasons(self, tx: Tx, office_id: str, since: datetime) -> list[str]:
        """The closing reasons of an office's cases closed at or after a moment ("" if none)."""
        async with tx.execute(
            "SELECT closed_at, close_reason FROM cases WHERE office_id = ? AND status = 'closed'"
            " AND closed_at IS NOT NULL",
            (office_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [str(r["close_reason"] or "") for r in rows
                if datetime.fromisoformat(r["closed_at"]) >= since]  # fmt: skip

    async def services(self, tx: Tx, case_id: int) -> list[str]:
        """Services started for a case, in the order they were started."""
        async with tx.execute(
            "SELECT service FROM sop_instances WHERE case_id = ? AND service IS NOT NULL"
            " GROUP BY service ORDER BY MIN(id)",
            (case_id,),
        ) as cur:
            return [str(r[0]) for r in await cur.fetchall()]

    async def last_outcome(self, tx: Tx, case_id: int) -> tuple[str, str | None] | None:
        """(step key, outcome) of the case's most recently completed step."""
        async with tx.execute(
            "SELECT step_key, outcome FROM steps WHERE case_id = ? AND status = 'done'"
            " AND completed_at IS NOT NULL ORDER BY completed_at DESC, id DESC LIMIT 1",
            (case_id,),
        ) as cur:
            row = await cur.fetchone()
        return (row["step_key"], row["outcome"]) if row else None

    async def rekap_cases(self, tx: Tx, office_id: str) -> list[Row]:
        """One row per victim of an office's cases, with the fields /rekap counts."""
        async with tx.execute(
            "SELECT c.id AS case_id, c.received_at, c.categories, c.child_victim, c.channel,"
            " COALESCE(v.age_group, c.victim_age_group) AS victim_age_group,"
            " COALESCE(v.sex, c.victim_sex) AS victim_sex"
            " FROM cases c LEFT JOIN case_victims v ON v.case_id = c.id"
            " WHERE c.office_id = ? ORDER BY c.id, v.ord",
            (office_id,),
        ) as cur:
            return list(await cur.fetchall())

    async def rekap_steps(self, tx: Tx, office_id: str) -> list[tuple[datetime, datetime]]:
        """(completed at, due at) of an office's steps done with a time standard."""
        async with tx.execute(
            "SELECT s.completed_at, s.due_at FROM steps s JOIN cases c ON c.id = s.case_id"
            " WHERE c.office_id = ? AND s.completed_at IS NOT NULL AND s.due_at IS NOT NULL"
            " AND s.status = 'done'",
            (office_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [
            (datetime.fromisoformat(r["completed_at"]), datetime.fromisoformat(r["due_at"]))
            for r in rows
        ]
