"""The applicant's request (Pekalongan seed 002 item 1): a service that starts at it.

Staff record the applicant's request on a case; the office's SOP for the service (one with
``starts_at_request``) starts at once on the case plan, through the eligibility rules, so its
SOP-level time standards (5 and 14 working days) count from the request; the SOP's first
step is the recording, done by whoever recorded the request when they may do it.
"""

from __future__ import annotations

from bot.domain.case_plan import service_kind, sop_for
from bot.domain.i18n_marker import N_
from bot.domain.office import Office
from bot.domain.permissions import may_complete_step, may_record_request
from bot.domain.sop import Sop, Step
from bot.domain.validation import clean_text
from bot.services.workflow.engine import DONE, MAX_REPORT_CHARS, Outcome, WorkflowResult, _r, _Tx
from bot.services.workflow.plan import PlanUseCases
from bot.store.audit import append_audit

__all__ = ["NOT_ON_REQUEST", "RequestUseCases"]

NOT_ON_REQUEST = N_(
    "In this unit this service does not start at the applicant's request: the case manager "
    "adds it to the case plan (/kasus)."
)


class RequestUseCases(PlanUseCases):
    """Record the applicant's request and start the service it asks for."""

    def request_sop(self, office: Office, kind: str) -> Sop | None:
        """The office's SOP for a service kind when it starts at the applicant's request."""
        found = service_kind(kind)
        service = sop_for(found, office) if found is not None else None
        if service is None:
            return None
        sop = self.sops.get(office.sops[service])
        return sop if sop is not None and sop.starts_at_request else None

    async def record_request(
        self, case_id: int, user_id: int, kind: str = "mediation", note: str | None = None
    ) -> WorkflowResult:
        """Record the applicant's request on a case and start the service on its plan."""
        note = clean_text(note) or None
        async with self.svc.db.transaction() as conn:
            t = await self._case_tx(conn, case_id, user_id)
            if t is None:
                return _r(Outcome.NOT_FOUND, N_("There is no such case."))
            sop = self.request_sop(t.office, kind)
            if sop is None:
                return _r(Outcome.INVALID, NOT_ON_REQUEST)
            first = sop.step(sop.first_step)
            if not may_record_request(t.office, first, user_id):
                return await self._deny(t, "record_request")
            if t.case.status == "closed":
                return _r(Outcome.INVALID, N_("The case is closed."))
            if note is not None and len(note) > MAX_REPORT_CHARS:
                return _r(Outcome.INVALID, N_("The report is too long."), limit=MAX_REPORT_CHARS)
            added = await self._add_checked(t, [(kind, None)], user_id)
            if isinstance(added, WorkflowResult):
                return added
            await self.svc.cases.add_event(conn, case_id, t.now, t.actor, "request_recorded",
                                           {"service": kind, "service_id": added[0]})  # fmt: skip
            await append_audit(conn, at=t.now, actor=t.actor, action="request_recorded",
                               case_id=case_id, detail=f"{sop.key}:{kind}")  # fmt: skip
            recorded = await self._record_first_step(t, sop, first, user_id, note)
        params = {"services": added, "recorded": recorded}
        return WorkflowResult(Outcome.OK, params=params, opened=tuple(t.opened))

    async def _record_first_step(
        self, t: _Tx, sop: Sop, first: Step, user_id: int, note: str | None
    ) -> bool:
        """The SOP's first step is the recording: done now when the recorder may do it (else
        it stays open for its actors)."""
        if not t.opened or not may_complete_step(t.office, first, None, user_id, DONE):
            return False
        sid = t.opened[0]
        row = await self.store.get_step(t.conn, sid)
        if row is None or row.step_key != first.key or row.sop_key != sop.key:
            return False
        if not await self.store.complete_step(t.conn, sid, outcome=DONE, user_id=user_id,
                                              at=t.now, report=note, file=None):  # fmt: skip
            return False
        await self._event(t, sid, "completed", outcome=DONE, report=note is not None, file=False)
        await append_audit(t.conn, at=t.now, actor=t.actor, action="complete_step",
                           case_id=t.case.id, detail=f"{sop.key}:{first.key}:{DONE}")  # fmt: skip
        inst = await self.store.get_instance(t.conn, row.instance_id)
        assert inst is not None
        await self._follow(t, inst, first, DONE)
        return True
