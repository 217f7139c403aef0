"""Read use cases: a person's tasks, a case's progress, a step for a button press."""

from __future__ import annotations

from bot.domain.case import Case, RunningStep
from bot.services.workflow.engine import (
    Engine,
    InstanceProgress,
    StepView,
    WorkflowResult,
)
from bot.store.cases import CaseRow
from bot.store.workflow import StepRow

__all__ = ["QueryUseCases", "case_view", "running_step"]


def running_step(row: StepRow) -> RunningStep:
    """The channels' view of a stored step."""
    return RunningStep(
        id=row.id, case_id=row.case_id, office_id=row.office_id, sop_key=row.sop_key,
        step_key=row.step_key, title=row.title, roles=row.roles, status=row.status,
        assignee_user_id=row.assignee_user_id, opened_at=row.opened_at, due_at=row.due_at,
        urgent=row.urgent, outcome=row.outcome, completed_by=row.completed_by,
        completed_at=row.completed_at,
    )  # fmt: skip


def case_view(row: CaseRow) -> Case:
    """The channels' view of a stored case (no personal details)."""
    return Case(row.id, row.number, row.office_id, row.status, row.urgent, row.notify_mode,
                row.language)  # fmt: skip


class QueryUseCases(Engine):
    """What the staff side reads: tasks, progress and steps with their context."""

    async def tasks_for(self, user_id: int) -> list[RunningStep]:
        """Open steps for a person: assigned to them, or unassigned for a role they hold."""
        found: dict[int, StepRow] = {}
        async with self.svc.db.reading() as conn:
            offices = {o.id for o in self.svc.staff_offices(user_id)}
            for row in await self.store.open_steps_for_assignee(conn, user_id):
                if row.office_id in offices:
                    found[row.id] = row
            for office in self.svc.staff_offices(user_id):
                for role in sorted(office.roles_of(user_id)):
                    for row in await self.store.open_steps_for_role(conn, office.id, role):
                        found[row.id] = row
        rows = sorted(
            found.values(), key=lambda s: (s.due_at is None, s.due_at or s.opened_at, s.id)
        )
        return [running_step(r) for r in rows]

    async def case_progress(self, case_id: int) -> list[InstanceProgress]:
        """A case's SOP instances with their steps (status, due, outcome, who), in order."""
        async with self.svc.db.reading() as conn:
            instances = await self.store.instances(conn, case_id)
            steps = await self.store.steps_of_case(conn, case_id)
        return [
            InstanceProgress(i, tuple(running_step(s) for s in steps if s.instance_id == i.id))
            for i in instances
        ]

    async def describe(self, step_id: int) -> StepView | None:
        """A step with its SOP step, case and office, without any permission check."""
        async with self.svc.db.reading() as conn:
            row = await self.store.get_step(conn, step_id)
            case = await self.svc.cases.get(conn, row.case_id) if row else None
        office = self.svc.offices.get(case.office_id) if case else None
        if row is None or case is None or office is None or row.sop_key not in self.sops:
            return None
        step = self.sops[row.sop_key].step(row.step_key)
        return StepView(running_step(row), step, case_view(case), office)

    async def step_view(
        self, step_id: int, user_id: int, need: str, action: str
    ) -> StepView | WorkflowResult:
        """A step for a button press if the user may do `need` on it; denials are audited."""
        async with self.svc.db.transaction() as conn:
            begun = await self._begin(conn, step_id, user_id, action)
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            view = StepView(running_step(row), step, case_view(t.case), t.office)
            if not self.may(view, user_id, need):
                return await self._deny(t, action, step_id)
        return view
