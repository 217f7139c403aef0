"""Services on the case plan that start a record instead of an SOP: an outreach visit, a
referral (also the court protection-order request and the return home) and a shelter
admission request to the head. The service ends when its record says so (the visit is
recorded, a closing fact comes back, the stay ends, the head refuses) or by hand, and its
outcome goes back to the case managers like any other service (``plan_service_ended``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.case_plan import case_managers, service_kind, split_key
from bot.domain.i18n_marker import N_
from bot.domain.identity import actor_for
from bot.domain.notice import Notice, Recipient
from bot.domain.office import Office, Role
from bot.domain.outreach import VISIT_FOLLOW_UPS
from bot.domain.referrals import CLOSING_FACTS, DEFAULT_INSTITUTIONS, PLAN_REFERRAL_KINDS, is_kdrt
from bot.services.context import Services
from bot.store.audit import append_audit
from bot.store.case_plan import CasePlanStore
from bot.store.cases import CaseRow
from bot.store.db import Tx
from bot.store.outreach import OutreachRow, OutreachStore
from bot.store.referrals import ReferralStore
from bot.store.rows import iso
from bot.store.shelter import ShelterStore

__all__ = [
    "RECORD_STARTED",
    "SHELTER_REQUEST",
    "PlanCtx",
    "check",
    "end_for_record",
    "fact_recorded",
    "referral_on_plan",
    "start",
    "urgent_on_plan",
    "visit_follow_up",
]

SHELTER_REQUEST = "shelter_request"
RECORD_STARTED = "plan_record_started"


@dataclass(frozen=True)
class PlanCtx:
    """One transaction's view of a case: the connection, case, office, time and actor."""

    conn: Tx
    case: CaseRow
    office: Office
    now: datetime
    actor: str
    person: int | None = None  # the person acting (None: the system)


async def _notify(svc: Services, c: PlanCtx, to: Recipient, kind: str, key: str,
                  **params: Any) -> None:  # fmt: skip
    await svc.outbox.add(c.conn, Notice(
        kind=kind, recipient=to, params={"case_id": c.case.id, **params}, case_id=c.case.id,
        language=c.office.language, dedupe_key=f"{kind}:{key}:{to.key()}",
    ), at=c.now)  # fmt: skip


async def check(svc: Services, c: PlanCtx, key: str) -> str | None:
    """Why a record service cannot start on this case (a message id), None if it can."""
    base, option = split_key(key)
    if base == "referral" and option not in PLAN_REFERRAL_KINDS:
        return N_("Choose where the case is referred.")
    if base != "referral" and option:
        return N_("There is no such service.")
    if base == "protection" and not is_kdrt(c.case.categories, c.case.relation):
        return N_("A court protection order (UU 23/2004 Pasal 28-29) is for domestic violence.")
    if base == "shelter" and await ShelterStore(svc.cipher).current(c.conn, c.case.id):
        return N_("This case already has a stay in the shelter.")
    return None


async def _referral(svc: Services, c: PlanCtx, kind: str, companion: int, **facts: str) -> str:
    rid = await ReferralStore(svc.cipher).insert(
        c.conn, case_id=c.case.id, kind=kind, companion_id=companion,
        created_by=c.person if c.person is not None else companion, at=c.now,
        facts={"institution": DEFAULT_INSTITUTIONS[kind], **facts},
    )  # fmt: skip
    await svc.cases.add_event(c.conn, c.case.id, c.now, c.actor, "referred",
                              {"referral_id": rid, "kind": kind})  # fmt: skip
    await append_audit(c.conn, at=c.now, actor=c.actor, action="refer", case_id=c.case.id,
                       detail=f"referral {rid}: {kind}")  # fmt: skip
    return f"referral:{rid}"


async def _outreach(svc: Services, c: PlanCtx, visitor: int) -> str:
    store = OutreachStore(svc.cipher)
    key = f"plan:{c.case.id}:{iso(c.now)}:{visitor}"
    oid, _ = await store.open(c.conn, office_id=c.office.id, draft_key=key, at=c.now,
                              paged=(visitor,), ack_due=None)  # fmt: skip
    await store.link_case(c.conn, key, c.case.id)
    await store.acknowledge(c.conn, oid, visitor, c.now)
    await append_audit(c.conn, at=c.now, actor=c.actor, action="outreach_planned",
                       case_id=c.case.id, detail=f"outreach {oid}")  # fmt: skip
    return f"outreach:{oid}"


async def _add(
    svc: Services, c: PlanCtx, kind: str, record: str | None, assignee: int | None
) -> int:
    """Put a record service on the plan (audited); the plan's reviews begin."""
    plan = CasePlanStore()
    sid = await plan.add_service(
        c.conn, case_id=c.case.id, kind=kind, instance_id=None, assignee_user_id=assignee,
        added_by=c.actor, at=c.now, record=record,
    )  # fmt: skip
    await svc.cases.add_event(c.conn, c.case.id, c.now, c.actor, "service_added",
                              {"service_id": sid, "kind": kind, "record": record})  # fmt: skip
    await append_audit(c.conn, at=c.now, actor=c.actor, action="service_added",
                       case_id=c.case.id, detail=f"{kind}:{record or 'requested'}")  # fmt: skip
    if await plan.review(c.conn, c.case.id) is None:
        await plan.set_review(c.conn, c.case.id, c.now + timedelta(days=c.office.review_days))
    return sid


