"""The sweep's part for referrals: reminders of their dates, and the PKDRT 1x24 h deadline.

A referral's dated event (a hearing) is reminded to the companion exactly as a mediation
session is: the previous working day at opening time and two hours before (the same
schedule, ``sweep.mediation_schedule``), recorded once per date *and time*, so a moved
hearing is reminded again at its new time and the old reminders are dropped before sending.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from bot.domain.notice import Notice, Recipient
from bot.domain.office import Office, Role
from bot.scheduler.returns_sweep import RETURN_FOLLOW_UP, sweep_returns
from bot.scheduler.schedule import due_mediation_kinds
from bot.services.context import Services
from bot.store import Tx
from bot.store.outbox import OutboxItem, case_status
from bot.store.referrals import ReferralDate, ReferralRow, ReferralStore
from bot.store.reminders import MediationDue, ReminderStore
from bot.store.rows import iso

__all__ = [
    "PROTECTION_OVERDUE",
    "REFERRAL_NO_NEWS",
    "REFERRAL_REMINDER",
    "REFERRAL_SWEEP_KINDS",
    "referral_still_relevant",
    "sweep_referrals",
]

log = logging.getLogger(__name__)

REFERRAL_REMINDER = "referral_reminder"
PROTECTION_OVERDUE = "protection_overdue"
REFERRAL_NO_NEWS = "referral_no_news"
REFERRAL_SWEEP_KINDS = frozenset({REFERRAL_REMINDER, PROTECTION_OVERDUE, REFERRAL_NO_NEWS})


def _companions(office: Office, companion: int | None) -> list[Recipient]:
    if companion is not None and office.is_staff(companion):
        return [Recipient.person(companion)]
    return [Recipient.person(u) for u in office.people_with(Role.PENDAMPING)]


async def _send(
    svc: Services, conn: Tx, to: Recipient, kind: str, key: str, payload: dict[str, Any],
    office: Office, case_id: int, now: datetime,
) -> None:  # fmt: skip
    notice = Notice(kind=kind, recipient=to, params=payload, language=office.language,
                    case_id=case_id, dedupe_key=f"rem:{kind}:{key}:{to.key()}")  # fmt: skip
    await svc.outbox.add(conn, notice, at=now)


async def _date(svc: Services, store: ReferralStore, d: ReferralDate, now: datetime) -> int:
    reminders = ReminderStore()
    sent = 0
    async with svc.db.transaction() as conn:
        fresh = await store.get_date(conn, d.id)
        case = await svc.cases.get(conn, d.case_id)
        office = svc.offices.get(case.office_id) if case else None
        if fresh is None or fresh.status != "scheduled" or case is None or office is None:
            return 0
        if case.status == "closed":
            return 0
        subject = f"referral_date:{fresh.id}@{iso(fresh.scheduled_at)}"
        done = await reminders.recorded(conn, subject)
        session = MediationDue(fresh.id, fresh.case_id, 0, fresh.scheduled_at, now)
        calendar = svc.calendars[office.id]
        for when, at in due_mediation_kinds(session, calendar, now, done):
            if not await reminders.claim(conn, subject=subject, kind=when, due_at=at, at=now,
                                         office_id=office.id):  # fmt: skip
                continue
            sent += 1
            payload = {"date_id": fresh.id, "referral_id": fresh.referral_id, "case_id": case.id,
                       "case_number": case.number, "when": when, "kind": fresh.kind,
                       "scheduled_at": iso(fresh.scheduled_at)}  # fmt: skip
            key = f"{fresh.id}.{when}.{iso(fresh.scheduled_at)}"
            for to in _companions(office, fresh.companion_id):
                await _send(svc, conn, to, REFERRAL_REMINDER, key, payload, office, case.id, now)
    return sent


async def _protection(svc: Services, row: ReferralRow, now: datetime) -> int:
    reminders = ReminderStore()
    async with svc.db.transaction() as conn:
        case = await svc.cases.get(conn, row.case_id)
        office = svc.offices.get(case.office_id) if case else None
        if case is None or office is None or row.protection_due is None:
            return 0
        if not await reminders.claim(conn, subject=f"protection:{row.id}", kind=PROTECTION_OVERDUE,
                                     due_at=row.protection_due, at=now,
                                     office_id=office.id):  # fmt: skip
            return 0
        payload = {"referral_id": row.id, "case_id": case.id, "case_number": case.number,
                   "due_at": iso(row.protection_due)}  # fmt: skip
        heads = [Recipient.person(u) for u in office.people_with(Role.KETUA)]
        for to in dict.fromkeys([*_companions(office, row.companion_id), *heads]):
            await _send(svc, conn, to, PROTECTION_OVERDUE, str(row.id), payload, office,
                        case.id, now)  # fmt: skip
    return 1


async def _no_news(svc: Services, store: ReferralStore, office: Office, now: datetime) -> int:
    """Referrals with no news for the office's follow-up days: the case managers follow up."""
    reminders = ReminderStore()
    sent = 0
    since = now - timedelta(days=office.referral_follow_up_days)
    async with svc.db.transaction() as conn:
        for row in await store.without_news(conn, office.id, since):
            updated = await store.updated_at(conn, row.id)
            case = await svc.cases.get(conn, row.case_id)
            if updated is None or case is None:
                continue
            subject = f"referral_news:{row.id}@{iso(updated)}"
            due = updated + timedelta(days=office.referral_follow_up_days)
            if not await reminders.claim(conn, subject=subject, kind=REFERRAL_NO_NEWS,
                                         due_at=due, at=now, office_id=office.id):  # fmt: skip
                continue
            sent += 1
            payload = {"referral_id": row.id, "case_id": case.id, "case_number": case.number,
                       "since": iso(updated)}  # fmt: skip
            managers = [Recipient.person(u) for u in office.people_with(Role.MANAJER_KASUS)]
            for to in dict.fromkeys([*managers, *_companions(office, row.companion_id)]):
                await _send(svc, conn, to, REFERRAL_NO_NEWS, f"{row.id}.{iso(updated)}",
                            payload, office, case.id, now)  # fmt: skip
    return sent


