"""Deadlines of data subjects' requests and of breach notices, swept like the steps' ones."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from bot.domain.duration import Duration, Unit
from bot.domain.notice import Notice, Recipient
from bot.domain.office import Role
from bot.services.context import Services
from bot.store import Tx
from bot.store.breach import BreachStore
from bot.store.reminders import ReminderStore
from bot.store.rights import RightsRequest, RightsStore

__all__ = [
    "BREACH_DUE_SOON",
    "BREACH_KINDS",
    "BREACH_OVERDUE",
    "RIGHTS_ESCALATED",
    "RIGHTS_OVERDUE",
    "breach_schedule",
    "rights_schedule",
    "sweep_breaches",
    "sweep_rights",
]

RIGHTS_OVERDUE = "rights_overdue"
RIGHTS_ESCALATED = "rights_escalated"
BREACH_DUE_SOON = "breach_due_soon"
BREACH_OVERDUE = "breach_overdue"
BREACH_KINDS = frozenset({BREACH_DUE_SOON, BREACH_OVERDUE})
_ANSWER_ROLES = (Role.KETUA, Role.MANAJER_KASUS)


def rights_schedule(svc: Services, r: RightsRequest) -> dict[str, datetime]:
    """Overdue at the deadline; escalated to the head one working day later."""
    calendar = svc.calendars[r.office_id]
    return {RIGHTS_OVERDUE: r.due_at,
            RIGHTS_ESCALATED: calendar.add(r.due_at, Duration(1, Unit.WORKING_DAYS))}  # fmt: skip


def breach_schedule(due_at: datetime) -> dict[str, datetime]:
    """A day before the 3x24 h deadline, and at it (wall clock: the law counts hours)."""
    return {BREACH_DUE_SOON: due_at - timedelta(hours=24), BREACH_OVERDUE: due_at}


async def _add(svc: Services, conn: Tx, to: Recipient, kind: str, key: str,
               params: dict[str, object], language: str, now: datetime) -> None:  # fmt: skip
    notice = Notice(kind=kind, recipient=to, params=params, language=language,
                    dedupe_key=f"rem:{kind}:{key}:{to.key()}")  # fmt: skip
    await svc.outbox.add(conn, notice, at=now)


async def sweep_rights(svc: Services, now: datetime) -> tuple[Counter[str], int]:
    """Queue each overdue alert and escalation of an open request once (reminder log);
    returns the reminders recorded per kind and the messages queued."""
    done: Counter[str] = Counter()
    messages = 0
    log, store = ReminderStore(), RightsStore(svc.cipher)
    async with svc.db.transaction() as conn:
        for r in await store.open_due(conn, now):
            office = svc.offices.get(r.office_id)
            if office is None:
                continue
            for kind, at in rights_schedule(svc, r).items():
                if at > now or not await log.claim(
                    conn,
                    subject=f"rights:{r.id}",
                    kind=kind,
                    due_at=at,
                    at=now,
                    office_id=office.id,
                ):
                    continue  # fmt: skip
                done[kind] += 1
                roles = (
                    (Role.KETUA,) if kind == RIGHTS_ESCALATED else (Role.KETUA, Role.MANAJER_KASUS)
                )
                people = sorted({u for role in roles for u in office.people_with(role)})
                for to in [Recipient.staff_group(office.id), *map(Recipient.person, people)]:
                    await _add(svc, conn, to, kind, str(r.id), {"request_id": r.id},
                               office.language, now)  # fmt: skip
                    messages += 1
    return done, messages


async def sweep_breaches(svc: Services, now: datetime) -> tuple[Counter[str], int]:
    """Remind every office's head (and staff group) of an open breach's 3x24 h deadline."""
    done: Counter[str] = Counter()
    messages = 0
    log, store = ReminderStore(), BreachStore()
    async with svc.db.transaction() as conn:
        for b in await store.open(conn):
            for kind, at in breach_schedule(b.due_at).items():
                if at > now or not await log.claim(
                    conn, subject=f"breach:{b.id}", kind=kind, due_at=at, at=now
                ):
                    continue  # fmt: skip
                done[kind] += 1
                for office in svc.offices.values():
                    heads = sorted(office.people_with(Role.KETUA))
                    for to in [Recipient.staff_group(office.id), *map(Recipient.person, heads)]:
                        params: dict[str, object] = {"breach_id": b.id, "office_id": office.id}
                        await _add(svc, conn, to, kind, str(b.id), params, office.language, now)
                        messages += 1
    return done, messages
