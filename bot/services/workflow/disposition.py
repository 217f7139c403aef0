"""Use cases of the head: give a step to a person, or hand it over to another."""

from __future__ import annotations

from bot.domain.i18n_marker import N_
from bot.domain.permissions import may_be_assigned, may_decide_as_head
from bot.services.workflow.engine import _NOT_OPEN, Engine, Outcome, WorkflowResult, _group, _r
from bot.store.audit import append_audit

__all__ = ["DispositionUseCases"]


class DispositionUseCases(Engine):
    """The head disposes (assigns) and hands over steps."""

    async def dispose(
        self, case_id: int, head_user_id: int, step_id: int, assignee_user_id: int
    ) -> WorkflowResult:
        """The head gives an unassigned step of the case to a rostered person with its role."""
        return await self._assign(step_id, head_user_id, assignee_user_id, "dispose", case_id)

    async def hand_over(self, step_id: int, head_user_id: int, new_user_id: int) -> WorkflowResult:
        """The head moves a step to another rostered person with its role."""
        return await self._assign(step_id, head_user_id, new_user_id, "hand_over", None)

    async def _assign(
        self, step_id: int, head: int, user: int, action: str, case_id: int | None
    ) -> WorkflowResult:
        async with self.svc.db.transaction() as conn:
            begun = await self._begin(conn, step_id, head, action)
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            if case_id is not None and row.case_id != case_id:
                return _r(Outcome.NOT_FOUND, N_("There is no such step."))
            if not may_decide_as_head(t.office, head):
                return await self._deny(t, action, step_id)
            if row.status not in ("open", "waiting"):
                return _r(Outcome.INVALID, _NOT_OPEN)
            if not may_be_assigned(t.office, step, user):
                return _r(Outcome.INVALID, N_("That person does not hold the role for this step."))
            before = row.assignee_user_id
            if action == "dispose" and before is not None:
                return _r(
                    Outcome.INVALID, N_("The step is already assigned; hand it over instead.")
                )
            await self.store.reassign(conn, step_id, user)
            eid = await self._event(t, step_id, "assigned", user_id=user, previous=before)
            await append_audit(conn, at=t.now, actor=t.actor, action=action, case_id=t.case.id,
                               detail=f"step {step_id} -> {user}")  # fmt: skip
            await self._send(t, user, "task_assigned", str(eid), step_id=step_id)
            if before is not None and before != user:
                await self._send(t, before, "task_handed_over", str(eid), step_id=step_id,
                                 to_user_id=user)  # fmt: skip
            await self._send(t, _group(t), "disposition", str(eid),
                             case_id=t.case.id, step_id=step_id, assignee_user_id=user)  # fmt: skip
        return _r(Outcome.OK)
