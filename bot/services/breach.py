"""Record a personal data breach: what it may have exposed (counts and case numbers only),
its 3 x 24 h notice deadline as a tracked row, and when the notices went out (Pasal 46)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.breach import contact_route, notice_due
from bot.services.context import Services
from bot.store.audit import append_audit
from bot.store.breach import AffectedCase, BreachStore, RemovedCase

__all__ = ["BreachReport", "Subject", "mark_notified", "record_breach"]


@dataclass(frozen=True)
class Subject:
    """One case's data subjects as the notices need them: no name, no address."""

    case: AffectedCase
    route: str
    identity_reads: int  # staff accounts that read its identity since the start


@dataclass
class BreachReport:
    """What a breach may have exposed and when the notices are due."""

    incident_id: int
    recorded_at: datetime
    since: datetime
    due_at: datetime
    subjects: list[Subject] = field(default_factory=list)
    removed: list[RemovedCase] = field(default_factory=list)
    backups: list[datetime] = field(default_factory=list)

    def count(self, what: str) -> Counter[str]:
        """Cases per office, channel, route or reporter type."""
        pick: dict[str, Callable[[Subject], str]] = {
            "office": lambda s: s.case.office_id,
            "channel": lambda s: s.case.channel,
            "route": lambda s: s.route,
            "reporter": lambda s: s.case.reporter_type,
        }
        return Counter(pick[what](s) for s in self.subjects)

    @property
    def children(self) -> int:
        """Cases with a child victim (specific personal data, Pasal 4(2))."""
        return sum(1 for s in self.subjects if s.case.child_victim)

    @property
    def people(self) -> int:
        """Data subjects at least: the victim, and the reporter when someone else reported."""
        return sum(1 if s.case.reporter_type == "victim" else 2 for s in self.subjects)


async def record_breach(svc: Services, since: datetime, *, actor: str) -> BreachReport:
    """List what was stored from ``since`` on (and in older backups), record the breach and
    its deadline (audited). The drafts are written by the caller from the report."""
    now = svc.clock.now()
    store = BreachStore()
    async with svc.db.transaction() as conn:
        backups = await store.backups(conn)
        # a backup made before the breach began may be what leaked: it holds cases removed since
        start = min([since, *[b for b in backups if b < since]])
        cases = await store.stored_cases(conn, now)
        removed = await store.removed_since(conn, start)
        reads = await store.identity_reads(conn, since)
        subjects = []
        for c in cases:
            # the contact mode as its MAC allows (a forged one reads "none": bot/store/cases.py)
            checked = await svc.cases.get(conn, c.id)
            c = dataclasses.replace(c, notify_mode=checked.notify_mode if checked else "none")
            details = await svc.cases.details(conn, c.id)
            route = contact_route(c.has_reporter_chat, c.notify_mode, bool(details.get("phone")))
            subjects.append(Subject(c, route, len(reads.get(c.id, ()))))
        due = notice_due(now)
        incident = await store.add(
            conn, recorded_at=now, since=since, due_at=due, cases=len(cases) + len(removed)
        )
        await append_audit(conn, at=now, actor=actor, action="breach_recorded",
                           detail=f"breach {incident}: {len(cases)} stored, "
                           f"{len(removed)} removed, since {since.isoformat()}")  # fmt: skip
    return BreachReport(incident, now, since, due, subjects, removed, backups)


async def mark_notified(svc: Services, breach_id: int, *, actor: str) -> bool:
    """The notices went out: the deadline's reminders stop (audited); False if not open."""
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        done = await BreachStore().mark_notified(conn, breach_id, now)
        if done:
            await append_audit(conn, at=now, actor=actor, action="breach_notified",
                               detail=f"breach {breach_id}")  # fmt: skip
    return done
