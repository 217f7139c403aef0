"""Use cases of a step's work: start the intake SOP, complete a step, decide its branch."""

from __future__ import annotations

from datetime import datetime

from bot.domain.i18n_marker import N_
from bot.domain.permissions import may_complete_step, may_decide_as_head, may_decide_step
from bot.domain.sop import Step, handover_target
from bot.domain.validation import clean_text
from bot.services.workflow.eligibility import (
    NOT_ELIGIBLE_MESSAGE,
    default_rules,
    refusal,
)
from bot.services.workflow.engine import (
    _NOT_OPEN,
    DONE,
    MAX_FILE_BYTES,
    MAX_REPORT_CHARS,
    REASON_REQUIRED,
    Engine,
    Outcome,
    WorkflowResult,
    _group,
    _r,
    _Tx,
)
from bot.store.audit import append_audit
from bot.store.letters import LetterStore

__all__ = ["NAME_NEXT", "ON_THE_PLAN", "OUTPUT_MISSING", "WAIVE", "StepUseCases"]

# the head's "done without the required output" (audited under this action)
WAIVE = "done_without_output"
OUTPUT_MISSING = N_(
    "This step needs its result first ({output}): write a short report, send the document, "
    "or make its letter. Only the head can close it without, giving the reason."
)

NAME_NEXT = N_(
    "This step is finished by naming who does the next one: the head presses “Dispose to …” "
    "for one of them, and the next step is given to that person."
)
ON_THE_PLAN = N_(
    "This service is already running for this case: it was added to the case plan and has "
    "not ended yet. Choose another follow-up, or finish this step with Done and follow the "
    "running service in /kasus."
)


