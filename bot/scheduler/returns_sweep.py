"""The sweep's part for a return home (pemulangan): some days after the travel date, the
companion and the case managers are asked, once, to follow up on her arrival with the
receiving region's UPTD PPA; recording the fact ``arrival_follow_up`` ends the service."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.notice import Notice, Recipient
from bot.domain.office import Role
from bot.domain.referrals import RETURN_FOLLOW_UP_DAYS
from bot.services.context import Services
from bot.store.referrals import ReferralStore
from bot.store.reminders import ReminderStore
from bot.store.rows import iso

__all__ = ["RETURN_FOLLOW_UP", "sweep_returns"]

RETURN_FOLLOW_UP = "return_follow_up"


async def sweep_returns(svc: Services, now: datetime) -> int:
    """Queue the follow-up after arrival of every return home whose time has come (once)."""
    store, log = ReferralStore(svc.cipher), ReminderStore()
    after = timedelta(days=RETURN_FOLLOW_UP_DAYS)
    sent = 0
    async with svc.db.transaction() as conn:
        for d in await store.travelled(conn, now - after):
            if "arrival_follow_up" in await store.facts(conn, d.referral_id):
                continue
            case = await svc.cases.get(conn, d.case_id)
            office = svc.offices.get(case.office_id) if case else None
            if case is None or office is None:
                continue
            subject = f"return:{d.id}@{iso(d.scheduled_at)}"
            if not await log.claim(conn, subject=subject, kind=RETURN_FOLLOW_UP,
                                   due_at=d.scheduled_at + after, at=now,
                                   office_id=office.id):  # fmt: skip
                continue
            sent += 1
            people = [d.companion_id] if d.companion_id and office.is_staff(d.companion_id) else []
            people += office.people_with(Role.MANAJER_KASUS)
            for person in dict.fromkeys(people):
                to = Recipient.person(person)
                await svc.outbox.add(conn, Notice(
                    kind=RETURN_FOLLOW_UP, recipient=to, language=office.language,
                    case_id=case.id,
                    params={"case_id": case.id, "case_number": case.number,
                            "referral_id": d.referral_id, "travelled_at": iso(d.scheduled_at)},
                    dedupe_key=f"rem:{RETURN_FOLLOW_UP}:{subject}:{to.key()}",
                ), at=now)  # fmt: skip
    return sent
