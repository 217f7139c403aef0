"""The morning digest of an office: the group's summary (case numbers only) and each staff
member's own open steps and coming referral dates (hearings, BAP, visum, travel home)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from bot.domain.notice import Recipient
from bot.domain.office import Office
from bot.store.referrals import ReferralStore

if TYPE_CHECKING:
    from bot.scheduler.sweep import _Sweep

__all__ = ["DATES_AHEAD_DAYS", "office_digest"]

# a companion's referral dates shown in the morning digest: today and the next days
DATES_AHEAD_DAYS = 7


async def office_digest(s: _Sweep, office: Office) -> None:
    """Queue the office's digest once per working day, at or after its opening."""
    from bot.scheduler.sweep import DAILY_DIGEST, DIGEST_LISTED, previous_opening

    calendar = s.svc.calendars[office.id]
    day = calendar.local(s.now).date()
    periods = calendar.periods_on(day)
    if not periods or s.now < periods[0][0]:
        return
    subject, opening = f"office:{office.id}:{day.isoformat()}", periods[0][0]
    async with s.svc.db.reading() as conn:
        if await s.log.recorded(conn, subject):
            return
    async with s.svc.db.transaction() as conn:
        if not await s.log.claim(conn, subject=subject, kind=DAILY_DIGEST, due_at=opening,
                                 at=s.now, office_id=office.id,
                                 day=day.isoformat()):  # fmt: skip
            return
        s.report.reminders[DAILY_DIGEST] += 1
        since = await s.log.last_digest(conn, office.id, day.isoformat())
        since = since or previous_opening(calendar, day)
        # counts and the first few of each list: the digest names at most DIGEST_LISTED
        # (the store counts the rest; nothing here grows with the number of cases)
        n_new, new = await s.digests.new_cases(conn, office.id, since, s.now, DIGEST_LISTED)
        n_late, late = await s.digests.step_cases(conn, office.id, None, s.now, DIGEST_LISTED)
        midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=calendar.tz)
        end = midnight - timedelta(milliseconds=1)  # due today: before the next midnight
        n_today, today = await s.digests.step_cases(conn, office.id, s.now, end, DIGEST_LISTED)
        horizon = day + timedelta(days=DATES_AHEAD_DAYS)
        dated: list[tuple[int, str, int | None, bool]] = []  # (date id, number, companion, today)
        for d in await ReferralStore(s.svc.cipher).upcoming(conn, s.now):
            local = calendar.local(d.scheduled_at).date()
            case = await s.svc.cases.get(conn, d.case_id) if local <= horizon else None
            if case is not None and case.office_id == office.id:
                dated.append((d.id, case.number, d.companion_id, local == day))
        key = f"{office.id}.{day.isoformat()}"
        group: dict[str, object] = {
            "office_id": office.id, "day": day.isoformat(), "audience": "group", "new": new,
            "due_today": today, "overdue": late,
            "new_count": n_new, "due_today_count": n_today, "overdue_count": n_late,
        }  # fmt: skip
        if any(now for *_, now in dated):  # hearings and other dates today: numbers only
            group["dates_today"] = list(dict.fromkeys(n for _, n, _, now in dated if now))
        await s.send(conn, Recipient.staff_group(office.id), DAILY_DIGEST, key, group,
                     language=office.language, case_id=None)  # fmt: skip
        for uid, held in sorted(office.roster.items()):
            roles = {r.value for r in held}
            n_mine, mine = await s.digests.person_steps(conn, office.id, uid, roles,
                                                        DIGEST_LISTED)  # fmt: skip
            dates = [i for i, _, who, _ in dated if who == uid]
            if mine or dates:
                own: dict[str, object] = {"office_id": office.id, "day": day.isoformat(),
                                          "audience": "person", "step_ids": mine,
                                          "open_count": n_mine}  # fmt: skip
                if dates:
                    own["date_ids"] = dates
                await s.send(conn, Recipient.person(uid), DAILY_DIGEST, key, own,
                             language=office.language, case_id=None)  # fmt: skip