class StepUseCases(Engine):
    """Start the intake SOP; complete or decide a step and open what comes next."""

    async def start_intake(self, case_id: int, actor: str = "system") -> WorkflowResult:
        """Start the office's intake SOP for a case (idempotent: once per case)."""
        now = self.svc.clock.now()
        async with self.svc.db.transaction() as conn:
            case = await self.svc.cases.get(conn, case_id)
            office = self.svc.offices.get(case.office_id) if case else None
            if case is None or office is None:
                return _r(Outcome.NOT_FOUND, N_("There is no such case."))
            if await self.store.instances(conn, case_id):
                return _r(Outcome.OK, N_("The case's procedure has already started."))
            if "intake" not in office.sops:
                return _r(Outcome.INVALID, N_("The office has no intake procedure."))
            t = _Tx(conn, case, office, now, actor)
            await self._start(t, "intake", None, None)
            await append_audit(conn, at=now, actor=actor, action="sop_start", case_id=case_id,
                               detail=office.sops["intake"])  # fmt: skip
        return WorkflowResult(Outcome.OK, opened=tuple(t.opened))

    async def complete_step(
        self, step_id: int, user_id: int, outcome: str = DONE, report: str | None = None,
        file: tuple[str, str, bytes] | None = None,
    ) -> WorkflowResult:  # fmt: skip
        """Record a step's outcome and output, then open what the SOP says comes next."""
        return await self._complete(step_id, user_id, outcome, report, file, "complete_step")

    async def complete_without_output(
        self, step_id: int, head_user_id: int, reason: str
    ) -> WorkflowResult:
        """The head closes a step whose required output is missing ("done" without it): only
        the head, only with the reason (kept as the step's report), audited."""
        return await self._complete(step_id, head_user_id, DONE, reason, None, WAIVE)

    async def decide(
        self, step_id: int, head_user_id: int, outcome: str, reason: str | None = None
    ) -> WorkflowResult:
        """A decider picks a branch (accepted, rejected, terminate); rejections need a reason."""
        return await self._complete(step_id, head_user_id, outcome, reason, None, "decide")

    async def _complete(
        self, step_id: int, user_id: int, outcome: str, report: str | None,
        file: tuple[str, str, bytes] | None, action: str,
    ) -> WorkflowResult:  # fmt: skip
        async with self.svc.db.transaction() as conn:
            begun = await self._begin(conn, step_id, user_id, action)
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            if action == WAIVE:
                allowed = may_decide_as_head(t.office, user_id)
            elif action == "decide":
                allowed = may_decide_step(t.office, step, row.assignee_user_id, user_id)
            else:
                allowed = may_complete_step(t.office, step, row.assignee_user_id, user_id, outcome)
            if not allowed:
                return await self._deny(t, action, step_id)
            report = clean_text(report) or None
            if row.status != "open":
                return _r(Outcome.INVALID, _NOT_OPEN)
            if outcome not in step.outcomes:
                return _r(Outcome.INVALID, N_("This step has no outcome {outcome}."),
                          outcome=outcome, outcomes=list(step.outcomes))  # fmt: skip
            if outcome == DONE and step.names_next and action in ("complete_step", WAIVE):
                return _r(Outcome.INVALID, NAME_NEXT)  # seed 004: a disposition names someone
            if (outcome in REASON_REQUIRED or action == WAIVE) and not report:
                return _r(Outcome.INVALID, N_("Give the reason for this decision."))
            if action == WAIVE and not step.output_required:
                return _r(Outcome.INVALID, N_("This step has no required output."))
            if (
                action == "complete_step"
                and outcome == DONE
                and step.output_required
                and not report
                and file is None
                and not await self._letter_made(t, row.case_id, step, row.opened_at)
            ):
                return _r(Outcome.INVALID, OUTPUT_MISSING, output=step.output)  # fmt: skip
            if report and len(report) > MAX_REPORT_CHARS:
                return _r(Outcome.INVALID, N_("The report is too long."), limit=MAX_REPORT_CHARS)
            if file is not None and len(file[2]) > MAX_FILE_BYTES:
                return _r(Outcome.INVALID, N_("The file is too large."), limit=MAX_FILE_BYTES)
            if (refused := await self._rules(t, step)) is not None:
                return refused
            target = handover_target(step.next(outcome))
            service = self._resolve(t.office, target)[1] if target is not None else None
            if target is not None and await self._starts_running_service(
                t, row.instance_id, {target, service or target}
            ):
                return _r(Outcome.INVALID, ON_THE_PLAN, service=target)
            decision = await refusal(default_rules(), conn, t.case, service, actor=t.actor,
                                     at=t.now)  # fmt: skip
            if decision is not None:
                return _r(Outcome.NOT_ELIGIBLE, NOT_ELIGIBLE_MESSAGE,
                          articles="; ".join(decision.articles),
                          rules=[r.key for r in decision.refusals],
                          referrals=list(decision.referrals))  # fmt: skip
            if not await self.store.complete_step(t.conn, step_id, outcome=outcome,
                                                  user_id=user_id, at=t.now, report=report,
                                                  file=file):  # fmt: skip
                return _r(Outcome.INVALID, _NOT_OPEN)
            eid = await self._event(t, step_id, "completed", outcome=outcome,
                                    report=bool(report), file=file is not None)  # fmt: skip
            for uid in sorted({u for r in step.informs for u in t.office.people_with(r)}):
                await self._send(t, uid, "order_received", str(eid), step_id=step_id,
                                 case_id=t.case.id)  # fmt: skip
            await append_audit(conn, at=t.now, actor=t.actor, action=action, case_id=t.case.id,
                               detail=f"{row.sop_key}:{row.step_key}:{outcome}")  # fmt: skip
            if action == "decide":
                await self._send(t, _group(t), "step_decided", f"{step_id}",
                                 case_id=t.case.id, step_id=step_id, outcome=outcome)  # fmt: skip
            inst = await self.store.get_instance(conn, row.instance_id)
            assert inst is not None
            await self._follow(t, inst, step, outcome)
        return WorkflowResult(Outcome.OK, opened=tuple(t.opened))

    async def _starts_running_service(self, t: _Tx, instance_id: int, names: set[str]) -> bool:
        """Whether handing over to a service (``names``) would add one already running on the
        plan (the intake's choice after case management; a service's own SOP carries on)."""
        inst = await self.store.get_instance(t.conn, instance_id)
        if inst is None or inst.parent_step_id is not None:
            return False
        if await self.plan.service_for_instance(t.conn, inst.id) is not None:
            return False
        return bool(names & await self._running_kinds(t.conn, t.case.id))

    async def _letter_made(self, t: _Tx, case_id: int, step: Step, since: datetime) -> bool:
        """Whether one of the step's letters was made for the case since the step opened."""
        letters = await LetterStore(self.svc.cipher).of_case(t.conn, case_id)
        return any(x.kind in step.documents and x.created_at >= since for x in letters)
