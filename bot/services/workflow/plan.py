"""Use cases of the case plan: add and end services, review, close and reopen a case."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.case_plan import (
    END_OUTCOMES,
    GENERIC_SOP,
    REOPEN_REASONS,
    case_managers,
    closure_blockers,
    service_kind,
    sop_for,
    split_key,
)
from bot.domain.i18n_marker import N_
from bot.domain.identity import actor_for
from bot.domain.notice import Recipient
from bot.domain.permissions import may_manage_plan, may_reopen_case
from bot.services import plan_records
from bot.services.workflow import returns
from bot.services.workflow.eligibility import NOT_ELIGIBLE_MESSAGE, default_rules, refusal
from bot.services.workflow.engine import Engine, Outcome, WorkflowResult, _r, _Tx
from bot.store import Tx
from bot.store.audit import append_audit
from bot.store.case_plan import ReviewRow, ServiceRow

__all__ = ["ALREADY_RUNNING", "BLOCKER_MESSAGES", "CasePlan", "PlanUseCases"]

_RECORD = ""  # a service that starts a record, not an SOP (bot/services/plan_records.py)
_NO_CASE = N_("There is no such case.")
_CLOSED = N_("The case is closed.")
ALREADY_RUNNING = N_("This service is already running for this case.")
BLOCKER_MESSAGES = {
    "unknown_reason": N_("Choose a reason for closing the case."),
    "services_running": N_("End every running service before closing the case."),
    "no_services": N_("A completed plan needs at least one service."),
}


@dataclass(frozen=True)
class CasePlan:
    """A case's services, its next review and, when closed, why."""

    services: tuple[ServiceRow, ...]
    review: ReviewRow | None
    close_reason: str | None


