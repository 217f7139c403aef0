"""The sweep: finds due reminders, overdue alerts and digests in the store and queues them once."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.domain.case_plan import case_managers, next_review
from bot.domain.notice import Notice, Recipient
from bot.domain.office import Office, Role
from bot.domain.sop import Sop
from bot.scheduler.digest import office_digest  # module: it reuses this one's schedule
from bot.scheduler.pages import PAGE, pages
from bot.scheduler.referrals import sweep_referrals
from bot.scheduler.rights_sweep import sweep_breaches, sweep_rights
from bot.scheduler.schedule import (
    DUE_SOON_FRACTION,
    STEP_DUE_SOON,
    STEP_ESCALATED,
    STEP_ESCALATED_AGAIN,
    STEP_OVERDUE,
    due_mediation_kinds,
    due_step_kinds,
    mediation_schedule,
    next_step_reminder,
    previous_opening,
    step_schedule,
)
from bot.scheduler.sop_deadlines import SOP_DEADLINE_KINDS, shipped_sops, sweep_instance
from bot.services.context import Services
from bot.services.outreach import escalate_due, forget_abandoned
from bot.services.shelter_stay import shelter_reminders
from bot.store import Tx
from bot.store.case_plan import CasePlanStore
from bot.store.digests import DigestStore
from bot.store.outbox import OutboxItem, case_status, mediation_slot, step_round
from bot.store.reminders import MediationDue, ReminderStore
from bot.store.workflow import InstanceRow, StepRow, WorkflowStore, iso

__all__ = [
    "CASE_REVIEW_DUE",
    "CLOSED_LOOK_AGAIN",
    "DAILY_DIGEST",
    "DUE_SOON_FRACTION",
    "MEDIATION_HORIZON",
    "MEDIATION_REMINDER",
    "REMINDER_KINDS",
    "STEP_DUE_SOON",
    "STEP_ESCALATED",
    "STEP_ESCALATED_AGAIN",
    "STEP_KINDS",
    "STEP_OVERDUE",
    "SweepReport",
    "mediation_schedule",
    "previous_opening",
    "step_recipients",
    "step_schedule",
    "still_relevant",
    "sweep",
]

log = logging.getLogger(__name__)

MEDIATION_REMINDER = "mediation_reminder"
DAILY_DIGEST = "daily_digest"
CASE_REVIEW_DUE = "case_review_due"
STEP_KINDS = (STEP_DUE_SOON, STEP_OVERDUE, STEP_ESCALATED, STEP_ESCALATED_AGAIN)
REMINDER_KINDS = frozenset(
    {*STEP_KINDS, MEDIATION_REMINDER, DAILY_DIGEST, CASE_REVIEW_DUE, *SOP_DEADLINE_KINDS}
)
DIGEST_LISTED = 25  # case numbers or tasks a digest names (the renderer shows as many)
_ESCALATIONS = (STEP_ESCALATED, STEP_ESCALATED_AGAIN)
# an open step of a closed case (closing cancels them; one left by hand or by an older
# version) is looked at again this much later, not at every sweep
CLOSED_LOOK_AGAIN = timedelta(days=1)
# a session further away has no reminder due yet: the day-before one falls on the previous
# working day, looked for at most 60 days back (schedule.previous_opening)
MEDIATION_HORIZON = timedelta(days=62)


@dataclass
class SweepReport:
    """What one sweep recorded (per kind), how many messages it queued, how many items failed."""

    reminders: Counter[str] = field(default_factory=Counter)
    messages: int = 0
    errors: int = 0

    @property
    def total(self) -> int:
        """Reminders recorded in all."""
        return sum(self.reminders.values())


# -- to whom ------------------------------------------------------------------------------


def _people(office: Office, roles: Iterable[str]) -> list[int]:
    known = {r.value: r for r in Role}
    return sorted({u for r in roles if r in known for u in office.people_with(known[r])})


def step_recipients(step: StepRow, office: Office, kind: str) -> list[Recipient]:
    """Assignee (or every holder of the step's roles); for escalations the heads and group."""
    if kind in _ESCALATIONS:
        heads = [Recipient.person(u) for u in office.people_with(Role.KETUA)]
        return [*heads, Recipient.staff_group(office.id)]
    if step.assignee_user_id is not None:
        return [Recipient.person(step.assignee_user_id)]
    return [Recipient.person(u) for u in _people(office, step.roles)]


# -- the sweep --------------------------------------------------------------------------


class _Sweep:
    def __init__(self, svc: Services, now: datetime) -> None:
        self.svc, self.now = svc, now
        self.log = ReminderStore()
        self.steps = WorkflowStore(svc.cipher)
        self.plan = CasePlanStore()
        self.digests = DigestStore()
        self.report = SweepReport()

    async def guard(self, label: str, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception:
            log.exception("reminder sweep failed for %s", label)
            self.report.errors += 1

    async def send(
        self, conn: Tx, to: Recipient, kind: str, key: str,
        payload: dict[str, Any], *, language: str, case_id: int | None,
    ) -> None:  # fmt: skip
        notice = Notice(kind=kind, recipient=to, params=payload, language=language,
                        case_id=case_id, dedupe_key=f"rem:{kind}:{key}:{to.key()}")  # fmt: skip
        await self.svc.outbox.add(conn, notice, at=self.now)
        self.report.messages += 1

    async def step(self, step_id: int) -> None:
        """Queue a step's reminders due now, then note when its next one falls due."""
        async with self.svc.db.transaction() as conn:
            step = await self.steps.get_step(conn, step_id)
            office = self.svc.offices.get(step.office_id) if step else None
            case = await self.svc.cases.get(conn, step.case_id) if step else None
            if step is None or step.status != "open" or step.due_at is None or office is None:
                await self.log.set_step_remind(conn, step_id, None)  # nothing more to come
                return
            if case is None or case.status == "closed":  # left open by mistake: it may reopen
                await self.log.set_step_remind(conn, step_id, self.now + CLOSED_LOOK_AGAIN)
                return
            done = await self.log.recorded(conn, f"step:{step.id}", step.extended_count)
            session_at = await self.log.session_start(conn, step.id)
            calendar = self.svc.calendars[office.id]
            for kind, at in due_step_kinds(step, office, calendar, self.now, done, session_at):
                done.add(kind)  # sent now, or (claim refused) before
                claimed = await self.log.claim(
                    conn, subject=f"step:{step.id}", kind=kind, round_=step.extended_count,
                    due_at=at, at=self.now, step_id=step.id, office_id=office.id,
                )  # fmt: skip
                if not claimed:
                    continue
                self.report.reminders[kind] += 1
                payload = {
                    "step_id": step.id,
                    "case_id": step.case_id,
                    "case_number": case.number,
                    "step_title": step.title,
                    "due_at": iso(step.due_at or at),
                    "round": step.extended_count,
                }
                for to in step_recipients(step, office, kind):
                    await self.send(conn, to, kind, f"{step.id}.{step.extended_count}",
                                    payload, language=office.language,
                                    case_id=step.case_id)  # fmt: skip
            plan = step_schedule(step, office, calendar, session_at)
            await self.log.set_step_remind(conn, step.id, next_step_reminder(plan, self.now, done))

    async def mediation(self, m: MediationDue) -> None:
        async with self.svc.db.transaction() as conn:
            case = await self.svc.cases.get(conn, m.case_id)
            office = self.svc.offices.get(case.office_id) if case else None
            if case is None or office is None or case.status == "closed":
                return
            subject = f"mediation:{m.id}@{iso(m.scheduled_at)}"
            done = await self.log.recorded(conn, subject)
            due = due_mediation_kinds(m, self.svc.calendars[office.id], self.now, done)
            if not due:
                return
            step = await self.steps.get_step(conn, m.step_id)
            staff = {*_people(office, ("mediator", "pendamping", "ketua"))}
            if step is not None and step.assignee_user_id is not None:
                staff.add(step.assignee_user_id)
            reporter = None
            if case.notify_mode in ("normal", "neutral"):
                # cases recorded by staff have no reporter to remind
                if await self.svc.cases.reporter(conn, case.id) is not None:
                    reporter = Recipient.reporter(case.id)
            for when, at in due:
                if not await self.log.claim(conn, subject=subject, kind=when, due_at=at,
                                            at=self.now, mediation_id=m.id,
                                            office_id=office.id):  # fmt: skip
                    continue
                self.report.reminders[MEDIATION_REMINDER] += 1
                base = {"mediation_id": m.id, "case_id": case.id, "when": when,
                        "scheduled_at": iso(m.scheduled_at)}  # fmt: skip
                key = f"{m.id}.{when}.{iso(m.scheduled_at)}"
                for uid in sorted(staff):
                    await self.send(conn, Recipient.person(uid), MEDIATION_REMINDER, key,
                                    {**base, "audience": "staff"}, language=office.language,
                                    case_id=case.id)  # fmt: skip
                if reporter is not None:
                    await self.send(conn, reporter, MEDIATION_REMINDER, key,
                                    {**base, "audience": "reporter", "mode": case.notify_mode},
                                    language=case.language, case_id=case.id)  # fmt: skip

    async def review(self, case_id: int) -> None:
        """The case plan's periodic review is due: remind the case managers, plan the next."""
        async with self.svc.db.transaction() as conn:
            row = await self.plan.review(conn, case_id)
            case = await self.svc.cases.get(conn, case_id)
            office = self.svc.offices.get(case.office_id) if case else None
            if row is None or case is None or office is None or case.status == "closed":
                return
            if row.due_at > self.now:
                return
            if await self.log.claim(conn, subject=f"review:{case_id}", kind=CASE_REVIEW_DUE,
                                    round_=row.round, due_at=row.due_at, at=self.now,
                                    office_id=office.id):  # fmt: skip
                self.report.reminders[CASE_REVIEW_DUE] += 1
                payload = {"case_id": case_id, "case_number": case.number,
                           "due_at": iso(row.due_at), "round": row.round}  # fmt: skip
                for uid in case_managers(office):
                    await self.send(conn, Recipient.person(uid), CASE_REVIEW_DUE,
                                    f"{case_id}.{row.round}", payload,
                                    language=office.language, case_id=case_id)  # fmt: skip
            nxt = next_review(row.due_at, self.now, office.review_days)
            await self.plan.set_review(conn, case_id, nxt)

    async def deadlines(self, sop: Sop, instance_id: int) -> None:
        """The SOP-level deadlines of one open instance (Pekalongan 5/14, Pasuruan 14)."""

        async def send(conn: Tx, to: Recipient, kind: str, key: str, payload: dict[str, Any],
                       language: str, case_id: int) -> None:  # fmt: skip
            await self.send(conn, to, kind, key, payload, language=language, case_id=case_id)

        async with self.svc.db.transaction() as conn:
            inst = await self.steps.get_instance(conn, instance_id)
            if inst is None or inst.status != "open":
                await self.log.set_instance_remind(conn, instance_id, None)
                return
            queued, nxt = await sweep_instance(self.svc, conn, sop, inst, self.now, send)
            for kind in queued:
                self.report.reminders[kind] += 1
            await self.log.set_instance_remind(conn, instance_id, nxt)

    async def digest(self, office: Office) -> None:
        await office_digest(self, office)


async def sweep(svc: Services, now: datetime, sops: Mapping[str, Sop] | None = None) -> SweepReport:
    """Queue every reminder, alert and digest due at ``now`` and not yet sent (one tx per item).

    ``sops``: the SOPs whose SOP-level deadlines are tracked (default: the shipped files).
    """
    s = _Sweep(svc, now)
    sops = shipped_sops() if sops is None else sops
    await svc.refresh_roster()  # the roster as the database has it (another process may decide)
    # urgent pages not acknowledged: the next person on call, then the head (wall clock)
    await s.guard("outreach", _escalations(s, now))
    s.report.reminders.update(+await sweep_referrals(svc, now))
    # each list is read a page at a time (PAGE rows), so memory does not grow with the cases;
    # steps and instances: only those with something due (remind_at), so neither does time
    log_, plan = s.log, s.plan

    async def steps(conn: Tx, after: Any) -> list[tuple[str, int]]:
        return await log_.due_step_ids(conn, now, after=after, limit=PAGE)

    async for _, step_id in pages(svc, steps, lambda row: row, PAGE):
        await s.guard(f"step {step_id}", s.step(step_id))

    async def mediations(conn: Tx, after: Any) -> list[tuple[str, MediationDue]]:
        return await log_.scheduled_mediations(conn, now, until=now + MEDIATION_HORIZON,
                                               after=after, limit=PAGE)  # fmt: skip

    async for _, m in pages(svc, mediations, lambda row: (row[0], row[1].id), PAGE):
        await s.guard(f"mediation {m.id}", s.mediation(m))

    async def reviews(conn: Tx, after: Any) -> list[tuple[str, int]]:
        return await plan.due_reviews(conn, now, after=after, limit=PAGE)

    async for _, case_id in pages(svc, reviews, lambda row: row, PAGE):
        await s.guard(f"review {case_id}", s.review(case_id))
    keys = [k for k, v in sops.items() if v.deadlines]

    async def instances(conn: Tx, after: Any) -> list[tuple[str, InstanceRow]]:
        return await log_.due_instances(conn, keys, now, after=after, limit=PAGE)

    async for _, inst in pages(svc, instances, lambda row: (row[0], row[1].id), PAGE):
        await s.guard(f"instance {inst.id}", s.deadlines(sops[inst.sop_key], inst.id))
    for office in svc.offices.values():
        await s.guard(f"digest {office.id}", s.digest(office))
    await s.guard("rights requests", _count(s.report, sweep_rights(svc, now)))
    await s.guard("breaches", _count(s.report, sweep_breaches(svc, now)))
    return s.report


async def _count(report: SweepReport, work: Awaitable[tuple[Counter[str], int]]) -> None:
    done, messages = await work
    report.reminders.update(done)
    report.messages += messages


async def _escalations(s: _Sweep, now: datetime) -> None:
    moved = await escalate_due(s.svc, now)
    if moved:
        s.report.reminders["outreach_escalated"] += moved
    await forget_abandoned(s.svc, now)  # details of urgent reports never finished
    # shelter stays about to end, the daily check-ins (privately)
    s.report.reminders.update(await shelter_reminders(s.svc, now))


async def still_relevant(conn: Tx, item: OutboxItem) -> bool:
    """Whether a queued reminder may still be sent (its step open, its case not closed)."""
    if item.kind not in REMINDER_KINDS:
        return True
    if item.case_id is not None:
        status = await case_status(conn, item.case_id)
        if status in (None, "closed"):
            return False
    p = item.payload
    if item.kind in STEP_KINDS:
        step = await step_round(conn, int(p["step_id"]))
        return step is not None and step[0] == "open" and step[1] == int(p.get("round", 0))
    if item.kind in SOP_DEADLINE_KINDS:
        return await ReminderStore().instance_is_open(conn, int(p["instance_id"]))
    if item.kind == MEDIATION_REMINDER:
        slot = await mediation_slot(conn, int(p["mediation_id"]))
        return (
            slot is not None
            and slot[0] == "scheduled"
            and slot[1] == datetime.fromisoformat(str(p["scheduled_at"]))
        )
    return True
