"""Outreach use cases: page the on-call rota for an urgent report, escalate, acknowledge, visit.

An urgent report (someone in danger now) opens an outreach as soon as its office is known:
the staff group is alerted (no details), the first person on call is paged privately, and
where she is and how to reach her follow to whoever was paged as the reporter gives them.
A page not acknowledged within the office's ``on_call.ack_minutes`` (wall clock, any hour)
pages the next person, then the head (``escalate_due``, called by the sweep).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.domain.i18n_marker import N_
from bot.domain.identity import actor_for
from bot.domain.notice import Notice, Recipient
from bot.domain.office import Office, ack_deadline, escalation_chain
from bot.domain.outreach import VISIT_OUTCOMES
from bot.domain.permissions import may_read_case
from bot.services import plan_records
from bot.services.context import Services
from bot.store.audit import append_audit
from bot.store.db import Tx
from bot.store.outreach import OutreachRow, OutreachStore
from bot.store.rows import iso

__all__ = [
    "DETAIL_KEYS",
    "OutreachResult",
    "OutreachView",
    "acknowledge",
    "add_detail",
    "escalate_due",
    "forget_abandoned",
    "link_case",
    "on_for",
    "open_outreach",
    "page_undeliverable",
    "record_visit",
    "view",
]

DETAIL_KEYS = ("where", "contact")


@dataclass(frozen=True)
class OutreachResult:
    """What a staff action came to: ok, or a message id (with params) saying why not."""

    ok: bool
    message: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutreachView:
    """An outreach with its details, for someone allowed to see them."""

    row: OutreachRow
    office: Office
    details: dict[str, Any]


async def _notify(
    svc: Services, conn: Tx, office: Office, to: Recipient, kind: str, key: str,
    now: datetime, **params: Any,
) -> None:  # fmt: skip
    notice = Notice(kind=kind, recipient=to, params={"office_id": office.id, **params},
                    language=office.language, dedupe_key=f"{kind}:{key}:{to.key()}")  # fmt: skip
    await svc.outbox.add(conn, notice, at=now)


async def open_outreach(svc: Services, *, office_id: str, draft_key: str) -> int:
    """Alert the group and page the first person on call (once per draft); the outreach id."""
    office = svc.office(office_id)
    now = svc.clock.now()
    store = OutreachStore(svc.cipher)
    chain = escalation_chain(office, now)
    first = chain[0] if chain else ()
    due = ack_deadline(office, now) if first else None
    async with svc.db.transaction() as conn:
        oid, new = await store.open(conn, office_id=office.id, draft_key=draft_key, at=now,
                                    paged=first, ack_due=due)  # fmt: skip
        if not new:
            return oid
        group = Notice(
            kind="urgent_alert",
            recipient=Recipient.staff_group(office.id),
            params={"office_id": office.id, "outreach_id": oid, "paged": len(first)},
            dedupe_key=f"urgent:{draft_key}:{office.id}",
            language=office.language,
        )
        await svc.outbox.add(conn, group, at=now)
        for person in first:
            await _notify(svc, conn, office, Recipient.person(person), "outreach_page",
                          f"{oid}.0", now, outreach_id=oid, level=0)  # fmt: skip
        await append_audit(conn, at=now, actor="reporter", action="outreach_opened",
                           detail=f"outreach {oid}: paged level 0")  # fmt: skip
    return oid


async def add_detail(svc: Services, *, draft_key: str, key: str, value: Any) -> bool:
    """Store where she is or how to reach her, and send it to everyone paged so far."""
    if key not in DETAIL_KEYS or value in (None, "", {}):
        return False
    now = svc.clock.now()
    store = OutreachStore(svc.cipher)
    async with svc.db.transaction() as conn:
        oid = await store.id_for_draft(conn, draft_key)
        row = await store.get(conn, oid) if oid is not None else None
        if row is None:
            return False
        if (await store.details(conn, row.id)).get(key) == value:
            return True  # already stored and sent: a replayed message pages nobody twice
        await store.set_detail(conn, row.id, key, value)
        office = svc.office(row.office_id)
        people = [*row.paged, *([row.acked_by] if row.acked_by else [])]
        for person in dict.fromkeys(people):
            await _notify(svc, conn, office, Recipient.person(person), "outreach_details",
                          f"{row.id}.{key}.{iso(now)}", now, outreach_id=row.id,
                          detail=key)  # fmt: skip
    return True


async def link_case(svc: Services, *, draft_key: str, case_id: int) -> int | None:
    """Attach the outreach of a finished urgent report to its case and put it on the case's
    plan; a visit recorded before the report was finished opens its follow-up now."""
    store = OutreachStore(svc.cipher)
    async with svc.db.transaction() as conn:
        oid = await store.link_case(conn, draft_key, case_id)
        row = await store.get(conn, oid) if oid is not None else None
        if row is not None and row.case_id is not None:
            await plan_records.urgent_on_plan(svc, conn, row, svc.clock.now())
        return oid


async def _escalate(svc: Services, store: OutreachStore, outreach_id: int, now: datetime) -> bool:
    async with svc.db.transaction() as conn:
        row = await store.get(conn, outreach_id)
        if row is None or row.status != "paging" or row.ack_due is None or row.ack_due > now:
            return False
        office = svc.office(row.office_id)
        chain = escalation_chain(office, row.opened_at)
        level = row.level + 1
        if level >= len(chain):
            await store.page(conn, row.id, from_level=row.level, level=row.level,
                             paged=row.paged, ack_due=None, status="unanswered")  # fmt: skip
            for to in [Recipient.staff_group(office.id), *map(Recipient.person, chain[-1])]:
                await _notify(svc, conn, office, to, "outreach_unanswered", str(row.id), now,
                              outreach_id=row.id)  # fmt: skip
            await append_audit(conn, at=now, actor="system", action="outreach_unanswered",
                               detail=f"outreach {row.id}")  # fmt: skip
            return True
        new = tuple(p for p in chain[level] if p not in row.paged)
        paged = (*row.paged, *new)
        if not await store.page(conn, row.id, from_level=row.level, level=level, paged=paged,
                                ack_due=ack_deadline(office, now)):  # fmt: skip
            return False
        for person in chain[level]:
            await _notify(svc, conn, office, Recipient.person(person), "outreach_page",
                          f"{row.id}.{level}", now, outreach_id=row.id, level=level,
                          escalated=True)  # fmt: skip
        await append_audit(conn, at=now, actor="system", action="outreach_escalated",
                           detail=f"outreach {row.id}: paged level {level}")  # fmt: skip
    return True


async def escalate_due(svc: Services, now: datetime) -> int:
    """Page the next level of every outreach whose page went unacknowledged; how many moved."""
    store = OutreachStore(svc.cipher)
    async with svc.db.reading() as conn:
        due = await store.due(conn, now)
    moved = 0
    for oid in due:
        moved += await _escalate(svc, store, oid, now)
    return moved


async def _staff_row(
    svc: Services, conn: Tx, store: OutreachStore, outreach_id: int, person_id: int
) -> OutreachRow | OutreachResult:
    row = await store.get(conn, outreach_id)
    if row is None:
        return OutreachResult(False, N_("There is no such urgent report."))
    office = svc.offices.get(row.office_id)
    if office is None or not may_read_case(office, person_id):
        await append_audit(conn, at=svc.clock.now(), actor=actor_for(person_id),
                           action="denied:outreach", detail=f"outreach {outreach_id}")  # fmt: skip
        return OutreachResult(False, N_("Only staff of this unit can do that."))
    return row


async def acknowledge(svc: Services, outreach_id: int, person_id: int) -> OutreachResult:
    """A staff member of the office takes the urgent report ("I am on it"); paging stops."""
    now = svc.clock.now()
    store = OutreachStore(svc.cipher)
    async with svc.db.transaction() as conn:
        row = await _staff_row(svc, conn, store, outreach_id, person_id)
        if isinstance(row, OutreachResult):
            return row
        if row.acked_by is not None:
            if row.acked_by == person_id:
                return OutreachResult(True)
            return OutreachResult(False, N_("Staff {id} is already on it."), {"id": row.acked_by})
        await store.acknowledge(conn, row.id, person_id, now)
        office = svc.office(row.office_id)
        others = [p for p in row.paged if p != person_id]
        for to in [Recipient.staff_group(office.id), *map(Recipient.person, others)]:
            await _notify(svc, conn, office, to, "outreach_acknowledged", str(row.id), now,
                          outreach_id=row.id, by=person_id)  # fmt: skip
        await append_audit(conn, at=now, actor=actor_for(person_id), action="outreach_ack",
                           case_id=row.case_id, detail=f"outreach {row.id}")  # fmt: skip
    return OutreachResult(True)


async def record_visit(
    svc: Services, outreach_id: int, person_id: int, outcome: str,
    team: tuple[int, ...] = (), visited_at: datetime | None = None,
) -> OutreachResult:  # fmt: skip
    """Record the visit: its team (the recorder and anyone named), time and outcome."""
    if outcome not in VISIT_OUTCOMES:
        return OutreachResult(False, N_("Unknown outcome."))
    now = svc.clock.now()
    store = OutreachStore(svc.cipher)
    async with svc.db.transaction() as conn:
        row = await _staff_row(svc, conn, store, outreach_id, person_id)
        if isinstance(row, OutreachResult):
            return row
        if row.acked_by is None:
            await store.acknowledge(conn, row.id, person_id, now)
        members = tuple(dict.fromkeys((person_id, *team)))
        await store.record_visit(conn, row.id, at=visited_at or now, team=members,
                                 outcome=outcome, by=person_id)  # fmt: skip
        office = svc.office(row.office_id)
        chain = escalation_chain(office, row.opened_at)
        heads = [Recipient.person(p) for p in (chain[-1] if chain else ())]
        for to in [Recipient.staff_group(office.id), *heads]:
            await _notify(svc, conn, office, to, "outreach_visited", f"{row.id}.{outcome}", now,
                          outreach_id=row.id, by=person_id)  # fmt: skip
        await append_audit(conn, at=now, actor=actor_for(person_id), action="outreach_visit",
                           case_id=row.case_id, detail=f"outreach {row.id}: {outcome}")  # fmt: skip
        if row.status != "visited":  # the first record opens the follow-up, once
            await plan_records.visit_follow_up(svc, conn, row, outcome, person_id, now)
    return OutreachResult(True)


async def view(svc: Services, outreach_id: int, person_id: int | None) -> OutreachView | None:
    """An outreach and its details (None if missing, or the person is not staff there).

    ``person_id`` None: the system reads it to render a message already addressed to staff.
    """
    store = OutreachStore(svc.cipher)
    async with svc.db.reading() as conn:
        row = await store.get(conn, outreach_id)
        if row is None:
            return None
        office = svc.offices.get(row.office_id)
        if office is None or (person_id is not None and not may_read_case(office, person_id)):
            return None
        return OutreachView(row, office, await store.details(conn, outreach_id))


async def forget_abandoned(svc: Services, now: datetime) -> int:
    """Where she was and how to reach her, of urgent reports never finished, are deleted after
    the office's draft retention (as the unfinished report itself); the visit record stays."""
    store = OutreachStore(svc.cipher)
    forgotten = 0
    async with svc.db.transaction() as conn:
        for office in svc.offices.values():
            before = now - timedelta(days=office.draft_retention_days)
            forgotten += await store.forget_details(conn, office.id, before)
    return forgotten


async def on_for(svc: Services, person_id: int) -> list[OutreachView]:
    """The urgent reports a person took and has not yet recorded a visit for (with details)."""
    store = OutreachStore(svc.cipher)
    out: list[OutreachView] = []
    async with svc.db.reading() as conn:
        for row in await store.acknowledged_by(conn, person_id):
            office = svc.offices.get(row.office_id)
            if office is not None and may_read_case(office, person_id):
                out.append(OutreachView(row, office, await store.details(conn, row.id)))
    return out


async def page_undeliverable(svc: Services, outreach_id: int, level: int) -> bool:
    """A page could not be delivered (the person blocked the bot or never started it): the
    next level is paged at the next sweep instead of after the acknowledgement time."""
    async with svc.db.transaction() as conn:
        return await OutreachStore(svc.cipher).expire_page(conn, outreach_id, level,
                                                           svc.clock.now())  # fmt: skip
