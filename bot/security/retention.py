"""Retention: purge closed cases older than each office's retention period, audited."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.office import Office
from bot.store import Database, Tx
from bot.store.audit import append_audit
from bot.store.evidence_files import EvidenceFiles
from bot.store.persons import case_reporter, forget_former_reporters
from bot.store.purge import case_tables, closed_cases, count_case_rows, delete_case
from bot.store.rights import forget_case

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


async def _candidates(tx: Tx, offices: Mapping[str, Office], now: datetime) -> list[PurgeCandidate]:
    rows = await closed_cases(tx)
    children = await case_tables(tx)
    found = []
    for case_id, number, office_id, closed_at in rows:
        closed = datetime.fromisoformat(closed_at)
        days = retention_days(offices.get(office_id))
        if closed + timedelta(days=days) > now:
            continue
        related = {t: await count_case_rows(tx, t, case_id) for t in children}
        found.append(PurgeCandidate(case_id, number, office_id, closed_at, related))
    return found


async def purge(
    db: Database,
    offices: Mapping[str, Office],
    *,
    now: datetime,
    dry_run: bool = False,
    files: EvidenceFiles | None = None,
) -> PurgeReport:
    """Delete expired closed cases and every row that belongs to them (secure_delete is on),
    then their evidence files (``files``: the file store; None: nothing to delete there, as
    for a store without one)."""
    report = PurgeReport(dry_run=dry_run)
    refs: list[str] = []
    async with db.transaction() as conn:
        report.cases = await _candidates(conn, offices, now)
        if dry_run:
            return report
        children = await case_tables(conn)
        reporters: set[int] = set()
        for c in report.cases:
            if (reporter := await case_reporter(conn, c.case_id)) is not None:
                reporters.add(reporter)
            # children first: deepest tables (steps' events) go with their steps by cascade
            refs += await delete_case(conn, c.case_id, children)
            await forget_case(conn, c.case_id, by=ACTOR, at=now)
            await append_audit(
                conn,
                at=now,
                actor=ACTOR,
                action="purge",
                case_id=c.case_id,
                detail=f"{c.number} retention {retention_days(offices.get(c.office_id))}d",
            )
        # reporters with nothing left here: their handle goes (crypto-shredding the link from
        # the audit log's person ids to an account)
        shredded = await forget_former_reporters(conn, reporters)
        if report.cases:
            await append_audit(
                conn, at=now, actor=ACTOR, action="purge_run",
                detail=f"{len(report.cases)} cases, {shredded} handles forgotten",
            )  # fmt: skip
    if files is not None:
        await files.discard(refs)
    elif refs:
        log.warning("retention purge: %d evidence file(s) left for the start-up sweep", len(refs))
    if report.cases:
        await db.checkpoint()
    log.info("retention purge: %d case(s)%s", len(report.cases), " (dry run)" if dry_run else "")
    return report
