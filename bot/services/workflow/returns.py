"""How the engine meets the case plan: a started service goes on the plan, and a top-level
SOP instance that ends goes back to the case manager with its outcome (it never closes the
case: only the close decision does, bot/services/workflow/plan.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain.case_plan import case_managers, service_outcome
from bot.store.audit import append_audit
from bot.store.workflow import InstanceRow

if TYPE_CHECKING:
    from bot.services.workflow.engine import Engine, _Tx

__all__ = ["handed_over", "keep_reviewing", "plan_service", "returned", "service_ended"]


async def plan_service(e: Engine, t: _Tx, kind: str, iid: int, assignee: int | None) -> int:
    """Put a started service on the case's plan (audited); its reviews begin."""
    sid = await e.plan.add_service(t.conn, case_id=t.case.id, kind=kind, instance_id=iid,
                                   assignee_user_id=assignee, added_by=t.actor,
                                   at=t.now)  # fmt: skip
    await e.svc.cases.add_event(t.conn, t.case.id, t.now, t.actor, "service_added",
                                {"service_id": sid, "kind": kind})  # fmt: skip
    await append_audit(t.conn, at=t.now, actor=t.actor, action="service_added",
                       case_id=t.case.id, detail=kind)  # fmt: skip
    await keep_reviewing(e, t)
    return sid


async def handed_over(e: Engine, t: _Tx, inst: InstanceRow, name: str, iid: int) -> None:
    """A top-level instance handed over to ``name`` (instance ``iid``).

    From the intake (no service yet) the chosen service goes on the plan; from a service's
    SOP the same service carries on in the next SOP (still running, nothing returned yet).
    """
    row = await e.plan.service_for_instance(t.conn, inst.id)
    if row is None:
        await plan_service(e, t, name, iid, None)
        return
    await e.plan.move_service(t.conn, row.id, iid)
    await e.svc.cases.add_event(t.conn, t.case.id, t.now, t.actor, "service_carried_on",
                                {"service_id": row.id, "instance_id": iid})  # fmt: skip


async def keep_reviewing(e: Engine, t: _Tx) -> None:
    """The case's plan is reviewed every office interval from now on (if not planned yet)."""
    if await e.plan.review(t.conn, t.case.id) is None:
        due = t.now + timedelta(days=t.office.review_days)
        await e.plan.set_review(t.conn, t.case.id, due)


async def returned(e: Engine, t: _Tx, inst: InstanceRow) -> None:
    """A top-level SOP instance ended: its service ends, the case manager gets the outcome."""
    row = await e.plan.service_for_instance(t.conn, inst.id)
    steps = [s for s in await e.store.steps_of_case(t.conn, t.case.id)
             if s.instance_id == inst.id]  # fmt: skip
    outcome = service_outcome(s.outcome for s in steps)
    kind = row.kind if row is not None else (inst.service or inst.sop_key)
    if row is not None:
        await e.plan.end_service(t.conn, row.id, t.now, outcome)
    await service_ended(e, t, kind, outcome, row.id if row else None, f"i{inst.id}")


async def service_ended(
    e: Engine, t: _Tx, kind: str, outcome: str, service_id: int | None, key: str
) -> None:
    """Record a service's end and send its outcome to the case managers; keep reviewing."""
    data = {"kind": kind, "outcome": outcome, "service_id": service_id}
    await e.svc.cases.add_event(t.conn, t.case.id, t.now, t.actor, "service_ended", data)
    await append_audit(t.conn, at=t.now, actor=t.actor, action="service_ended",
                       case_id=t.case.id, detail=f"{kind}:{outcome}")  # fmt: skip
    for uid in case_managers(t.office):
        await e._send(t, uid, "plan_service_ended", key, case_id=t.case.id,
                      service=kind, outcome=outcome, service_id=service_id)  # fmt: skip
    await keep_reviewing(e, t)
