"""Lines of the record services for staff in private chats: a case's outreach, referrals (with
their next date) and shelter stays in /kasus, and a companion's coming dates in the digest."""

from __future__ import annotations

from bot.channels.telegram.handlers.common import esc
from bot.domain.outreach import VISIT_OUTCOMES
from bot.domain.referrals import DATE_KINDS, REFERRAL_KINDS
from bot.i18n import Translator
from bot.services.context import Services
from bot.store.outreach import OutreachStore
from bot.store.referrals import ReferralStore
from bot.store.shelter import ShelterStore

__all__ = ["case_record_lines", "digest_date_lines"]


async def digest_date_lines(
    svc: Services, date_ids: list[int], t: Translator, tz: str
) -> list[str]:
    """The companion's coming referral dates (kind and time; the place is in /tugas)."""
    lines: list[str] = []
    now = svc.clock.now()
    store = ReferralStore(svc.cipher)
    async with svc.db.reading() as conn:
        for did in date_ids:
            d = await store.get_date(conn, did)
            case = await svc.cases.get(conn, d.case_id) if d else None
            if d is None or case is None or case.status == "closed":
                continue
            if d.status != "scheduled" or d.scheduled_at <= now:
                continue
            lines.append(t.gettext(
                "📅 {number}: {kind}, {when}", number=esc(case.number),
                kind=esc(t.translate(DATE_KINDS.get(d.kind, d.kind))),
                when=t.datetime(d.scheduled_at, tz),
            ))  # fmt: skip
    return lines


async def case_record_lines(svc: Services, case_id: int, t: Translator, tz: str) -> list[str]:
    """The case's outreach, referrals with their next date, and shelter stays (for /kasus)."""
    now = svc.clock.now()
    lines: list[str] = []
    referrals = ReferralStore(svc.cipher)
    async with svc.db.reading() as conn:
        for o in await OutreachStore(svc.cipher).of_case(conn, case_id):
            if o.visited_at is not None:
                outcome = t.translate(VISIT_OUTCOMES.get(o.outcome or "", o.outcome or ""))
                lines.append(t.gettext("🚶 Outreach {id}: visited {when}, {outcome}", id=o.id,
                                       when=t.datetime(o.visited_at, tz),
                                       outcome=esc(outcome)))  # fmt: skip
            else:
                lines.append(t.gettext("🚶 Outreach {id}: opened {when}, no visit recorded yet",
                                       id=o.id, when=t.datetime(o.opened_at, tz)))  # fmt: skip
        for r in await referrals.of_case(conn, case_id):
            facts = await referrals.facts(conn, r.id)
            text = t.gettext("📨 Referral {id}: {kind}, {institution}", id=r.id,
                             kind=esc(t.translate(REFERRAL_KINDS.get(r.kind, r.kind))),
                             institution=esc(str(facts.get("institution") or "–")))  # fmt: skip
            coming = [d for d in await referrals.dates_of(conn, r.id)
                      if d.status == "scheduled" and d.scheduled_at > now]  # fmt: skip
            if coming:
                text += " · " + t.gettext(
                    "next: {kind} {when}", kind=esc(t.translate(DATE_KINDS.get(
                        coming[0].kind, coming[0].kind))),
                    when=t.datetime(coming[0].scheduled_at, tz),
                )  # fmt: skip
            lines.append(text)
        for s in await ShelterStore(svc.cipher).of_case(conn, case_id):
            if s.status == "in":
                lines.append(t.gettext("🏠 Shelter stay {id}: since {since}, until {until}",
                                       id=s.id, since=t.date(s.admitted_at, tz),
                                       until=t.date(s.ends_at, tz)))  # fmt: skip
            else:
                lines.append(t.gettext("🏠 Shelter stay {id}: {since} to {until}", id=s.id,
                                       since=t.date(s.admitted_at, tz),
                                       until=t.date(s.discharged_at or s.ends_at, tz)))  # fmt: skip
    return ["", t.gettext("<b>Outreach, referrals and shelter</b>"), *lines] if lines else []