class PlanUseCases(Engine):
    """The case manager's plan: several services at once; only a decision closes a case."""

    async def _case_tx(self, conn: Tx, case_id: int, user_id: int) -> _Tx | None:
        case = await self.svc.cases.get(conn, case_id)
        office = self.svc.offices.get(case.office_id) if case else None
        if case is None or office is None:
            return None
        return _Tx(conn, case, office, self.svc.clock.now(), actor_for(user_id))

    async def case_plan(self, case_id: int) -> CasePlan:
        """The plan of a case, for /kasus."""
        async with self.svc.db.reading() as conn:
            return CasePlan(
                tuple(await self.plan.services(conn, case_id)),
                await self.plan.review(conn, case_id),
                await self.plan.close_reason(conn, case_id),
            )

    async def add_services(
        self, case_id: int, user_id: int, services: Sequence[tuple[str, int | None]]
    ) -> WorkflowResult:
        """Start several services on a case at once, each its own SOP instance (or none)."""
        async with self.svc.db.transaction() as conn:
            t = await self._case_tx(conn, case_id, user_id)
            if t is None:
                return _r(Outcome.NOT_FOUND, _NO_CASE)
            if not may_manage_plan(t.office, user_id):
                return await self._deny(t, "add_service")
            if t.case.status == "closed":
                return _r(Outcome.INVALID, _CLOSED)
            if not services:
                return _r(Outcome.INVALID, N_("Add at least one service."))
            added = await self._add_checked(t, services, user_id)
            if isinstance(added, WorkflowResult):
                return added
        return WorkflowResult(Outcome.OK, params={"services": added}, opened=tuple(t.opened))

    async def _add_checked(
        self, t: _Tx, services: Sequence[tuple[str, int | None]], person: int | None = None
    ) -> list[int] | WorkflowResult:
        """Check every service (kind, not running, the law, who gives it), then start them all
        (each its SOP instance or its record, on the plan); a refusal starts none."""
        running = await self._running_kinds(t.conn, t.case.id)
        plan: list[tuple[str, str, int | None]] = []
        ctx = plan_records.PlanCtx(t.conn, t.case, t.office, t.now, t.actor, person)
        for key, assignee in services:
            kind = service_kind(key)
            if kind is None or (not kind.record and split_key(key)[1]):
                return _r(Outcome.INVALID, N_("There is no such service."))
            if kind.key in running and not kind.many:
                return _r(Outcome.INVALID, ALREADY_RUNNING)
            if kind.record and (why := await plan_records.check(self.svc, ctx, key)):
                return _r(Outcome.INVALID, why)
            decision = await refusal(default_rules(), t.conn, t.case, kind.key, actor=t.actor,
                                     at=t.now)  # fmt: skip
            if decision is not None:
                return _r(Outcome.NOT_ELIGIBLE, NOT_ELIGIBLE_MESSAGE,
                          articles="; ".join(decision.articles),
                          rules=[r.key for r in decision.refusals],
                          referrals=list(decision.referrals))  # fmt: skip
            name = sop_for(kind, t.office)
            if name is not None:
                assignee = None
            elif assignee is None or not t.office.has_role(assignee, *kind.roles):
                return _r(
                    Outcome.INVALID,
                    N_("Choose a staff member who holds the role for this service."),
                )
            running.add(kind.key)
            plan.append((key, _RECORD if kind.record else name or GENERIC_SOP, assignee))
        ids = []
        for key, name, assignee in plan:
            if name == _RECORD and assignee is not None:
                ids.append(await plan_records.start(self.svc, ctx, key, assignee))
                continue
            iid = await self._start(t, name, None, None, assignee)
            ids.append(await self._plan_service(t, key, iid, assignee))
        return ids

    async def end_service(self, service_id: int, user_id: int, outcome: str) -> WorkflowResult:
        """The case manager ends a running service by hand (it did not succeed, withdrawn...)."""
        async with self.svc.db.transaction() as conn:
            row = await self.plan.get_service(conn, service_id)
            t = await self._case_tx(conn, row.case_id, user_id) if row else None
            if row is None or t is None:
                return _r(Outcome.NOT_FOUND, N_("There is no such service."))
            if not may_manage_plan(t.office, user_id):
                return await self._deny(t, "end_service")
            if outcome not in END_OUTCOMES:
                return _r(Outcome.INVALID, N_("Choose how the service ended."))
            if row.status != "running" or t.case.status == "closed":
                return _r(Outcome.INVALID, N_("This service has already ended."))
            if row.instance_id is not None:
                await self.plan.cancel_instance(conn, row.instance_id, t.now)
            await self.plan.end_service(conn, row.id, t.now, outcome)
            await returns.service_ended(self, t, row.kind, outcome, row.id, f"s{row.id}")
        return _r(Outcome.OK)

    async def record_review(self, case_id: int, user_id: int) -> WorkflowResult:
        """The case manager has reviewed the plan: the next review is one interval away."""
        async with self.svc.db.transaction() as conn:
            t = await self._case_tx(conn, case_id, user_id)
            if t is None:
                return _r(Outcome.NOT_FOUND, _NO_CASE)
            if not may_manage_plan(t.office, user_id):
                return await self._deny(t, "review")
            if t.case.status == "closed":
                return _r(Outcome.INVALID, _CLOSED)
            due = self._review_due(t)
            await self.plan.set_review(conn, case_id, due)
            await self.svc.cases.add_event(conn, case_id, t.now, t.actor, "reviewed", {})
            await append_audit(conn, at=t.now, actor=t.actor, action="case_reviewed",
                               case_id=case_id)  # fmt: skip
        return _r(Outcome.OK, "", due_at=due.isoformat())

    async def close_case(self, case_id: int, user_id: int, reason: str) -> WorkflowResult:
        """The one decision that closes a case: a reason from the list, no service running."""
        async with self.svc.db.transaction() as conn:
            t = await self._case_tx(conn, case_id, user_id)
            if t is None:
                return _r(Outcome.NOT_FOUND, _NO_CASE)
            if not may_manage_plan(t.office, user_id):
                return await self._deny(t, "close_case")
            if t.case.status == "closed":
                return _r(Outcome.INVALID, _CLOSED)
            services = await self.plan.services(conn, case_id)
            running = sum(s.status == "running" for s in services)
            blockers = closure_blockers(reason, running, len(services))
            if blockers:
                return _r(Outcome.INVALID, BLOCKER_MESSAGES[blockers[0]], blockers=blockers)
            await self.store.cancel_open_steps(conn, case_id, t.now)  # the intake, if still open
            await self.plan.close(conn, case_id, t.now, reason)
            await self.plan.drop_review(conn, case_id)
            await self.svc.cases.add_event(conn, case_id, t.now, t.actor, "closed",
                                           {"reason": reason})  # fmt: skip
            await append_audit(conn, at=t.now, actor=t.actor, action="case_closed",
                               case_id=case_id, detail=reason)  # fmt: skip
            await self._send(t, Recipient.staff_group(t.office.id), "plan_case_closed",
                             f"{case_id}.{t.now.isoformat()}", case_id=case_id,
                             reason=reason)  # fmt: skip
            await self._milestone(t, "case_closed")
        return _r(Outcome.OK)

    async def reopen_case(self, case_id: int, user_id: int, reason: str) -> WorkflowResult:
        """The head opens a closed case again, with a reason; the plan goes on."""
        async with self.svc.db.transaction() as conn:
            t = await self._case_tx(conn, case_id, user_id)
            if t is None:
                return _r(Outcome.NOT_FOUND, _NO_CASE)
            if not may_reopen_case(t.office, user_id):
                return await self._deny(t, "reopen_case")
            if reason not in REOPEN_REASONS:
                return _r(Outcome.INVALID, N_("Choose a reason for reopening the case."))
            if not await self.plan.reopen(conn, case_id):
                return _r(Outcome.INVALID, N_("The case is not closed."))
            await self.plan.set_review(conn, case_id, self._review_due(t))
            await self.svc.cases.add_event(conn, case_id, t.now, t.actor, "reopened",
                                           {"reason": reason})  # fmt: skip
            await append_audit(conn, at=t.now, actor=t.actor, action="case_reopened",
                               case_id=case_id, detail=reason)  # fmt: skip
            key = f"{case_id}.{t.now.isoformat()}"
            for to in (*map(Recipient.person, case_managers(t.office)),
                       Recipient.staff_group(t.office.id)):  # fmt: skip
                await self._send(t, to, "plan_case_reopened", key, case_id=case_id,
                                 reason=reason)  # fmt: skip
        return _r(Outcome.OK)

    @staticmethod
    def _review_due(t: _Tx) -> datetime:
        return t.now + timedelta(days=t.office.review_days)
