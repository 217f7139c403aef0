"""Renderers of the referral kinds: date reminders and the PKDRT protection deadline."""

from __future__ import annotations

from datetime import datetime

from bot.channels.telegram.handlers.common import esc
from bot.channels.telegram.rendering import Rendered, RendererCatalog
from bot.domain.referrals import DATE_KINDS, REFERRAL_KINDS
from bot.i18n import Translator
from bot.scheduler.referrals import (
    PROTECTION_OVERDUE,
    REFERRAL_NO_NEWS,
    REFERRAL_REMINDER,
    referral_still_relevant,
)
from bot.scheduler.schedule import DAY_BEFORE
from bot.services.context import Services
from bot.store import Tx
from bot.store.outbox import OutboxItem
from bot.store.referrals import ReferralStore

__all__ = ["REFERRAL_KINDS_RENDERED", "referral_renderers"]

REFERRAL_KINDS_RENDERED = frozenset(
    {REFERRAL_REMINDER, PROTECTION_OVERDUE, REFERRAL_NO_NEWS, "protection_due", "referral_date_set"}
)


async def _date_lines(svc: Services, item: OutboxItem, t: Translator) -> list[str] | None:
    """Case, kind, institution, time and place of a referral's date."""
    store = ReferralStore(svc.cipher)
    async with svc.db.reading() as conn:
        d = await store.get_date(conn, int(item.payload["date_id"]))
        if d is None:
            return None
        row = await store.get(conn, d.referral_id)
        case = await svc.cases.get(conn, d.case_id)
        facts = await store.facts(conn, d.referral_id)
        place = await store.place(conn, d.id)
    if row is None or case is None:
        return None
    office = svc.office(case.office_id)
    return [
        t.gettext("Case: <b>{number}</b>", number=esc(case.number)),
        t.gettext(
            "{what} ({kind}: {institution})",
            what=esc(t.translate(DATE_KINDS.get(d.kind, d.kind))),
            kind=esc(t.translate(REFERRAL_KINDS.get(row.kind, row.kind))),
            institution=esc(str(facts.get("institution", ""))),
        ),
        t.gettext("When: {when}", when=t.datetime(d.scheduled_at, office.timezone)),
        t.gettext("Place: {place}", place=esc(place)),
    ]


async def _reminder(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    lines = await _date_lines(svc, item, t)
    if lines is None:
        return None
    head = (
        t.gettext("📅 <b>Reminder</b>: you accompany the victim on the next working day.")
        if item.payload.get("when") == DAY_BEFORE
        else t.gettext("⏰ <b>Reminder</b>: you accompany the victim in two hours.")
    )
    return "\n".join([head, *lines]), None


async def _date_set(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    lines = await _date_lines(svc, item, t)
    if lines is None:
        return None
    head = (
        t.gettext("📅 A date you accompany was <b>moved</b>.")
        if item.payload.get("moved")
        else t.gettext("📅 You accompany the victim on a new date.")
    )
    return "\n".join([head, *lines]), None


async def _protection(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, int(item.payload["case_id"]))
    if case is None:
        return None
    office = svc.office(case.office_id)
    due = t.datetime(datetime.fromisoformat(str(item.payload["due_at"])), office.timezone)
    rid = int(item.payload["referral_id"])
    if item.kind == PROTECTION_OVERDUE:
        text = t.gettext(
            "⚠ <b>Overdue</b>: temporary protection for case <b>{number}</b> had to be asked of "
            "the police by {due} (UU 23/2004 Pasal 16, 1×24 hours). Ask now, then record it "
            "with /perlindungan {id}.",
            number=esc(case.number), due=due, id=rid,
        )  # fmt: skip
    else:
        text = t.gettext(
            "🛡 Case <b>{number}</b> was reported to the police. Temporary protection must be "
            "asked of the police by {due} (UU 23/2004 Pasal 16, 1×24 hours). When done: "
            "/perlindungan {id}.",
            number=esc(case.number), due=due, id=rid,
        )  # fmt: skip
    return text, None


async def _no_news(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    p = item.payload
    store = ReferralStore(svc.cipher)
    async with svc.db.reading() as conn:
        row = await store.get(conn, int(p["referral_id"]))
        case = await svc.cases.get(conn, int(p["case_id"]))
        facts = await store.facts(conn, int(p["referral_id"]))
    if row is None or case is None:
        return None
    office = svc.office(case.office_id)
    return t.gettext(
        "🔎 Referral {id} of case <b>{number}</b> ({kind}: {institution}) has had no news since "
        "{since}. Please follow up with the institution and record what comes back with "
        "/fakta {id}.",
        id=row.id, number=esc(case.number),
        kind=esc(t.translate(REFERRAL_KINDS.get(row.kind, row.kind))),
        institution=esc(str(facts.get("institution", ""))),
        since=t.datetime(datetime.fromisoformat(str(p["since"])), office.timezone),
    ), None  # fmt: skip


def referral_renderers(svc: Services, catalog: RendererCatalog) -> None:
    """Register the referral kinds and the check that drops moved or met reminders."""

    async def reminder(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _reminder(svc, item, t)

    async def date_set(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _date_set(svc, item, t)

    async def protection(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _protection(svc, item, t)

    async def no_news(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _no_news(svc, item, t)

    catalog.register(REFERRAL_REMINDER, reminder)
    catalog.register(REFERRAL_NO_NEWS, no_news)
    catalog.register("referral_date_set", date_set)
    catalog.register(PROTECTION_OVERDUE, protection)
    catalog.register("protection_due", protection)

    async def still_relevant(conn: Tx, item: OutboxItem) -> bool:
        return await referral_still_relevant(conn, item, ReferralStore(svc.cipher))

    catalog.add_check(still_relevant)
