"""Use case of a disposition that names the expert: the step done and the next one given."""

from __future__ import annotations

from bot.domain.i18n_marker import N_
from bot.domain.permissions import may_be_assigned, may_decide_as_head
from bot.services.workflow.disposition import DispositionUseCases
from bot.services.workflow.engine import DONE, Outcome, WorkflowResult, _r
from bot.services.workflow.steps import StepUseCases

__all__ = ["NamingUseCases"]


class NamingUseCases(StepUseCases, DispositionUseCases):
    """Seed 004 step 1: the Ketua Harian disposes the case to a named expert."""

    async def dispose_to(
        self, step_id: int, head_user_id: int, expert_user_id: int, report: str | None = None
    ) -> WorkflowResult:
        """The head finishes a disposition step (`names_next`) naming the expert: the step is
        done with the disposition as its result and the next step is given to that expert."""
        async with self.svc.db.reading() as conn:
            row = await self.store.get_step(conn, step_id)
            case = await self.svc.cases.get(conn, row.case_id) if row else None
        office = self.svc.offices.get(case.office_id) if case else None
        if row is None or case is None or office is None:
            return await self.complete_step(step_id, head_user_id)  # not found, audited there
        step = self.sops[row.sop_key].step(row.step_key)
        target = step.next(DONE) if DONE in step.outcomes else None
        if (
            not step.names_next
            or target is None
            or target not in {s.key for s in self.sops[row.sop_key].steps}
        ):
            return _r(Outcome.INVALID, N_("This step does not name who does the next one."))
        if not may_decide_as_head(office, head_user_id):
            async with self.svc.db.transaction() as conn:
                begun = await self._begin(conn, step_id, head_user_id, "dispose_to")
                if isinstance(begun, WorkflowResult):
                    return begun
                return await self._deny(begun[0], "dispose_to", step_id)
        if not may_be_assigned(office, self.sops[row.sop_key].step(target), expert_user_id):
            return _r(Outcome.INVALID, N_("That person does not hold the role for this step."))
        held = sorted(r.value for r in office.roles_of(expert_user_id))
        text = report or f"Disposisi kepada tenaga ahli ({', '.join(held)})"
        done = await self._complete(step_id, head_user_id, DONE, text, None, "dispose_to")
        if not done.ok:
            return done
        for sid in done.opened:
            async with self.svc.db.reading() as conn:
                opened = await self.store.get_step(conn, sid)
            if opened is not None and opened.step_key == target:
                assigned = await self.dispose(row.case_id, head_user_id, sid, expert_user_id)
                if not assigned.ok:
                    return assigned
        return done
