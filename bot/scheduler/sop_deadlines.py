"""The sweep's SOP-level deadlines: due soon to the staff group, missed to the heads too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.domain.calendar import OfficeCalendar
from bot.domain.duration import Duration, Unit
from bot.domain.notice import Recipient
from bot.domain.office import Office, Role
from bot.domain.sop import Sop
from bot.domain.sop_deadlines import DeadlineState
from bot.services.context import Services
from bot.services.workflow.deadlines import instance_deadlines, shipped_sops
from bot.store import Tx
from bot.store.reminders import ReminderStore
from bot.store.workflow import InstanceRow, WorkflowStore, iso

__all__ = [
    "HEAD_ROLES",
    "SOP_DEADLINE_KINDS",
    "SOP_DEADLINE_OVERDUE",
    "SOP_DEADLINE_SOON",
    "deadline_recipients",
    "deadline_times",
    "due_deadline_kinds",
    "next_deadline_reminder",
    "shipped_sops",
    "sweep_instance",
]

SOP_DEADLINE_SOON = "sop_deadline_soon"
SOP_DEADLINE_OVERDUE = "sop_deadline_overdue"
SOP_DEADLINE_KINDS = frozenset({SOP_DEADLINE_SOON, SOP_DEADLINE_OVERDUE})
# who hears of a missed SOP-level standard besides the staff group
HEAD_ROLES = (Role.KETUA, Role.KEPALA_DINAS, Role.KOORDINATOR)
_SOON_FRACTION = 0.75

# (conn, recipient, kind, dedupe key, payload, language, case id) -> queued
Send = Callable[[Tx, Recipient, str, str, dict[str, Any], str, int], Awaitable[None]]


def deadline_times(
    state: DeadlineState, started_at: datetime, calendar: OfficeCalendar
) -> dict[str, datetime]:
    """When a deadline's reminders fall due: soon (75 % of the office time between the start
    and the due time), then missed."""
    minutes = int(calendar.open_minutes_between(started_at, state.due_at) * _SOON_FRACTION)
    soon = min(state.due_at, calendar.add(started_at, Duration(minutes, Unit.MINUTES)))
    return {SOP_DEADLINE_SOON: soon, SOP_DEADLINE_OVERDUE: state.due_at}


def next_deadline_reminder(
    state: DeadlineState, started_at: datetime, calendar: OfficeCalendar, now: datetime,
    done: set[str],
) -> datetime | None:  # fmt: skip
    """When this deadline's next reminder not yet sent falls due after ``now`` (None: none
    will: met, or every reminder sent or past)."""
    if state.met:
        return None
    times = deadline_times(state, started_at, calendar)
    return min((at for kind, at in times.items() if kind not in done and at > now), default=None)


def due_deadline_kinds(
    state: DeadlineState, started_at: datetime, calendar: OfficeCalendar, now: datetime,
    done: set[str],
) -> list[tuple[str, datetime]]:  # fmt: skip
    """The deadline reminders due now and not sent: due soon (75 % of the office time
    between the start and the due time), then missed. None once the deadline is met."""
    if state.met:
        return []
    if now >= state.due_at:
        return [] if SOP_DEADLINE_OVERDUE in done else [(SOP_DEADLINE_OVERDUE, state.due_at)]
    soon = deadline_times(state, started_at, calendar)[SOP_DEADLINE_SOON]
    if now >= soon and SOP_DEADLINE_SOON not in done:
        return [(SOP_DEADLINE_SOON, soon)]
    return []


def deadline_recipients(office: Office, kind: str) -> list[Recipient]:
    """The staff group; for a missed deadline also every head of the office."""
    group = Recipient.staff_group(office.id)
    if kind != SOP_DEADLINE_OVERDUE:
        return [group]
    heads = sorted({u for r in HEAD_ROLES for u in office.people_with(r)})
    return [*(Recipient.person(u) for u in heads), group]


async def sweep_instance(
    svc: Services, conn: Tx, sop: Sop, inst: InstanceRow, now: datetime, send: Send
) -> tuple[list[str], datetime | None]:
    """Queue the deadline reminders of one open instance due at ``now`` (each once); returns
    the kinds queued and when the next one falls due (None: no more)."""
    case = await svc.cases.get(conn, inst.case_id)
    office = svc.offices.get(case.office_id) if case else None
    if case is None or office is None or case.status == "closed":
        return [], None
    calendar, log = svc.calendars[office.id], ReminderStore()
    steps = await WorkflowStore(svc.cipher).steps_of_case(conn, case.id)
    queued: list[str] = []
    later: list[datetime] = []
    for d in instance_deadlines(sop, calendar, inst, steps, case.urgent):
        subject = f"sop:{inst.id}:{d.state.deadline.key}"
        done = await log.recorded(conn, subject)
        for kind, at in due_deadline_kinds(d.state, inst.started_at, calendar, now, done):
            done.add(kind)  # sent now, or (claim refused) before
            if not await log.claim(conn, subject=subject, kind=kind, due_at=at, at=now,
                                   office_id=office.id):  # fmt: skip
                continue
            queued.append(kind)
            payload = {"instance_id": inst.id, "case_id": case.id, "case_number": case.number,
                       "sop": sop.key, "deadline": d.state.deadline.key,
                       "due_at": iso(d.state.due_at)}  # fmt: skip
            for to in deadline_recipients(office, kind):
                await send(conn, to, kind, f"{inst.id}.{d.state.deadline.key}", payload,
                           office.language, case.id)  # fmt: skip
        nxt = next_deadline_reminder(d.state, inst.started_at, calendar, now, done)
        if nxt is not None:
            later.append(nxt)
    return queued, min(later, default=None)