async def urgent_on_plan(svc: Services, conn: Tx, row: OutreachRow, now: datetime) -> int | None:
    """The outreach of an urgent report that became a case goes on its plan (once); a visit
    recorded before the report was finished ends it at once and opens its follow-up."""
    case = await svc.cases.get(conn, row.case_id) if row.case_id is not None else None
    office = svc.offices.get(case.office_id) if case else None
    record = f"outreach:{row.id}"
    if case is None or office is None or case.status == "closed":
        return None
    if any(s.record == record for s in await CasePlanStore().services(conn, case.id)):
        return None
    c = PlanCtx(conn, case, office, now, "system")
    sid = await _add(svc, c, "outreach", record, row.acked_by)
    if row.status == "visited" and row.outcome:
        by = row.team[0] if row.team else (row.acked_by or 0)
        await visit_follow_up(svc, conn, row, row.outcome, by, now)
    return sid


async def referral_on_plan(
    svc: Services, conn: Tx, case: CaseRow, office: Office, referral_id: int, companion: int,
    now: datetime, person: int,
) -> int:  # fmt: skip
    """A referral made by command (/rujuk) goes on the case's plan as a running service, as
    one added from the plan does; the plan's service id."""
    c = PlanCtx(conn, case, office, now, actor_for(person), person)
    return await _add(svc, c, "referral", f"referral:{referral_id}", companion)


async def start(svc: Services, c: PlanCtx, key: str, assignee: int) -> int:
    """Start a record service (``check`` it first); the plan's service id."""
    base, option = split_key(key)
    record: str | None = None
    if base == "outreach":
        record = await _outreach(svc, c, assignee)
    elif base == "referral":
        record = await _referral(svc, c, option, assignee)
    elif base == "protection":
        record = await _referral(svc, c, "court", assignee, request="protection_order")
    elif base == "reintegration":
        record = await _referral(svc, c, "uptd_ppa", assignee, request="return")
    sid = await _add(svc, c, base, record, assignee)
    if base == "shelter":
        taken = await ShelterStore(svc.cipher).occupied(c.conn, c.office.id)
        for head in c.office.people_with(Role.KETUA):  # privately: never the group
            await _notify(svc, c, Recipient.person(head), SHELTER_REQUEST, f"s{sid}",
                          service_id=sid, taken=taken,
                          capacity=c.office.shelter.capacity)  # fmt: skip
    await _notify(svc, c, Recipient.person(assignee), RECORD_STARTED, f"s{sid}",
                  service_id=sid, service=base, record=record or "")  # fmt: skip
    return sid


async def end_for_record(
    svc: Services, conn: Tx, record: str, outcome: str, actor: str, now: datetime
) -> int | None:
    """End the running service that follows ``record``; back to the case managers."""
    plan = CasePlanStore()
    row = await plan.running_for_record(conn, record)
    if row is None or not await plan.end_service(conn, row.id, now, outcome):
        return None
    case = await svc.cases.get(conn, row.case_id)
    office = svc.offices.get(case.office_id) if case else None
    if case is None or office is None:
        return row.id
    c = PlanCtx(conn, case, office, now, actor)
    data = {"kind": row.kind, "outcome": outcome, "service_id": row.id}
    await svc.cases.add_event(conn, case.id, now, actor, "service_ended", data)
    await append_audit(conn, at=now, actor=actor, action="service_ended", case_id=case.id,
                       detail=f"{row.kind}:{outcome}")  # fmt: skip
    for uid in case_managers(office):
        await _notify(svc, c, Recipient.person(uid), "plan_service_ended", f"s{row.id}",
                      service=row.kind, outcome=outcome, service_id=row.id)  # fmt: skip
    return row.id


async def fact_recorded(
    svc: Services, conn: Tx, referral_id: int, key: str, actor: str, now: datetime
) -> None:
    """A fact came back on a referral: a closing fact ends the service that follows it."""
    row = await CasePlanStore().running_for_record(conn, f"referral:{referral_id}")
    if row is not None and key in CLOSING_FACTS.get(row.kind, frozenset()):
        await end_for_record(svc, conn, f"referral:{referral_id}", "completed", actor, now)


async def visit_follow_up(
    svc: Services, conn: Tx, row: OutreachRow, outcome: str, person_id: int, now: datetime
) -> int | None:
    """A recorded visit ends its plan service and opens the follow-up on the case's plan:
    taken to a shelter asks the head to admit, to hospital or the police is a referral."""
    actor = actor_for(person_id)
    await end_for_record(svc, conn, f"outreach:{row.id}", outcome, actor, now)
    key = VISIT_FOLLOW_UPS.get(outcome)
    case = await svc.cases.get(conn, row.case_id) if row.case_id is not None else None
    office = svc.offices.get(case.office_id) if case else None
    if key is None or case is None or office is None or case.status == "closed":
        return None
    kind = service_kind(key)
    running = {s.kind for s in await CasePlanStore().services(conn, case.id)
               if s.status == "running"}  # fmt: skip
    if kind is None or (kind.key in running and not kind.many):
        return None
    c = PlanCtx(conn, case, office, now, actor, person_id)
    if await check(svc, c, key) is not None:
        return None
    sid = await start(svc, c, key, person_id)
    await append_audit(conn, at=now, actor=actor, action="outreach_follow_up",
                       case_id=case.id, detail=f"outreach {row.id}: {key}")  # fmt: skip
    return sid
