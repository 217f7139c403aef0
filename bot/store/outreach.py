"""Outreach repository: urgent reports paged to the on-call rota, their acks and visits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.crypto import Cipher
from bot.store.db import Row, Tx
from bot.store.rows import fetch_all, insert_returning_id, iso, parse_dt

__all__ = ["OutreachRow", "OutreachStore"]


@dataclass(frozen=True)
class OutreachRow:
    """One outreach (no personal data: the details are read separately)."""

    id: int
    office_id: str
    draft_key: str
    case_id: int | None
    opened_at: datetime
    status: str
    level: int
    paged: tuple[int, ...]
    ack_due: datetime | None
    acked_by: int | None
    acked_at: datetime | None
    visited_at: datetime | None
    team: tuple[int, ...]
    outcome: str | None


def _row(r: Row) -> OutreachRow:
    return OutreachRow(
        id=int(r["id"]), office_id=str(r["office_id"]), draft_key=str(r["draft_key"]),
        case_id=r["case_id"], opened_at=datetime.fromisoformat(r["opened_at"]),
        status=str(r["status"]), level=int(r["level"]),
        paged=tuple(int(x) for x in json.loads(r["paged"])), ack_due=parse_dt(r["ack_due"]),
        acked_by=r["acked_by"], acked_at=parse_dt(r["acked_at"]),
        visited_at=parse_dt(r["visited_at"]),
        team=tuple(int(x) for x in json.loads(r["team"] or "[]")), outcome=r["outcome"],
    )  # fmt: skip


_COLUMNS = (
    "id, office_id, draft_key, case_id, opened_at, status, level, paged, ack_due, acked_by,"
    " acked_at, visited_at, team, outcome"
)


def _context(outreach_id: int) -> bytes:
    return f"outreach:{outreach_id}".encode()


class OutreachStore:
    """SQL of the outreach table; writes take the caller's transaction."""

    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher

    async def open(
        self, conn: Tx, *, office_id: str, draft_key: str, at: datetime,
        paged: tuple[int, ...], ack_due: datetime | None,
    ) -> tuple[int, bool]:  # fmt: skip
        """Open an outreach for a draft (its id, and whether it is new: one per draft)."""
        found = await self.id_for_draft(conn, draft_key)
        if found is not None:
            return found, False
        oid = await insert_returning_id(
            conn,
            "INSERT INTO outreach (office_id, draft_key, opened_at, paged, ack_due)"
            " VALUES (?,?,?,?,?)",
            (office_id, draft_key, iso(at), json.dumps(list(paged)),
             iso(ack_due) if ack_due else None),
        )  # fmt: skip
        return oid, True

    async def id_for_draft(self, conn: Tx, draft_key: str) -> int | None:
        """The outreach opened by a draft (None if none)."""
        rows = await fetch_all(conn, "SELECT id FROM outreach WHERE draft_key = ?", (draft_key,))
        return int(rows[0]["id"]) if rows else None

    async def get(self, conn: Tx, outreach_id: int) -> OutreachRow | None:
        """One outreach."""
        sql = f"SELECT {_COLUMNS} FROM outreach WHERE id = ?"
        rows = await fetch_all(conn, sql, (outreach_id,))
        return _row(rows[0]) if rows else None

    async def details(self, conn: Tx, outreach_id: int) -> dict[str, Any]:
        """Where she is and how to reach her (empty when not given yet)."""
        rows = await fetch_all(
            conn, "SELECT details_enc FROM outreach WHERE id = ?", (outreach_id,)
        )
        if not rows or rows[0]["details_enc"] is None:
            return {}
        blob = bytes(rows[0]["details_enc"])
        value = self.cipher.decrypt_json(blob, context=_context(outreach_id))
        return dict(value) if isinstance(value, dict) else {}

    async def set_detail(self, conn: Tx, outreach_id: int, key: str, value: Any) -> None:
        """Store one detail (location or contact), encrypted with the others."""
        details = await self.details(conn, outreach_id)
        details[key] = value
        blob = self.cipher.encrypt_json(details, context=_context(outreach_id))
        await conn.execute("UPDATE outreach SET details_enc = ? WHERE id = ?", (blob, outreach_id))

    async def page(
        self, conn: Tx, outreach_id: int, *, from_level: int, level: int,
        paged: tuple[int, ...], ack_due: datetime | None, status: str = "paging",
    ) -> bool:  # fmt: skip
        """Move an unacknowledged outreach to the next level (False if it moved meanwhile)."""
        cur = await conn.execute(
            "UPDATE outreach SET level = ?, paged = ?, ack_due = ?, status = ?"
            " WHERE id = ? AND level = ? AND status = 'paging'",
            (level, json.dumps(list(paged)), iso(ack_due) if ack_due else None, status,
             outreach_id, from_level),
        )  # fmt: skip
        return cur.rowcount == 1

    async def expire_page(self, conn: Tx, outreach_id: int, level: int, at: datetime) -> bool:
        """Make a level's page due now (it could not be delivered); False if it moved on."""
        cur = await conn.execute(
            "UPDATE outreach SET ack_due = ? WHERE id = ? AND level = ? AND status = 'paging'",
            (iso(at), outreach_id, level),
        )
        return cur.rowcount == 1

    async def acknowledge(self, conn: Tx, outreach_id: int, person: int, at: datetime) -> bool:
        """Record the first acknowledgement (False if it was acknowledged before)."""
        cur = await conn.execute(
            "UPDATE outreach SET status = 'acknowledged', acked_by = ?, acked_at = ?,"
            " ack_due = NULL WHERE id = ? AND acked_by IS NULL",
            (person, iso(at), outreach_id),
        )
        return cur.rowcount == 1

    async def record_visit(
        self, conn: Tx, outreach_id: int, *, at: datetime, team: tuple[int, ...],
        outcome: str, by: int,
    ) -> None:  # fmt: skip
        """Record the visit: when, who went, what came of it."""
        await conn.execute(
            "UPDATE outreach SET status = 'visited', visited_at = ?, team = ?, outcome = ?,"
            " visit_recorded_by = ?, ack_due = NULL WHERE id = ?",
            (iso(at), json.dumps(list(team)), outcome, by, outreach_id),
        )

    async def link_case(self, conn: Tx, draft_key: str, case_id: int) -> int | None:
        """Attach the outreach of a draft to the case it became (its id, None if none)."""
        oid = await self.id_for_draft(conn, draft_key)
        if oid is not None:
            await conn.execute(
                "UPDATE outreach SET case_id = ? WHERE id = ? AND case_id IS NULL", (case_id, oid)
            )
        return oid

    async def due(self, conn: Tx, now: datetime) -> list[int]:
        """Outreaches still being paged whose acknowledgement deadline has passed."""
        sql = (
            "SELECT id FROM outreach WHERE status = 'paging' AND ack_due IS NOT NULL"
            " AND julianday(ack_due) <= julianday(?) ORDER BY ack_due, id"
        )
        return [int(r["id"]) for r in await fetch_all(conn, sql, (iso(now),))]

    async def acknowledged_by(self, conn: Tx, person: int) -> list[OutreachRow]:
        """Outreaches a person took and whose visit is not recorded yet."""
        sql = (
            f"SELECT {_COLUMNS} FROM outreach WHERE status = 'acknowledged' AND acked_by = ?"
            " ORDER BY id"
        )
        return [_row(r) for r in await fetch_all(conn, sql, (person,))]

    async def of_case(self, conn: Tx, case_id: int) -> list[OutreachRow]:
        """The outreaches of a case."""
        sql = f"SELECT {_COLUMNS} FROM outreach WHERE case_id = ? ORDER BY id"
        return [_row(r) for r in await fetch_all(conn, sql, (case_id,))]

    async def forget_details(self, conn: Tx, office_id: str, opened_before: datetime) -> int:
        """Drop the details of an office's outreaches that never became a case; how many."""
        cur = await conn.execute(
            "UPDATE outreach SET details_enc = NULL WHERE office_id = ? AND case_id IS NULL"
            " AND details_enc IS NOT NULL AND julianday(opened_at) < julianday(?)",
            (office_id, iso(opened_before)),
        )
        return int(cur.rowcount)
