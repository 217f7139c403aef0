"""The reporter's plain words about where their case stands (``status KODE``, every channel)."""

from __future__ import annotations

from bot.domain.i18n_marker import N_
from bot.i18n import Translator
from bot.services.context import Services
from bot.services.workflow import Workflow
from bot.store.cases import CaseRow

__all__ = ["reporter_progress"]


_STAGES = {
    "intake": (
        N_("Received. A complaint officer is responding to the report."),
        N_("A complaint officer will contact you by {due}."),
    ),
    "case_management": (
        N_("The unit's team is studying the case and planning the help needed."),
        N_(
            "An expert (legal counsellor, psychologist or mediator) will serve the client; "
            "then the unit will agree the next service with you."
        ),
    ),
    "mediation": (
        N_("The unit is preparing a mediation."),
        N_("The unit will contact the parties and send an invitation to the mediation."),
    ),
    "accompaniment": (
        N_("A companion has been assigned to accompany the victim."),
        N_(
            "The companion will tell you what to prepare and when (for example a visit to the "
            "police, a hospital or the court)."
        ),
    ),
}


async def reporter_progress(svc: Services, workflow: Workflow, case: CaseRow, t: Translator) -> str:
    """The reporter's plain words: which stage the case is at, and what happens next."""
    office = svc.office(case.office_id)
    if case.status == "closed":
        return "\n".join(
            [
                t.gettext("Status: {stage}", stage=t.gettext("The unit has finished the case.")),
                t.gettext(
                    "Next: {next}",
                    next=t.gettext("If you need help again, send /lapor or call the unit."),
                ),
            ]
        )
    progress = await workflow.case_progress(case.id)
    current = [p for p in progress if p.instance.status == "open"]
    if not progress:
        return ""
    inst = (current or progress)[-1]  # none open: between services, the team plans the next
    mine = inst.instance.service if current else None  # no SOP of its own: the team's work
    intake = bool(current) and inst.instance.sop_key == office.sops.get("intake")
    service = mine or ("intake" if intake else "case_management")
    sop = workflow.sops.get(inst.instance.sop_key)
    first = sop.first_step if sop else None
    if service == "intake" and not any(
        s.status == "open" and s.step_key == first for s in inst.steps
    ):
        service = "case_management"  # the intake SOP's later steps choose the service
    stage, following = _STAGES.get(service, _STAGES["case_management"])
    due = next((s.due_at for s in inst.steps if s.status == "open" and s.due_at), None)
    nxt = t.translate(following, due=t.datetime(due or case.first_response_due, office.timezone))
    if service == "mediation":
        now = svc.clock.now()
        planned = [m for m in await workflow.mediations(case.id) if m.scheduled_at > now]
        if planned:
            nxt = t.gettext(
                "A mediation session is planned for {when}. The unit will send you an invitation.",
                when=t.datetime(planned[-1].scheduled_at, office.timezone),
            )
    return "\n".join(
        [
            t.gettext("Status: {stage}", stage=t.translate(stage)),
            t.gettext("Next: {next}", next=nxt),
        ]
    )