async def sweep_referrals(svc: Services, now: datetime) -> Counter[str]:
    """Queue the referral reminders and protection alerts due at ``now`` (each once)."""
    store = ReferralStore(svc.cipher)
    async with svc.db.reading() as conn:
        dates = await store.upcoming(conn, now)
        overdue = await store.protection_overdue(conn, now)
    counts: Counter[str] = Counter()
    for d in dates:
        try:
            counts[REFERRAL_REMINDER] += await _date(svc, store, d, now)
        except Exception:
            log.exception("referral sweep failed for date %s", d.id)
    for row in overdue:
        try:
            counts[PROTECTION_OVERDUE] += await _protection(svc, row, now)
        except Exception:
            log.exception("protection sweep failed for referral %s", row.id)
    for office in svc.offices.values():
        try:
            counts[REFERRAL_NO_NEWS] += await _no_news(svc, store, office, now)
        except Exception:
            log.exception("referral follow-up sweep failed for office %s", office.id)
    try:
        counts[RETURN_FOLLOW_UP] += await sweep_returns(svc, now)
    except Exception:
        log.exception("return follow-up sweep failed")
    return +counts


async def referral_still_relevant(conn: Tx, item: OutboxItem, store: ReferralStore) -> bool:
    """A date reminder only while the date stands at that time; an alert until it is met."""
    if item.kind not in REFERRAL_SWEEP_KINDS:
        return True
    if item.case_id is not None and await case_status(conn, item.case_id) in (None, "closed"):
        return False
    p = item.payload
    if item.kind == REFERRAL_REMINDER:
        d = await store.get_date(conn, int(p["date_id"]))
        return (
            d is not None
            and d.status == "scheduled"
            and d.scheduled_at == datetime.fromisoformat(str(p["scheduled_at"]))
        )
    if item.kind == REFERRAL_NO_NEWS:
        updated = await store.updated_at(conn, int(p["referral_id"]))
        return updated is not None and updated == datetime.fromisoformat(str(p["since"]))
    row = await store.get(conn, int(p["referral_id"]))
    return row is not None and row.protection_requested_at is None
