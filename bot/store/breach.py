"""SQL of breach incidents (Pasal 46) and of what a breach may have exposed: counts and ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.db import Row, Tx
from bot.store.rows import iso

__all__ = ["AffectedCase", "BreachIncident", "BreachStore", "RemovedCase"]


@dataclass(frozen=True)
class BreachIncident:
    """A recorded breach and its notice deadline."""

    id: int
    recorded_at: datetime
    since: datetime
    due_at: datetime
    cases: int
    status: str
    notified_at: datetime | None


@dataclass(frozen=True)
class AffectedCase:
    """A stored case, without personal data: how its data subjects can be reached."""

    id: int
    number: str
    office_id: str
    channel: str
    reporter_type: str
    notify_mode: str
    child_victim: bool
    received_at: datetime
    has_reporter_chat: bool
    language: str


@dataclass(frozen=True)
class RemovedCase:
    """A case erased or purged (the audit log keeps its number and when)."""

    case_id: int | None
    number: str
    action: str
    at: datetime


_COLS = "id, recorded_at, since, due_at, cases, status, notified_at"


def _incident(r: Row) -> BreachIncident:
    return BreachIncident(
        id=int(r["id"]),
        recorded_at=datetime.fromisoformat(r["recorded_at"]),
        since=datetime.fromisoformat(r["since"]),
        due_at=datetime.fromisoformat(r["due_at"]),
        cases=int(r["cases"]),
        status=str(r["status"]),
        notified_at=datetime.fromisoformat(r["notified_at"]) if r["notified_at"] else None,
    )


class BreachStore:
    """Reads and writes breach incidents; writes take the caller's transaction."""

    async def add(
        self, conn: Tx, *, recorded_at: datetime, since: datetime, due_at: datetime, cases: int
    ) -> int:
        """Record a breach; returns its id."""
        cur = await conn.execute(
            "INSERT INTO breach_incidents (recorded_at, since, due_at, cases) VALUES (?,?,?,?)",
            (iso(recorded_at), iso(since), iso(due_at), cases),
        )
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def get(self, conn: Tx, breach_id: int) -> BreachIncident | None:
        """A breach by id."""
        sql = f"SELECT {_COLS} FROM breach_incidents WHERE id = ?"
        async with conn.execute(sql, (breach_id,)) as cur:
            row = await cur.fetchone()
        return _incident(row) if row else None

    async def open(self, conn: Tx) -> list[BreachIncident]:
        """Breaches whose notices are not sent yet."""
        sql = f"SELECT {_COLS} FROM breach_incidents WHERE status = 'open' ORDER BY id"
        async with conn.execute(sql) as cur:
            return [_incident(r) for r in await cur.fetchall()]

    async def mark_notified(self, conn: Tx, breach_id: int, at: datetime) -> bool:
        """The notices went out; False if it was not open."""
        cur = await conn.execute(
            "UPDATE breach_incidents SET status = 'notified', notified_at = ?"
            " WHERE id = ? AND status = 'open'",
            (iso(at), breach_id),
        )
        return cur.rowcount == 1

    async def stored_cases(self, conn: Tx, until: datetime) -> list[AffectedCase]:
        """Every case stored now and received by ``until`` (its data was there to leak)."""
        sql = (
            "SELECT id, number, office_id, channel, reporter_type, notify_mode, child_victim,"
            " received_at, reporter_chat_enc IS NOT NULL AS has_chat, language FROM cases"
            " WHERE julianday(received_at) <= julianday(?) ORDER BY id"
        )
        async with conn.execute(sql, (iso(until),)) as cur:
            rows = await cur.fetchall()
        return [
            AffectedCase(int(r["id"]), str(r["number"]), str(r["office_id"]), str(r["channel"]),
                         str(r["reporter_type"]), str(r["notify_mode"]), bool(r["child_victim"]),
                         datetime.fromisoformat(r["received_at"]), bool(r["has_chat"]),
                         str(r["language"]))
            for r in rows
        ]  # fmt: skip

    async def removed_since(self, conn: Tx, since: datetime) -> list[RemovedCase]:
        """Cases purged or erased at or after ``since`` (from the audit log)."""
        sql = (
            "SELECT case_id, action, detail, at FROM audit_log WHERE action IN ('purge', 'erase')"
            " AND julianday(at) >= julianday(?) ORDER BY id"
        )
        async with conn.execute(sql, (iso(since),)) as cur:
            rows = await cur.fetchall()
        return [
            RemovedCase(r["case_id"], str(r["detail"]).split(" ")[0], str(r["action"]),
                        datetime.fromisoformat(r["at"]))
            for r in rows
        ]  # fmt: skip

    async def backups(self, conn: Tx) -> list[datetime]:
        """When backups were made (the audit log's ``backup`` entries), oldest first."""
        sql = "SELECT at FROM audit_log WHERE action = 'backup' ORDER BY id"
        async with conn.execute(sql) as cur:
            return [datetime.fromisoformat(r["at"]) for r in await cur.fetchall()]

    async def identity_reads(self, conn: Tx, since: datetime) -> dict[int, set[str]]:
        """Per case, the staff actors who read its identity at or after ``since``."""
        sql = (
            "SELECT case_id, actor FROM audit_log WHERE case_id IS NOT NULL"
            " AND action IN ('read_details', 'letter_generated', 'read_rights_request')"
            " AND julianday(at) >= julianday(?)"
        )
        out: dict[int, set[str]] = {}
        async with conn.execute(sql, (iso(since),)) as cur:
            for r in await cur.fetchall():
                out.setdefault(int(r["case_id"]), set()).add(str(r["actor"]))
        return out
