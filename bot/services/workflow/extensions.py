"""Use cases of more time: ask for an extension of a step, grant or refuse it."""

from __future__ import annotations

from bot.domain.i18n_marker import N_
from bot.domain.office import Role
from bot.domain.permissions import may_decide_as_head, may_request_extension
from bot.domain.sop import Step
from bot.services.workflow.engine import _NOT_OPEN, Engine, Outcome, WorkflowResult, _r, _Tx
from bot.store.audit import append_audit
from bot.store.workflow import StepRow, iso

__all__ = ["ExtensionUseCases"]


class ExtensionUseCases(Engine):
    """Request and approve extensions of a step's time standard."""

    async def request_extension(self, step_id: int, user_id: int) -> WorkflowResult:
        """Someone doing an extendable step asks the head for more time."""
        async with self.svc.db.transaction() as conn:
            begun = await self._begin(conn, step_id, user_id, "request_extension")
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            if not may_request_extension(t.office, step, row.assignee_user_id, user_id):
                return await self._deny(t, "request_extension", step_id)
            if (refused := await self._extension_check(t, row, step)) is not None:
                return refused
            if await self._pending_extension(t, step_id) is not None:
                return _r(Outcome.INVALID, N_("An extension has already been requested."))
            eid = await self._event(t, step_id, "extension_requested", user_id=user_id)
            await append_audit(conn, at=t.now, actor=t.actor, action="request_extension",
                               case_id=t.case.id, detail=f"step {step_id}")  # fmt: skip
            for head in t.office.people_with(Role.KETUA):
                await self._send(t, head, "extension_requested", str(eid), step_id=step_id,
                                 case_id=t.case.id, user_id=user_id)  # fmt: skip
        return _r(Outcome.OK)

    async def approve_extension(
        self, step_id: int, head_user_id: int, approved: bool
    ) -> WorkflowResult:
        """The head grants or refuses a requested extension.

        Granted: the step's `extension` (default: its duration) is added to its current due
        time, or to now when that has passed.
        """
        async with self.svc.db.transaction() as conn:
            begun = await self._begin(conn, step_id, head_user_id, "approve_extension")
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            if not may_decide_as_head(t.office, head_user_id):
                return await self._deny(t, "approve_extension", step_id)
            if (refused := await self._extension_check(t, row, step)) is not None:
                return refused
            requester = await self._pending_extension(t, step_id)
            if requester is None:
                return _r(Outcome.INVALID, N_("No extension has been requested."))
            # the extra time is added to the current due time (from now if that has passed)
            start = max(row.due_at, t.now) if row.due_at is not None else t.now
            due = self.svc.calendars[t.office.id].add(start, step.extra_time, urgent=row.urgent)
            if approved:
                await self.store.extend_due(conn, step_id, due)
            kind = "extension_approved" if approved else "extension_refused"
            extra = {}
            session = await self.store.instance_session(conn, row.instance_id)
            if approved and step.from_session and session is not None:
                extra["session_at"] = iso(session.scheduled_at)  # reminders still count from it
            eid = await self._event(t, step_id, kind, due_at=iso(due) if approved else None,
                                    **extra)  # fmt: skip
            await append_audit(conn, at=t.now, actor=t.actor, action=kind, case_id=t.case.id,
                               detail=f"step {step_id}")  # fmt: skip
            await self._send(t, requester, "extension_decided", str(eid), step_id=step_id,
                             approved=approved)  # fmt: skip
        return _r(Outcome.OK, due_at=iso(due) if approved else None)

    async def _extension_check(self, t: _Tx, row: StepRow, step: Step) -> WorkflowResult | None:
        if row.status != "open":
            return _r(Outcome.INVALID, _NOT_OPEN)
        if not step.extendable:
            return _r(Outcome.INVALID, N_("The time standard of this step cannot be extended."))
        return None

    async def _pending_extension(self, t: _Tx, step_id: int) -> int | None:
        kinds = ("extension_requested", "extension_approved", "extension_refused")
        last = [e for e in await self.store.events(t.conn, step_id) if e.kind in kinds]
        if last and last[-1].kind == "extension_requested":
            return int(last[-1].data["user_id"])
        return None
