"""Shelter use cases: the head admits within the office's capacity (a full shelter refers to
a partner shelter), the stay's end is reminded, the stay is ended with a discharge plan.

Who stays in the shelter is never sent to the staff group: every notice here is private.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.domain.i18n_marker import N_
from bot.domain.identity import actor_for
from bot.domain.notice import Notice, Recipient
from bot.domain.office import Role
from bot.domain.permissions import may_decide_as_head
from bot.domain.validation import clean_text
from bot.services import plan_records
from bot.services.context import Services
from bot.store.audit import append_audit
from bot.store.case_plan import CasePlanStore
from bot.store.db import Tx
from bot.store.referrals import ReferralStore
from bot.store.reminders import ReminderStore
from bot.store.rows import iso
from bot.store.shelter import ShelterStore

__all__ = ["STAY_ENDING", "ShelterResult", "admit", "discharge", "refuse", "remind_ending"]

STAY_ENDING = "shelter_stay_ending"


@dataclass(frozen=True)
class ShelterResult:
    """ok with the stay made, or a message id (with params); a refusal may carry a referral."""

    ok: bool
    message: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    stay_id: int | None = None
    referral_id: int | None = None


async def admit(
    svc: Services, case_id: int, person_id: int, safety_plan: str = ""
) -> ShelterResult:
    """The head admits the case's victim to the office's shelter, if a place is free."""
    now, actor = svc.clock.now(), actor_for(person_id)
    shelters = ShelterStore(svc.cipher)
    async with svc.db.transaction() as conn:
        case = await svc.cases.get(conn, case_id)
        office = svc.offices.get(case.office_id) if case else None
        if case is None or office is None:
            return ShelterResult(False, N_("There is no such case."))
        if not may_decide_as_head(office, person_id):
            await append_audit(conn, at=now, actor=actor, action="denied:shelter_admit",
                               case_id=case_id)  # fmt: skip
            return ShelterResult(False, N_("Only the head decides a shelter admission."))
        if case.status == "closed":
            return ShelterResult(False, N_("This case is closed."))
        if await shelters.current(conn, case_id) is not None:
            return ShelterResult(False, N_("This case already has a stay in the shelter."))
        policy = office.shelter
        taken = await shelters.occupied(conn, office.id)
        if taken >= policy.capacity:
            params = {"n": taken, "capacity": policy.capacity}
            if not policy.partners:
                return ShelterResult(False, N_("The shelter is full ({n} of {capacity} places) "
                                               "and no partner shelter is set in the office "
                                               "file."), params)  # fmt: skip
            partner = policy.partners[0]
            rid = await ReferralStore(svc.cipher).insert(
                conn, case_id=case_id, kind="partner_shelter", companion_id=person_id,
                created_by=person_id, at=now, facts={"institution": partner},
            )  # fmt: skip
            await append_audit(conn, at=now, actor=actor, action="shelter_full", case_id=case_id,
                               detail=f"referral {rid}: partner shelter")  # fmt: skip
            request = await _requested(conn, case_id)
            if request is not None:
                await CasePlanStore().set_record(conn, request, f"request:{case_id}")
                await plan_records.end_for_record(svc, conn, f"request:{case_id}",
                                                  "referred_partner", actor, now)  # fmt: skip
            return ShelterResult(False, N_("The shelter is full ({n} of {capacity} places): "
                                           "referred to the partner shelter {partner} "
                                           "(referral {id})."),
                                 {**params, "partner": partner, "id": rid},
                                 referral_id=rid)  # fmt: skip
        ends = now + timedelta(days=policy.max_stay_days)
        sid = await shelters.admit(conn, case_id=case_id, office_id=office.id, at=now,
                                   ends_at=ends, decided_by=person_id,
                                   plan={"safety_plan": clean_text(safety_plan)})  # fmt: skip
        await svc.cases.add_event(conn, case_id, now, actor, "shelter_admitted", {"stay_id": sid})
        request = await _requested(conn, case_id)
        if request is not None:  # the plan's shelter service follows the stay from now on
            await CasePlanStore().set_record(conn, request, f"stay:{sid}")
        await append_audit(conn, at=now, actor=actor, action="shelter_admit", case_id=case_id,
                           detail=f"stay {sid}")  # fmt: skip
    return ShelterResult(True, stay_id=sid, params={"ends_at": iso(ends)})


async def _requested(conn: Tx, case_id: int) -> int | None:
    """The case's running shelter service still waiting for the head's decision."""
    for s in await CasePlanStore().services(conn, case_id):
        if s.kind == "shelter" and s.status == "running" and s.record is None:
            return s.id
    return None


async def refuse(svc: Services, case_id: int, person_id: int) -> ShelterResult:
    """The head refuses the shelter admission asked on the plan; back to the case manager."""
    now, actor = svc.clock.now(), actor_for(person_id)
    async with svc.db.transaction() as conn:
        case = await svc.cases.get(conn, case_id)
        office = svc.offices.get(case.office_id) if case else None
        if case is None or office is None:
            return ShelterResult(False, N_("There is no such case."))
        if not may_decide_as_head(office, person_id):
            await append_audit(conn, at=now, actor=actor, action="denied:shelter_refuse",
                               case_id=case_id)  # fmt: skip
            return ShelterResult(False, N_("Only the head decides a shelter admission."))
        request = await _requested(conn, case_id)
        if request is None:
            return ShelterResult(False, N_("No shelter admission is waiting for this case."))
        await CasePlanStore().set_record(conn, request, f"request:{case_id}")
        await plan_records.end_for_record(svc, conn, f"request:{case_id}", "rejected", actor, now)
        await append_audit(conn, at=now, actor=actor, action="shelter_refused", case_id=case_id)
    return ShelterResult(True)


async def discharge(
    svc: Services, stay_id: int, person_id: int, discharge_plan: str = ""
) -> ShelterResult:
    """The head or a case manager ends a stay (with the discharge plan)."""
    now, actor = svc.clock.now(), actor_for(person_id)
    shelters = ShelterStore(svc.cipher)
    async with svc.db.transaction() as conn:
        stay = await shelters.get(conn, stay_id)
        office = svc.offices.get(stay.office_id) if stay else None
        if stay is None or office is None:
            return ShelterResult(False, N_("There is no such stay."))
        if not office.has_role(person_id, Role.KETUA, Role.MANAJER_KASUS):
            await append_audit(conn, at=now, actor=actor, action="denied:shelter_discharge",
                               case_id=stay.case_id)  # fmt: skip
            return ShelterResult(False, N_("Only the head or a case manager ends a stay."))
        plan = clean_text(discharge_plan)
        if not plan:
            return ShelterResult(False, N_("Write the discharge plan: where she goes and who "
                                           "follows up."))  # fmt: skip
        if not await shelters.discharge(conn, stay.id, now):
            return ShelterResult(False, N_("This stay has already ended."))
        await shelters.save_plan(conn, stay.id, {**await shelters.plan(conn, stay.id),
                                                 "discharge_plan": plan})  # fmt: skip
        await plan_records.end_for_record(svc, conn, f"stay:{stay.id}", "completed", actor, now)
        await svc.cases.add_event(conn, stay.case_id, now, actor, "shelter_discharged",
                                  {"stay_id": stay.id, "with_plan": True})  # fmt: skip
        await append_audit(conn, at=now, actor=actor, action="shelter_discharge",
                           case_id=stay.case_id, detail=f"stay {stay.id}")  # fmt: skip
    return ShelterResult(True, stay_id=stay.id)


async def remind_ending(svc: Services, now: datetime) -> int:
    """Remind the head and case managers privately before a stay ends, and when it is over."""
    shelters, log = ShelterStore(svc.cipher), ReminderStore()
    sent = 0
    for office in svc.offices.values():
        soon = now + timedelta(days=office.shelter.remind_days_before)
        async with svc.db.transaction() as conn:
            for stay in await shelters.ending(conn, office.id, soon):
                when = "over" if now >= stay.ends_at else "soon"
                subject = f"shelter:{stay.id}@{iso(stay.ends_at)}"
                due = stay.ends_at if when == "over" else stay.ends_at - (soon - now)
                if not await log.claim(conn, subject=subject, kind=when, due_at=due, at=now,
                                       office_id=office.id):  # fmt: skip
                    continue
                sent += 1
                case = await svc.cases.get(conn, stay.case_id)
                people = {*office.people_with(Role.KETUA), *office.people_with(Role.MANAJER_KASUS)}
                for person in sorted(people):
                    to = Recipient.person(person)
                    notice = Notice(
                        kind=STAY_ENDING, recipient=to, language=office.language,
                        case_id=stay.case_id,
                        params={"stay_id": stay.id, "case_id": stay.case_id, "when": when,
                                "case_number": case.number if case else "",
                                "ends_at": iso(stay.ends_at)},
                        dedupe_key=f"rem:{STAY_ENDING}:{subject}.{when}:{to.key()}",
                    )  # fmt: skip
                    await svc.outbox.add(conn, notice, at=now)
    return sent
