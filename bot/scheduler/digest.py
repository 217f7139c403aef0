"""The morning digest of an office: the group's summary (case numbers only) and each staff
member's own open steps and coming referral dates (hearings, BAP, visum, travel home)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from bot.domain.notice import Recipient
from bot.domain.office import Office
from bot.scheduler.pages import PAGE
from bot.store.digests import WINDOW
from bot.store.referrals import ReferralStore

if TYPE_CHECKING:
    from bot.scheduler.sweep import _Sweep

__all__ = ["DATES_AHEAD_DAYS", "office_digest"]

# a companion's referral dates shown in the morning digest: today and the next days
DATES_AHEAD_DAYS = 7


@dataclass
class _Tally:
    """What the digest counts over the whole office, read before its transaction."""

    new_count: int = 0
    new: list[str] = field(default_factory=list)
    open_count: dict[int, int] = field(default_factory=dict)  # person -> her open steps
    mine: dict[int, list[int]] = field(default_factory=dict)  # person -> first step ids


def _is_mine(
    person: int, roles: set[str], assignee: int | None, step_roles: tuple[str, ...]
) -> bool:
    """Assigned to her, or unassigned with one of her roles (as the task list counts)."""
    return assignee == person or (assignee is None and bool(roles.intersection(step_roles)))


async def _tally(s: _Sweep, office: Office, since: datetime) -> _Tally:
    """Counts and first few over every case of the office, a window of ids (or a page of the
    due-time index) per read, so that reporters' updates run between them."""
    from bot.scheduler.sweep import DIGEST_LISTED

    db, store, out = s.svc.db, s.digests, _Tally()
    async with db.reading() as conn:
        last_case, last_step = await store.last_ids(conn)
    for low in range(0, last_case, WINDOW):
        async with db.reading() as conn:
            n, numbers = await store.new_cases(conn, office.id, since, s.now,
                                               (low, low + WINDOW),
                                               DIGEST_LISTED - len(out.new))  # fmt: skip
        out.new_count += n
        out.new += numbers
    staff = {uid: {r.value for r in held} for uid, held in sorted(office.roster.items())}
    out.open_count = dict.fromkeys(staff, 0)
    for low in range(0, last_step, WINDOW):
        async with db.reading() as conn:
            groups = await store.step_groups(conn, office.id, (low, low + WINDOW))
        for assignee, step_roles, n in groups:
            for uid, roles in staff.items():
                if _is_mine(uid, roles, assignee, step_roles):
                    out.open_count[uid] += n
    want = {uid: min(DIGEST_LISTED, n) for uid, n in out.open_count.items()}
    out.mine = {uid: [] for uid in staff}
    after: tuple[str, int] | None = None
    while any(len(out.mine[u]) < want[u] for u in staff):  # stops when every list is full
        async with db.reading() as conn:
            page = await store.open_steps(conn, office.id, after, PAGE)
        for _, step_id, assignee, step_roles in page:
            for uid, roles in staff.items():
                if len(out.mine[uid]) < want[uid] and _is_mine(uid, roles, assignee, step_roles):
                    out.mine[uid].append(step_id)
        if len(page) < PAGE:
            break
        after = (page[-1][0], page[-1][1])
    return out


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
        since = await s.log.last_digest(conn, office.id, day.isoformat())
    since = since or previous_opening(calendar, day)
    # counts and the first few of each list: the digest names at most DIGEST_LISTED (the
    # store counts the rest); nothing held grows with the cases, no read spans them all
    tally = await _tally(s, office, since)
    async with s.svc.db.transaction() as conn:
        if not await s.log.claim(conn, subject=subject, kind=DAILY_DIGEST, due_at=opening,
                                 at=s.now, office_id=office.id,
                                 day=day.isoformat()):  # fmt: skip
            return
        s.report.reminders[DAILY_DIGEST] += 1
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
            "office_id": office.id, "day": day.isoformat(), "audience": "group",
            "new": tally.new, "due_today": today, "overdue": late,
            "new_count": tally.new_count, "due_today_count": n_today, "overdue_count": n_late,
        }  # fmt: skip
        if any(now for *_, now in dated):  # hearings and other dates today: numbers only
            group["dates_today"] = list(dict.fromkeys(n for _, n, _, now in dated if now))
        await s.send(conn, Recipient.staff_group(office.id), DAILY_DIGEST, key, group,
                     language=office.language, case_id=None)  # fmt: skip
        for uid in sorted(office.roster):
            mine, n_mine = tally.mine.get(uid, []), tally.open_count.get(uid, 0)
            dates = [i for i, _, who, _ in dated if who == uid]
            if mine or dates:
                own: dict[str, object] = {"office_id": office.id, "day": day.isoformat(),
                                          "audience": "person", "step_ids": mine,
                                          "open_count": n_mine}  # fmt: skip
                if dates:
                    own["date_ids"] = dates
                await s.send(conn, Recipient.person(uid), DAILY_DIGEST, key, own,
                             language=office.language, case_id=None)  # fmt: skip
