"""While a shelter stay runs: the daily check-in task of the staff member who follows it, and
the head's decision to extend the stay (with a reason). Every notice here is private."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta

from bot.domain.i18n_marker import N_
from bot.domain.identity import actor_for
from bot.domain.notice import Notice, Recipient
from bot.domain.office import Office, Role
from bot.domain.permissions import may_decide_as_head
from bot.domain.validation import clean_text
from bot.services.context import Services
from bot.services.shelter import STAY_ENDING, ShelterResult, remind_ending
from bot.store.audit import append_audit
from bot.store.case_plan import CasePlanStore
from bot.store.db import Tx
from bot.store.reminders import ReminderStore
from bot.store.rows import iso
from bot.store.shelter import ShelterStay, ShelterStore

__all__ = ["CHECK_IN", "CHECK_IN_AT", "check_in", "extend", "shelter_reminders"]

CHECK_IN = "shelter_check_in"
# the daily check-in is asked at this local time, every day of the stay (weekends included)
CHECK_IN_AT = time(8, 0)
MAX_EXTENSION_DAYS = 90


async def _followers(conn: Tx, office: Office, stay: ShelterStay) -> list[int]:
    """Who checks in: the person following the plan's shelter service, else the case managers."""
    row = await CasePlanStore().running_for_record(conn, f"stay:{stay.id}")
    if row is not None and row.assignee_user_id is not None:
        return [row.assignee_user_id]
    return office.people_with(Role.MANAJER_KASUS) or office.people_with(Role.KETUA)


async def check_in(svc: Services, stay_id: int, person_id: int) -> ShelterResult:
    """The daily check-in is done (the follower, a case manager or the head)."""
    now, actor = svc.clock.now(), actor_for(person_id)
    shelters = ShelterStore(svc.cipher)
    async with svc.db.transaction() as conn:
        stay = await shelters.get(conn, stay_id)
        office = svc.offices.get(stay.office_id) if stay else None
        if stay is None or office is None:
            return ShelterResult(False, N_("There is no such stay."))
        allowed = {*await _followers(conn, office, stay), *office.people_with(Role.KETUA),
                   *office.people_with(Role.MANAJER_KASUS)}  # fmt: skip
        if person_id not in allowed:
            await append_audit(conn, at=now, actor=actor, action="denied:shelter_check_in",
                               case_id=stay.case_id)  # fmt: skip
            return ShelterResult(False, N_("Only the staff following the stay check in."))
        if not await shelters.check_in(conn, stay.id, now):
            return ShelterResult(False, N_("This stay has already ended."))
        await svc.cases.add_event(conn, stay.case_id, now, actor, "shelter_checked_in",
                                  {"stay_id": stay.id})  # fmt: skip
        await append_audit(conn, at=now, actor=actor, action="shelter_check_in",
                           case_id=stay.case_id, detail=f"stay {stay.id}")  # fmt: skip
    return ShelterResult(True, stay_id=stay.id)


async def extend(
    svc: Services, stay_id: int, person_id: int, days: int, reason: str
) -> ShelterResult:
    """The head extends a stay by some days, with a reason (kept encrypted with the stay)."""
    now, actor = svc.clock.now(), actor_for(person_id)
    why = clean_text(reason)
    shelters = ShelterStore(svc.cipher)
    async with svc.db.transaction() as conn:
        stay = await shelters.get(conn, stay_id)
        office = svc.offices.get(stay.office_id) if stay else None
        if stay is None or office is None:
            return ShelterResult(False, N_("There is no such stay."))
        if not may_decide_as_head(office, person_id):
            await append_audit(conn, at=now, actor=actor, action="denied:shelter_extend",
                               case_id=stay.case_id)  # fmt: skip
            return ShelterResult(False, N_("Only the head extends a stay."))
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            return ShelterResult(False, N_("Extend by 1 to {n} days."), {"n": MAX_EXTENSION_DAYS})
        if not why:
            return ShelterResult(False, N_("Write the reason for the extension."))
        ends = stay.ends_at + timedelta(days=days)
        if not await shelters.extend(conn, stay.id, ends):
            return ShelterResult(False, N_("This stay has already ended."))
        plan = await shelters.plan(conn, stay.id)
        extensions = [*plan.get("extensions", []),
                      {"at": iso(now), "days": days, "reason": why, "by": person_id}]  # fmt: skip
        await shelters.save_plan(conn, stay.id, {**plan, "extensions": extensions})
        await svc.cases.add_event(conn, stay.case_id, now, actor, "shelter_extended",
                                  {"stay_id": stay.id, "days": days})  # fmt: skip
        await append_audit(conn, at=now, actor=actor, action="shelter_extend",
                           case_id=stay.case_id,
                           detail=f"stay {stay.id}: +{days} days")  # fmt: skip
    return ShelterResult(True, stay_id=stay.id, params={"ends_at": iso(ends)})


async def _remind_check_ins(svc: Services, now: datetime) -> int:
    """Ask the follower of each running stay to check in, once a day from CHECK_IN_AT."""
    shelters, log = ShelterStore(svc.cipher), ReminderStore()
    sent = 0
    for office in svc.offices.values():
        local = now.astimezone(office.tz)
        due = datetime.combine(local.date(), CHECK_IN_AT, tzinfo=office.tz)
        if local < due:
            continue
        async with svc.db.transaction() as conn:
            for stay in await shelters.staying(conn, office.id):
                if stay.admitted_at.astimezone(office.tz).date() == local.date():
                    continue  # admitted today: the first check-in is tomorrow
                subject = f"shelter_check:{stay.id}:{local.date().isoformat()}"
                if not await log.claim(conn, subject=subject, kind=CHECK_IN, due_at=due,
                                       at=now, office_id=office.id):  # fmt: skip
                    continue
                sent += 1
                case = await svc.cases.get(conn, stay.case_id)
                for person in await _followers(conn, office, stay):
                    to = Recipient.person(person)
                    await svc.outbox.add(conn, Notice(
                        kind=CHECK_IN, recipient=to, language=office.language,
                        case_id=stay.case_id,
                        params={"stay_id": stay.id, "case_id": stay.case_id,
                                "case_number": case.number if case else "",
                                "day": local.date().isoformat()},
                        dedupe_key=f"rem:{CHECK_IN}:{stay.id}.{local.date()}:{to.key()}",
                    ), at=now)  # fmt: skip
    return sent


async def shelter_reminders(svc: Services, now: datetime) -> Counter[str]:
    """The shelter's private reminders at a sweep: stays about to end, daily check-ins."""
    counts: Counter[str] = Counter()
    counts[STAY_ENDING] += await remind_ending(svc, now)
    counts[CHECK_IN] += await _remind_check_ins(svc, now)
    return +counts
