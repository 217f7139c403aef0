"""Retention: purge closed cases older than each office's retention period, audited."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiosqlite

from bot.domain.office import Office
from bot.store.audit import append_audit
from bot.store.db import Database

__all__ = ["DEFAULT_RETENTION_DAYS", "PurgeCandidate", "PurgeReport", "purge", "retention_days"]

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 365
ACTOR = "system:retention"


def retention_days(office: Office | None) -> int:
    """Days a closed case of this office is kept (``retention_days`` in the office TOML)."""
    value = getattr(office, "retention_days", DEFAULT_RETENTION_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return DEFAULT_RETENTION_DAYS
    return value


@dataclass(frozen=True)
class PurgeCandidate:
    """A closed case past its retention period, with how many related rows go with it."""

    case_id: int
    number: str
    office_id: str
    closed_at: str
    related: Mapping[str, int]


@dataclass
class PurgeReport:
    """What was (or, in a dry run, would be) purged."""

    dry_run: bool
    cases: list[PurgeCandidate] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per case: number, office, closing date and related row counts."""
        out = []
        for c in self.cases:
            rel = ", ".join(f"{n} {t}" for t, n in c.related.items() if n)
            out.append(f"{c.number} ({c.office_id}, closed {c.closed_at[:10]}): {rel or 'no rows'}")
        return out


async def _child_tables(conn: aiosqlite.Connection) -> list[str]:
    """Tables with a ``case_id`` column (all hold rows that belong to a case)."""
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name NOT IN ('cases', 'audit_log') ORDER BY name"
    ) as cur:
        tables = [str(r[0]) for r in await cur.fetchall()]
    out = []
    for t in tables:
        async with conn.execute(f'PRAGMA table_info("{t}")') as cur:
            if any(str(r[1]) == "case_id" for r in await cur.fetchall()):
                out.append(t)
    return out


async def _candidates(
    conn: aiosqlite.Connection, offices: Mapping[str, Office], now: datetime
) -> list[PurgeCandidate]:
    async with conn.execute(
        "SELECT id, number, office_id, closed_at FROM cases"
        " WHERE status = 'closed' AND closed_at IS NOT NULL ORDER BY id"
    ) as cur:
        rows = list(await cur.fetchall())
    children = await _child_tables(conn)
    found = []
    for r in rows:
        closed = datetime.fromisoformat(str(r[3]))
        days = retention_days(offices.get(str(r[2])))
        if closed + timedelta(days=days) > now:
            continue
        related: dict[str, int] = {}
        for t in children:
            async with conn.execute(f'SELECT COUNT(*) FROM "{t}" WHERE case_id = ?', (r[0],)) as c:
                row = await c.fetchone()
            related[t] = int(row[0]) if row else 0
        found.append(PurgeCandidate(int(r[0]), str(r[1]), str(r[2]), str(r[3]), related))
    return found


async def purge(
    db: Database, offices: Mapping[str, Office], *, now: datetime, dry_run: bool = False
) -> PurgeReport:
    """Delete expired closed cases and every row that belongs to them (secure_delete is on)."""
    report = PurgeReport(dry_run=dry_run)
    async with db.transaction() as conn:
        report.cases = await _candidates(conn, offices, now)
        if dry_run:
            return report
        children = await _child_tables(conn)
        for c in report.cases:
            # children first: deepest tables (steps' events) go with their steps by cascade
            for t in children:
                await conn.execute(f'DELETE FROM "{t}" WHERE case_id = ?', (c.case_id,))
            await conn.execute("DELETE FROM cases WHERE id = ?", (c.case_id,))
            await append_audit(
                conn,
                at=now,
                actor=ACTOR,
                action="purge",
                case_id=c.case_id,
                detail=f"{c.number} retention {retention_days(offices.get(c.office_id))}d",
            )
        if report.cases:
            await append_audit(
                conn, at=now, actor=ACTOR, action="purge_run", detail=f"{len(report.cases)} cases"
            )
    if report.cases:
        async with db.reading() as conn, conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
            await cur.fetchall()
    log.info("retention purge: %d case(s)%s", len(report.cases), " (dry run)" if dry_run else "")
    return report
